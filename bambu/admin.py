"""Bambu Lab connections in the admin: staff see them, their status and the booking marks; the API writes them.

The access code's column is not shown anywhere (not even encrypted), and connections are
not exported: an admin of the tenant sets them through the API.
"""

from django.contrib import admin

from bambu.models import PrinterConnection, PrinterStatus, RunLineProgress, TrayRemainMark
from tenants.admin import ReadOnlyTenantOwnedAdmin


class StatusInline(admin.StackedInline):
    model = PrinterStatus
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "connection_state",
        "error",
        "gcode_state",
        "progress_percent",
        "job_name",
        "trays",
        "reported_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PrinterConnection)
class PrinterConnectionAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["printer", "host", "port", "serial", "kind", "updated_at", "tenant"]
    list_filter = ["tenant", "kind"]
    search_fields = ["printer__name", "host", "serial"]
    list_select_related = ["tenant", "printer"]
    fields = readonly_fields = ["tenant", "printer", "kind", "host", "port", "serial", "created_by", "updated_at"]
    inlines = [StatusInline]


@admin.register(PrinterStatus)
class PrinterStatusAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["connection", "connection_state", "gcode_state", "progress_percent", "reported_at", "tenant"]
    list_filter = ["tenant", "connection_state", "gcode_state"]
    search_fields = ["connection__printer__name", "job_name"]
    list_select_related = ["tenant", "connection__printer"]


@admin.register(RunLineProgress)
class RunLineProgressAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["run_material", "booked_percent", "updated_at", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["run_material__run__run_number", "run_material__spool__code"]
    list_select_related = ["tenant", "run_material__spool"]


@admin.register(TrayRemainMark)
class TrayRemainMarkAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["spool", "printer", "remain_percent", "updated_at", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["spool__code", "printer__name"]
    list_select_related = ["tenant", "spool", "printer"]
