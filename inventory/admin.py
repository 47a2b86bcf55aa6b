from decimal import Decimal

from django.contrib import admin
from django.http import HttpResponse
from django.utils.html import format_html

from inventory import labels, services
from inventory.models import InventoryTransaction, Material, Spool
from tenants.admin import ReadOnlyInline, ReadOnlyTenantOwnedAdmin, TenantOwnedAdmin


@admin.register(Material)
class MaterialAdmin(TenantOwnedAdmin):
    list_display = ["name", "number", "brand", "kind", "color_name", "color_hex", "low_stock_threshold", "tenant"]
    list_filter = ["tenant", "kind", "brand"]
    search_fields = ["name", "brand", "color_name", "=number"]
    readonly_fields = ["number"]

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
class SpoolAdmin(TenantOwnedAdmin):
    list_display = [
        "code",
        "number",
        "material",
        "current_weight_g",
        "remaining",
        "stock",
        "location",
        "is_active",
        "tenant",
    ]
    list_filter = ["tenant", LowStockFilter, "is_active", "material__kind", "location"]
    search_fields = ["code", "material__name", "material__color_name", "location", "=number"]
    autocomplete_fields = ["tenant", "material"]
    list_select_related = ["tenant", "material"]
    readonly_fields = ["number", "current_weight_g", "ledger_version"]
    inlines = [LedgerInline]
    actions = ["print_labels"]

    @admin.action(description="Print labels", permissions=["view"])
    def print_labels(self, request, queryset):
        """The selected spools' labels on A4 sheets (3 x 8 a page), as a PDF to print."""
        spools = queryset.select_related("material").order_by("code", "id")
        response = HttpResponse(labels.sheet(request, spools, as_pdf=True), content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="spool-labels.pdf"'
        return response

    @admin.display(description="Remaining %")
    def remaining(self, spool):
        return spool.remaining_percent

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
class InventoryTransactionAdmin(ReadOnlyTenantOwnedAdmin):
    """The ledger is immutable: nobody adds, changes or deletes rows here."""

    list_display = ["occurred_at", "spool", "type", "weight_before_g", "weight_change_g", "weight_after_g", "tenant"]
    list_filter = ["tenant", "type", "occurred_at"]
    search_fields = ["spool__code", "description", "production_run__run_number"]
    list_select_related = ["tenant", "spool"]
    date_hierarchy = "occurred_at"
