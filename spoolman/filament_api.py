"""Spoolman's filament endpoints under `/spoolman/<key>/api/v1/filament`, and the filament lists
`material` and `article-number`.

A filament is our `inventory.Material`; its Spoolman id is its per-tenant `number`. Spoolman's
free-text `material` ("PLA+") is stored as `material_name`, and our `kind` derived from it: the
kind whose value it is (any case), else OTHER. Writes go through the inventory services
(`create_material`, `update_material`, `delete_material`, each recording its event) as the key's
actor, and need a manage key. A filament that spools still use is not deleted (Spoolman's 403).
"""

import logging

from django.db.models import Case, DecimalField, F, Value, When
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Coalesce

from core.changes import UNSET, Unset
from core.locking import lock_rows
from inventory import services as inventory
from inventory.models import Material, MaterialKind, Spool
from spoolman import colors, inputs, query, shapes
from spoolman.api import answer, body_of, endpoint
from spoolman.catalogue import check_extra_values, with_defaults
from spoolman.errors import SpoolmanError
from spoolman.models import EntityType, ExtraField
from spoolman.services import key_actor
from spoolman.vendor_api import VENDOR_SORT_FIELDS, blank_is_null, extra_fields_of, vendor_by_number

logger = logging.getLogger(__name__)

# The density a filament shows (spoolman.shapes.density_of) in SQL: its own, else its kind's usual one.
DENSITY = Coalesce(
    "density_g_cm3",
    Case(
        *(When(kind=kind, then=Value(density)) for kind, density in shapes.TYPICAL_DENSITY.items()),
        default=Value(shapes.TYPICAL_DENSITY[MaterialKind.OTHER]),
    ),
    output_field=DecimalField(max_digits=5, decimal_places=3),
)

FILAMENTS = query.Listing(
    filters=(
        query.Filter(("vendor.name", "vendor_name"), query.Text("vendor__name", nullable=False)),
        query.Filter(("vendor.id", "vendor_id"), query.Ids("vendor__number", minus_one_is_none=True)),
        query.Filter(("name",), query.Text("name")),
        query.Filter(("material",), query.Text("spoolman_material")),
        query.Filter(("article_number",), query.Text("article_number")),
        query.Filter(("external_id",), query.Text("external_id")),
    ),
    sort_fields={
        "id": "number",
        "registered": "created_at",
        "name": blank_is_null("name"),
        "vendor_id": "vendor__number",
        "material": "spoolman_material",
        "price": "price",
        "density": DENSITY,
        "diameter": "diameter_mm",
        "weight": "weight_g",
        "spool_weight": "spool_weight_g",
        "article_number": blank_is_null("article_number"),
        "comment": blank_is_null("notes"),
        "settings_extruder_temp": "settings_extruder_temp",
        "settings_bed_temp": "settings_bed_temp",
        "color_hex": blank_is_null("color_hex"),
        "multi_color_hexes": blank_is_null("multi_color_hexes"),
        "multi_color_direction": blank_is_null("multi_color_direction"),
        "external_id": blank_is_null("external_id"),
        **{
            f"vendor.{name}": (F(f"vendor__{target}") if isinstance(target, str) else blank_is_null(f"vendor__{name}"))
            for name, target in VENDOR_SORT_FIELDS.items()
        },
    },
    models={"": "Filament", "vendor": "Vendor"},
    tiebreak=("number",),
    extra=(query.ExtraScope("extra.", EntityType.FILAMENT.value, "extra"),),
)

NAME_LENGTH, MATERIAL_LENGTH, ARTICLE_LENGTH, COMMENT_LENGTH, EXTERNAL_ID_LENGTH = 64, 64, 64, 1024, 256
MULTI_COLOR_LENGTH = 128
DIRECTIONS = ("coaxial", "longitudinal")
KINDS = {kind.value.lower(): kind.value for kind in MaterialKind}
REFUSED_DELETE = "Failed to delete filament, see server logs for more information."


def tenant_filaments(tenant_id):
    """The tenant's filaments Spoolman's API shows: not removed (`Material.removed_at`)."""
    return Material.objects.for_tenant(tenant_id).filter(removed_at__isnull=True)


def filaments(request):
    """The key's tenant's filaments with what a filament's shape, filters and sorts need."""
    rows = tenant_filaments(request.integration_key.tenant_id).select_related("vendor")
    return rows.annotate(spoolman_material=shapes.MATERIAL_TEXT)


def filament_by_number(request, filament_id, *, lock=False) -> Material:
    rows = tenant_filaments(request.integration_key.tenant_id).filter(number=filament_id)
    found = lock_rows(rows) if lock else list(rows.select_related("vendor"))
    if not found:
        raise SpoolmanError(404, f"No filament with ID {filament_id} found.")
    return found[0]


