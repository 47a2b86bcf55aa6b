"""Query parameters and rows of the reports (`production.report_views`)."""

import datetime

from django.utils import timezone
from rest_framework import serializers

from production.selectors import PERIODS, USAGE_GROUPS, VARIANCE_GROUPS, DayRange

DEFAULT_RANGE_DAYS = 30


def decimal2(**kwargs):
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, **kwargs)


# --- parameters ----------------------------------------------------------------------------


class DayRangeParameters(serializers.Serializer):
    """`start`/`end`: inclusive local days of the tenant (context `tenant`); default the last 30 days."""

    start = serializers.DateField(
        required=False,
        help_text="First day (inclusive, YYYY-MM-DD) in the tenant's time zone. Default: 29 days before `end`.",
    )
    end = serializers.DateField(
        required=False, help_text="Last day (inclusive, YYYY-MM-DD) in the tenant's time zone. Default: today there."
    )

    def validate(self, attrs):
        zone = self.context["tenant"].zone
        end = attrs.get("end") or timezone.localdate(timezone=zone)
        start = attrs.get("start")
        if start is None:
            try:
                start = end - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)
            except OverflowError:
                start = datetime.date.min
        if start > end:
            raise serializers.ValidationError({"start": ["Must be on or before end."]}, code="invalid")
        attrs["days"] = DayRange(start, end, zone)
        return attrs


PERIOD_HELP = (
    "Also split the rows by period: `day`, `week` (from Monday) or `month`, in the tenant's time zone; "
    "each row's `period` is the period's first day. Default: one row per group over the whole range."
)


class UsageParameters(DayRangeParameters):
    group_by = serializers.ChoiceField(
        choices=USAGE_GROUPS, default="material", help_text="What each row totals. Default: `material`."
    )
    period = serializers.ChoiceField(choices=PERIODS, required=False, help_text=PERIOD_HELP)


class VarianceParameters(DayRangeParameters):
    group_by = serializers.ChoiceField(
        choices=VARIANCE_GROUPS, default="product", help_text="What each row totals. Default: `product`."
    )
    period = serializers.ChoiceField(
        choices=PERIODS, required=False, help_text=PERIOD_HELP + " A period gives the trend."
    )


# --- rows ----------------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    time_zone = serializers.CharField(read_only=True, help_text="The tenant's time zone: days and periods are its.")


class GroupedReportSerializer(ReportSerializer):
    group_by = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True, allow_null=True)


class UsageRowSerializer(serializers.Serializer):
    period = serializers.DateField(read_only=True, allow_null=True, help_text="First day of the period, or null.")
    id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The material, product, printer or spool; null for consumption without one (a run without "
        "a printer, manual waste that belongs to no run or product).",
    )
    name = serializers.CharField(
        read_only=True, allow_null=True, help_text="Its name (a spool's code); null with a null id."
    )
    grams = decimal2(help_text="Grams consumed: usage and waste rows that no reversal undid.")
    cost = decimal2(help_text="Their cost: grams x cost per gram (a run material's at assignment).")
    unpriced_g = decimal2(help_text="Grams among them from spools without a price (not in `cost`).")


class UsageReportSerializer(GroupedReportSerializer):
    results = UsageRowSerializer(many=True, read_only=True)


class VarianceRowSerializer(serializers.Serializer):
    period = serializers.DateField(read_only=True, allow_null=True, help_text="First day of the period, or null.")
    id = serializers.UUIDField(read_only=True, help_text="The product or material.")
    name = serializers.CharField(read_only=True)
    runs = serializers.IntegerField(read_only=True, help_text="Completed runs counted.")
    estimated_g = decimal2()
    actual_g = decimal2()
    variance_g = decimal2(help_text="actual_g - estimated_g.")
    variance_percent = decimal2(
        allow_null=True, help_text="variance_g / estimated_g x 100; null when nothing was estimated."
    )


class VarianceReportSerializer(GroupedReportSerializer):
    results = VarianceRowSerializer(many=True, read_only=True)


class CostPerUnitRowSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True, help_text="The product.")
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    runs = serializers.IntegerField(read_only=True, help_text="Completed runs that printed it.")
    successful_units = serializers.IntegerField(read_only=True)
    failed_units = serializers.IntegerField(read_only=True)
    material_g = decimal2(help_text="Actual grams of its runs, its share by units.")
    material_cost = decimal2(help_text="Their cost at the spools' cost per gram at assignment.")
    unpriced_g = decimal2(help_text="Grams among them from spools without a price (not in `material_cost`).")
    cost_per_unit = decimal2(
        allow_null=True, help_text="material_cost / successful_units; null without successful units."
    )


class CostPerUnitReportSerializer(ReportSerializer):
    results = CostPerUnitRowSerializer(many=True, read_only=True)


class LowSpoolSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    code = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)
    initial_weight_g = decimal2()
    current_weight_g = decimal2()
    remaining_percent = decimal2()
    low_stock_threshold_g = decimal2(help_text="Below this weight the spool is low (its material's rule).")


class LowStockMaterialSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="material.id", read_only=True)
    name = serializers.CharField(source="material.name", read_only=True)
    kind = serializers.CharField(source="material.kind", read_only=True)
    color_name = serializers.CharField(source="material.color_name", read_only=True)
    color_hex = serializers.CharField(source="material.color_hex", read_only=True)
    low_stock_threshold_percent = decimal2(source="material.low_stock_threshold_percent")
    low_stock_threshold_g = decimal2(source="material.low_stock_threshold_g", allow_null=True)
    stock_g = decimal2(help_text="What the material's active spools hold, low or not.")
    consumed_last_30_days_g = decimal2(help_text="Usage and waste of the last 30 days that no reversal undid.")
    daily_rate_g = decimal2(help_text="consumed_last_30_days_g / 30.")
    days_left = decimal2(
        allow_null=True, help_text="stock_g / daily_rate_g; null when nothing was consumed in the last 30 days."
    )
    spools = LowSpoolSerializer(many=True, read_only=True, help_text="Its active spools that are low.")


class LowStockReportSerializer(serializers.Serializer):
    results = LowStockMaterialSerializer(many=True, read_only=True)


class ReportEntrySerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True, help_text="`usage`, `variance`, `cost-per-unit` or `low-stock`.")
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, help_text="What the report tells.")
    url = serializers.URLField(read_only=True)
    parameters = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The query parameters it takes."
    )


class ReportIndexSerializer(serializers.Serializer):
    results = ReportEntrySerializer(many=True, read_only=True)
