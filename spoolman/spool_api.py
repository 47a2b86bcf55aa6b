"""Spoolman's spool endpoints under `/spoolman/<key>/api/v1/`: find, get, add, update, delete, use, measure,
the lists of locations and lot numbers and their renames.

Every write goes through inventory's services, so the ledger stays exact (SPEC 8.5):

- a spool added gets one `purchase` row, its opening balance: its initial weight (the body's, else
  its filament's `weight`, as Spoolman falls back), or what it holds when the body says it was
  registered part-used (`remaining_weight`, or `used_weight` off the initial weight). A spool whose
  initial weight nobody knows (no body weight, a filament without one) is stored with 0 (not known)
  and opens at 0 g, or, given a `used_weight`, at that as its initial weight and empty now: our
  ledger cannot hold "used x g of an unknown amount".
- a PATCH of `remaining_weight`, `used_weight` or `initial_weight` is an `adjustment` row by the key's
  actor when the weight it leaves differs (`inventory.services.reweigh_spool`), and needs an admin's or
  owner's key, as an adjustment does in the REST API; the spool's other fields go through `update_spool`.
- a DELETE erases a spool whose only row is its opening one; a spool with history is archived and
  marked removed (`remove_spool`): gone from every endpoint here (404), its ledger kept.

A printer key reads, uses and measures; every other write is a manage key's (403 otherwise).
Weights are Decimals from the JSON body to the ledger.
"""

import csv
import datetime
import functools
import io
import json
from decimal import Decimal

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import dateparse, timezone

from core.changes import UNSET
from core.errors import InvalidInput
from core.prepared import Slot
from inventory.models import Material, Spool, take_numbers
from inventory.services import (
    Reweighing,
    SpoolChanges,
    SpoolDraft,
    create_spool,
    remove_spool,
    reweigh_spool,
    update_spool,
)
from spoolman import catalogue, query, services, shapes
from spoolman.api import answer, body_of, endpoint, quantity, require_role, source_of
from spoolman.errors import SpoolmanError
from spoolman.models import EntityType, ExtraField
from tenants.models import Role
from tenants.scoping import ScopedQuery

MAX_TEXT = {"location": 64, "lot_nr": 64, "comment": 1024}

_SPOOL_FILTERS = (
    ("filament.name", "filament_name", query.Text("material__name")),
    ("filament.id", "filament_id", query.Ids("material__number")),
    ("filament.material", "filament_material", query.Text("material__material_name")),
    ("filament.multi_color_direction", None, query.Text("material__multi_color_direction")),
    ("filament.vendor.name", "vendor_name", query.Text("material__vendor__name", nullable=False)),
    ("filament.vendor.id", "vendor_id", query.Ids("material__vendor__number", minus_one_is_none=True)),
    ("location", None, query.Text("location")),
    ("lot_nr", None, query.Text("lot_nr")),
)

_FILAMENT_SORT = {
    "id": "material__number",
    "registered": "material__created_at",
    "name": "material__name",
    "vendor_id": "material__vendor__number",
    "material": "material__material_name",
    "price": "material__price",
    "density": "material__density_g_cm3",
    "diameter": "material__diameter_mm",
    "weight": "material__weight_g",
    "spool_weight": "material__spool_weight_g",
    "article_number": "material__article_number",
    "comment": "material__notes",
    "settings_extruder_temp": "material__settings_extruder_temp",
    "settings_bed_temp": "material__settings_bed_temp",
    "color_hex": "material__color_hex",
    "multi_color_hexes": "material__multi_color_hexes",
    "multi_color_direction": "material__multi_color_direction",
    "external_id": "material__external_id",
}
_VENDOR_SORT = {
    "id": "material__vendor__number",
    "registered": "material__vendor__created_at",
    "name": "material__vendor__name",
    "comment": "material__vendor__comment",
    "empty_spool_weight": "material__vendor__empty_spool_weight_g",
    "external_id": "material__vendor__external_id",
}
# As `shapes.spool` shows them: the use carried below a cent and the use beyond what it held count.
_REMAINING = F("current_weight_g") - F("unbooked_use_g")
_USED = F("initial_weight_g") - _REMAINING + F("overused_g")
_CROSS_SECTION = F("material__density_g_cm3") * F("material__diameter_mm") * F("material__diameter_mm")


