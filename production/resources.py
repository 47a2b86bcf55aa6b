"""Export of products, printers and runs from the admin ("Export" button and action)."""

from import_export import fields

from inventory.resources import SpreadsheetSafeResource
from production.models import Printer, Product, ProductionRun


class TenantSlugResource(SpreadsheetSafeResource):
    tenant = fields.Field(attribute="tenant__slug", column_name="tenant", readonly=True)


class ProductResource(TenantSlugResource):
    class Meta:
        model = Product
        fields = ("tenant", "sku", "name", "unit_weight_g", "material_kind", "is_active")
        export_order = fields


class PrinterResource(TenantSlugResource):
    class Meta:
        model = Printer
        fields = ("tenant", "name", "model", "is_active")
        export_order = fields


class RunResource(TenantSlugResource):
    """A run per row: its items as `SKU x quantity (ok/failed)`, its printer by name."""

    printer = fields.Field(attribute="printer__name", column_name="printer", readonly=True)
    items = fields.Field(column_name="items", readonly=True)

    class Meta:
        model = ProductionRun
        fields = (
            "tenant",
            "run_number",
            "status",
            "printer",
            "started_at",
            "completed_at",
            "duration_hours",
            "items",
            "quality_rating",
            "failure_reason",
            "deleted_at",
        )
        export_order = fields

    def export(self, queryset=None, **kwargs):
        if queryset is not None:
            queryset = queryset.select_related("tenant", "printer").prefetch_related("items__product")
        return super().export(queryset=queryset, **kwargs)

    def dehydrate_items(self, run):
        parts = []
        for item in run.items.all():
            outcome = ""
            if item.successful_quantity is not None or item.failed_quantity is not None:
                outcome = f" ({item.successful_quantity or 0} ok, {item.failed_quantity or 0} failed)"
            parts.append(f"{item.product.sku} x{item.quantity}{outcome}")
        return "; ".join(parts)
