from rest_framework.permissions import IsAuthenticated

from tenants.permissions import TenantRolePermission
from tenants.resolution import resolve_membership


class TenantScopedViewMixin:
    """The one place API querysets are scoped to the request's tenant.

    Every tenant-owned endpoint inherits it: it resolves the active tenant right
    after authentication, scopes `get_queryset`, stamps the tenant on creates, and
    applies the role permissions. `tests/test_tenant_scoping.py` walks the router
    and fails for any viewset that does not.
    """

    permission_classes = [IsAuthenticated, TenantRolePermission]
    manager_actions = ("destroy",)

    def initial(self, request, *args, **kwargs):
        # The tenant depends on the user, and a token user is only known after DRF authenticates.
        self.perform_authentication(request)
        if request.user.is_authenticated:
            request.membership = resolve_membership(request)
            request.tenant = request.membership.tenant
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
