"""Logins and tokens: bearer tokens that never 500, the failed-login limit, token revocation."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpResponse
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's `Authorization: Token <token>`, answering 401 for a token that is not UTF-8.

    knox decodes the token's bytes as UTF-8 and lets a `UnicodeDecodeError` escape (a 500);
    a token is ASCII, so such a header is simply not a valid token.

    When `TenantScopeMiddleware` has already authenticated the request's token (in the same
    query as its membership and tenant: tenants/resolution.py `resolve_token_request`), that
    result is reused and nothing is queried again; otherwise knox checks the token as usual,
    and answers its errors (an expired token is deleted and refused, an unknown one refused).
    """

    def authenticate(self, request):
        resolved = getattr(request._request, "token_authentication", None)
        if resolved is not None:
            return resolved
        return super().authenticate(request)

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the class above: knox's, under the same name."""

    target_class = "tenants.authentication.TokenAuthentication"


class AxesLoginLimitBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come from a client request.

    Every login entry point of this project (the token endpoint, the browsable API's and
    the admin's login pages) passes its request. `authenticate()` without one is a call
    from trusted code (the test client's `login()`, a shell), which has no client to count.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_seconds(request=None):
    """How long a locked-out client or username waits: the whole cool-off (each refused try restarts it)."""
    return int(get_cool_off(request).total_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """The session login pages' answer to a locked-out client: 429 with `Retry-After`."""
    response = HttpResponse(
        "Too many failed logins: try again later.", status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(lockout_seconds(request))
    return response


def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    """A new password ends every bearer token of the user (sessions end through Django's session hash).

    `set_password()` keeps the new raw password in `_password` until the save that stores
    it, so any save after `set_password()` counts: the admin's forms, `changepassword`,
    or code. A hash upgraded at login clears `_password` first, and does not count.
    """
    if not created and getattr(instance, "_password", None) is not None:
        AuthToken.objects.filter(user=instance).delete()
