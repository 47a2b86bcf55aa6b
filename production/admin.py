import json

from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportActionMixin

from core.errors import DomainError
from inventory.models import Spool
from production import services
from production.models import (
    Printer,
    PrinterSlot,
    Product,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunNumberCounter,
)
from production.resources import PrinterResource, ProductResource, RunResource
from production.services import dispatch, slots
from production.status_codes import TRANSITIONS, RunAction
from tenants.admin import CatalogServiceAdmin, ReadOnlyInline, ReadOnlyTenantOwnedAdmin, TenantOwnedAdmin


@admin.register(Product)
class ProductAdmin(CatalogServiceAdmin, ExportActionMixin, TenantOwnedAdmin):
    resource_classes = [ProductResource]
    list_display = ["sku", "name", "unit_weight_g", "material_kind", "is_active", "tenant"]
    list_filter = ["tenant", "is_active", "material_kind"]
    search_fields = ["sku", "name"]
    fields_class, changes_class = services.ProductFields, services.ProductChanges

    def create(self, tenant, user, fields):
        return services.create_product(tenant=tenant, user=user, fields=fields)

    def update(self, product, user, changes):
        services.update_product(product=product, user=user, changes=changes)

    def delete(self, product, user):
        services.delete_product(product=product, user=user)


class PrinterSlotInline(admin.TabularInline):
    """The printer's loaded slots, editable: each change goes through `production.services.slots.load_slot`
    (PrinterAdmin.save_formset), so it is checked and recorded as the API's `PUT slots/{slot}/` is."""

    model = PrinterSlot
    fields = ["slot", "spool", "loaded_at", "loaded_by"]
    readonly_fields = ["loaded_at", "loaded_by"]
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        self.parent_printer = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "spool":
            # Only the printer's own tenant's active spools (a new printer has none to offer yet).
            printer = getattr(self, "parent_printer", None)
            spools = Spool.objects.filter(is_active=True).select_related("material")
            kwargs["queryset"] = spools.filter(tenant_id=printer.tenant_id) if printer else spools.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Printer)
