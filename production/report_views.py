"""`GET /api/v1/reports/...`: read-only, tenant-scoped, one query each (`production.selectors`,
`inventory.selectors`); viewers may read them. A bad parameter is a 400 naming it."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import tables
from inventory.models import Material
from inventory.selectors import low_stock_report
from production import selectors
from production.report_serializers import (
    CostPerUnitReportSerializer,
    DayRangeParameters,
    LowStockReportSerializer,
    ReportIndexSerializer,
    UsageParameters,
    UsageReportSerializer,
    VarianceParameters,
    VarianceReportSerializer,
)
from tenants.mixins import TenantScopedViewMixin

# Columns of a report's rows that its table leaves out: ids (the name links or says it) and nested lists.
HIDDEN_COLUMNS = {"id", "spools"}
GRAM_COLUMNS = ("_g", "cost", "cost_per_unit", "material_cost")


def column_title(name):
    return name.replace("_g", "").replace("_", " ").capitalize() + (" (g)" if name.endswith("_g") else "")


def report_cell(name, value):
    if name == "variance_g":
        return tables.signed_grams(value)
    if name.endswith(GRAM_COLUMNS) or name == "variance_percent":
        return tables.Cell("" if value is None else str(value), css="numeric")
    return tables.text(value)


class ReportTableMixin:
    """A report's rows as a table (core/api/tables.py): a material group is named as choice lists name it
    (number, kind, colour, vendor) with its colour swatch; a low-stock row lists its spools."""

    def html_table(self, data):
        rows = tables.results_of(data)
        if rows is None:
            return None
        hidden = HIDDEN_COLUMNS | ({"period"} if isinstance(data, dict) and data.get("period") is None else set())
        columns = [name for name in (rows[0] if rows else {}) if name not in hidden]
        materials = self.materials_of(data, rows)
        body = []
        for row in rows:
            cells = []
            for name in columns:
                material = materials.get(str(row.get("id"))) if name == "name" else None
                if material is not None:
                    url = self.request.build_absolute_uri(reverse("material-detail", args=[material.pk]))
                    cells.append(
                        tables.Cell(
                            material.choice_label(), url=url, swatch=tables.swatch(material.color_hex, "").swatch
                        )
                    )
                elif name == "name" and row.get(name) is None:
                    cells.append(tables.text("(none)"))
                else:
                    cells.append(report_cell(name, row.get(name)))
            if "spools" in (rows[0] if rows else {}):
                cells.append(
                    tables.text(
                        ", ".join(f"{spool['code']} ({spool['current_weight_g']} g)" for spool in row["spools"])
                    )
                )
            body.append(cells)
        headers = [column_title(name) for name in columns]
        if rows and "spools" in rows[0]:
            headers.append("Low spools")
        return tables.Table(headers, body, empty="No row for these parameters.")

    def materials_of(self, data, rows):
        """The materials the rows name, by id (one query), when the report groups by material."""
        if not (data.get("group_by") == "material" or self.groups_by_material):
            return {}
        ids = [row["id"] for row in rows if row.get("id")]
        return {
            str(material.pk): material
            for material in Material.objects.for_tenant(self.request.tenant).select_related("vendor").filter(pk__in=ids)
        }

    groups_by_material = False

    def html_filter_form(self, request):
        parameters_class = getattr(self, "parameters_class", None)
        return tables.parameter_form(parameters_class, request.query_params) if parameters_class else None


class ReportView(ReportTableMixin, TenantScopedViewMixin, APIView):
    parameters_class = DayRangeParameters
    validates_query_parameters = True  # the schema documents the 400 naming a bad one

    def parameters(self, request):
        parameters = self.parameters_class(data=request.query_params, context={"tenant": request.tenant})
        parameters.is_valid(raise_exception=True)
        return parameters.validated_data

    def grouped_report(self, request, selector, serializer_class):
        """A report grouped by `group_by` (and `period`): the selector's rows under the range header."""
        parameters = self.parameters(request)
        rows = selector(
            tenant=request.tenant,
            days=parameters["days"],
            group_by=parameters["group_by"],
            period=parameters.get("period"),
        )
        report = {
            **self.range_header(parameters),
            "group_by": parameters["group_by"],
            "period": parameters.get("period"),
            "results": rows,
        }
        return Response(serializer_class(report).data)

    def range_header(self, parameters):
        days = parameters["days"]
        return {"start": days.start, "end": days.end, "time_zone": self.request.tenant.timezone}


