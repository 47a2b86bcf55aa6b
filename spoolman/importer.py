"""Copy a Spoolman server into a tenant: its extra field definitions, vendors, filaments and spools.

`python manage.py import_spoolman URL --tenant SLUG` reads Spoolman's v1 API (0.2x: `GET info`,
`field/{vendor,filament,spool}`, `vendor`, `filament`, `spool?allow_archived=true`, paged with
`limit`/`offset`) and writes every row through the services, as the API would:

- field definitions: `spoolman.catalogue.define_field` (an identical definition already here is
  left alone; a different one is changed as Spoolman would change it, or the import is refused);
- vendors, filaments (materials here) and spools: `inventory.services.create_vendor`,
  `create_material`, `create_spool`. A spool's weights become its ledger: the purchase row of its
  initial weight (dated when Spoolman registered it), then, when it has been used, an adjustment
  down to its remaining weight (dated its last use), so the ledger holds the history and balances.
  An archived spool is imported inactive. Extra values are kept (checked against the definitions).

Idempotent: every imported row is remembered as an `ImportedRecord` (the source's name, Spoolman's
id, our row's id), and a later import of the same source skips what it already copied: a second
run changes nothing. A row deleted here after its import is not brought back. Rows already
imported are not updated from the source either: once copied, the farm's ledger is the truth.

All of it runs in one transaction in the tenant's scope (and row security on PostgreSQL): a
refusal writes nothing, and `dry_run` rolls everything back after counting. The server is read
completely before anything is written, so an unreachable server or an answer that is not
Spoolman's (`SourceError`) never leaves half an import.

HTTP with the standard library's urllib: neither httpx nor requests is a runtime dependency
(requirements.txt), and a handful of GETs needs neither.
"""

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from core.errors import DomainError
from inventory.models import Material as MaterialRow
from inventory.models import MaterialKind, Spool, TransactionType, Vendor
from inventory.services import (
    MAX_WEIGHT_G,
    Adjustment,
    MaterialFields,
    SpoolDraft,
    VendorFields,
    adjust_spool,
    create_material,
    create_spool,
    create_vendor,
)
from spoolman.catalogue import FieldDefinition, check_extra_values, define_field, field_shape, fields_of
from spoolman.models import KEY_PREFIX, EntityType, ExtraField, FieldType, ImportedRecord
from tenants.contracts import Actor
from tenants.models import Tenant
from tenants.row_security import tenant_row_security
from tenants.scoping import tenant_scope

PAGE_SIZE = 200
DEFAULT_TIMEOUT_S = 30.0
CENT = Decimal("0.01")
# A spool's code here (Spoolman has none): its id there.
CODE_PREFIX = "SM-"
USER_AGENT = "printfarm-import-spoolman/1"

Progress = Callable[[float], None]


