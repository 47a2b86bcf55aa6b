"""Printer integration keys, and the filament use printers report through the Spoolman-compatible API.

A report is one `printer_use` ledger row (inventory.services.record_movements), carrying the
printer and the client that sent it. When a run on that printer is in progress and uses the
spool, the row is attributed to that run's material: completing or failing the run then
charges only the rest (production.services), so no gram is charged twice.
"""

import functools
import json
import secrets
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from core.locking import bound_lock_wait, busy_on_lock_timeout, lock_rows, write_step
from core.prepared import PreparedQuery, Slot
from events.services import NewEvent, record_events, tenant_has_active_webhook
from inventory.models import ZERO, InventoryTransaction, Spool, TransactionType
from inventory.services import MAX_WEIGHT_G, Movement, record_movements, used_at
from production.models import Printer, ProductionRun, ProductionRunMaterial
from production.status_codes import RunStatus
from spoolman import shapes
from spoolman.models import KEY_PREFIX, IntegrationKey, KeyScope, key_digest
from tenants.contracts import Actor, acting_user, ensure_same_tenant
from tenants.models import Membership, Role, Tenant
from tenants.row_security import EnteringTenant, after_entering_sql
from tenants.scoping import ScopedQuery, all_tenants

CENTS = Decimal("0.01")
# The precision of a spool's carried sub-cent use (`Spool.unbooked_use_g`).
MICROGRAMS = Decimal("0.000001")


@dataclass(frozen=True, kw_only=True)
class KeyDraft:
    """A key to issue: a `printer` key names its printer; a `manage` key may name one (its use
    reports are then attributed to that printer's run) or none."""

    printer: Printer | None = None
    name: str = ""
    scope: KeyScope = KeyScope.PRINTER


@dataclass(frozen=True, kw_only=True)
class IssuedKey:
    """A new key and its secret: the only moment the secret exists outside the client."""

    key: IntegrationKey
    secret: str


# The roles that may issue a manage key (SPEC section 2: admins and owners manage the tenant's keys).
KEY_MANAGERS = (Role.ADMIN, Role.OWNER)


def create_key(*, tenant: Tenant, user: Actor, draft: KeyDraft) -> IssuedKey:
    """A new key; only its digest is stored.

    A `printer` key needs `draft.printer`. A `manage` key needs a user who is an admin or owner of
    `tenant` now (it will act as that user, with the role the user holds at each request).
    """
    scope = KeyScope(draft.scope)
    if draft.printer is not None:
        ensure_same_tenant(tenant, draft.printer)
    elif scope == KeyScope.PRINTER:
        raise InvalidInput("A printer key needs its printer.", code=ErrorCode.INVALID)
    creator = acting_user(user)
    if scope == KeyScope.MANAGE:
        role = None
        if creator is not None:
            role = Membership.objects.filter(tenant=tenant, user=creator).values_list("role", flat=True).first()
        if role not in KEY_MANAGERS:
            raise DomainError("Only admins and owners may create manage keys.", code=ErrorCode.PERMISSION_DENIED)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = IntegrationKey.objects.create(
        tenant=tenant,
        scope=scope,
        printer=draft.printer,
        name=draft.name,
        prefix=secret[: len(KEY_PREFIX) + 4],
        digest=key_digest(secret),
        created_by=creator,
    )
    return IssuedKey(key=key, secret=secret)


def revoke_key(*, key: IntegrationKey) -> IntegrationKey:
    """From now on the key authenticates nothing; revoking twice keeps the first moment."""
    with transaction.atomic():
        (key,) = lock_rows(IntegrationKey.objects.filter(pk=key.pk))
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
    return key


# A key's printer is active (a key without a printer has none to deactivate).
PRINTER_ACTIVE = Q(printer__isnull=True) | Q(printer__is_active=True)