def kind_of(material: str | None) -> str:
    """Our kind of Spoolman's free-text material: the kind it names exactly (any case), else OTHER."""
    return KINDS.get((material or "").strip().lower(), MaterialKind.OTHER.value)


# --- find, get ----------------------------------------------------------------------------------


def threshold(params) -> float:
    value = params.get("color_similarity_threshold")
    if value is None:
        return 20.0
    try:
        number = float(value)
    except ValueError:
        raise SpoolmanError(422, f"color_similarity_threshold must be a number, not {value!r}.") from None
    if number != number:  # NaN matches nothing, as Spoolman's comparison has it
        return -1.0
    return number


def similar_numbers(request, rows) -> list[int]:
    """The numbers of the filaments whose colour (or any of their colours) is near `color_hex`."""
    limit = threshold(request.GET)
    rgb = colors.rgb_of(request.GET["color_hex"])
    if rgb is None:
        raise SpoolmanError(422, "color_hex must be a colour code RRGGBB (or RRGGBBAA).")
    reference = colors.lab_of(rgb)
    numbers = []
    for number, color_hex, multi in rows.values_list("number", "color_hex", "multi_color_hexes"):
        codes = [color_hex] if color_hex else [code for code in multi.split(",") if code]
        if codes and colors.similar(reference, codes, limit):
            numbers.append(number)
    return numbers


@endpoint("GET", "POST", write=True, manage=True)
def filament_list(request):
    if request.method == "POST":
        return filament_create(request)
    rows = filaments(request)
    if "color_hex" in request.GET:
        query.window(request.GET)  # its 422s before any filtering, as Spoolman validates first
        rows = rows.filter(number__in=similar_numbers(request, rows))
    found = query.find(request.GET, rows, FILAMENTS, extra_fields_of(request))
    return query.paged(request, found, shapes.filament)


@endpoint("GET", "PATCH", "DELETE", write=True, manage=True)
def filament_detail(request, filament_id):
    if request.method == "PATCH":
        return filament_update(request, filament_id)
    if request.method == "DELETE":
        return filament_delete(request, filament_id)
    return answer(shapes.filament(filament_by_number(request, filament_id)))


# --- add, update, delete ------------------------------------------------------------------------


def color_code(name: str, value: str) -> str:
    """One colour of a body, Spoolman's way: `RRGGBB` or `RRGGBBAA`, a leading `#` dropped."""
    code = value.removeprefix("#")
    if any(char not in "0123456789ABCDEFabcdef" for char in code):
        raise inputs.unprocessable(name, "Invalid character in color code.")
    if len(code) not in (6, 8):
        raise inputs.unprocessable(name, "Color code must be 6 or 8 characters long.")
    return code


def colors_of(data: dict) -> dict:
    """`color_hex`, `multi_color_hexes` and `multi_color_direction` as our columns, checked as Spoolman's
    request model checks them (a multi-colour filament has no single colour, two colours or more, and
    a direction; a single-colour one none)."""
    single = inputs.text(data, "color_hex", 9)
    multi = inputs.text(data, "multi_color_hexes", MULTI_COLOR_LENGTH)
    direction = inputs.text(data, "multi_color_direction", 16)
    if isinstance(single, str) and single:
        single = "#" + color_code("color_hex", single)
    if isinstance(multi, str) and multi:
        multi = ",".join(color_code("multi_color_hexes", code) for code in multi.split(","))
    if isinstance(direction, str) and direction not in DIRECTIONS:
        raise inputs.unprocessable("multi_color_direction", "Input should be 'coaxial' or 'longitudinal'.")
    if single and multi:
        raise inputs.unprocessable("color_hex", "Cannot specify both color_hex and multi_color_hexes.")
    if multi and len(multi.split(",")) < 2:
        raise inputs.unprocessable("multi_color_hexes", "Must specify at least two colors in multi_color_hexes.")
    if multi and not direction:
        raise inputs.unprocessable("multi_color_direction", "Multi-color filament must have multi_color_direction set.")
    if not multi and direction:
        raise inputs.unprocessable(
            "multi_color_direction", "Single-color filament must not have multi_color_direction set."
        )
    return {
        "color_hex": inputs.blank(single),
        "multi_color_hexes": inputs.blank(multi),
        "multi_color_direction": inputs.blank(direction),
    }


