"""This farm's spools and materials in Spoolman's v1 shapes (its `Spool`, `Filament` and `Vendor`).

Spoolman's ids are the per-tenant `number`s. A material is a filament; its `brand` is a vendor,
whose id is the lowest number of the tenant's materials of that brand (stable while that
material exists). Weights are grams and lengths millimetres, as floats; a material without a
density uses its kind's usual one, so lengths can always be converted.
"""

import math
from decimal import Decimal

from django.db.models import Max, Min, OuterRef, Q, Subquery

from inventory.models import InventoryTransaction, Material, MaterialKind, Spool, TransactionType

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
USE_TYPES = (TransactionType.PRINTER_USE, TransactionType.USAGE, TransactionType.WASTE)


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


def vendor_ids(tenant_id) -> dict[str, int]:
    """{brand: vendor id}: the lowest material number of each brand."""
    rows = (
        Material.objects.filter(tenant_id=tenant_id)
        .exclude(brand="")
        .values("brand")
        .annotate(first=Min("number"), registered=Min("created_at"))
    )
    return {row["brand"]: row["first"] for row in rows}


def vendors(tenant_id) -> list[dict]:
    rows = (
        Material.objects.filter(tenant_id=tenant_id)
        .exclude(brand="")
        .values("brand")
        .annotate(first=Min("number"), registered=Min("created_at"))
        .order_by("first")
    )
    return [vendor(row["first"], row["brand"], row["registered"]) for row in rows]


def vendor(vendor_id, name, registered):
    return {
        "id": vendor_id,
        "registered": iso(registered),
        "name": name,
        "comment": None,
        "empty_spool_weight": None,
        "external_id": None,
        "extra": {},
    }


def filament(material, vendor_by_brand) -> dict:
    shape = {
        "id": material.number,
        "registered": iso(material.created_at),
        "name": material.name,
        "material": material.kind,
        "price": None,
        "density": number(density_of(material)),
        "diameter": number(material.diameter_mm),
        "weight": None,
        "spool_weight": None,
        "article_number": None,
        "comment": material.notes or None,
        "settings_extruder_temp": None,
        "settings_bed_temp": None,
        "color_hex": material.color_hex.lstrip("#").upper() or None,
        "multi_color_hexes": None,
        "external_id": None,
        "extra": {},
    }
    if material.brand:
        shape["vendor"] = vendor(vendor_by_brand.get(material.brand, material.number), material.brand, None)
    return shape


def with_use_dates(spools):
    """The spool queryset with `first_used`/`last_used`: its first and last use row's moment."""
    uses = InventoryTransaction.objects.filter(spool=OuterRef("pk"), type__in=USE_TYPES).order_by()
    return spools.select_related("material").annotate(
        first_used=Subquery(uses.values("spool").annotate(at=Min("occurred_at")).values("at")[:1]),
        last_used=Subquery(uses.values("spool").annotate(at=Max("occurred_at")).values("at")[:1]),
    )


def spool(spool: Spool, vendor_by_brand) -> dict:
    material = spool.material
    per_mm = grams_per_mm(material)
    used = max(spool.initial_weight_g - spool.current_weight_g, Decimal("0"))
    return {
        "id": spool.number,
        "registered": iso(spool.created_at),
        "first_used": iso(getattr(spool, "first_used", None)),
        "last_used": iso(getattr(spool, "last_used", None)),
        "filament": filament(material, vendor_by_brand),
        "price": number(spool.purchase_price),
        "remaining_weight": number(spool.current_weight_g),
        "initial_weight": number(spool.initial_weight_g),
        "spool_weight": number(spool.empty_spool_weight_g),
        "used_weight": number(used),
        "remaining_length": float(spool.current_weight_g / per_mm),
        "used_length": float(used / per_mm),
        "location": spool.location or None,
        "lot_nr": spool.code,
        "comment": None,
        "archived": not spool.is_active,
        "extra": {},
    }


def search_terms(value: str):
    """Spoolman's list filter: comma-separated terms, each a case-insensitive substring, or exact when quoted."""
    for term in value.split(","):
        term = term.strip()
        if len(term) >= 2 and term[0] == term[-1] == '"':
            yield term[1:-1], True
        else:
            yield term, False


def term_filter(field, value) -> Q:
    condition = Q()
    for term, exact in search_terms(value):
        if exact or term == "":
            condition |= Q(**{f"{field}__iexact": term})
        else:
            condition |= Q(**{f"{field}__icontains": term})
    return condition
