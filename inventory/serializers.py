from rest_framework import serializers

from core.api.representation import PlannedRepresentation
from inventory.models import (
    ADJUSTMENT_TYPES,
    InventoryTransaction,
    Material,
    Spool,
    normalize_rfid_uid,
    validate_rfid_uid,
)
from tenants.serializers import TenantOwnedSerializer


class MaterialSerializer(TenantOwnedSerializer):
    class Meta:
        model = Material
        fields = [
            "id",
            "number",
            "name",
            "brand",
            "kind",
            "color_name",
            "color_hex",
            "diameter_mm",
            "density_g_cm3",
            "notes",
            "low_stock_threshold_percent",
            "low_stock_threshold_g",
            "created_at",
            "updated_at",
        ]


class RfidUidField(serializers.CharField):
    """A spool's RFID identity, normalized before the model's validator reads it ("04:a3:..." is "04A3...")."""

    def to_internal_value(self, data):
        return normalize_rfid_uid(super().to_internal_value(data))


class SpoolSerializer(TenantOwnedSerializer):
    material_name = serializers.CharField(source="material.name", read_only=True)
    material_kind = serializers.CharField(source="material.kind", read_only=True)
    color_name = serializers.CharField(source="material.color_name", read_only=True)
    color_hex = serializers.CharField(source="material.color_hex", read_only=True)
    # No max_digits: these are ratios of stored values (0.01 g bought for 99999999.99 is 9999999999.0000/g),
    # and a DecimalField quantizes with max_digits as its precision, which would fail on large ones.
    remaining_percent = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)
    cost_per_gram = serializers.DecimalField(max_digits=None, decimal_places=4, read_only=True, allow_null=True)
    rfid_uid = RfidUidField(
        max_length=64,
        required=False,
        allow_blank=True,
        validators=[validate_rfid_uid],
        help_text="The spool's RFID tag identity (Bambu Lab: the tray UUID), hexadecimal; optional, unique per tenant. "
        "A printer reporting it in an AMS tray has this spool loaded there.",
    )

    class Meta:
        model = Spool
        tenant_unique = ("code", "rfid_uid")
        fields = [
            "id",
            "number",
            "code",
            "material",
            "material_name",
            "material_kind",
            "color_name",
            "color_hex",
            "initial_weight_g",
            "current_weight_g",
            "remaining_percent",
            "empty_spool_weight_g",
            "purchase_price",
            "cost_per_gram",
            "purchased_at",
            "supplier",
            "location",
            "is_active",
            "rfid_uid",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["current_weight_g"]

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Spool):
            # The purchase row recorded the initial weight; changing it later would rewrite history.
            fields["initial_weight_g"].read_only = True
        return fields


class SpoolAdjustmentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in ADJUSTMENT_TYPES])
    # Null is the same as leaving it out: the browsable API pre-fills its raw form with both as null.
    new_weight_g = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    delta_g = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if (attrs.get("new_weight_g") is None) == (attrs.get("delta_g") is None):
            raise serializers.ValidationError("Give exactly one of new_weight_g and delta_g.", code="invalid")
        return attrs


class SpoolWeighInSerializer(serializers.Serializer):
    gross_weight_g = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        help_text="What the scale shows: the spool on its reel. The spool's empty_spool_weight_g is subtracted.",
    )


class InventoryTransactionSerializer(PlannedRepresentation, serializers.ModelSerializer):
    spool_code = serializers.CharField(source="spool.code", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True, allow_null=True, default=None)
    production_run_number = serializers.CharField(
        source="production_run.run_number", read_only=True, allow_null=True, default=None
    )
    reversed_by = serializers.UUIDField(source="reversed_by_id", read_only=True, allow_null=True)
    printer_name = serializers.CharField(source="printer.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = InventoryTransaction
        fields = [
            "id",
            "spool",
            "spool_code",
            "sequence",
            "type",
            "weight_before_g",
            "weight_change_g",
            "weight_after_g",
            "production_run",
            "production_run_number",
            "production_run_material",
            "user",
            "description",
            "occurred_at",
            "reversal_of",
            "reversed_by",
            "printer",
            "printer_name",
            "source",
            "excess_g",
        ]
        read_only_fields = fields
