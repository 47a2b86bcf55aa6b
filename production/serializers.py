from rest_framework import serializers
from rest_framework.utils import html

from core.api.browsable import FormRowsListSerializer
from core.api.fields import DateTimeField
from core.fields import FREE_TEXT_MAX_LENGTH
from inventory.models import Spool
from production.models import (
    MAX_ITEMS_PER_BODY,
    MAX_MATERIALS_PER_BODY,
    FailureReason,
    Printer,
    PrinterState,
    Product,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryEntry,
)
from production.status_codes import CREATABLE_STATUSES, INITIAL_STATUS, QUEUED_STATUSES, RunStatus
from tenants.serializers import TenantListSerializer, TenantOwnedSerializer, TenantRelatedField


def grams(**kwargs):
    # No max_digits: these are computed (sums, ratios), not columns; a DecimalField quantizes with
    # max_digits as its precision, so 0.01 g estimated and 99999999.99 g used would fail as a percent.
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True, allow_null=True, **kwargs)


class ProductSerializer(TenantOwnedSerializer):
    class Meta:
        model = Product
        tenant_unique = ("sku",)
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "unit_weight_g",
            "material_kind",
            "is_active",
            "created_at",
            "updated_at",
        ]


class PrinterSerializer(TenantOwnedSerializer):
    state = serializers.ChoiceField(choices=PrinterState.choices, read_only=True)
    # From `Printer.objects.with_current_run()`; a printer just created has none.
    current_run = serializers.UUIDField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Printer
        tenant_unique = ("name",)
        fields = [
            "id",
            "name",
            "model",
            "is_active",
            "notes",
            "slot_count",
            "state",
            "current_run",
            "created_at",
            "updated_at",
        ]


class SlotSpoolSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    number = serializers.IntegerField()
    material = serializers.UUIDField()
    material_name = serializers.CharField()
    material_kind = serializers.CharField()
    color_hex = serializers.CharField()
    current_weight_g = serializers.DecimalField(max_digits=None, decimal_places=2)
    available_g = serializers.DecimalField(max_digits=None, decimal_places=2)


class PrinterSlotSerializer(serializers.Serializer):
    """One filament slot of a printer (production.services.slots.slot_entry) and the spool loaded in it, or null."""

    printer = serializers.UUIDField(read_only=True)
    printer_name = serializers.CharField(read_only=True)
    slot = serializers.IntegerField(read_only=True, help_text="0-based; AMS unit u tray t is slot u*4+t.")
    spool = SlotSpoolSerializer(read_only=True, allow_null=True)
    loaded_at = DateTimeField(read_only=True, allow_null=True)
    loaded_by = serializers.CharField(read_only=True, allow_null=True)


class SlotLoadSerializer(serializers.Serializer):
    spool = TenantRelatedField(
        queryset=Spool.objects,
        allow_null=True,
        help_text="The spool to load (id, code or number); null unloads the slot. A spool loaded elsewhere moves.",
    )