def _listing(*, aliases: bool) -> query.Listing:
    filters = tuple(
        query.Filter((name, alias) if aliases and alias else (name,), condition)
        for name, alias, condition in _SPOOL_FILTERS
    )
    return query.Listing(
        filters=filters,
        sort_fields={
            "id": "number",
            "registered": "created_at",
            "first_used": "first_used",
            "last_used": "last_used",
            "filament_id": "material__number",
            "price": Coalesce("purchase_price", "material__price"),
            "initial_weight": "initial_weight_g",
            "spool_weight": "empty_spool_weight_g",
            "used_weight": _USED,
            "remaining_weight": _REMAINING,
            # Proportional to the lengths (Spoolman's own simplification): the order is right.
            "remaining_length": _REMAINING / _CROSS_SECTION,
            "used_length": _USED / _CROSS_SECTION,
            "location": "location",
            "lot_nr": "lot_nr",
            "comment": "comment",
            "archived": Case(When(is_active=False, then=Value(True)), default=Value(False)),
            "filament.combined_name": ("material__vendor__name", "material__name"),
            **{f"filament.{name}": path for name, path in _FILAMENT_SORT.items()},
            **{f"filament.vendor.{name}": path for name, path in _VENDOR_SORT.items()},
        },
        models={"": "Spool", "filament": "Filament", "filament.vendor": "Vendor"},
        tiebreak=("number",),
        extra=(
            query.ExtraScope("extra.", "spool", "extra"),
            query.ExtraScope("filament.extra.", "filament", "material__extra"),
            query.ExtraScope("filament.vendor.extra.", "vendor", "material__vendor__extra"),
        ),
        archived=Q(is_active=False),
    )


SPOOLS = _listing(aliases=True)
# `spool/group` filters as the find does, without the deprecated aliases (as Spoolman's).
GROUPED = _listing(aliases=False)


# --- reading --------------------------------------------------------------------------------


def tenant_spools(request):
    """The key's tenant's spools that Spoolman's API shows (not removed), with what `shapes.spool` renders."""
    return _shown(Spool.objects.for_tenant(request.integration_key.tenant_id))


def _shown(spools):
    return shapes.with_filament(spools.filter(removed_at__isnull=True))


def extra_fields_of(request):
    tenant_id = request.integration_key.tenant_id
    return lambda entity: ExtraField.objects.filter(tenant_id=tenant_id, entity_type=entity)


def spool_by_number(request, spool_id) -> Spool:
    found = spool_of_number().run(tenant=request.integration_key.tenant_id, number=spool_id)
    if not found:
        raise SpoolmanError(404, f"No spool with ID {spool_id} found.")
    return found[0]


@functools.cache
def spool_of_number() -> ScopedQuery:
    """`tenant_spools`' spool of a number (`first()`'s query: in the spools' order, the first), compiled once
    per process: building and compiling it cost each request for one spool about a millisecond of CPU."""
    tenant = Slot("tenant", Spool._meta.get_field("tenant"))
    number = Slot("number", Spool._meta.get_field("number"))
    return ScopedQuery(lambda: _shown(Spool.objects.for_tenant(tenant)).filter(number=number)[:1])


def spool_answer(request, spool_id):
    return answer(shapes.spool(spool_by_number(request, spool_id)))


# --- parsing --------------------------------------------------------------------------------


def _grams(data, name) -> Decimal | None:
    """A weight or price of the body (`quantity`), in the ledger's whole cents (half up), so every row
    holds what the spool's weight sums to."""
    value = quantity(data, name)
    if value is not None and value > services.MAX_WEIGHT_G:
        raise SpoolmanError(422, f"{name} is too large: at most {services.MAX_WEIGHT_G}.")
    return None if value is None else services.grams(value)


def _whole_number(data, name) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal) or value != value.to_integral_value():
        raise SpoolmanError(422, f"{name} must be a whole number.")
    return int(value)


def _text(data, name) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SpoolmanError(422, f"{name} must be a string.")
    if len(value) > MAX_TEXT[name]:
        raise SpoolmanError(422, f"{name} must be at most {MAX_TEXT[name]} characters.")
    if "\x00" in value:
        raise SpoolmanError(422, f"{name} must not hold a NUL character.")
    return value


