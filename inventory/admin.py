from decimal import Decimal

from django.contrib import admin
from django.http import HttpResponse
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ExportActionMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from inventory import labels, selectors, services
from inventory.charts import Series, line_chart, safe_colour
from inventory.models import InventoryTransaction, Material, Spool, TransactionType, Vendor
from inventory.resources import LedgerResource, MaterialResource, SpoolResource
from tenants.admin import CatalogServiceAdmin, ReadOnlyInline, ReadOnlyTenantOwnedAdmin, TenantOwnedAdmin

PROGRESS_SCRIPT = "inventory/import-progress.js"


def swatch(color_hex, label):
    """A small square of the colour (a blank one when it is not #RRGGBB) before `label`."""
    return format_html(
        '<span class="swatch" style="display:inline-block;width:12px;height:12px;border:1px solid #888;'
        'border-radius:2px;vertical-align:middle;margin-right:5px;background:{}"></span>{}',
        safe_colour(color_hex, "transparent"),
        label,
    )


class ImportFormWithProgress(ImportForm):
    class Media:
        js = [PROGRESS_SCRIPT]


class ConfirmImportFormWithProgress(ConfirmImportForm):
    class Media:
        js = [PROGRESS_SCRIPT]


class ImportWithProgressMixin(ImportExportMixin, ExportActionMixin):
    """Import (preview, confirm) and export; both import steps show a progress bar while they run."""

    import_form_class = ImportFormWithProgress
    confirm_form_class = ConfirmImportFormWithProgress

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        request = kwargs.get("request")
        return {**kwargs, "progress_key": request.POST.get("progress_key", "") if request is not None else ""}


@admin.register(Vendor)
class VendorAdmin(CatalogServiceAdmin, TenantOwnedAdmin):
    fields_class, changes_class = services.VendorFields, services.VendorChanges
    list_display = ["name", "number", "empty_spool_weight_g", "external_id", "tenant"]
    search_fields = ["name", "external_id", "=number"]
    # Extra fields are Spoolman's, written through its API (their definitions live there).
    readonly_fields = ["number", "extra"]

    def create(self, tenant, user, fields):
        return services.create_vendor(tenant=tenant, user=user, fields=fields)

    def update(self, vendor, user, changes):
        services.update_vendor(vendor=vendor, user=user, changes=changes)

    def delete(self, vendor, user):
        services.delete_vendor(vendor=vendor, user=user)


@admin.register(Material)
class MaterialAdmin(CatalogServiceAdmin, ImportWithProgressMixin, TenantOwnedAdmin):
    resource_classes = [MaterialResource]
    fields_class, changes_class = services.MaterialFields, services.MaterialFieldChanges
    list_display = ["name", "number", "vendor_name", "kind", "colour", "low_stock_threshold", "tenant"]
    list_filter = ["tenant", "kind", "vendor__name"]
    list_select_related = ["tenant", "vendor"]
    search_fields = ["name", "vendor__name", "color_name", "=number"]
    readonly_fields = ["number", "extra"]
    autocomplete_fields = ["tenant", "vendor"]

    @admin.display(description="Vendor", ordering="vendor__name")
    def vendor_name(self, material):
        return material.vendor_name

    def create(self, tenant, user, fields):
        return services.create_material(tenant=tenant, user=user, fields=fields)

    def update(self, material, user, changes):
        services.update_material(material=material, user=user, changes=changes)

    def delete(self, material, user):
        services.delete_material(material=material, user=user)

    @admin.display(description="Colour", ordering="color_name")
    def colour(self, material):
        return swatch(material.color_hex, material.color_name or material.color_hex or "-")

    @admin.display(description="Low stock below")
    def low_stock_threshold(self, material):
        if material.low_stock_threshold_g is not None:
            return f"{material.low_stock_threshold_g} g"
        return f"{material.low_stock_threshold_percent.normalize():f} %"


class LowStockFilter(admin.SimpleListFilter):
    """The API's `?low_stock=`: below the material's threshold (`Material.low_stock_threshold_for`)."""

    title = "low stock"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return [("yes", "Low on stock"), ("no", "Not low")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.low_stock()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.low_stock().values("pk"))
        return queryset


class LedgerInline(ReadOnlyInline):
    model = InventoryTransaction
    fk_name = "spool"
    fields = readonly_fields = [
        "sequence",
        "occurred_at",
        "type",
        "weight_before_g",
        "weight_change_g",
        "weight_after_g",
        "production_run",
        "printer",
        "source",
        "user",
        "description",
    ]
    ordering = ["-sequence"]
    show_change_link = True


