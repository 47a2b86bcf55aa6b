import django_filters
from django.db.models import Exists, OuterRef, Q

from core.api.filters import BooleanFilter, DateBoundFilter, OrderingFilter
from inventory.models import MaterialKind
from production.models import (
    Printer,
    Product,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryAction,
    RunHistoryEntry,
    RunStatus,
)
from tenants.filters import TenantFilterSet


class CommaSeparatedChoiceField(django_filters.fields.MultipleChoiceField):
    """`?status=a&status=b` and `?status=a,b` alike."""

    def clean(self, value):
        if value:
            value = [part.strip() for entry in value for part in entry.split(",") if part.strip()]
        return super().clean(value)


class CommaSeparatedChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = CommaSeparatedChoiceField


class ProductFilter(TenantFilterSet):
    is_active = BooleanFilter(label="Active")
    material_kind = django_filters.ChoiceFilter(choices=MaterialKind.choices, label="Material kind")
    search = django_filters.CharFilter(
        method="filter_search", label="Search (SKU, name)", help_text="SKU or name contains this (case-insensitive)."
    )
    ordering = OrderingFilter(fields=["sku", "name", "created_at"])

    class Meta:
        model = Product
        fields = ["is_active", "material_kind"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


class PrinterFilter(TenantFilterSet):
    is_active = BooleanFilter(label="Active")
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search (name, model)",
        help_text="Name or model contains this (case-insensitive).",
    )
    ordering = OrderingFilter(fields=["name", "created_at"])

    class Meta:
        model = Printer
        fields = ["is_active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(model__icontains=value))


class ProductionRunFilter(TenantFilterSet):
    status = CommaSeparatedChoiceFilter(
        choices=RunStatus.choices,
        label="Status",
        help_text="Any of these statuses: repeat the parameter or comma-separate them.",
    )
    start_date = DateBoundFilter(field_name="started_at", label="Started on or after")
    end_date = DateBoundFilter(field_name="started_at", upper=True, label="Started on or before")
    # `field_name` only documents the type (uuid) for the schema; the methods do the filtering with EXISTS.
    product = django_filters.ModelChoiceFilter(field_name="items__product", method="filter_product", label="Product")
    spool = django_filters.ModelChoiceFilter(field_name="materials__spool", method="filter_spool", label="Spool")
    printer = django_filters.ModelChoiceFilter(label="Printer")
    is_reprint = BooleanFilter(
        field_name="original_run",
        lookup_expr="isnull",
        exclude=True,
        label="Reprint",
        help_text="Runs that reprint another run.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search (run number, notes)",
        help_text="Run number or notes contain this (case-insensitive).",
    )
    ordering = OrderingFilter(fields=["started_at", "completed_at", "created_at", "run_number"])

    class Meta:
        model = ProductionRun
        fields = ["status", "printer"]

    def filter_product(self, queryset, name, value):
        return queryset.filter(Exists(ProductionRunItem.objects.filter(run=OuterRef("pk"), product=value)))

    def filter_spool(self, queryset, name, value):
        return queryset.filter(Exists(ProductionRunMaterial.objects.filter(run=OuterRef("pk"), spool=value)))

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(run_number__icontains=value) | Q(notes__icontains=value))


class RunItemFilter(TenantFilterSet):
    ordering = OrderingFilter(fields=["created_at", "quantity", ("product__sku", "product_sku")])

    class Meta:
        model = ProductionRunItem
        fields = []


class RunMaterialFilter(TenantFilterSet):
    ordering = OrderingFilter(fields=["created_at", ("spool__code", "spool_code")])

    class Meta:
        model = ProductionRunMaterial
        fields = []


class RunHistoryFilter(TenantFilterSet):
    # Declared: django-filter would build it from the model's manager at import, outside any tenant scope.
    action = django_filters.MultipleChoiceFilter(choices=RunHistoryAction.choices, label="Action")
    ordering = OrderingFilter(fields=["occurred_at"])

    class Meta:
        model = RunHistoryEntry
        fields = ["action"]