def _flag(data, name) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise SpoolmanError(422, f"{name} must be true or false.")
    return value


def _moment(data, name) -> datetime.datetime | None:
    value = data.get(name)
    if value is None:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = dateparse.parse_datetime(value.replace("z", "Z"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise SpoolmanError(422, f"{name} must be a date and time (ISO 8601).")
    if timezone.is_naive(parsed):  # as Spoolman's server (UTC) reads one without an offset
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def _extra(request, data) -> dict[str, str | None] | None:
    """The body's `extra` ({key: JSON text or null}), checked against the tenant's spool fields (400)."""
    value = data.get("extra")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(item, str | None) for item in value.values()):
        raise SpoolmanError(422, "extra must be an object of strings (JSON text) or nulls.")
    if value:
        fields = catalogue.fields_of(tenant=request.integration_key.tenant, entity_type=EntityType.SPOOL)
        try:
            catalogue.check_extra_values(fields=fields, values=value)
        except InvalidInput as exc:
            raise SpoolmanError(400, exc.detail) from exc
    return value


def _filament(request, filament_id) -> Material:
    material = (
        Material.objects.for_tenant(request.integration_key.tenant_id)
        .filter(removed_at__isnull=True)  # a filament deleted here (kept for its spools' ledger) is gone
        .select_related("vendor")
        .filter(number=filament_id)
        .first()
    )
    if material is None:
        raise SpoolmanError(404, f"No filament with ID {filament_id} found.")
    return material


def _one_weight(data) -> None:
    if data.get("remaining_weight") is not None and data.get("used_weight") is not None:
        raise SpoolmanError(400, "Only specify either remaining_weight or used_weight.")


# --- endpoints ------------------------------------------------------------------------------


@endpoint("GET", "POST", write=True, manage=True)
def spools(request):
    if request.method == "POST":
        return add_spool(request)
    rows = query.find(request.GET, tenant_spools(request), SPOOLS, extra_fields_of(request))
    return query.paged(request, rows, shapes.spool)


def add_spool(request):
    data = body_of(request)
    filament_id = _whole_number(data, "filament_id")
    if filament_id is None:
        raise SpoolmanError(422, "filament_id is required.")
    price, initial = _grams(data, "price"), _grams(data, "initial_weight")
    tare = _grams(data, "spool_weight")
    remaining, used = _grams(data, "remaining_weight"), _grams(data, "used_weight")
    texts = {name: _text(data, name) for name in MAX_TEXT}
    archived = _flag(data, "archived")
    first_used, last_used = _moment(data, "first_used"), _moment(data, "last_used")
    _one_weight(data)
    extra = _extra(request, data)
    material = _filament(request, filament_id)

    if tare is None:
        tare = material.spool_weight_g
    if initial is None:
        initial = material.weight_g
    if used is None and remaining is not None:
        if not initial:
            raise SpoolmanError(
                400,
                "remaining_weight can only be used if the initial_weight is defined or the filament has a weight set.",
            )
        used = max(initial - remaining, Decimal(0))
    used = used or Decimal(0)
    if not initial:
        initial = used  # not known: it held at least what was used of it (0: not known at all)
    opening = max(initial - used, Decimal(0))

    tenant = request.integration_key.tenant
    fields = catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)
    values = {key: value for key, value in (extra or {}).items() if value is not None}
    number = take_numbers(tenant_id=tenant.pk, kind=Spool.number_kind, count=1)
    spool = create_spool(
        tenant=tenant,
        user=services.key_actor(request.integration_key),
        draft=SpoolDraft(
            code=_free_code(tenant.pk, number),
            number=number,
            material=material,
            initial_weight_g=initial,
            empty_spool_weight_g=tare,
            purchase_price=price,
            location=texts["location"] or "",
            lot_nr=texts["lot_nr"] or "",
            comment=texts["comment"] or "",
            is_active=not archived,
            extra=catalogue.with_defaults(fields=fields, values=values),
            first_used=first_used,
            last_used=last_used,
        ),
        opening_weight_g=opening,
    )
    spool.material = material
    return answer(shapes.spool(spool))


def _free_code(tenant_id, number) -> str:
    """A code for a spool Spoolman's API adds (Spoolman has none): `SM-<number>`, suffixed if taken."""
    code, suffix = f"SM-{number}", 1
    while Spool.objects.filter(tenant_id=tenant_id, code=code).exists():
        suffix += 1
        code = f"SM-{number}-{suffix}"
    return code


