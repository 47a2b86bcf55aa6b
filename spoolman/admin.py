from django.contrib import admin

from spoolman import services
from spoolman.models import ImportedRecord, IntegrationKey
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


@admin.register(ImportedRecord)
class ImportedRecordAdmin(ReadOnlyTenantOwnedAdmin):
    """What `import_spoolman` copied: a Spoolman server's row (its source and id) and the row it became here."""

    list_display = ["source", "entity_type", "source_id", "object_id", "imported_at", "tenant"]
    list_filter = ["entity_type", "tenant"]
    search_fields = ["source"]
    list_select_related = ["tenant"]
    fields = readonly_fields = ["tenant", "source", "entity_type", "source_id", "object_id", "imported_at"]
