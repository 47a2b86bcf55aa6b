"""Spoolman's cross-entity search, `GET /spoolman/<key>/api/v1/search?q=...`, as Spoolman 0.26 answers it.

The query is split on whitespace into at most 8 lower-cased terms; a spool, filament or vendor
matches when every term is found (case-insensitively) in one of its text fields, or its text and
choice extra fields (a filament also by its vendor's name). Each result names the field that
matched best; results are ranked (a field starting with the term before one only containing it,
own fields before the vendor's, before extra fields), then by id. A numeric query also puts the
spool of that id first; a colour (`#ff0000`, `f00`, `red`) also finds the filaments of a similar
colour (spoolman.colors). Archived spools only with `allow_archived`. `spools_per_filament`
adds each filament's first spools and their count.
"""

from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import IContains

from inventory.models import Spool, Vendor
from spoolman import colors, query, shapes
from spoolman.api import answer, endpoint
from spoolman.errors import SpoolmanError
from spoolman.filament_api import filaments
from spoolman.models import EntityType, ExtraField, FieldType

MAX_TERMS = 8
CANDIDATES = 200  # rows read per entity before ranking, newest first
ID_OR_COLOUR, OWN, VENDOR, EXTRA, WEAK = -1, 0, 2, 4, 1
TEXT_TYPES = (FieldType.TEXT, FieldType.CHOICE)


@dataclass(frozen=True)
class Searched:
    """How one entity is searched: its own text fields (label -> ORM path) and where its extra values are."""

    fields: dict[str, str]
    entity: EntityType
    related: dict[str, str] | None = None  # label -> ORM path, searched with the VENDOR rank


SPOOLS = Searched({"comment": "comment", "location": "location", "lot_nr": "lot_nr"}, EntityType.SPOOL)
FILAMENTS = Searched(
    {"name": "name", "material": "spoolman_material", "article_number": "article_number", "comment": "notes"},
    EntityType.FILAMENT,
    related={"vendor.name": "vendor__name"},
)
VENDORS = Searched({"name": "name", "comment": "comment"}, EntityType.VENDOR)


def bounded_number(params, name: str, default: Any, convert, low, high):
    value = params.get(name)
    if value is None:
        return default
    try:
        number = convert(value)
    except ValueError:
        raise SpoolmanError(422, f"{name} must be a number, not {value!r}.") from None
    if not low <= number <= high:
        raise SpoolmanError(422, f"{name} must be between {low} and {high}.")
    return number


def terms_of(text: str) -> list[str]:
    terms: list[str] = []
    for term in text.lower().split():
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def classify(terms: list[str], fields: list[tuple[str, str | None, int]]) -> tuple[str, int] | None:
    """(the best-matching field, the worst term's rank), or None when a term matches no field."""
    best: tuple[str, int] | None = None
    worst = ID_OR_COLOUR
    for term in terms:
        hit: tuple[str, int] | None = None
        for label, value, base in fields:
            text = (value or "").lower()
            if term not in text:
                continue
            rank = base if text.startswith(term) else base + WEAK
            if hit is None or rank < hit[1]:
                hit = (label, rank)
        if hit is None:
            return None
        worst = max(worst, hit[1])
        if best is None or hit[1] < best[1]:
            best = hit
    return None if best is None else (best[0], worst)


def search_rows(rows, searched: Searched, terms: list[str], keys: list[str], limit: int, *, own=None):
    """The rows matching every term, as [(row, match_field)], best first, at most `limit`."""
    paths = {**searched.fields, **(searched.related or {})}
    condition = reduce(
        and_,
        (
            reduce(
                or_,
                [Q(**{f"{path}__icontains": term}) for path in paths.values()]
                + [Q(IContains(KeyTextTransform(key, "extra"), term)) for key in keys],
            )
            for term in terms
        ),
    )
    hits = []
    for row in rows.filter(condition).order_by("-number")[:CANDIDATES]:
        values = own(row) if own is not None else {label: getattr(row, path) for label, path in searched.fields.items()}
        fields = [(label, value, OWN) for label, value in values.items()]
        if searched.related:
            fields.append(("vendor.name", row.vendor.name if row.vendor_id is not None else None, VENDOR))
        fields.extend((f"extra.{key}", row.extra.get(key), EXTRA) for key in keys)
        found = classify(terms, fields)
        if found is not None:
            hits.append((found[1], row.number, row, found[0]))
    hits.sort(key=lambda hit: (hit[0], hit[1]))
    return [(row, field) for _, _, row, field in hits[:limit]]


def filament_texts(material) -> dict[str, str | None]:
    return {
        "name": material.name,
        "material": shapes.material_text(material),
        "article_number": material.article_number,
        "comment": material.notes,
    }