def keys_in_force() -> QuerySet[IntegrationKey]:
    """The keys that authenticate: not revoked, their printer (if any) active, and for a manage key
    its creator an active user who is still a member of the key's tenant.

    Each key carries `creator_role`, the role its creator holds in its tenant now (an annotation:
    None for a printer key's creator who is no member, which such a key does not need). One
    statement, whatever is loaded with it: the membership is a subquery of the key's row.
    """
    role = Membership.objects.filter(
        tenant_id=OuterRef("tenant_id"), user_id=OuterRef("created_by_id"), user__is_active=True
    ).values("role")[:1]
    return (
        IntegrationKey.objects.annotate(creator_role=Subquery(role))
        .filter(PRINTER_ACTIVE, revoked_at__isnull=True)
        .filter(Q(scope=KeyScope.PRINTER) | Q(creator_role__isnull=False))
    )


@dataclass(frozen=True, kw_only=True)
class EnteringRowSecurity:
    """A key lookup that enters its key's tenant's row security (tenants.row_security): `write`, a write's too."""

    write: bool = False


def authenticate(secret: str, *, entering: EnteringRowSecurity | None = None) -> IntegrationKey | None:
    """The key in force with this secret (`keys_in_force`), else None: a revoked key, one of a printer
    that was deactivated, or a manage key whose creator left the tenant authenticates nothing.

    One statement: the key with its tenant, printer and creator, and its creator's current role
    (`key.role`, what a manage key may do). Looked up across tenants by digest, before any tenant
    is known: the one query the integration API runs outside its tenant's scope. Read at every
    request, so a revocation or a change of the creator's role applies to the very next one.

    `entering` (PostgreSQL, inside the request's row-security transaction): the key's row also
    enters its tenant's row security, in the same message (`key_lookup`); the caller rolls that
    transaction back when the key is None or refused.
    """
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    with all_tenants():
        found = key_lookup(entering).run(digest=key_digest(secret))
    return found[0] if found else None


@functools.cache
def key_lookup(entering: EnteringRowSecurity | None = None) -> ScopedQuery:
    """`keys_in_force` with what a request needs loaded, the key of a digest (a slot), built and compiled
    once per process: building and compiling it (the creator's role subquery, three joins) cost
    each Spoolman request about a millisecond of CPU, for SQL that is the same for every key.
    `first()`'s query: in the keys' order (`-created_at`), the first.

    `entering`: the key's row sets its tenant for the row security (`EnteringTenant`), and the
    message goes on with the application role and, for a write, the write's bounds: the request's
    tenant entered in the lookup's round trip instead of one of its own.
    """
    digest = Slot("digest", IntegrationKey._meta.get_field("digest"))
    loaded = ("printer", "tenant", "created_by")

    def build() -> QuerySet[IntegrationKey]:
        keys = keys_in_force().select_related(*loaded).filter(digest=digest)
        if entering is not None:
            keys = keys.annotate(entered_tenant=EnteringTenant("tenant_id"))
        return keys[:1]

    if entering is None:
        return ScopedQuery(build)
    then = after_entering_sql(write=entering.write)
    return ScopedQuery(build, functools.partial(PreparedQuery, then=then))


def key_actor(key: IntegrationKey) -> User | None:
    """Who a key's writes are recorded under: a manage key's creator; nobody for a printer key (its
    printer is named instead, `key_label`)."""
    return key.created_by if key.is_manage else None


def key_label(key: IntegrationKey) -> str:
    """How a key's writes are named in the events and the ledger's descriptions."""
    if key.is_manage:
        return key.created_by.get_username() if key.created_by is not None else f"key:{key.prefix}"
    return f"printer:{key.printer.name}" if key.printer is not None else f"key:{key.prefix}"


def _reported_by(key: IntegrationKey) -> str:
    """The ledger row's description of a key's report: its printer, else the manage key's creator."""
    if key.printer is not None:
        return f"printer {key.printer.name}"
    return f"Spoolman key {key.prefix} of {key_label(key)}"


