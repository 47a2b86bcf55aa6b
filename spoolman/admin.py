from django.contrib import admin

from spoolman import services
from spoolman.models import IntegrationKey
from tenants.admin import ReadOnlyTenantOwnedAdmin


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(ReadOnlyTenantOwnedAdmin):
    """Keys are created through the API (the secret is shown once there); staff may see and revoke them.

    A `manage` key acts as its creator (`created_by`), with the creator's current role in the tenant.
    """

    list_display = ["prefix", "scope", "printer", "name", "created_by", "created_at", "revoked_at", "tenant"]
    list_filter = ["scope", "tenant", "revoked_at"]
    search_fields = ["prefix", "name", "printer__name", "created_by__username"]
    list_select_related = ["tenant", "printer", "created_by"]
    fields = readonly_fields = [
        "tenant",
        "scope",
        "printer",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys", permissions=["view"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
