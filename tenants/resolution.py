"""Which tenant a request acts for: `X-Tenant`, `?tenant=`, or the user's only membership.

This runs inside DRF, after authentication, because a token user is only known
there; `TenantScopedViewMixin.initial` calls it for every tenant-scoped view.
"""

from rest_framework import status
from rest_framework.exceptions import APIException

from tenants.models import Membership

TENANT_HEADER = "HTTP_X_TENANT"
TENANT_QUERY_PARAM = "tenant"


class TenantRequired(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "You belong to several tenants: name one with the X-Tenant header or ?tenant=<slug>."
    default_code = "tenant_required"


class TenantForbidden(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    # The same answer for "no such tenant" and "not yours", so slugs cannot be probed.
    default_detail = "You are not a member of this tenant."
    default_code = "tenant_forbidden"


def requested_tenant_slug(request):
    return request.META.get(TENANT_HEADER) or request.query_params.get(TENANT_QUERY_PARAM) or None


def resolve_membership(request):
    """The authenticated user's membership of the tenant this request acts for."""
    memberships = Membership.objects.select_related("tenant").filter(user=request.user)
    slug = requested_tenant_slug(request)
    if slug:
        membership = memberships.filter(tenant__slug=slug).first()
        if membership is None:
            raise TenantForbidden()
        return membership
    candidates = list(memberships[:2])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise TenantForbidden("You are not a member of any tenant.")
    raise TenantRequired()
