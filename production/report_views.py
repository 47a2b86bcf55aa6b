"""`GET /api/v1/reports/...`: read-only, tenant-scoped, one query each (`production.selectors`,
`inventory.selectors`); viewers may read them. A bad parameter is a 400 naming it."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.selectors import low_stock_report
from production import selectors
from production.report_serializers import (
    CostPerUnitReportSerializer,
    DayRangeParameters,
    LowStockReportSerializer,
    UsageParameters,
    UsageReportSerializer,
    VarianceParameters,
    VarianceReportSerializer,
)
from tenants.mixins import TenantScopedViewMixin


class ReportView(TenantScopedViewMixin, APIView):
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


class LowStockReportView(TenantScopedViewMixin, APIView):
    """Active spools below their material's low-stock threshold, grouped by material, with the
    days the material's stock lasts at its last 30 days' consumption.

    The threshold: `low_stock_threshold_g` grams when the material sets it, else
    `low_stock_threshold_percent` (default 20) % of the spool's initial weight.
    """

    @extend_schema(responses=LowStockReportSerializer)
    def get(self, request):
        return Response(LowStockReportSerializer({"results": low_stock_report(tenant=request.tenant)}).data)