@endpoint("GET", "PATCH", "DELETE", write=True, manage={"DELETE": Role.ADMIN})
def spool_detail(request, spool_id):
    if request.method == "PATCH":
        return update(request, spool_id)
    if request.method == "DELETE":
        return delete(request, spool_id)
    return spool_answer(request, spool_id)


WEIGHTS = ("initial_weight", "remaining_weight", "used_weight")


def update(request, spool_id):
    """Spoolman's PATCH: the fields sent change, `extra` merged per key (null clears one)."""
    data = body_of(request)
    if "filament_id" in data and data["filament_id"] is None:
        raise SpoolmanError(422, "filament_id must not be null.")
    filament_id = _whole_number(data, "filament_id")
    weights = {name: _grams(data, name) for name in (*WEIGHTS, "price", "spool_weight")}
    texts = {name: _text(data, name) for name in MAX_TEXT if name in data}
    archived = _flag(data, "archived")
    moments = {name: _moment(data, name) for name in ("first_used", "last_used") if name in data}
    _one_weight(data)
    extra = _extra(request, data)
    reweighs = any(data.get(name) is not None for name in WEIGHTS)
    if reweighs:
        require_role(request, Role.ADMIN)  # an adjustment, as in the REST API
    spool = spool_by_number(request, spool_id)
    material = _filament(request, filament_id) if filament_id is not None else UNSET

    changes = {}
    if material is not UNSET:
        changes["material"] = material
    if "price" in data:
        changes["purchase_price"] = weights["price"]
    if "spool_weight" in data:
        changes["empty_spool_weight_g"] = weights["spool_weight"]
    for name, value in texts.items():
        changes[name] = value or ""
    if archived is not None:
        changes["is_active"] = not archived
    changes.update(moments)
    if extra is not None:
        merged = {key: value for key, value in spool.extra.items() if key not in extra}
        merged.update({key: value for key, value in extra.items() if value is not None})
        changes["extra"] = merged
    reweighing = None
    if reweighs or (material is not UNSET and not spool.initial_weight_g and material.weight_g):
        reweighing = _reweighing(spool, material, weights)  # its refusals before anything is written
    actor = services.key_actor(request.integration_key)
    if changes:
        spool = update_spool(spool=spool, changes=SpoolChanges(**changes), user=actor)
    if reweighing is not None:
        reweigh_spool(spool=spool, user=actor, reweighing=reweighing)
    return spool_answer(request, spool_id)


def _reweighing(spool: Spool, material, weights) -> Reweighing:
    """The weights a PATCH leaves, as Spoolman computes them: its used weight kept unless one is sent."""
    known = spool.initial_weight_g or None
    used_before = (spool.initial_weight_g - spool.current_weight_g) if known else Decimal(0)
    initial = weights["initial_weight"]
    if initial is None and known is None and material is not UNSET and material.weight_g:
        initial = material.weight_g  # a filament with a weight gives a spool without one its weight
    start = initial if initial is not None else known
    over, cleared = None, False  # the use beyond the initial weight (None: kept); the carried use dropped
    if weights["remaining_weight"] is not None:
        if not start:
            raise SpoolmanError(400, "remaining_weight can only be used if initial_weight is set.")
        held, over, cleared = min(weights["remaining_weight"], start), Decimal(0), True
    elif weights["used_weight"] is not None:
        if not start:
            raise SpoolmanError(400, "used_weight can only be used if initial_weight is set.")
        held = max(start - weights["used_weight"], Decimal(0))
        over, cleared = max(weights["used_weight"] - start, Decimal(0)), True
    elif start:
        used = max(used_before, Decimal(0)) + spool.overused_g  # Spoolman keeps its used weight
        held, over = max(start - used, Decimal(0)), max(used - start, Decimal(0))
    else:
        held = None
    return Reweighing(
        initial_weight_g=initial,
        new_weight_g=held,
        reason="Set through Spoolman's API",
        overused_g=over,
        clear_unbooked=cleared,
    )


def delete(request, spool_id):
    spool = spool_by_number(request, spool_id)
    remove_spool(spool=spool, user=services.key_actor(request.integration_key))
    return answer({"message": "Success!"})


