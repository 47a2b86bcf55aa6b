import dataclasses
import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from knox.models import AuthToken

from tenants.models import Membership, Tenant
from tenants.time_zones import tenant_time_zone


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's login: a right password of someone who is not staff (a tenant's member, admin or owner)
    is told where their pages are, instead of "enter the correct username and password for a staff account".

    The password was right, so django-axes counts no failure (only `authenticate()` failing does):
    trying the admin does not bring a tenant admin nearer their lockout.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "not_staff": "Your password is right, but the admin site is for the operator's staff only. Your "
        "tenant's pages are at /api/v1/ (log in at /api-auth/login/), and its dashboard at /admin/dashboard/ "
        "for admins and owners.",
    }

    def confirm_login_allowed(self, user):
        if user.is_active and not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")
        super().confirm_login_allowed(user)


admin.site.login_form = StaffAuthenticationForm


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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A page about one tenant's row shows (and reads) its times in that tenant's zone.
        tenant = None
        if object_id and is_uuid(object_id):
            rows = self.get_queryset(request).filter(pk=object_id).values("tenant_id")
            tenant = Tenant.objects.filter(pk__in=rows).first()
        return in_time_zone_of(tenant, super().change_view, request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        # A list narrowed to one tenant shows its times in that tenant's zone; across tenants, in UTC.
        tenant_id = request.GET.get("tenant__id__exact")
        tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id and is_uuid(tenant_id) else None
        return in_time_zone_of(tenant, super().changelist_view, request, extra_context)

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


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def in_time_zone_of(tenant, view, *args):
    """`view(*args)` rendered in `tenant`'s time zone (the admin's pages are rendered lazily)."""
    if tenant is None:
        return view(*args)
    with tenant_time_zone(tenant):
        response = view(*args)
        if hasattr(response, "render"):
            response.render()
    return response


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


class CatalogServiceAdmin:
    """Saves and deletes of a catalog row (a material, a product) through its services, so the
    admin's changes record their events like the API's.

    A subclass names its services as `create(tenant, user, fields)`, `update(obj, user,
    changes)` and `delete(obj, user)`, and the dataclasses they take (`fields_class`,
    `changes_class`).
    """

    fields_class = changes_class = None

    def save_model(self, request, obj, form, change):
        if change:
            sent = set(form.changed_data) & {field.name for field in dataclasses.fields(self.changes_class)}
            self.update(obj, request.user, self.changes_class(**{name: form.cleaned_data[name] for name in sent}))
            return
        names = {field.name for field in dataclasses.fields(self.fields_class)}
        data = {name: value for name, value in form.cleaned_data.items() if name in names}
        created = self.create(obj.tenant, request.user, self.fields_class(**data))
        # The admin goes on with `obj` (its log entry, its redirect): it becomes the stored row.
        obj.__dict__.update({key: value for key, value in created.__dict__.items() if key != "_state"})
        obj._state.adding, obj._state.db = False, created._state.db

    def delete_model(self, request, obj):
        self.delete(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete(obj, request.user)