class PrinterAdmin(ExportActionMixin, TenantOwnedAdmin):
    resource_classes = [PrinterResource]
    list_display = ["name", "model", "slot_count", "is_active", "tenant"]
    list_filter = ["tenant", "is_active"]
    search_fields = ["name", "model"]
    inlines = [PrinterSlotInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not PrinterSlot:
            return super().save_formset(request, form, formset, change)
        printer = form.instance
        # The admin's change message reads what a formset saved; the service wrote it instead.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for slot_form in formset.forms:
            if not slot_form.has_changed() and not formset._should_delete_form(slot_form):
                continue
            before = slot_form.initial.get("slot") if slot_form.instance.pk else None
            loads = []
            if formset._should_delete_form(slot_form):
                loads.append(slots.SlotLoad(slot=before, spool=None))
            elif slot_form.cleaned_data.get("spool") is not None:
                if before is not None and before != slot_form.cleaned_data["slot"]:
                    loads.append(slots.SlotLoad(slot=before, spool=None))
                loads.append(slots.SlotLoad(slot=slot_form.cleaned_data["slot"], spool=slot_form.cleaned_data["spool"]))
            for load in loads:
                try:
                    slots.load_slot(printer=printer, user=request.user, load=load)
                except DomainError as error:
                    self.message_user(request, f"Slot {load.slot}: {error.detail}", messages.ERROR)
        return None


class RunItemInline(ReadOnlyInline):
    model = ProductionRunItem
    fields = readonly_fields = [
        "product",
        "quantity",
        "successful_quantity",
        "failed_quantity",
        "bed_position",
        "notes",
    ]


class RunMaterialInline(ReadOnlyInline):
    model = ProductionRunMaterial
    fields = readonly_fields = [
        "spool",
        "estimated_model_g",
        "estimated_flushed_g",
        "estimated_tower_g",
        "spool_weight_before_g",
        "spool_weight_after_g",
        "actual_model_g",
        "actual_flushed_g",
        "actual_tower_g",
        "cost_per_gram",
    ]


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Soft-deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


def service_action(description, operation, **kwargs):
    """An admin action that runs one production service per selected run and reports each outcome."""

    def run_action(modeladmin, request, queryset):
        done = 0
        for run in queryset:
            try:
                operation(run=run, user=request.user, **kwargs)
            except DomainError as error:
                modeladmin.message_user(request, f"{run.run_number}: {error.detail}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{description}: {done} run(s).", messages.SUCCESS)

    run_action.short_description = description
    run_action.__name__ = operation.__name__
    return run_action


def short_time(value):
    """A moment as `2026-11-09 20:51` in the active time zone: list columns that fit a 1366 px screen."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


@admin.register(ProductionRun)
class ProductionRunAdmin(ExportActionMixin, TenantOwnedAdmin):
    resource_classes = [RunResource]
    list_display = [
        "run_number",
        "run_status",
        "printer",
        "started",
        "ended",
        "item_count",
        "tenant",
    ]
    list_filter = [DeletedFilter, "tenant", "status", "priority", "printer", "started_at"]
    search_fields = ["run_number", "notes"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["tenant", "printer", "original_run"]
    list_select_related = ["tenant", "printer"]
    readonly_fields = [
        # A run's items, materials and ledger rows carry its tenant: it cannot move to another one.
        "tenant",
        "run_number",
        "status",
        "completed_at",
        "duration_hours",
        "failure_reason",
        "created_by",
        "deleted_at",
        "deleted_by",
        "history",
    ]
    inlines = [RunItemInline, RunMaterialInline]
    # One action per transition of the state table (each service refuses a run its status does
    # not allow, and the action reports it), then soft delete and restore.
    actions = [
        service_action(
            f"{TRANSITIONS[RunAction.COMPLETE].label} with estimates where actuals are missing",
            services.complete_run,
            completion=services.Completion(use_estimates=True),
        ),
        service_action(
            f"{TRANSITIONS[RunAction.START].label} on its printer", dispatch.start_run, start=dispatch.Start()
        ),
        service_action(TRANSITIONS[RunAction.CANCEL].label, services.cancel_run),
        service_action(f"{TRANSITIONS[RunAction.REOPEN].label} (reverses inventory)", services.reopen_run),
        service_action("Soft-delete", services.delete_run),
        service_action("Restore soft-deleted", services.restore_run),
    ]

    def get_queryset(self, request):
        # Staff see soft-deleted runs too: that is where they are restored.
        return ProductionRun.all_objects.select_related("tenant", "printer").annotate(item_count=Count("items"))

    @admin.display(description="history")
    def history(self, run):
        """Who did what to the run, newest first, as the services recorded it."""
        entries = run.history.select_related("user") if run.pk else []
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (
                    localize(timezone.localtime(entry.occurred_at)),
                    entry.get_action_display(),
                    entry.user or "-",
                    json.dumps(entry.changes, cls=DjangoJSONEncoder),
                )
                for entry in entries
            ),
        )
        return format_html(
            "<table><tr><th>When</th><th>Action</th><th>User</th><th>Changes (field: [old, new])</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="Status", ordering="status")
    def run_status(self, run):
        # A soft-deleted run says so here (the "deleted" filter lists them).
        return f"{run.get_status_display()} (deleted)" if run.deleted_at else run.get_status_display()

    @admin.display(description="Started", ordering="started_at")
    def started(self, run):
        return short_time(run.started_at)

    @admin.display(description="Ended", ordering="completed_at")
    def ended(self, run):
        return short_time(run.completed_at)

    @admin.display(description="items", ordering="item_count")
    def item_count(self, run):
        return run.item_count

    def has_add_permission(self, request):
        # Runs are created through the API, which numbers them and checks stock.
        return False

    def has_delete_permission(self, request, obj=None):
        # Runs are soft-deleted with the action above; a hard delete would orphan ledger history.
        return False

    def save_model(self, request, obj, form, change):
        changes = services.RunChanges(
            **{name: form.cleaned_data[name] for name in form.changed_data if name != "tenant"}
        )
        try:
            services.update_run(run=obj, user=request.user, changes=changes)
        except DomainError as error:
            # Nothing was saved: neither log nor announce a change, and send the user back to the form.
            self.message_user(request, error.detail, messages.ERROR)
            request.run_update_refused = True

    def log_change(self, request, obj, message):
        if not getattr(request, "run_update_refused", False):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        if getattr(request, "run_update_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


@admin.register(ProductionRunItem)
class ProductionRunItemAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["run", "product", "quantity", "successful", "failed", "tenant"]
    list_filter = ["tenant", "run__status"]
    search_fields = ["run__run_number", "product__sku", "product__name"]
    list_select_related = ["tenant", "run", "product"]

    @admin.display(description="OK", ordering="successful_quantity")
    def successful(self, item):
        return item.successful_quantity

    @admin.display(description="Failed", ordering="failed_quantity")
    def failed(self, item):
        return item.failed_quantity


@admin.register(ProductionRunMaterial)
class ProductionRunMaterialAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["run", "spool", "estimated_g", "actual_g", "cost_per_gram", "tenant"]
    list_filter = ["tenant", "run__status", "spool__material__kind"]
    search_fields = ["run__run_number", "spool__code"]
    list_select_related = ["tenant", "run", "spool"]

    @admin.display(description="Est. model g", ordering="estimated_model_g")
    def estimated_g(self, material):
        return material.estimated_model_g

    @admin.display(description="Actual model g", ordering="actual_model_g")
    def actual_g(self, material):
        return material.actual_model_g


@admin.register(RunNumberCounter)
class RunNumberCounterAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["tenant", "day", "last_number"]
    list_filter = ["tenant"]
    search_fields = ["tenant__slug"]
    date_hierarchy = "day"