# --- use and weighings (a printer key's too) ------------------------------------------------


def reported_spool(request, spool_id, *, attribute=True):
    """The spool a report names, locked, read once with all the report and its answer need."""
    reported = services.lock_for_report(key=request.integration_key, number=spool_id, attribute=attribute)
    if reported is None:
        raise SpoolmanError(404, f"No spool with ID {spool_id} found.")
    return reported


@endpoint("PUT", write=True)
def spool_use(request, spool_id):
    """`{"use_weight": g}` or `{"use_length": mm}`, one of them (a length by the material's diameter and density).

    Six statements (issue's budget): the key; the row-security and write bounds' round trip; the
    spool read once, locked, with the run it is attributed to (locked first), its use dates, its
    vendor and the tenant's webhooks; the ledger row; the spool's UPDATE; the events. The answer
    is the spool as written, not read again.
    """
    data = body_of(request)
    weight, length = _use(data, "use_weight"), _use(data, "use_length")
    reported = reported_spool(request, spool_id)
    if weight is not None and length is not None:
        raise SpoolmanError(400, "Only specify either use_weight or use_length.")
    if weight is None and length is None:
        raise SpoolmanError(400, "Either use_weight or use_length must be specified.")
    used = weight if weight is not None else length * shapes.grams_per_mm(reported.spool.material)
    if used > services.MAX_WEIGHT_G:
        raise SpoolmanError(422, f"A use of more than {services.MAX_WEIGHT_G} g cannot be recorded.")
    services.report_use(
        key=request.integration_key,
        report=services.UseReport(spool=reported, grams=used, source=source_of(request)),
    )
    return answer(shapes.spool(reported.spool))


def _use(data, name) -> Decimal | None:
    """A use: a number; a negative one uses nothing (Spoolman's used weight never drops below what it
    was by a use: it gives back at most what was used, which our ledger books only as an adjustment)."""
    value = data.get(name)
    if isinstance(value, Decimal) and value.is_finite() and value < 0:
        return Decimal(0)
    return quantity(data, name)


@endpoint("PUT", write=True)
def spool_measure(request, spool_id):
    """`{"weight": g}`: the spool weighed on its reel (its empty weight, else its filament's, is subtracted)."""
    data = body_of(request)
    weight = quantity(data, "weight")
    reported = reported_spool(request, spool_id, attribute=False)
    if weight is None:
        raise SpoolmanError(422, "weight must be given.")
    services.record_measurement(
        key=request.integration_key,
        measurement=services.Measurement(spool=reported, gross_weight_g=weight, source=source_of(request)),
    )
    return answer(shapes.spool(reported.spool))


# --- groups -----------------------------------------------------------------------------------

GROUP_AXES = ("filament", "location", "material", "vendor")
SINGLE_VALUE_TYPES = ("text", "choice")
GROUP_SORTS = ("group.title", "group.total_remaining", "group.last_used", "group.spool_count", "group.in_use_count")


@endpoint("GET")
def spool_groups(request):
    """Spoolman's `spool/group?group_by=`: the matching spools grouped by filament, vendor, material,
    location or a spool's text or single-choice `extra.<key>`, each group's counts, remaining grams
    and latest use; pages of whole groups, `X-Total-Count` the number of groups. A blank value and
    none are one group (key null)."""
    params = request.GET
    group_by = params.get("group_by")
    if group_by is None:
        raise SpoolmanError(422, "group_by is required.")
    limit, offset = query.window(params)
    rows = query.filtered(params, tenant_spools(request), GROUPED, extra_fields_of(request))
    sort = query.parse_sort(params.get("sort"))
    key_of = _group_key(request, group_by)
    groups: dict = {}
    for spool in rows:
        key, title = key_of(spool)
        group = groups.setdefault(key, _Group(key=key, title=title, spool=spool))
        group.add(spool)
    ordered = sorted(groups.values(), key=lambda g: (g.title is None, g.title or "", str(g.key)))
    for name, descending in reversed([(name, descending) for name, descending in sort if name in GROUP_SORTS]):
        ordered = _sorted_by(ordered, name, descending)
    total = len(ordered)
    page = ordered[offset : offset + limit] if limit is not None else ordered
    response = answer([group.shape(group_by) for group in page])
    response["X-Total-Count"] = str(total)
    return response