def fields_of_body(data: dict, *, new: bool) -> dict:
    """Every member of a filament body, as the model's field names (`UNSET`: not sent)."""
    for name in ("density", "diameter"):
        if new and name not in data:
            raise inputs.unprocessable(name, "Field required.")
    material = inputs.text(data, "material", MATERIAL_LENGTH)
    fields = {
        "name": inputs.blank(inputs.text(data, "name", NAME_LENGTH)),
        "material_name": inputs.blank(material),
        "kind": UNSET if isinstance(material, Unset) else kind_of(material),
        "price": inputs.decimal(data, "price"),
        "density_g_cm3": inputs.decimal(data, "density", positive=True, places=3, digits=5, nullable=False),
        "diameter_mm": inputs.decimal(data, "diameter", positive=True, places=2, digits=4, nullable=False),
        "weight_g": inputs.decimal(data, "weight", positive=True),
        "spool_weight_g": inputs.decimal(data, "spool_weight"),
        "article_number": inputs.blank(inputs.text(data, "article_number", ARTICLE_LENGTH)),
        "notes": inputs.blank(inputs.text(data, "comment", COMMENT_LENGTH)),
        "settings_extruder_temp": inputs.integer(data, "settings_extruder_temp"),
        "settings_bed_temp": inputs.integer(data, "settings_bed_temp"),
        "external_id": inputs.blank(inputs.text(data, "external_id", EXTERNAL_ID_LENGTH)),
        **colors_of(data),
    }
    return {name: value for name, value in fields.items() if value is not UNSET}


def filament_fields(request) -> list[ExtraField]:
    return list(extra_fields_of(request)(EntityType.FILAMENT))


def filament_create(request):
    data = body_of(request)
    fields = fields_of_body(data, new=True)
    vendor_id = inputs.reference(data, "vendor_id")
    extra = inputs.without_nulls(inputs.extra(data) or {})
    definitions = filament_fields(request)
    check_extra_values(fields=definitions, values=extra)
    vendor = vendor_by_number(request, vendor_id) if isinstance(vendor_id, int) else None
    if vendor is not None and fields.get("spool_weight_g") is None:
        fields["spool_weight_g"] = vendor.empty_spool_weight_g  # Spoolman's default: the vendor's empty spool
    fields.setdefault("kind", MaterialKind.OTHER.value)
    material = inventory.create_material(
        tenant=request.integration_key.tenant,
        user=key_actor(request.integration_key),
        fields=inventory.MaterialFields(vendor=vendor, extra=with_defaults(fields=definitions, values=extra), **fields),
    )
    return answer(shapes.filament(material))


def filament_update(request, filament_id):
    data = body_of(request)
    fields = fields_of_body(data, new=False)
    vendor_id = inputs.reference(data, "vendor_id")
    extra = inputs.extra(data)
    material = filament_by_number(request, filament_id, lock=True)
    if not isinstance(vendor_id, Unset):
        fields["vendor"] = vendor_by_number(request, vendor_id) if vendor_id is not None else None
    if not isinstance(extra, Unset):
        check_extra_values(fields=filament_fields(request), values=extra)
        fields["extra"] = inputs.merged_extra(material.extra, extra)
    material = inventory.update_material(
        material=material, user=key_actor(request.integration_key), changes=inventory.MaterialFieldChanges(**fields)
    )
    return answer(shapes.filament(material))


def filament_delete(request, filament_id):
    """Spoolman's DELETE: refused (403) while a spool it shows uses the filament. One whose spools were
    all deleted here (kept for their ledger, `Spool.removed_at`) is kept too, marked removed
    (`inventory.services.remove_material`): gone from this API, still in ours."""
    material = filament_by_number(request, filament_id, lock=True)
    spools = Spool.objects.filter(material=material, removed_at__isnull=True).count()
    if spools:
        logger.info("Spoolman API: filament %s not deleted, %s spools use it.", filament_id, spools)
        raise SpoolmanError(403, REFUSED_DELETE)
    try:
        inventory.remove_material(material=material, user=key_actor(request.integration_key))
    except ProtectedError:
        logger.info("Spoolman API: filament %s not deleted, other records use it.", filament_id)
        raise SpoolmanError(403, REFUSED_DELETE) from None
    return answer({"message": "Success!"})


# --- the lists ---------------------------------------------------------------------------------


@endpoint("GET")
def material_list(request):
    """Every filament material of the tenant, once each (Spoolman's `GET material`)."""
    rows = filaments(request).filter(spoolman_material__isnull=False)
    return answer(sorted(set(rows.values_list("spoolman_material", flat=True))))


@endpoint("GET")
def article_number_list(request):
    """Every filament article number of the tenant, once each (Spoolman's `GET article-number`)."""
    rows = tenant_filaments(request.integration_key.tenant_id).exclude(article_number="")
    return answer(sorted(set(rows.values_list("article_number", flat=True))))
