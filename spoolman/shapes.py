"""This farm's spools and materials in Spoolman's v1 shapes (its `Spool`, `Filament` and `Vendor`).

Spoolman's ids are the per-tenant `number`s. A material is a filament, its vendor a vendor.
Weights are grams and lengths millimetres, as floats; a material without a
density uses its kind's usual one, so lengths can always be converted.
"""

import math
from decimal import Decimal

from django.db.models import Case, CharField, F, Q, Value, When

from inventory.models import Material, MaterialKind, Spool, Vendor

SPOOLMAN_VERSION = "0.22.1"

# g/cm3: the usual density of each kind, for materials that do not record theirs.
TYPICAL_DENSITY = {
    MaterialKind.PLA: Decimal("1.24"),
    MaterialKind.PETG: Decimal("1.27"),
    MaterialKind.ABS: Decimal("1.04"),
    MaterialKind.ASA: Decimal("1.07"),
    MaterialKind.TPU: Decimal("1.21"),
    MaterialKind.PA: Decimal("1.14"),
    MaterialKind.PC: Decimal("1.20"),
    MaterialKind.OTHER: Decimal("1.24"),
}


def density_of(material) -> Decimal:
    return material.density_g_cm3 or TYPICAL_DENSITY.get(material.kind, TYPICAL_DENSITY[MaterialKind.OTHER])


def grams_per_mm(material) -> Decimal:
    """The weight of 1 mm of the material's filament: density x cross-section (cm3 per mm is mm2 / 1000)."""
    radius = material.diameter_mm / 2
    return density_of(material) * Decimal(math.pi) * radius * radius / 1000


def iso(moment):
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def number(value):
    return None if value is None else float(value)


def extra(values) -> dict:
    return dict(values or {})


def present(shape: dict) -> dict:
    """The shape without its null members, as Spoolman answers (`response_model_exclude_none`)."""
    return {name: value for name, value in shape.items() if value is not None}


def vendor(row: Vendor) -> dict:
    return present(
        {
            "id": row.number,
            "registered": iso(row.created_at),
            "name": row.name,
            "comment": row.comment or None,
            "empty_spool_weight": number(row.empty_spool_weight_g),
            "external_id": row.external_id or None,
            "extra": extra(row.extra),
        }
    )


def material_text(material: Material) -> str | None:
    """Spoolman's free-text `material`: the one it was given, else our kind's name (none for OTHER)."""
    if material.material_name:
        return material.material_name
    return material.kind if material.kind != MaterialKind.OTHER else None


# The same in SQL, for filtering and sorting a filament list by it (NULL where it has none).
MATERIAL_TEXT = Case(
    When(~Q(material_name=""), then=F("material_name")),
    When(~Q(kind=MaterialKind.OTHER), then=F("kind")),
    default=Value(None),
    output_field=CharField(),
)


def color(material: Material) -> str | None:
    return material.color_hex.lstrip("#").upper() or None


def filament(material: Material) -> dict:
    """The material as Spoolman's filament (its vendor loaded: `with_filament`, or `select_related("vendor")`).

    Without a vendor the member is left out, not null: Home Assistant reads
    `filament.get("vendor", {}).get("name")`.
    """
    return present(
        {
            "id": material.number,
            "registered": iso(material.created_at),
            "name": material.name or None,
            "vendor": vendor(material.vendor) if material.vendor_id is not None else None,
            "material": material_text(material),
            "price": number(material.price),
            "density": number(density_of(material)),
            "diameter": number(material.diameter_mm),
            "weight": number(material.weight_g),
            "spool_weight": number(material.spool_weight_g),
            "article_number": material.article_number or None,
            "comment": material.notes or None,
            "settings_extruder_temp": material.settings_extruder_temp,
            "settings_bed_temp": material.settings_bed_temp,
            "color_hex": color(material),
            "multi_color_hexes": material.multi_color_hexes or None,
            "multi_color_direction": material.multi_color_direction or None,
            "external_id": material.external_id or None,
            "extra": extra(material.extra),
        }
    )


def with_filament(spools):
    """The spool queryset with what `spool` renders: its material and that material's vendor (joined)."""
    return spools.select_related("material__vendor")


def spool(spool: Spool) -> dict:
    """The spool as Spoolman's spool, its nulls left out as Spoolman answers (`exclude_none`).

    The use is exact: what it holds less the use carried below a cent (`unbooked_use_g`, filament gone,
    booked with the next cent) is `remaining_weight` (never below 0); `used_weight` is its initial
    weight less that, plus the use reported beyond what it held (`overused_g`: Spoolman's used weight
    passes the initial weight). `remaining_length` and `used_length` are those weights as filament of
    its material. An initial weight of 0 is not known (a spool registered without one): no initial or
    remaining weight, nothing used, as in Spoolman.
    """
    material = spool.material
    per_mm = grams_per_mm(material)
    known = spool.initial_weight_g > 0
    zero = Decimal("0")
    remaining = max(spool.current_weight_g - spool.unbooked_use_g, zero)
    used = (
        max(spool.initial_weight_g - spool.current_weight_g, zero) + spool.unbooked_use_g + spool.overused_g
        if known
        else zero
    )
    shape = {
        "id": spool.number,
        "registered": iso(spool.created_at),
        "first_used": iso(spool.first_used),
        "last_used": iso(spool.last_used),
        "filament": without_nulls(filament(material)),
        "price": number(spool.purchase_price),
        "remaining_weight": number(remaining) if known else None,
        "initial_weight": number(spool.initial_weight_g) if known else None,
        "spool_weight": number(spool.empty_spool_weight_g),
        "used_weight": number(used),
        "remaining_length": float(remaining / per_mm) if known else None,
        "used_length": float(used / per_mm),
        "location": spool.location or None,
        "lot_nr": spool.lot_nr or None,
        "comment": spool.comment or None,
        "archived": not spool.is_active,
        "extra": extra(spool.extra),
    }
    return without_nulls(shape)


def without_nulls(shape: dict) -> dict:
    """`shape` without its null members, and its vendor's (Spoolman's `response_model_exclude_none`)."""
    kept = {name: value for name, value in shape.items() if value is not None}
    if isinstance(kept.get("vendor"), dict):
        kept["vendor"] = without_nulls(kept["vendor"])
    return kept