def _group_key(request, group_by):
    """(key, title) of a spool's group for `group_by` (a 400 for anything Spoolman does not group by)."""
    if group_by == "filament":
        return lambda spool: (spool.material.number, spool.material.name)
    if group_by == "vendor":
        return lambda spool: (
            (spool.material.vendor.number, spool.material.vendor.name) if spool.material.vendor else (None, None)
        )
    if group_by == "material":
        return lambda spool: (spool.material.material_name or None,) * 2
    if group_by == "location":
        return lambda spool: (spool.location or None,) * 2
    if group_by.startswith("extra."):
        key = group_by.removeprefix("extra.")
        fields = catalogue.fields_of(tenant=request.integration_key.tenant, entity_type=EntityType.SPOOL)
        field = next((f for f in fields if f.key == key), None)
        if field is None:
            raise SpoolmanError(400, f"Unknown spool extra field '{key}'.")
        if field.field_type not in SINGLE_VALUE_TYPES or field.multi_choice:
            raise SpoolmanError(
                400,
                f"Spool extra field '{key}' does not hold a single plain value. Only text and single-choice fields do.",
            )
        return lambda spool: (_decoded_text(spool.extra.get(key)),) * 2
    raise SpoolmanError(
        400,
        f"Invalid group_by field '{group_by}'. Must be one of {list(GROUP_AXES)} or 'extra.<spool extra field key>'.",
    )


def _decoded_text(stored) -> str | None:
    """A stored extra value (JSON text) as its group's key: the decoded string; blank or none is None."""
    try:
        value = json.loads(stored) if stored is not None else None
    except ValueError:
        return None
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


class _Group:
    def __init__(self, *, key, title, spool):
        self.key, self.title, self.spool = key, title, spool
        self.spool_count = self.in_use_count = 0
        self.total_remaining = Decimal(0)
        self.last_used = None

    def add(self, spool: Spool) -> None:
        self.spool_count += 1
        if spool.initial_weight_g > spool.current_weight_g:
            self.in_use_count += 1
        if spool.initial_weight_g > 0:
            self.total_remaining += spool.current_weight_g
        if spool.last_used is not None and (self.last_used is None or spool.last_used > self.last_used):
            self.last_used = spool.last_used

    def value(self, name):
        return {
            "group.title": self.title,
            "group.total_remaining": self.total_remaining,
            "group.last_used": self.last_used,
            "group.spool_count": self.spool_count,
            "group.in_use_count": self.in_use_count,
        }[name]

    def shape(self, group_by) -> dict:
        shape = {
            "group_by": group_by,
            "key": None if self.key is None else str(self.key),
            "spool_count": self.spool_count,
            "in_use_count": self.in_use_count,
            "total_remaining_weight": float(self.total_remaining),
            "last_used": shapes.iso(self.last_used),
        }
        if group_by == "filament":
            shape["filament"] = shapes.without_nulls(shapes.filament(self.spool.material))
        if group_by == "vendor" and self.spool.material.vendor is not None:
            shape["vendor"] = shapes.without_nulls(shapes.vendor(self.spool.material.vendor))
        return shapes.without_nulls(shape)


def _sorted_by(groups: list[_Group], name: str, descending: bool) -> list[_Group]:
    """`groups` stably sorted by one of their values; groups without one (null) last either way."""
    present = [group for group in groups if group.value(name) is not None]
    absent = [group for group in groups if group.value(name) is None]
    return sorted(present, key=lambda group: group.value(name), reverse=descending) + absent


# --- export ---------------------------------------------------------------------------------


@endpoint("GET")
def export_spools(request):
    """Spoolman's `export/spools?fmt=csv|json`: every spool (archived ones with `allow_archived`), with its
    filament and vendor, flattened to dotted columns (`filament.vendor.name`, `extra.<key>`), as a download."""
    fmt = request.GET.get("fmt")
    if fmt not in ("csv", "json"):
        raise SpoolmanError(422, "fmt must be csv or json.")
    rows = tenant_spools(request).order_by("number")
    if not query.flag(request.GET, "allow_archived"):
        rows = rows.filter(is_active=True)
    flat = [_flattened(shapes.spool(spool)) for spool in rows]
    if fmt == "json":
        response = HttpResponse(json.dumps(flat, ensure_ascii=False), content_type="application/json")
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=sorted({name for row in flat for name in row}))
        writer.writeheader()
        writer.writerows({name: _csv_cell(value) for name, value in row.items()} for row in flat)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="spools.{fmt}"'
    return response


