"""Which tenant a request acts for.

In order: the `X-Tenant` header, the `?tenant=` query parameter, the tenant this
browser session chose last, the user's only membership. Without any of them a user
of several tenants gets 400 `tenant_required`.

The session step serves the browsable API: a person switches tenant by following a
`?tenant=<slug>` link, and the pages they open next (whose links carry no parameter)
stay in that tenant. Only session-authenticated requests read or write that choice,
so a REST client's token never picks up a browser's tenant. The choice only moves
between the user's own memberships, and one they no longer hold is ignored.

Two paths lead here:

- A token request (`Authorization: Token <token>`) is resolved by `TenantScopeMiddleware`
  before the view, in ONE query (`resolve_token_request`: the token's digest joined to its
  user, the user's membership and its tenant), and the request's tenant scope and
  row-security transaction are entered for the whole request: any view under the
  middleware runs in the tenant's scope, and DRF's token authentication and
  `TenantScopedViewMixin` reuse the result instead of querying again. Only a success is
  taken there; every other case (an unknown, expired or malformed token, an inactive
  user, a tenant the user is not a member of, several memberships and no choice) is left
  to the path below, which answers exactly as before (401, 403, 400).
- Every other request (a browser session, the browsable API's tenant switch, a token the
  middleware did not resolve) is resolved inside DRF, after authentication, because such
  a user is only known there; `TenantScopedViewMixin.perform_authentication` calls
  `resolve_membership` for every tenant-scoped view.

Nothing is cached between requests: a revoked or expired token, a deactivated user, a
changed role or a removed membership takes effect on the next request.
"""

import binascii

from django.core.validators import slug_re
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.authentication import SessionAuthentication, get_authorization_header
from rest_framework.exceptions import APIException

from core.errors import ErrorCode
from core.routers import business_read_alias
from core.tenancy import TENANT_HEADER as TENANT_HEADER_NAME
from core.tenancy import TENANT_QUERY_PARAM
from tenants.models import Membership
from tenants.row_security import tenant_row_security
from tenants.scoping import request_scope_stack, tenant_scope

TENANT_HEADER = "HTTP_" + TENANT_HEADER_NAME.upper().replace("-", "_")
SESSION_KEY = "active_tenant"


class TenantRequired(APIException):
    status_code = ErrorCode.TENANT_REQUIRED.status
    default_detail = "You belong to several tenants: name one with the X-Tenant header or ?tenant=<slug>."
    default_code = ErrorCode.TENANT_REQUIRED.value


class TenantForbidden(APIException):
    status_code = ErrorCode.TENANT_FORBIDDEN.status
    # The same answer for "no such tenant" and "not yours", so slugs cannot be probed.
    default_detail = "You are not a member of this tenant."
    default_code = ErrorCode.TENANT_FORBIDDEN.value


def requested_tenant_slug(request):
    return request.META.get(TENANT_HEADER) or request.query_params.get(TENANT_QUERY_PARAM) or None


def resolve_membership(request):
    """The authenticated user's membership of the tenant this request acts for."""
    memberships = Membership.objects.select_related("tenant").filter(user=request.user)
    slug = requested_tenant_slug(request)
    if slug:
        # A value no slug can have names no tenant; querying it could fail instead
        # (PostgreSQL refuses a NUL byte in a query parameter).
        membership = memberships.filter(tenant__slug=slug).first() if slug_re.match(slug) else None
        if membership is None:
            raise TenantForbidden()
        if not request.META.get(TENANT_HEADER):
            remember_tenant(request, membership)
        return membership
    remembered = remembered_membership(request, memberships)
    if remembered is not None:
        return remembered
    candidates = list(memberships[:2])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise TenantForbidden("You are not a member of any tenant.")
    raise TenantRequired()


def resolve_token_request(request):
    """The membership of a token request's user in the tenant it acts for, in one query; or None.

    The returned membership carries its `user` and `tenant`, and `token`, the request's
    `AuthToken` (for `request.auth`). None means "not decided here": DRF's authentication
    and `resolve_membership` then answer the request as they always have, errors included.
    knox's own check is kept wherever it does more than read: an expired token (knox deletes
    it) and `AUTO_REFRESH` (knox extends it) go that way, and so does a token whose user
    is inactive.
    """
    if knox_settings.AUTO_REFRESH:
        return None
    digest = token_digest(request)
    if digest is None:
        return None
    slug = request.META.get(TENANT_HEADER) or request.GET.get(TENANT_QUERY_PARAM) or None
    if slug is not None and not slug_re.match(slug):
        return None
    now = timezone.now()
    token_is_valid = Q(user__auth_token_set__expiry__isnull=True) | Q(user__auth_token_set__expiry__gt=now)
    memberships = (
        Membership.objects.using(DEFAULT_DB_ALIAS)  # never a lagging replica: a revoked token ends at once
        .select_related("tenant", "user")
        .filter(token_is_valid, user__auth_token_set__digest=digest, user__is_active=True)
        .annotate(
            token_key=models.F("user__auth_token_set__token_key"),
            token_created=models.F("user__auth_token_set__created"),
            token_expiry=models.F("user__auth_token_set__expiry"),
        )
        .order_by()
    )
    # Without a choice, only a user of exactly one tenant has a tenant: two rows say "several".
    found = list(memberships.filter(tenant__slug=slug)[:1] if slug is not None else memberships[:2])
    if len(found) != 1:
        return None
    membership = found[0]
    membership.token = AuthToken(
        digest=digest,
        token_key=membership.token_key,
        user=membership.user,
        created=membership.token_created,
        expiry=membership.token_expiry,
    )
    membership.token._state.adding = False
    membership.token._state.db = membership._state.db
    return membership


def enter_token_request(request):
    """Resolve a token request's tenant (`resolve_token_request`) and enter its scope for the whole request.

    Sets on the Django request what DRF and the views read: `user`, `token_authentication`
    (DRF's `(user, token)`), `membership` and `tenant`. Does nothing when the request is
    not resolved here.
    """
    membership = resolve_token_request(request)
    if membership is None:
        return
    request.user = membership.user
    request.token_authentication = (membership.user, membership.token)
    request.membership, request.tenant = membership, membership.tenant
    enter_tenant(request, membership.tenant)


def enter_tenant(request, tenant):
    """The tenant's scope, and on PostgreSQL its row-security transaction, until the response is rendered."""
    stack = request_scope_stack(request)
    stack.enter_context(tenant_scope(tenant))
    # On the database the request's tenant-owned reads go to: the replica for a GET when there is one.
    stack.enter_context(tenant_row_security(tenant, using=business_read_alias()))


def token_digest(request):
    """The knox digest of the request's `Authorization: Token <token>`, or None for any other header."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != knox_settings.AUTH_HEADER_PREFIX.lower().encode():
        return None
    try:
        return hash_token(parts[1].decode("utf-8"))
    except (UnicodeDecodeError, TypeError, binascii.Error):
        return None


def uses_session(request):
    return isinstance(getattr(request, "successful_authenticator", None), SessionAuthentication)


def remember_tenant(request, membership):
    """Keep a `?tenant=` choice for the next pages of this browser session."""
    if uses_session(request) and request.session.get(SESSION_KEY) != membership.tenant.slug:
        request.session[SESSION_KEY] = membership.tenant.slug


def remembered_membership(request, memberships=None):
    """The membership of the tenant this browser session chose last, if the user still holds it."""
    slug = request.session.get(SESSION_KEY) if uses_session(request) else None
    if not slug:
        return None
    if memberships is None:
        memberships = Membership.objects.select_related("tenant").filter(user=request.user)
    return memberships.filter(tenant__slug=slug).first()
