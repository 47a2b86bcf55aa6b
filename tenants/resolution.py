"""Which tenant a request acts for.

In order: the `X-Tenant` header, the `?tenant=` query parameter, the tenant this
browser session chose last, the user's only membership. Without any of them a user
of several tenants gets 400 `tenant_required`.

The session step serves the browsable API: a person switches tenant by following a
`?tenant=<slug>` link, and the pages they open next (whose links carry no parameter)
stay in that tenant. Only session-authenticated requests read or write that choice,
so a REST client's token never picks up a browser's tenant. The choice only moves
between the user's own memberships, and one they no longer hold is ignored.

This runs inside DRF, after authentication, because a token user is only known
there; `TenantScopedViewMixin.perform_authentication` calls it for every tenant-scoped view.
"""

from django.core.validators import slug_re
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException

from core.errors import ErrorCode
from core.tenancy import TENANT_HEADER as TENANT_HEADER_NAME
from core.tenancy import TENANT_QUERY_PARAM
from tenants.models import Membership

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
