from django.contrib import admin

from spoolman import services
from spoolman.models import IntegrationKey
from tenants.admin import ReadOnlyTenantOwnedAdmin


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(ReadOnlyTenantOwnedAdmin):
    """Keys are created through the API (the secret is shown once there); staff may see and revoke them."""

    list_display = ["prefix", "printer", "name", "created_by", "created_at", "revoked_at", "tenant"]
    list_filter = ["tenant", "revoked_at"]
    search_fields = ["prefix", "name", "printer__name"]
    list_select_related = ["tenant", "printer", "created_by"]
    fields = readonly_fields = ["tenant", "printer", "name", "prefix", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys", permissions=["view"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
