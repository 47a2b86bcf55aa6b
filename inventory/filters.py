import django_filters
from django.db.models import Q

from core.api.filters import BooleanFilter, DateBoundFilter, OrderingFilter
from inventory.models import InventoryTransaction, Material, MaterialKind, Spool, TransactionType, Vendor
from tenants.filters import TenantFilterSet


class MaterialFilter(TenantFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MaterialKind.choices, label="Kind")
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search (name, vendor, colour)",
        help_text="Name, vendor name or colour name contains this (case-insensitive).",
    )
    number = django_filters.NumberFilter(label="Number", help_text="The material with this per-tenant number.")
    vendor = django_filters.ModelChoiceFilter(label="Vendor", help_text="The vendor's id or number.")
    brand = django_filters.CharFilter(
        field_name="vendor__name", label="Brand (vendor name)", help_text="Exactly this vendor name."
    )
    ordering = OrderingFilter(fields=["number", "name", ("vendor__name", "brand"), "kind", "created_at"])

    class Meta:
        model = Material
        fields = ["kind", "number", "vendor", "brand"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(vendor__name__icontains=value) | Q(color_name__icontains=value)
        )


class VendorFilter(TenantFilterSet):
    name = django_filters.CharFilter(label="Name", help_text="Exactly this name.")
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Search (name)", help_text="The name contains this."
    )
    number = django_filters.NumberFilter(label="Number", help_text="The vendor with this per-tenant number.")
    external_id = django_filters.CharFilter(label="External id", help_text="Exactly this external id.")
    ordering = OrderingFilter(fields=["number", "name", "created_at"])

    class Meta:
        model = Vendor
        fields = ["name", "number", "external_id"]


class SpoolFilter(TenantFilterSet):
    material = django_filters.ModelChoiceFilter(label="Material")
    kind = django_filters.MultipleChoiceFilter(
        field_name="material__kind", choices=MaterialKind.choices, label="Material kind"
    )
    is_active = BooleanFilter(label="Active")
    location = django_filters.CharFilter(
        lookup_expr="iexact", label="Location", help_text="Exactly this location (case-insensitive)."
    )
    low_stock = BooleanFilter(
        method="filter_low_stock",
        label="Low stock",
        help_text="Spools below their material's low-stock threshold: `low_stock_threshold_g` grams "
        "when the material sets it, else `low_stock_threshold_percent` (default 20) % of their initial weight.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search (code, material, colour)",
        help_text="Code, material name or colour name contains this (case-insensitive).",
    )
    number = django_filters.NumberFilter(label="Number", help_text="The spool with this per-tenant number.")
    ordering = OrderingFilter(
        fields=["number", "code", "current_weight_g", "initial_weight_g", "purchased_at", "created_at", "location"]
    )

    class Meta:
        model = Spool
        fields = ["material", "kind", "is_active", "location", "number"]

    def filter_low_stock(self, queryset, name, value):
        low = queryset.low_stock()
        return low if value else queryset.exclude(pk__in=low.values("pk"))

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(material__name__icontains=value) | Q(material__color_name__icontains=value)
        )


class InventoryTransactionFilter(TenantFilterSet):
    spool = django_filters.ModelChoiceFilter(label="Spool")
    type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices, label="Type")
    production_run = django_filters.ModelChoiceFilter(label="Production run")
    printer = django_filters.ModelChoiceFilter(
        label="Printer",
        help_text="Rows booked on a printer, by id or name: its own reports (`printer_use`) and the usage, "
        "waste and reversal rows of the runs on it.",
    )
    occurred_after = DateBoundFilter(field_name="occurred_at", label="Occurred on or after")
    occurred_before = DateBoundFilter(field_name="occurred_at", upper=True, label="Occurred on or before")
    ordering = OrderingFilter(fields=["occurred_at", "weight_change_g"])

    class Meta:
        model = InventoryTransaction
        fields = ["spool", "type", "production_run", "printer"]
