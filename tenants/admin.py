from django.contrib import admin
from knox.models import AuthToken

from tenants.models import Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "run_prefix", "timezone", "created_at"]
    list_filter = ["timezone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]
    list_select_related = ["user", "tenant"]


class TenantOwnedAdmin(admin.ModelAdmin):
    """Staff see every tenant; each list can be narrowed to one."""

    list_filter = ["tenant"]
    autocomplete_fields = ["tenant"]
    list_select_related = ["tenant"]

    def get_list_display(self, request):
        # The tenant by its slug: the shortest name of it keeps every list within a 1366 px screen.
        return [("tenant_slug" if name == "tenant" else name) for name in super().get_list_display(request)]

    @admin.display(description="Tenant", ordering="tenant__slug")
    def tenant_slug(self, obj):
        return obj.tenant.slug

    def get_fields(self, request, obj=None):
        # The tenant first: staff work across tenants and must see whose record this is.
        fields = list(super().get_fields(request, obj))
        return ["tenant", *(name for name in fields if name != "tenant")] if "tenant" in fields else fields

    def get_readonly_fields(self, request, obj=None):
        # A saved record stays in its tenant: its children, ledger rows and references all live there.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "tenant"] if obj is not None and "tenant" not in readonly else readonly


class ReadOnlyAdminMixin:
    """Staff may list and search these rows, never add, change or delete them in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTenantOwnedAdmin(ReadOnlyAdminMixin, TenantOwnedAdmin):
    """Rows that change only through the services: listed, searchable and filterable for staff."""


class ReadOnlyInline(admin.TabularInline):
    """Children shown on their parent's page that change only through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# knox registers an admin that lists each token's digest (also its primary key, so in
# every link and checkbox) and searches by digest and key prefix: secrets a staff user with
# view permission has no use for. This one lists whose tokens exist and until when.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bearer tokens, listed without their digest or key prefix (a token ends by API DELETE or a new password)."""

    list_display = ["user", "created", "expiry"]
    list_display_links = None
    list_select_related = ["user"]
    search_fields = ["user__username"]
    ordering = ["-created"]
    # No action checkboxes and no detail page: both would put the digest (the primary key) in the page.
    actions = None

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)