def _flattened(shape: dict, prefix: str = "") -> dict:
    flat: dict = {}
    for name, value in shape.items():
        if isinstance(value, dict) and name != "extra":
            flat.update(_flattened(value, f"{prefix}{name}."))
        elif name == "extra":
            flat.update({f"{prefix}extra.{key}": text for key, text in value.items()})
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _csv_cell(value):
    """A cell a spreadsheet does not run as a formula (`=`, `+`, `-`, `@` first: quoted with `'`)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- locations and lot numbers --------------------------------------------------------------


def _distinct(request, column) -> list[str]:
    rows = Spool.objects.for_tenant(request.integration_key.tenant_id).filter(removed_at__isnull=True)
    return list(rows.exclude(**{column: ""}).order_by(column).values_list(column, flat=True).distinct())


@endpoint("GET")
def locations(request):
    return answer(_distinct(request, "location"))


@endpoint("GET")
def lot_numbers(request):
    return answer(_distinct(request, "lot_nr"))


@endpoint("PATCH", write=True, manage=True)
def rename_location(request, name):
    """Every spool at location `name` moves to `{"name": new}`; answers the new name."""
    data = body_of(request)
    new = data.get("name")
    if not isinstance(new, str) or not new:
        raise SpoolmanError(422, "name must be a non-empty string.")
    _rename(request, "location", name, _text({"location": new}, "location") or "")
    return answer(new)


@endpoint("PATCH", write=True, manage=True)
def rename_field_value(request, field):
    """`{"value": old, "new_value": new}` for `location` or a spool's text or single-choice `extra.<key>`,
    on every spool (archived ones too); answers `{"spools_updated": n}`."""
    data = body_of(request)
    old, new = data.get("value"), data.get("new_value")
    for name, value in (("value", old), ("new_value", new)):
        if not isinstance(value, str) or not value:
            raise SpoolmanError(422, f"{name} must be a non-empty string.")
    if field == "location":
        if len(new) > MAX_TEXT["location"]:
            raise SpoolmanError(400, f"A location can be at most {MAX_TEXT['location']} characters.")
        return answer({"spools_updated": _rename(request, "location", old, new)})
    if field.startswith("extra."):
        return answer({"spools_updated": _rename_extra(request, field.removeprefix("extra."), old, new)})
    raise SpoolmanError(
        400,
        f"Cannot rename values of '{field}'. Only fields the spool itself owns can be renamed: "
        "location, or 'extra.<spool extra field key>'.",
    )


def _rename(request, column, old, new) -> int:
    """Each spool holding `old` in `column` gets `new`, through `update_spool` (its event)."""
    rows = Spool.objects.for_tenant(request.integration_key.tenant_id).filter(removed_at__isnull=True, **{column: old})
    actor = services.key_actor(request.integration_key)
    count = 0
    for spool in rows.select_related("material"):
        update_spool(spool=spool, changes=SpoolChanges(**{column: new}), user=actor)
        count += 1
    return count


def _rename_extra(request, key, old, new) -> int:
    tenant = request.integration_key.tenant
    field = next((f for f in catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL) if f.key == key), None)
    if field is None:
        raise SpoolmanError(400, f"Unknown spool extra field '{key}'.")
    if field.field_type not in ("text", "choice") or (field.field_type == "choice" and field.multi_choice):
        raise SpoolmanError(
            400,
            f"Spool extra field '{key}' does not hold a single plain value. Only text and single-choice fields do.",
        )
    actor = services.key_actor(request.integration_key)
    count = 0
    rows = Spool.objects.for_tenant(tenant).filter(removed_at__isnull=True, extra__has_key=key)
    for spool in rows.select_related("material"):
        try:
            value = json.loads(spool.extra[key])
        except (TypeError, ValueError):
            continue
        if value != old:
            continue
        extra = {**spool.extra, key: json.dumps(new, ensure_ascii=False)}
        update_spool(spool=spool, changes=SpoolChanges(extra=extra), user=actor)
        count += 1
    return count