@dataclass(frozen=True, kw_only=True)
class ReportedSpool:
    """A spool locked for a printer's report in this transaction, read with all the report and its
    answer need in one statement (`lock_for_report`).

    `spool` has its material and the material's vendor loaded (what spoolman.shapes renders);
    `run_material` is the material line of the printer's in-progress run that uses it (its run
    locked, as every run operation locks it first), or None; `webhooks_active` whether the tenant
    has active webhooks (events.services).
    """

    spool: Spool
    run_material: "AttributedRun | None"
    webhooks_active: bool


@dataclass(frozen=True, kw_only=True)
class AttributedRun:
    """The material line (and its run) a printer's report of a spool is charged to."""

    material_id: uuid.UUID
    run_id: uuid.UUID
    run_number: str


@dataclass(frozen=True, kw_only=True)
class UseReport:
    """`grams` of `spool` the key's printer says it used; `source` names the client (Moonraker...).

    `spool`: a `ReportedSpool` the caller locked in this transaction, or a `Spool` the service
    locks (once) itself.
    """

    spool: "Spool | ReportedSpool"
    grams: Decimal
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """A weighing of `spool` (as in `UseReport`) on its reel: `gross_weight_g` includes the empty spool."""

    spool: "Spool | ReportedSpool"
    gross_weight_g: Decimal
    source: str = ""


