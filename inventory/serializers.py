from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from core.api.representation import PlannedRepresentation
from inventory.models import (
    ADJUSTMENT_TYPES,
    InventoryTransaction,
    Material,
    Spool,
    Vendor,
    normalize_rfid_uid,
    validate_rfid_uid,
)
from tenants.serializers import TenantOwnedSerializer


def reservation_grams():
    # Read from the queryset's annotations (`with_reservations`); a spool or material written and
    # shown without them (an event's payload of a ledger write) leaves them out rather than guess.
    return serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {
            "printer": {"type": "string", "format": "uuid"},
            "printer_name": {"type": "string"},
            "slot": {"type": "integer"},
        },
    }
)
class LoadedInField(serializers.Field):
    """Where the spool is loaded (`{printer, printer_name, slot}`) or null, from `SpoolQuerySet.with_slot`."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def get_attribute(self, instance):
        if not hasattr(instance, "loaded_slot"):
            raise SkipField
        return instance

    def to_representation(self, spool):
        if spool.loaded_slot is None:
            return None
        return {
            "printer": spool.loaded_printer_id,
            "printer_name": spool.loaded_printer_name,
            "slot": spool.loaded_slot,
        }


EXTRA_HELP = "Extra fields (Spoolman's): an object of {key: JSON text}."


class VendorSerializer(TenantOwnedSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "number",
            "name",
            "comment",
            "empty_spool_weight_g",
            "external_id",
            "extra",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"extra": {"help_text": EXTRA_HELP}}


class MaterialSerializer(TenantOwnedSerializer):
    reserved_g = reservation_grams()
    available_g = reservation_grams()
    # The vendor by name, as before vendors were records (a natural key: names may repeat).
    brand = serializers.CharField(
        source="vendor_name",
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The vendor's name: the tenant's one vendor of that name, a new vendor when none has it "
        "(more than one: a 400 `ambiguous_vendor`, name it by `vendor` instead); empty: no vendor.",
    )

    class Meta:
        model = Material
        fields = [
            "id",
            "number",
            "name",
            "brand",
            "vendor",
            "kind",
            "material_name",
            "color_name",
            "color_hex",
            "multi_color_hexes",
            "multi_color_direction",
            "diameter_mm",
            "density_g_cm3",
            "weight_g",
            "spool_weight_g",
            "price",
            "article_number",
            "settings_extruder_temp",
            "settings_bed_temp",
            "external_id",
            "extra",
            "notes",
            "low_stock_threshold_percent",
            "low_stock_threshold_g",
            "reserved_g",
            "available_g",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            # Spoolman's filaments may be nameless; ours, made here, are named.
            "name": {"required": True, "allow_blank": False},
            "vendor": {"help_text": "The vendor's id or number; null: no vendor."},
            "material_name": {"help_text": 'Spoolman\'s free-text material ("PLA+"); `kind` is ours.'},
            "extra": {"help_text": EXTRA_HELP},
        }


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
    reserved_g = reservation_grams()
    available_g = reservation_grams()
    loaded_in = LoadedInField()
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
            "reserved_g",
            "available_g",
            "remaining_percent",
            "empty_spool_weight_g",
            "purchase_price",
            "cost_per_gram",
            "purchased_at",
            "supplier",
            "location",
            "is_active",
            "loaded_in",
            "rfid_uid",
            "lot_nr",
            "comment",
            "extra",
            "first_used",
            "last_used",
            "created_at",
            "updated_at",
        ]
        # The use dates are the ledger's: its first and last use row (printer_use, usage, waste).
        read_only_fields = ["current_weight_g", "first_used", "last_used"]
        extra_kwargs = {"extra": {"help_text": EXTRA_HELP}}

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Spool):
            # The purchase row recorded the initial weight; changing it later would rewrite history.
            fields["initial_weight_g"].read_only = True
        return fields


# A sheet holds 24 labels; ten sheets is more than a printer run, and bounds the work of one request.
MAX_LABELS = 240


class LabelSheetSerializer(serializers.Serializer):
    """`POST spools/labels/`: the spools of a sheet, for more than a URL's `?ids=` can name."""

    ids = serializers.ListField(
        child=serializers.CharField(max_length=100),
        allow_empty=False,
        max_length=MAX_LABELS,
        help_text=f"Spool ids, codes or numbers, printed in this order; at most {MAX_LABELS}.",
    )


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