class RunItemSerializer(TenantOwnedSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = ProductionRunItem
        list_serializer_class = TenantListSerializer
        fields = [
            "id",
            "product",
            "product_sku",
            "product_name",
            "quantity",
            "successful_quantity",
            "failed_quantity",
            "bed_position",
            "notes",
        ]


class RunMaterialSerializer(TenantOwnedSerializer):
    # A planned line may name only a catalogue `material` (id or number): then it has no spool yet.
    spool_code = serializers.CharField(source="spool.code", read_only=True, allow_null=True, default=None)
    material_name = serializers.CharField(source="line_material.name", read_only=True)
    material_kind = serializers.CharField(source="line_material.kind", read_only=True)
    color_name = serializers.CharField(source="line_material.color_name", read_only=True)
    color_hex = serializers.CharField(source="line_material.color_hex", read_only=True)
    estimated_total_g = grams()
    actual_total_g = grams()
    variance_g = grams()
    variance_percent = grams()

    class Meta:
        model = ProductionRunMaterial
        list_serializer_class = TenantListSerializer
        fields = [
            "id",
            "spool",
            "spool_code",
            "material",
            "material_name",
            "material_kind",
            "color_name",
            "color_hex",
            "estimated_model_g",
            "estimated_flushed_g",
            "estimated_tower_g",
            "estimated_total_g",
            "spool_weight_before_g",
            "spool_weight_after_g",
            "actual_model_g",
            "actual_flushed_g",
            "actual_tower_g",
            "actual_total_g",
            "cost_per_gram",
            "variance_g",
            "variance_percent",
        ]
        read_only_fields = ["cost_per_gram"]


class ProductionRunSerializer(TenantOwnedSerializer):
    """A run with its items, materials and totals; `items`/`materials` are written on create only."""

    # The browsable API's form offers the fields a plan needs in each row (core.api.browsable).
    items = RunItemSerializer(
        many=True,
        required=False,
        max_length=MAX_ITEMS_PER_BODY,
        style={"row_fields": ["product", "quantity", "bed_position", "notes"]},
    )
    materials = RunMaterialSerializer(
        many=True,
        required=False,
        max_length=MAX_MATERIALS_PER_BODY,
        # A planned run's line may name a material instead of a spool (the browsable form offers both).
        style={"row_fields": ["spool", "material", "estimated_model_g", "estimated_flushed_g", "estimated_tower_g"]},
    )
    is_reprint = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(
        choices=RunStatus.choices,
        required=False,
        initial=INITIAL_STATUS,  # the browsable API's form preselects what a body without `status` gets
        help_text=f"On create: {INITIAL_STATUS} (the default) or planned (queued; start/ or dispatch starts it).",
    )
    printer_name = serializers.CharField(source="printer.name", read_only=True, allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    estimated_total_g = grams()
    actual_total_g = grams()
    variance_g = grams()
    variance_percent = grams()
    material_cost = grams()
    cost_per_successful_unit = grams()
    items_summary = serializers.CharField(read_only=True)
    # Declared so the schema admits the "" that a run has until it fails.
    failure_reason = serializers.ChoiceField(choices=FailureReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ProductionRun
        fields = [
            "id",
            "run_number",
            "status",
            "priority",
            "planned_start",
            "printer",
            "printer_name",
            "started_at",
            "completed_at",
            "duration_hours",
            "estimated_print_time_hours",
            "slicer_software",
            "bed_temperature_c",
            "nozzle_temperature_c",
            "quality_rating",
            "quality_notes",
            "failure_reason",
            "notes",
            "original_run",
            "is_reprint",
            "created_by",
            "created_at",
            "updated_at",
            "items_summary",
            "items",
            "materials",
            "estimated_total_g",
            "actual_total_g",
            "variance_g",
            "variance_percent",
            "material_cost",
            "cost_per_successful_unit",
        ]
        read_only_fields = ["run_number", "completed_at", "duration_hours"]
        # null (as the browsable API's blank form sends it) means "now" on create.
        extra_kwargs = {"started_at": {"allow_null": True}}

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # Items and materials of an existing run change through their own endpoints.
            fields["items"].read_only = True
            fields["materials"].read_only = True
        return fields

    def validate_started_at(self, value):
        # On create, null means "now" for an in-progress run and "not yet" for a planned one (the service).
        if value is None and self.instance is not None and self.instance.status not in QUEUED_STATUSES:
            raise serializers.ValidationError("A run's start cannot be removed.", code="null")
        return value

    def validate_status(self, value):
        if self.instance is None and value not in CREATABLE_STATUSES:
            raise serializers.ValidationError(
                f"A new run is {INITIAL_STATUS} (the default) or {RunStatus.PLANNED}, not {value}."
            )
        return value

    def validate(self, attrs):
        # A JSON body may plan a run without items (they can be added later); the browsable API's form
        # may not: its POST button sent untouched would otherwise create an empty run unnoticed.
        if self.instance is None and html.is_html_input(self.initial_data) and not attrs.get("items"):
            raise serializers.ValidationError(
                {"items": ["Add at least one item: pick a product and a quantity in a row."]}, code="required"
            )
        return super().validate(attrs)


class ProductionRunUpdateSerializer(ProductionRunSerializer):
    """The PUT/PATCH body of a run, for the schema: what `get_fields` makes of an existing run."""

    items = RunItemSerializer(many=True, read_only=True)
    materials = RunMaterialSerializer(many=True, read_only=True)


class ItemOutcomeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    successful_quantity = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    failed_quantity = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Meta:
        list_serializer_class = FormRowsListSerializer


NAIVE_TIME = "Without an offset, wall-clock time in the tenant's time zone."


def actual_grams():
    return serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True)


class MaterialActualsSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    actual_model_g = actual_grams()
    actual_flushed_g = actual_grams()
    actual_tower_g = actual_grams()
    spool_weight_before_g = actual_grams()
    spool_weight_after_g = actual_grams()

    class Meta:
        list_serializer_class = FormRowsListSerializer


class CompleteRunSerializer(serializers.Serializer):
    # Null means "now", like leaving it out: the browsable API pre-fills its raw form with null.
    completed_at = DateTimeField(
        required=False,
        allow_null=True,
        help_text="Defaults to now; not before started_at. " + NAIVE_TIME,
    )
    use_estimates = serializers.BooleanField(
        required=False, default=False, help_text="Materials without actuals use their estimates."
    )
    quality_rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    quality_notes = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)
    items = ItemOutcomeSerializer(many=True, required=False, max_length=MAX_ITEMS_PER_BODY)
    materials = MaterialActualsSerializer(many=True, required=False, max_length=MAX_MATERIALS_PER_BODY)


class FailRunSerializer(serializers.Serializer):
    failure_reason = serializers.ChoiceField(choices=FailureReason.choices)
    completed_at = DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the print stopped; defaults to now. " + NAIVE_TIME,
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH)
    materials = MaterialActualsSerializer(many=True, required=False, max_length=MAX_MATERIALS_PER_BODY)