class UsageReportView(ReportView):
    """Grams and cost of filament consumed, per material, product, printer or spool (and period).

    Consumption is the ledger's `usage` and `waste` rows that no reversal undid (a reopened
    run counts again once it ends again, at its new end). A run with several products shares
    its grams among them by units (each item's quantity over the run's). Manual waste, and
    runs without a printer, are a row with a null `id` when grouping by product or printer.
    """

    parameters_class = UsageParameters

    @extend_schema(parameters=[UsageParameters], responses=UsageReportSerializer)
    def get(self, request):
        return self.grouped_report(request, selectors.usage_report, UsageReportSerializer)


class VarianceReportView(ReportView):
    """Estimated vs actual grams of the completed runs that ended in the range, per product or
    material; with `period`, the trend. A run's grams are shared among its products by units."""

    parameters_class = VarianceParameters

    @extend_schema(parameters=[VarianceParameters], responses=VarianceReportSerializer)
    def get(self, request):
        return self.grouped_report(request, selectors.variance_report, VarianceReportSerializer)


class CostPerUnitReportView(ReportView):
    """Material cost per successful unit of each product, over the completed runs that ended in
    the range. Each run material costs its actual grams x its cost per gram at assignment (the
    spool's purchase price / initial weight then); a run's cost is shared among its items by
    units (quantity over the run's total quantity, failed units included), and a product's cost
    is divided by its successful units."""

    @extend_schema(parameters=[DayRangeParameters], responses=CostPerUnitReportSerializer)
    def get(self, request):
        parameters = self.parameters(request)
        rows = selectors.cost_per_unit_report(tenant=request.tenant, days=parameters["days"])
        return Response(CostPerUnitReportSerializer({**self.range_header(parameters), "results": rows}).data)


class LowStockReportView(ReportTableMixin, TenantScopedViewMixin, APIView):
    """Active spools below their material's low-stock threshold, grouped by material, with the
    days the material's stock lasts at its last 30 days' consumption.

    The threshold: `low_stock_threshold_g` grams when the material sets it, else
    `low_stock_threshold_percent` (default 20) % of the spool's initial weight.
    """

    groups_by_material = True
    parameters_class = None

    @extend_schema(responses=LowStockReportSerializer)
    def get(self, request):
        return Response(LowStockReportSerializer({"results": low_stock_report(tenant=request.tenant)}).data)


# The reports the index lists: (name, URL name, title, the view).
REPORTS = [
    ("usage", "report-usage", "Usage", UsageReportView),
    ("variance", "report-variance", "Variance", VarianceReportView),
    ("cost-per-unit", "report-cost-per-unit", "Cost per unit", CostPerUnitReportView),
    ("low-stock", "report-low-stock", "Low stock", LowStockReportView),
]


class ReportIndexView(TenantScopedViewMixin, APIView):
    """The reports, each with its URL, what it tells and the parameters it takes (viewers too)."""

    @extend_schema(responses=ReportIndexSerializer)
    def get(self, request):
        results = [
            {
                "name": name,
                "title": title,
                "description": (view.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "),
                "url": request.build_absolute_uri(reverse(url_name)),
                "parameters": list(view.parameters_class().fields) if getattr(view, "parameters_class", None) else [],
            }
            for name, url_name, title, view in REPORTS
        ]
        return Response(ReportIndexSerializer({"results": results}).data)

    def html_table(self, data):
        rows = tables.results_of(data)
        body = [
            [
                tables.link(row["title"], row["url"]),
                tables.text(row["description"]),
                tables.text(", ".join(row["parameters"])),
            ]
            for row in rows or ()
        ]
        return tables.Table(["Report", "What it tells", "Parameters"], body)