@admin.register(Spool)
class SpoolAdmin(ImportWithProgressMixin, TenantOwnedAdmin):
    resource_classes = [SpoolResource]
    # Eight narrow columns: they fit a 1366 px screen beside the admin's menu, the tenant included.
    list_display = ["code", "number", "material_swatch", "weight", "stock", "location", "is_active", "tenant"]
    list_filter = ["tenant", LowStockFilter, "is_active", "material__kind", "location"]
    search_fields = ["code", "material__name", "material__color_name", "location", "=number", "=rfid_uid"]
    autocomplete_fields = ["tenant", "material"]
    list_select_related = ["tenant", "material"]
    # The use dates are the ledger's (its first and last use row); extra fields are Spoolman's.
    readonly_fields = [
        "number",
        "current_weight_g",
        "first_used",
        "last_used",
        "removed_at",
        "extra",
        "weight_over_time",
    ]
    inlines = [LedgerInline]
    actions = ["print_labels"]

    @admin.action(description="Print labels", permissions=["view"])
    def print_labels(self, request, queryset):
        """The selected spools' labels on A4 sheets (3 x 8 a page), as a PDF to print."""
        spools = queryset.select_related("material").order_by("code", "id")
        response = HttpResponse(labels.sheet(request, spools, as_pdf=True), content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="spool-labels.pdf"'
        return response

    @admin.display(description="Weight over time")
    def weight_over_time(self, spool):
        """The weight after each ledger row, as a staircase up to now (an SVG drawn here)."""
        if spool.pk is None:
            return "-"
        points = [(point.occurred_at, point.weight_g) for point in selectors.spool_weight_history(spool=spool)]
        series = Series(spool.code, points, safe_colour(spool.material.color_hex))
        return line_chart(
            [series], label=f"Weight of spool {spool.code} over time", unit=" g", end=timezone.now(), step=True
        )

    @admin.display(description="Material", ordering="material__name")
    def material_swatch(self, spool):
        return swatch(spool.material.color_hex, f"{spool.material.name} ({spool.material.kind})")

    @admin.display(description="Weight (left)", ordering="current_weight_g")
    def weight(self, spool):
        return f"{spool.current_weight_g} g ({spool.remaining_percent.normalize():f} %)"

    @admin.display(description="Stock")
    def stock(self, spool):
        """A coloured badge: red when low on stock (the material's threshold), green otherwise."""
        if spool.is_low_stock:
            colour, label = "#b91c1c", "low"
        else:
            colour, label = "#15803d", "ok"
        return format_html(
            '<span class="stock-badge stock-{}" style="background:{};color:#fff;border-radius:8px;padding:1px 8px" '
            'title="Low below {} g">{}</span>',
            label,
            colour,
            spool.low_stock_threshold_g.quantize(Decimal("0.01")),
            label,
        )

    def deletion_refusal(self, spool):
        """Why `spool` cannot be deleted (the service's rule: history beyond its purchase), or None."""
        history = spool.transactions.exclude(type=TransactionType.PURCHASE).count()
        runs = spool.run_materials.values("run").distinct().count()
        if not history and not runs:
            return None
        reasons = []
        if history:
            reasons.append(f"{history} ledger row{pluralize(history)} besides its purchase")
        if runs:
            reasons.append(f"{runs} production run{pluralize(runs)} using it")
        return (
            f"Spool {spool.code} cannot be deleted: it has {' and '.join(reasons)}. The ledger is the inventory's "
            "history and is never rewritten, so a spool with history stays. To retire it, untick "
            '"Is active" on its page (it leaves the active lists and can no longer be assigned).'
        )

    def get_deleted_objects(self, objs, request):
        """What deleting removes (the spool and its purchase row), or why it may not: said in words,
        instead of Django's list of "protected related objects" (the ledger rows)."""
        refusals = [refusal for spool in objs if (refusal := self.deletion_refusal(spool))]
        if refusals:
            return [], {}, set(), refusals
        to_delete = [format_html("Spool: {} (and its purchase row)", spool.code) for spool in objs]
        return to_delete, {"spools": len(to_delete)}, set(), []

    def delete_model(self, request, obj):
        services.delete_spool(spool=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for spool in queryset:
            services.delete_spool(spool=spool, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        # The purchase row recorded the initial weight; it is fixed after creation.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "initial_weight_g"] if obj else readonly

    def save_model(self, request, obj, form, change):
        if change:
            # `obj.save()` would also write back the weight read with the form, over any movement since.
            changes = services.SpoolChanges(**{name: form.cleaned_data[name] for name in form.changed_data})
            services.update_spool(spool=obj, user=request.user, changes=changes)
            return
        # The admin goes on with `obj`, so the service creates the spool under obj's id.
        data = {name: value for name, value in form.cleaned_data.items() if name != "tenant"}
        services.create_spool(tenant=obj.tenant, user=request.user, draft=services.SpoolDraft(**data, id=obj.pk))


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(ExportActionMixin, ReadOnlyTenantOwnedAdmin):
    """The ledger is immutable: nobody adds, changes or deletes rows here (it exports)."""

    resource_classes = [LedgerResource]
    list_display = ["occurred", "spool", "type", "change_g", "after_g", "production_run", "tenant"]
    list_filter = ["tenant", "type", "occurred_at"]
    search_fields = ["spool__code", "description", "production_run__run_number"]
    list_select_related = ["tenant", "spool", "production_run"]
    date_hierarchy = "occurred_at"

    @admin.display(description="When", ordering="occurred_at")
    def occurred(self, row):
        return timezone.localtime(row.occurred_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="Change g", ordering="weight_change_g")
    def change_g(self, row):
        return row.weight_change_g

    @admin.display(description="After g", ordering="weight_after_g")
    def after_g(self, row):
        return row.weight_after_g