def grams(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def lock_for_report(
    *, key: IntegrationKey, number: int | None = None, pk: uuid.UUID | None = None, attribute: bool = True
) -> ReportedSpool | None:
    """The key's tenant's spool of `number` (or `pk`), locked, with what a report needs (`ReportedSpool`),
    in one statement; None when there is none.

    `attribute`: also find (and lock) the material line of the printer's in-progress run that uses the
    spool (the latest started). The run is locked before the spool, in the same statement (its
    subquery runs as the spool's row is read, the spool's lock is taken on the row it returns), the
    order every run operation takes them in: a completion of that run waits for this report, then
    charges only the rest. A run that ended while this waited is not attributed.
    """
    attributed = attribute and key.printer_id is not None
    query = report_lookup(by_pk=pk is not None, attributed=attributed)
    values: dict[str, object] = {"tenant": key.tenant_id, "spool": pk if pk is not None else number or 0}
    if attributed:
        values["printer"] = key.printer_id
    bound_lock_wait()
    with busy_on_lock_timeout():
        found = query.run(**values)
    if not found:
        return None
    (spool,) = found
    attribution: Any = getattr(spool, "attribution", None)
    if isinstance(attribution, str):  # a backend that answers JSON as text
        attribution = json.loads(attribution)
    run_material = None
    if attribution:
        run_material = AttributedRun(
            material_id=uuid.UUID(str(attribution["material"])),
            run_id=uuid.UUID(str(attribution["run"])),
            run_number=attribution["number"],
        )
    return ReportedSpool(spool=spool, run_material=run_material, webhooks_active=spool.webhooks_active)


@functools.cache
def report_lookup(*, by_pk: bool, attributed: bool) -> ScopedQuery:
    """`lock_for_report`'s statement, built and compiled once per process for each of its forms: building
    and compiling it (two subqueries, a JSON object, three joins) cost each printer's report about
    a millisecond and a half of CPU. Its slots: the key's tenant, the spool's `number` (or its
    `pk`), and when `attributed` the key's printer.
    """
    return ScopedQuery(lambda: _report_spools(by_pk=by_pk, attributed=attributed))


def _report_spools(*, by_pk: bool, attributed: bool) -> QuerySet[Spool]:
    # A spool Spoolman's API deleted (kept for its history, `removed_at`) is no longer there for it.
    tenant = Slot("tenant", Spool._meta.get_field("tenant"))
    spools = Spool.objects.filter(tenant_id=tenant, removed_at__isnull=True)
    if by_pk:
        spools = spools.filter(pk=Slot("spool", Spool._meta.get_field("id")))
    else:
        spools = spools.filter(number=Slot("spool", Spool._meta.get_field("number")))
    spools = shapes.with_filament(spools).annotate(webhooks_active=tenant_has_active_webhook())
    if attributed:
        # The run alone is locked: the subquery's FOR UPDATE takes every table of its FROM (Django
        # writes no `OF` in a subquery), and the run's material line, which a completion updates
        # under the run's lock, is only looked up.
        line = ProductionRunMaterial.objects.filter(run=OuterRef("pk"), spool=OuterRef(OuterRef("pk")))
        candidates = (
            ProductionRun.all_objects.filter(
                pk__in=ProductionRunMaterial.objects.filter(spool=OuterRef(OuterRef("pk"))).values("run_id"),
                printer_id=Slot("printer", ProductionRun._meta.get_field("printer")),
                status=RunStatus.IN_PROGRESS,
                deleted_at__isnull=True,
            )
            .order_by("-started_at", "-pk")
            .select_for_update()
            .values(found=JSONObject(material=Subquery(line.values("pk")[:1]), run="pk", number="run_number"))[:1]
        )
        # Named in the WHERE too: a condition is evaluated before its row is passed up to be locked,
        # so the run is locked first; the value (above) may be computed after the spool's lock, and
        # then reads the run as this transaction locked it.
        spools = spools.annotate(attribution=Subquery(candidates, output_field=JSONField())).filter(
            Q(attribution__isnull=True) | Q(attribution__isnull=False)
        )
    # Unordered: a number or id names one spool of the tenant.
    return spools.order_by().select_for_update(of=("self",))


def _locked(key: IntegrationKey, spool: Spool | ReportedSpool, *, attribute: bool) -> ReportedSpool:
    """The report's spool as a `ReportedSpool`: the caller's, or locked here (a 404 if it is gone)."""
    if isinstance(spool, ReportedSpool):
        ensure_same_tenant(key.tenant_id, spool.spool)
        return spool
    ensure_same_tenant(key.tenant_id, spool)
    reported = lock_for_report(key=key, pk=spool.pk, attribute=attribute)
    if reported is None:
        raise NotFound("The spool was deleted by another request.")
    return reported


def report_use(*, key: IntegrationKey, report: UseReport) -> InventoryTransaction | None:
    """Book `report.grams` off the spool as one `printer_use` row, attributed to the printer's run if one uses it.

    The ledger books whole cents of a gram; what a report leaves below a cent is carried on the
    spool (`unbooked_use_g`) into its next report. Moonraker reports every 5 s, often a few
    hundredths of a gram: rounding each report on its own would book a steady print's use
    wrong by up to half a cent per report, always the same way. Carried, the booked total
    never trails the reported total by a cent or more. A report that does not complete a cent
    writes no row (None).

    Its statements: the spool's locked read (`lock_for_report`, unless the caller did it), the
    ledger row, the spool's UPDATE (weight, carried use and use dates together), the events' INSERT.
    The `ReportedSpool`'s spool is left as stored, its `last_used` included, for the answer.
    """
    if report.grams < ZERO:
        raise InvalidInput("The use must not be negative.", code=ErrorCode.INVALID)
    with write_step():
        reported = _locked(key, report.spool, attribute=True)
        spool, material = reported.spool, reported.run_material
        total = report.grams + spool.unbooked_use_g
        used = total.quantize(CENTS, rounding=ROUND_DOWN)
        carried = (total - used).quantize(MICROGRAMS, rounding=ROUND_HALF_UP)
        if used == ZERO:
            # No row, but a use all the same (Spoolman sets its dates at every use, even of 0 g).
            spool.unbooked_use_g = carried
            used_at(spool, timezone.now())
            Spool.objects.filter(pk=spool.pk).update(
                unbooked_use_g=carried, first_used=spool.first_used, last_used=spool.last_used
            )
            return None
        spool.unbooked_use_g = carried
        taken = min(used, spool.current_weight_g)
        also_save = ["unbooked_use_g"]
        if used > taken:
            # Beyond what it held: booked to 0 g (the row's `excess_g`), kept on the spool for Spoolman's
            # used weight, in the same UPDATE.
            spool.overused_g += used - taken
            also_save.append("overused_g")
        where = f" during run {material.run_number}" if material is not None else ""
        events: list[NewEvent] = []
        (row,) = record_movements(
            movements=[
                Movement(
                    spool_id=spool.pk,
                    type=TransactionType.PRINTER_USE,
                    change_g=-taken,
                    description=f"Reported by {_reported_by(key)}{where}",
                    production_run_id=material.run_id if material is not None else None,
                    production_run_material_id=material.material_id if material is not None else None,
                    printer_id=key.printer_id,
                    source=report.source[:100],
                    excess_g=used - taken,
                )
            ],
            user=key_actor(key),
            event_type="spool.adjusted",
            events=events,
            locked={spool.pk: spool},
            also_save=also_save,
        )
        # `record_movements` set the locked spool's weight and use dates as it wrote them.
        _record_printer_events(key, events, webhooks_active=reported.webhooks_active)
    return row


def _record_printer_events(key: IntegrationKey, events: list[NewEvent], *, webhooks_active: bool | None = None) -> None:
    """The write's events (`spool.adjusted`, and `spool.low_stock`/`spool.empty` on crossing), by the
    printer (a printer key) or the manage key's creator.

    They feed the events API, the webhooks and the Spoolman websockets (spoolman.consumers).
    """
    record_events(
        tenant=key.tenant_id,
        actor=key_actor(key),
        actor_label=key_label(key),
        events=events,
        webhooks_active=webhooks_active,
    )


def record_measurement(*, key: IntegrationKey, measurement: Measurement) -> InventoryTransaction:
    """A printer-side weighing: the spool's weight becomes gross minus its empty reel, as a `count` row."""
    with write_step():
        reported = _locked(key, measurement.spool, attribute=False)
        spool = reported.spool
        if not spool.initial_weight_g:
            raise InvalidInput("Initial weight is not set.", code=ErrorCode.INVALID)
        # As Spoolman weighs: the spool's empty weight, else its filament's, else none (the filament alone).
        tare = spool.empty_spool_weight_g
        if tare is None:
            tare = spool.material.spool_weight_g if spool.material.spool_weight_g is not None else ZERO
        gross = grams(measurement.gross_weight_g)
        net = max(gross - tare, ZERO)  # less than the empty spool: all of it used
        if net > MAX_WEIGHT_G:
            raise InvalidInput(f"A gross weight of {gross} g is more than can be recorded.", code=ErrorCode.INVALID)
        also_save = ["unbooked_use_g", "overused_g"]
        if net > spool.initial_weight_g:
            # Heavier than it started: it started with this (Spoolman resets its initial weight), not used.
            spool.initial_weight_g = net
            also_save.append("initial_weight_g")
        else:
            used_at(spool, timezone.now())  # a weighing is a use in Spoolman: its dates are set
            also_save += ["first_used", "last_used"]
        # The weighing is the truth: use below a cent reported before it is in it, and use reported
        # beyond what the spool held no longer counts (Spoolman's used weight is set by it).
        spool.unbooked_use_g = spool.overused_g = ZERO
        events: list[NewEvent] = []
        (row,) = record_movements(
            movements=[
                Movement(
                    spool_id=spool.pk,
                    type=TransactionType.COUNT,
                    new_weight_g=net,
                    description=f"Weighed on printer {key.printer.name}"
                    if key.printer is not None
                    else f"Weighed through {_reported_by(key)}",
                    printer_id=key.printer_id,
                    source=measurement.source[:100],
                )
            ],
            user=key_actor(key),
            event_type="spool.adjusted",
            events=events,
            locked={spool.pk: spool},
            also_save=also_save,
        )
        _record_printer_events(key, events, webhooks_active=reported.webhooks_active)
    return row
