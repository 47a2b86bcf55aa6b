from contextlib import ExitStack

from rest_framework.permissions import IsAuthenticated

from core.api.browsable import ActionFormPagesMixin
from core.api.exports import CSVExportMixin
from core.api.writes import TransactionalWritesMixin
from core.routers import business_read_alias, replica_reads
from tenants.permissions import TenantRolePermission
from tenants.resolution import enter_tenant, resolve_membership
from tenants.row_security import tenant_row_security
from tenants.scoping import tenant_scope
from tenants.time_zones import tenant_time_zone


class TenantScopedViewMixin(ActionFormPagesMixin, CSVExportMixin, TransactionalWritesMixin):
    """The one place API querysets are scoped to the request's tenant.

    Every tenant-owned endpoint inherits it: it resolves the active tenant right
    after authentication and enters its scope for the rest of the request (so every
    tenant-owned query of the request, rendering included, sees that tenant only:
    tenants/scoping.py), scopes `get_queryset` visibly too, stamps the tenant on
    creates, and applies the role permissions; its writes run in one transaction with
    their response and take an `Idempotency-Key` (core.api.writes); its lists export
    `?format=csv` (core.api.exports); a browsable GET of an action answers its form page
    (core.api.browsable). Viewsets name the
    manager (`queryset = Model.objects`): a queryset cannot be built before the scope
    exists. `tests/platform/test_tenant_scoping.py` walks the router and fails for any
    viewset that does not inherit it.

    On PostgreSQL the rest of the request also runs in one transaction, as a role that
    row-level security holds to the tenant's rows (tenants/row_security.py): the
    database's own wall under the application's. The write's transaction is a savepoint
    inside it, and the middleware commits it once the response is rendered.
    """

    tenant_scoped = True  # read by the schema, which documents the tenant header and its errors
    permission_classes = [IsAuthenticated, TenantRolePermission]
    manager_actions = ("destroy",)

    def perform_authentication(self, request):
        # The tenant depends on the user, and a token user is only known once DRF authenticates.
        # DRF's `initial` calls this after content negotiation (so a tenant error renders as
        # JSON or as a browsable page, as asked) and before the permission checks.
        super().perform_authentication(request)
        django_request = request._request
        if getattr(django_request, "token_authentication", None) is not None:
            return  # TenantScopeMiddleware resolved the token's tenant and entered its scope already
        if request.user.is_authenticated:
            membership = resolve_membership(request)
            # Stored on the Django request, which DRF's Request proxies: the browsable API renders
            # its forms with a clone of the DRF request (sharing only the Django one), and the
            # clone must still know the tenant for permissions and tenant-scoped choices.
            django_request.membership, django_request.tenant = membership, membership.tenant
            # Open until the middleware closes the stack, after the response is rendered.
            enter_tenant(django_request, membership.tenant)

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)

    def csv_scope(self):
        # A CSV export streams after the middleware has closed the request's scopes and committed its
        # row-security transaction: the body enters them all again, the database's wall included (its
        # own read-only transaction as the application role with the tenant set), on the database a
        # GET reads from.
        tenant = self.request.tenant
        stack = ExitStack()
        stack.enter_context(replica_reads())
        stack.enter_context(tenant_scope(tenant))
        stack.enter_context(tenant_row_security(tenant, using=business_read_alias()))
        stack.enter_context(tenant_time_zone(tenant))
        return stack

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)