class StartRunSerializer(serializers.Serializer):
    printer = TenantRelatedField(
        queryset=Printer.objects,
        required=False,
        allow_null=True,
        help_text="The printer to start on (id or name); defaults to the run's own.",
    )
    started_at = DateTimeField(required=False, allow_null=True, help_text="Defaults to now. " + NAIVE_TIME)


class QueueMaterialSerializer(RunMaterialSerializer):
    shortage_g = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        read_only=True,
        help_text="Grams the line lacks, its spool (or material) shared with the runs ahead in the queue "
        "and the in-progress runs; 0 when fed.",
    )

    class Meta(RunMaterialSerializer.Meta):
        fields = [*RunMaterialSerializer.Meta.fields, "shortage_g"]


class QueueRunSerializer(ProductionRunSerializer):
    """A planned run as the queue shows it: the run detail, `ready`, and each line's `shortage_g`,
    from the queue's state (production.floor.QueueState) in the context's `queue`."""

    materials = QueueMaterialSerializer(many=True, read_only=True)
    items = RunItemSerializer(many=True, read_only=True)
    ready = serializers.BooleanField(
        read_only=True, help_text="Every line can be fed now and its printer (if any) is idle: start/ would succeed."
    )

    class Meta(ProductionRunSerializer.Meta):
        fields = [*ProductionRunSerializer.Meta.fields, "ready"]

    def to_representation(self, run):
        data = super().to_representation(run)
        queue = self.context["queue"]
        data["ready"] = queue.ready(run)
        for line in data["materials"]:
            line["shortage_g"] = f"{queue.shortage(line['id']):.2f}"
        return data


class RunHistoryEntrySerializer(serializers.ModelSerializer):
    """One entry of a run's history: `changes` maps each changed field to `[old, new]`."""

    user = serializers.CharField(source="user.username", read_only=True, allow_null=True, default=None)
    changes = serializers.JSONField(read_only=True)

    class Meta:
        model = RunHistoryEntry
        fields = ["id", "action", "user", "occurred_at", "changes"]
        read_only_fields = fields