def colour_hits(rows, hex_code: str, threshold: float, limit: int):
    """The filaments within `threshold` of the colour, closest first."""
    reference = colors.lab_of(colors.rgb_of(hex_code) or (0, 0, 0))
    found = []
    for material in rows:
        codes = [material.color_hex] if material.color_hex else material.multi_color_hexes.split(",")
        distances = [colors.delta_e(reference, colors.lab_of(rgb)) for rgb in map(colors.rgb_of, codes) if rgb]
        if distances and min(distances) <= threshold:
            found.append((min(distances), material.number, material))
    found.sort(key=lambda hit: (hit[0], hit[1]))
    return [material for _, _, material in found[:limit]]


def filament_spools(matches, per_filament: int, *, allow_archived: bool, tenant_id) -> dict[int, dict]:
    """Each matched filament's first spools (oldest first) and how many it has."""
    spools = Spool.objects.for_tenant(tenant_id).filter(
        material__in=[material for material, _ in matches], removed_at__isnull=True
    )
    if not allow_archived:
        spools = spools.filter(is_active=True)
    listed: dict[int, dict] = {material.pk: {"spools": [], "spool_count": 0} for material, _ in matches}
    for spool in spools.order_by("number").only("material_id", "number", "current_weight_g", "location", "is_active"):
        entry = listed[spool.material_id]
        entry["spool_count"] += 1
        if len(entry["spools"]) < per_filament:
            entry["spools"].append(
                shapes.present(
                    {
                        "id": spool.number,
                        "remaining_weight": shapes.number(spool.current_weight_g),
                        "location": spool.location or None,
                        "archived": not spool.is_active,
                    }
                )
            )
    return listed


@endpoint("GET")
def search(request):
    params = request.GET
    text = params.get("q")
    if not text:
        raise SpoolmanError(422, "q must be given, at least one character.")
    threshold = bounded_number(params, "color_similarity_threshold", 20.0, float, 0.0, 100.0)
    limit = bounded_number(params, "limit", 20, int, 1, 100)
    per_filament = bounded_number(params, "spools_per_filament", 0, int, 0, 10)
    allow_archived = query.flag(params, "allow_archived")
    tenant_id = request.integration_key.tenant_id
    terms = terms_of(text)
    colour = colors.colour_query(text)
    results: dict[str, Any] = {"spools": [], "filaments": [], "vendors": [], "is_color_query": colour is not None}
    if not terms:
        return answer(results)
    keys = {entity: [field.key for field in fields] for entity, fields in _text_fields(tenant_id).items()}

    spool_rows = shapes.with_filament(Spool.objects.for_tenant(tenant_id).filter(removed_at__isnull=True))
    if not allow_archived:
        spool_rows = spool_rows.filter(is_active=True)
    spools = search_rows(spool_rows, SPOOLS, terms, keys[EntityType.SPOOL], limit)
    if text.strip().isdigit():
        exact = spool_rows.filter(number=int(text.strip())).first() if len(text.strip()) <= 9 else None
        if exact is not None:
            spools = [(exact, "id")] + [(row, field) for row, field in spools if row.pk != exact.pk]
            spools = spools[:limit]

    filament_rows = filaments(request)
    by_colour = colour_hits(filament_rows, colour, threshold, limit) if colour else []
    found = [(material, "color") for material in by_colour]
    seen = {material.pk for material in by_colour}
    found += [
        (material, field)
        for material, field in search_rows(
            filament_rows, FILAMENTS, terms, keys[EntityType.FILAMENT], limit, own=filament_texts
        )
        if material.pk not in seen
    ]
    found = found[:limit]
    vendors = search_rows(Vendor.objects.for_tenant(tenant_id), VENDORS, terms, keys[EntityType.VENDOR], limit)

    attached = (
        filament_spools(found, per_filament, allow_archived=allow_archived, tenant_id=tenant_id)
        if per_filament and found
        else {}
    )
    results["spools"] = [{"spool": shapes.spool(row), "match_field": field} for row, field in spools]
    results["filaments"] = [
        {"filament": shapes.filament(material), "match_field": field, **attached.get(material.pk, {})}
        for material, field in found
    ]
    results["vendors"] = [{"vendor": shapes.vendor(row), "match_field": field} for row, field in vendors]
    return answer(results)


def _text_fields(tenant_id) -> dict[EntityType, list[ExtraField]]:
    """The tenant's text and choice extra fields of each entity (the ones worth searching)."""
    fields: dict[EntityType, list[ExtraField]] = {entity: [] for entity in EntityType}
    for field in ExtraField.objects.filter(tenant_id=tenant_id, field_type__in=TEXT_TYPES):
        fields[EntityType(field.entity_type)].append(field)
    return fields