class SourceError(Exception):
    """The server cannot be read, or does not answer as a Spoolman server: the message says which.

    `status`: the HTTP status of an error answer, None when there was none (unreachable, not JSON)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ImportRefused(Exception):
    """A row of the server cannot be stored here (the message names it); nothing was written."""


# --- the source ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Source:
    """A Spoolman server: `url` its root (`http://host:7912`, or this API's `http://host/spoolman/<key>`),
    `name` the identity its imported rows are remembered under (default `source_name(url)`)."""

    url: str
    name: str
    timeout_s: float = DEFAULT_TIMEOUT_S


def base_url(url: str) -> str:
    """The server's root as given, without a trailing `/` or `/api/v1`; only http and https."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{url!r} is not an http:// or https:// URL of a Spoolman server.")
    path = parts.path.rstrip("/").removesuffix("/api/v1").rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def source_name(url: str) -> str:
    """The name a server's rows are remembered under: its root URL without credentials, and with a key of
    this API (`/spoolman/pfk_...`) cut to its prefix, so that no secret is stored."""
    parts = urllib.parse.urlsplit(base_url(url))
    host = (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")
    segments = [
        segment[: len(KEY_PREFIX) + 4] + "..." if segment.startswith(KEY_PREFIX) else segment
        for segment in parts.path.split("/")
    ]
    return f"{parts.scheme}://{host}{'/'.join(segments)}"[: ImportedRecord._meta.get_field("source").max_length]


def _loads(body: bytes) -> Any:
    # Grams and money stay exact: JSON's fractions are read as Decimal, never as float.
    return json.loads(body, parse_float=Decimal)


class SpoolmanServer:
    """Reads a Spoolman server's v1 API (GET only)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.root = base_url(source.url)
        self.api = self.root + "/api/v1/"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, Mapping[str, str]]:
        """The JSON answer of `GET api/v1/<path>` and its headers; any failure is a SourceError."""
        url = self.api + path + ("?" + urllib.parse.urlencode(params) if params else "")
        shown = self.source.name + "/api/v1/" + path  # never the secret of a key in the URL
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.source.timeout_s) as response:
                body, headers = response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            message = f"GET {shown} answered {exc.code} {_message_of(exc)}".rstrip() + "."
            raise SourceError(message, status=exc.code) from None
        except urllib.error.URLError as exc:
            raise SourceError(f"Cannot reach {self.source.name}: {exc.reason}.") from None
        except TimeoutError:
            raise SourceError(f"{self.source.name} did not answer within {self.source.timeout_s:g} s.") from None
        except (OSError, ValueError) as exc:
            raise SourceError(f"Cannot read {shown}: {exc}.") from None
        try:
            return _loads(body), {name.lower(): value for name, value in headers.items()}
        except (ValueError, RecursionError):
            raise SourceError(
                f"GET {shown} did not answer JSON: {self.source.name} is not a Spoolman server."
            ) from None

    def version(self) -> str:
        """Spoolman's version (`GET info`); an answer without one is not a Spoolman server's."""
        try:
            info, _ = self.get("info")
        except SourceError as exc:
            if exc.status is None:
                raise
            raise SourceError(f"{exc} Is {self.source.name} a Spoolman server (its root URL)?") from None
        if not isinstance(info, dict) or not isinstance(info.get("version"), str):
            raise SourceError(f"{self.source.name} answered api/v1/info without a version: not a Spoolman server.")
        return info["version"]

    def fields(self, entity_type: EntityType) -> list[dict[str, Any]]:
        """The entity type's extra field definitions; none from a Spoolman without extra fields (a 404)."""
        try:
            found, _ = self.get(f"field/{entity_type.value}")
        except SourceError as exc:
            if exc.status == 404:
                return []
            raise
        return _objects(found, f"field/{entity_type.value}", key="key")

    def items(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a list endpoint, page by page (`limit`/`offset`, stopping at `X-Total-Count`)."""
        found: dict[int, dict[str, Any]] = {}
        offset = 0
        while True:
            page, headers = self.get(path, {**(params or {}), "limit": PAGE_SIZE, "offset": offset, "sort": "id:asc"})
            rows = _objects(page, path, key="id")
            new = [row for row in rows if row["id"] not in found]
            found.update((row["id"], row) for row in new)
            total = _int_or_none(headers.get("x-total-count"))
            # The end: the count reached, a short page, or a server that ignores paging (nothing new).
            if (total is not None and len(found) >= total) or len(rows) < PAGE_SIZE or not new:
                return list(found.values())
            offset += len(rows)


def _message_of(error: urllib.error.HTTPError) -> str:
    try:
        data = _loads(error.read())
    except (ValueError, RecursionError, OSError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return f"({message})" if isinstance(message, str) else ""


def _objects(data: Any, path: str, *, key: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(row, dict) and key in row for row in data):
        raise SourceError(f"api/v1/{path} is not a list of Spoolman's objects: not a Spoolman server.")
    if key == "id" and not all(_is_id(row["id"]) for row in data):
        raise SourceError(f"api/v1/{path} has an item without a numeric id: not a Spoolman server.")
    return data


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What a server holds, read before anything is written."""

    version: str
    fields: dict[EntityType, list[dict[str, Any]]]
    vendors: list[dict[str, Any]]
    filaments: list[dict[str, Any]]
    spools: list[dict[str, Any]]


def read_server(*, source: Source) -> Snapshot:
    """Read the whole server: its version, field definitions, vendors, filaments and spools (archived too).

    A filament's vendor and a spool's filament come embedded in their items too: one missing from
    its own list (deleted meanwhile) is taken from there.
    """
    server = SpoolmanServer(source)
    version = server.version()
    fields = {entity_type: server.fields(entity_type) for entity_type in EntityType}
    vendors = {row["id"]: row for row in server.items("vendor")}
    filaments = {row["id"]: row for row in server.items("filament")}
    spools = server.items("spool", {"allow_archived": "true"})
    for spool in spools:
        embedded = spool.get("filament")
        if not isinstance(embedded, dict) or not _is_id(embedded.get("id")):
            raise SourceError(f"Spool {spool['id']} of {source.name} has no filament: not a Spoolman answer.")
        filaments.setdefault(embedded["id"], embedded)
    for filament in filaments.values():
        embedded = filament.get("vendor")
        if isinstance(embedded, dict) and _is_id(embedded.get("id")):
            vendors.setdefault(embedded["id"], embedded)
    return Snapshot(
        version=version,
        fields=fields,
        vendors=sorted(vendors.values(), key=lambda row: row["id"]),
        filaments=sorted(filaments.values(), key=lambda row: row["id"]),
        spools=sorted(spools, key=lambda row: row["id"]),
    )


# --- the import ---------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Tally:
    """One kind of row: how many were created, found already imported (or identical), skipped and why."""

    created: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ImportReport:
    source: str
    version: str
    dry_run: bool
    fields: Tally = field(default_factory=Tally)
    vendors: Tally = field(default_factory=Tally)
    filaments: Tally = field(default_factory=Tally)
    spools: Tally = field(default_factory=Tally)

    @property
    def changed(self) -> bool:
        return any(tally.created for tally in (self.fields, self.vendors, self.filaments, self.spools))


class _DryRun(Exception):
    """Rolls a dry run's transaction back."""


def import_spoolman(
    *, tenant: Tenant, user: Actor, source: Source, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Read the server (`read_server`), then copy it into `tenant` (`import_snapshot`)."""
    snapshot = read_server(source=source)
    return import_snapshot(
        tenant=tenant, user=user, source=source.name, snapshot=snapshot, dry_run=dry_run, progress=progress
    )


def import_snapshot(
    *,
    tenant: Tenant,
    user: Actor,
    source: str,
    snapshot: Snapshot,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Copy what `snapshot` holds into `tenant`, in one transaction (rolled back when `dry_run`)."""
    report = ImportReport(source=source, version=snapshot.version, dry_run=dry_run)
    run = _Run(tenant=tenant, user=user, source=source, snapshot=snapshot, report=report, progress=progress)
    try:
        with tenant_scope(tenant), tenant_row_security(tenant), transaction.atomic():
            run.fields()
            run.vendors()
            run.filaments()
            run.spools()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


class _Run:
    """One import: the rows already imported from the source, read once per entity type."""

    def __init__(
        self,
        *,
        tenant: Tenant,
        user: Actor,
        source: str,
        snapshot: Snapshot,
        report: ImportReport,
        progress: Progress | None,
    ) -> None:
        self.tenant, self.user, self.source, self.snapshot, self.report = tenant, user, source, snapshot, report
        self.progress = progress
        self.total = sum(len(rows) for rows in snapshot.fields.values()) + len(snapshot.vendors)
        self.total += len(snapshot.filaments) + len(snapshot.spools)
        self.done = 0
        self.vendor_rows: dict[int, Vendor] = {}
        self.material_rows: dict[int, MaterialRow] = {}
        self.defined: dict[EntityType, list[ExtraField]] = {}

    def advance(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done / self.total)

    def imported(self, entity_type: EntityType) -> dict[int, uuid.UUID]:
        rows = ImportedRecord.objects.filter(tenant=self.tenant, source=self.source, entity_type=entity_type)
        return dict(rows.values_list("source_id", "object_id"))

    def remember(self, entity_type: EntityType, source_id: int, object_id: uuid.UUID) -> None:
        ImportedRecord.objects.create(
            tenant=self.tenant, source=self.source, entity_type=entity_type, source_id=source_id, object_id=object_id
        )

    # -- extra fields

    def fields(self) -> None:
        tally = self.report.fields
        for entity_type, items in self.snapshot.fields.items():
            existing = {row.key: row for row in fields_of(tenant=self.tenant, entity_type=entity_type)}
            for item in items:
                definition = _definition(entity_type, item)
                current = existing.get(definition.key)
                if current is not None and _same_definition(current, definition):
                    tally.unchanged += 1
                else:
                    try:
                        define_field(tenant=self.tenant, user=self.user, definition=definition)
                    except DomainError as exc:
                        raise ImportRefused(
                            f"Spoolman's extra field {entity_type.value}.{definition.key} cannot be defined here: "
                            f"{exc.detail}"
                        ) from None
                    tally.created += 1
                self.advance()
            self.defined[entity_type] = fields_of(tenant=self.tenant, entity_type=entity_type)

    def extra(self, entity_type: EntityType, item: dict[str, Any], what: str) -> dict[str, str]:
        values = item.get("extra") or {}
        if not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values()):
            raise ImportRefused(f"{what}'s extra is not an object of JSON texts.")
        try:
            check_extra_values(fields=self.defined[entity_type], values=values)
        except DomainError as exc:
            raise ImportRefused(f"{what}'s extra values cannot be stored here: {exc.detail}") from None
        return dict(values)

    # -- vendors

    def vendors(self) -> None:
        tally, done = self.report.vendors, self.imported(EntityType.VENDOR)
        known = {row.pk: row for row in Vendor.objects.filter(tenant=self.tenant, pk__in=done.values())}
        for item in self.snapshot.vendors:
            what = f"Spoolman's vendor {item['id']}"
            if item["id"] in done:
                tally.unchanged += 1
                vendor = known.get(done[item["id"]])  # None: deleted here since
            else:
                fields = VendorFields(
                    name=_text(item, "name", 64, what),
                    comment=_text(item, "comment", 1024, what),
                    empty_spool_weight_g=_grams(item, "empty_spool_weight", what),
                    external_id=_text(item, "external_id", 256, what),
                    extra=self.extra(EntityType.VENDOR, item, what),
                )
                vendor = create_vendor(tenant=self.tenant, user=self.user, fields=fields)
                self.remember(EntityType.VENDOR, item["id"], vendor.pk)
                tally.created += 1
            if vendor is not None:
                self.vendor_rows[item["id"]] = vendor
            self.advance()

    # -- filaments

    def filaments(self) -> None:
        tally, done = self.report.filaments, self.imported(EntityType.FILAMENT)
        known = {row.pk: row for row in MaterialRow.objects.filter(tenant=self.tenant, pk__in=done.values())}
        for item in self.snapshot.filaments:
            what = f"Spoolman's filament {item['id']}"
            if item["id"] in done:
                tally.unchanged += 1
                material = known.get(done[item["id"]])
            else:
                material = create_material(tenant=self.tenant, user=self.user, fields=self.material_fields(item, what))
                self.remember(EntityType.FILAMENT, item["id"], material.pk)
                tally.created += 1
            if material is not None:
                self.material_rows[item["id"]] = material
            self.advance()

    def material_fields(self, item: dict[str, Any], what: str) -> MaterialFields:
        vendor = item.get("vendor")
        material_name = _text(item, "material", 64, what)
        diameter = _decimal(item, "diameter", what, places=CENT, below=Decimal(100))
        return MaterialFields(
            name=_text(item, "name", 100, what),
            kind=kind_of(material_name),
            vendor=self.vendor_rows.get(vendor["id"]) if isinstance(vendor, dict) else None,
            material_name=material_name,
            color_hex=_color(item, what),
            diameter_mm=diameter if diameter is not None else Decimal("1.75"),
            density_g_cm3=_decimal(item, "density", what, places=Decimal("0.001"), below=Decimal(100)),
            notes=_text(item, "comment", 1024, what),
            price=_grams(item, "price", what),
            weight_g=_grams(item, "weight", what),
            spool_weight_g=_grams(item, "spool_weight", what),
            article_number=_text(item, "article_number", 64, what),
            settings_extruder_temp=_temperature(item, "settings_extruder_temp", what),
            settings_bed_temp=_temperature(item, "settings_bed_temp", what),
            multi_color_hexes=_text(item, "multi_color_hexes", 128, what),
            multi_color_direction=_text(item, "multi_color_direction", 16, what),
            external_id=_text(item, "external_id", 256, what),
            extra=self.extra(EntityType.FILAMENT, item, what),
        )

    # -- spools

    def spools(self) -> None:
        tally, done = self.report.spools, self.imported(EntityType.SPOOL)
        codes = set(
            Spool.objects.filter(tenant=self.tenant, code__startswith=CODE_PREFIX).values_list("code", flat=True)
        )
        for item in self.snapshot.spools:
            what = f"Spoolman's spool {item['id']}"
            if item["id"] in done:
                tally.unchanged += 1
            else:
                skipped = self.spool(item, what, codes)
                if skipped:
                    tally.skipped.append(f"{what}: {skipped}")
                else:
                    tally.created += 1
            self.advance()

    def spool(self, item: dict[str, Any], what: str, codes: set[str]) -> str | None:
        """Create the spool and its ledger; or why it is skipped."""
        filament = item["filament"]
        material = self.material_rows.get(filament["id"])
        if material is None:
            return f"its filament {filament['id']} was imported before and has been deleted here since"
        initial = _grams(item, "initial_weight", what) or _grams(filament, "weight", what)
        if not initial:
            return "neither it nor its filament has an initial weight, so it has no opening balance"
        used = _grams(item, "used_weight", what) or Decimal(0)
        remaining = max(initial - used, Decimal(0))
        registered = _moment(item, "registered", what)
        last_used = _moment(item, "last_used", what)
        code = _free_code(f"{CODE_PREFIX}{item['id']}", codes)
        draft = SpoolDraft(
            code=code,
            material=material,
            initial_weight_g=initial,
            empty_spool_weight_g=_grams(item, "spool_weight", what),
            purchase_price=_grams(item, "price", what),
            location=_text(item, "location", 100, what),
            is_active=not item.get("archived", False),
            lot_nr=_text(item, "lot_nr", 64, what),
            comment=_text(item, "comment", 1024, what),
            extra=self.extra(EntityType.SPOOL, item, what),
            first_used=_moment(item, "first_used", what),
            last_used=last_used,
        )
        spool = create_spool(tenant=self.tenant, user=self.user, draft=draft, occurred_at=registered)
        if remaining < initial:
            moment = max(filter(None, [registered, last_used]), default=None)
            adjust_spool(
                spool=spool,
                user=self.user,
                adjustment=Adjustment(
                    type=TransactionType.ADJUSTMENT,
                    new_weight_g=remaining,
                    reason=f"Imported from Spoolman: {initial - remaining} g used there",
                    occurred_at=moment,
                ),
            )
        self.remember(EntityType.SPOOL, item["id"], spool.pk)
        codes.add(code)
        return None


# --- Spoolman's values, checked ------------------------------------------------------------------


def kind_of(material: str) -> str:
    """Our kind of Spoolman's free-text material: the kind it names exactly (any case), else OTHER."""
    wanted = material.strip().upper()
    return next((kind.value for kind in MaterialKind if kind.value == wanted), MaterialKind.OTHER.value)


def _definition(entity_type: EntityType, item: dict[str, Any]) -> FieldDefinition:
    try:
        return FieldDefinition(
            entity_type=entity_type,
            key=item["key"],
            name=item["name"],
            field_type=FieldType(item["field_type"]),
            order=item.get("order") or 0,
            unit=item.get("unit"),
            default_value=item.get("default_value"),
            choices=item.get("choices"),
            multi_choice=item.get("multi_choice"),
        )
    except (KeyError, ValueError, TypeError):
        raise ImportRefused(f"Spoolman's extra field {entity_type.value} {item.get('key')!r} is not one.") from None


def _same_definition(row: ExtraField, definition: FieldDefinition) -> bool:
    wanted = {
        "name": definition.name,
        "order": definition.order,
        "unit": definition.unit or None,
        "field_type": definition.field_type,
        "default_value": definition.default_value,
        "choices": definition.choices,
        "multi_choice": definition.multi_choice,
    }
    shape = field_shape(row, with_nulls=True)
    return all(shape[name] == value for name, value in wanted.items())


def _text(item: dict[str, Any], name: str, longest: int, what: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > longest:
        raise ImportRefused(f"{what}: {name} is not a text of at most {longest} characters.")
    return value


def _decimal(item: dict[str, Any], name: str, what: str, *, places: Decimal, below: Decimal) -> Decimal | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise InvalidOperation
        number = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ImportRefused(f"{what}: {name} is not a number.") from None
    if not Decimal(0) <= number < below:
        raise ImportRefused(f"{what}: {name} {value} is out of range (0 to {below}).")
    return number


def _grams(item: dict[str, Any], name: str, what: str) -> Decimal | None:
    """Grams (or money): exact to the cent, not negative, at most what a grams column holds."""
    return _decimal(item, name, what, places=CENT, below=MAX_WEIGHT_G + CENT)


def _temperature(item: dict[str, Any], name: str, what: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ImportRefused(f"{what}: {name} is not a temperature in whole degrees.")
    return value


def _color(item: dict[str, Any], what: str) -> str:
    """`#RRGGBB` of Spoolman's `RRGGBB` or `RRGGBBAA` (the alpha is not kept), or blank."""
    value = _text(item, "color_hex", 9, what).removeprefix("#")
    if not value:
        return ""
    if len(value) not in (6, 8) or any(char not in "0123456789abcdefABCDEF" for char in value):
        raise ImportRefused(f"{what}: color_hex {value!r} is not a colour.")
    return "#" + value[:6].upper()


def _moment(item: dict[str, Any], name: str, what: str) -> datetime.datetime | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImportRefused(f"{what}: {name} {value!r} is not a date and time.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _free_code(code: str, taken: set[str]) -> str:
    """`code`, or `code-2`, `code-3`... when the tenant already has it (an import of another server)."""
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        candidate = f"{code}-{number}"
    return candidate
