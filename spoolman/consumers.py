"""Spoolman's websockets: `/spoolman/<key>/api/v1/` (everything), `vendor`, `vendor/<id>`, `filament`,
`filament/<id>`, `spool`, `spool/<id>`, `setting`, `setting/<key>`.

A client gets one message per change of its tenant's records of the socket's kind (of that one
record on `<kind>/<id>`; of every kind on the root), as Spoolman sends them:
`{"type": "added"|"updated"|"deleted", "resource": "vendor"|"filament"|"spool"|"setting", "date",
"payload"}`, the payload the record's Spoolman shape (spoolman.shapes: what a GET of it answers)
or, for a setting, `{"key", "setting": {"value", "is_set", "type"}}`. Moonraker connects to
`.../spool` before it reports any use. As Spoolman's, a socket answers any text a client sends
with `{"status": "healthy"}`.

The changes are the events of the outbox (events.models.Event), which every process writes in the
transaction of the change: `vendor.*`, `material.*` (a filament), `spool.created`, `spool.updated`,
`spool.adjusted` (a use, a weighing, an adjustment) and `spool.deleted`, `setting.*`, and `field.*`
(an extra field's definition: Spoolman announces it as its `extra_fields_<entity>` setting). A
change of a filament or vendor is not fanned out to its spools (Spoolman does not either). Each
connection polls its tenant's new events every `SPOOLMAN_WS_POLL_SECONDS` (0.5 s) through the events
feed (`events.selectors.feed`: commit order from a cursor, so a change whose transaction commits late
is not skipped), so a change made by any worker or process reaches every connected client in well
under 2 s, with no Redis or channel layer. A record is shown as it is when the poll reads it; one
that is gone (deleted) as its event recorded it.

Each poll first checks, in the same row-security transaction, that the connection's key is still
in force: not revoked, its printer (a manage key may have none) active, a manage key's creator
still a member of the tenant, and still a row of its tenant (a deleted printer or tenant takes
its keys with it). Otherwise the socket is closed with code 4401 before it is served
anything more: a revoked key stops receiving within one poll, as it stops authenticating at once.

A handshake from a foreign browser origin is refused before it is accepted (spoolman.origins;
uvicorn answers it 403), as one with an unknown key.
"""

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from events import selectors
from inventory.models import Material, Spool, Vendor
from spoolman import catalogue, origins, services, shapes
from spoolman.models import EntityType
from tenants.row_security import tenant_row_security
from tenants.scoping import tenant_scope

# An event type: the resource and type of its Spoolman message.
MESSAGES = {
    "vendor.created": ("vendor", "added"),
    "vendor.updated": ("vendor", "updated"),
    "vendor.deleted": ("vendor", "deleted"),
    "material.created": ("filament", "added"),
    "material.updated": ("filament", "updated"),
    "material.deleted": ("filament", "deleted"),
    # Deleted through Spoolman's API but kept for the ledger (`removed_at`): deleted there.
    "material.removed": ("filament", "deleted"),
    "spool.created": ("spool", "added"),
    "spool.updated": ("spool", "updated"),
    "spool.adjusted": ("spool", "updated"),
    "spool.deleted": ("spool", "deleted"),
    "spool.archived": ("spool", "deleted"),  # deleted through Spoolman's API, kept for its ledger
    "setting.updated": ("setting", "updated"),
    "setting.deleted": ("setting", "deleted"),
    "field.created": ("setting", "updated"),
    "field.updated": ("setting", "updated"),
    "field.deleted": ("setting", "updated"),
}
# Kept for the spool-only readers (Moonraker's socket).
MESSAGE_TYPES = {event_type: kind for event_type, (resource, kind) in MESSAGES.items() if resource == "spool"}
MODELS = {"vendor": Vendor, "filament": Material, "spool": Spool}
BATCH = 200
# The close code of a socket whose key is no longer in force (as the refused handshake's).
KEY_NOT_IN_FORCE = 4401
# Spoolman's close code of a handshake refused for its origin (and of an unknown setting's).
FOREIGN_ORIGIN = 4403
UNKNOWN_SETTING = 4040
HEALTHY = json.dumps({"status": "healthy"})


@dataclass(frozen=True)
class Subscription:
    """What a socket listens to: every resource (None), or one, or one record of it (its number, or a setting's key)."""

    resource: str | None = None
    ident: str | None = None

    def event_types(self) -> list[str]:
        return [event_type for event_type, (resource, _) in MESSAGES.items() if self.resource in (None, resource)]

    def wants(self, message: dict[str, Any]) -> bool:
        if self.ident is None:
            return True
        payload = message["payload"]
        ident = payload.get("key") if message["resource"] == "setting" else payload.get("id")
        return str(ident) == self.ident


EVERYTHING = Subscription()  # the root's


def latest_event_id(tenant) -> int | None:
    return opening_cursor(tenant)[0]


def opening_cursor(tenant) -> tuple[int | None, frozenset[int]]:
    """A new socket's cursor (the feed's last served event) and the events it must not serve: those
    committed before it opened that the feed still holds back (an older transaction was running), so
    a change made before the handshake is not heard as a new one."""
    with tenant_scope(tenant), tenant_row_security(tenant):
        cursor = selectors.last_served(tenant=tenant)
        # Read after the cursor: whatever the feed served meanwhile is in it, committed before the handshake.
        return cursor, selectors.committed_after(tenant=tenant, after=cursor)


def spool_messages(tenant, cursor, spool_number=None):
    """The Spoolman messages of the tenant's spool events after `cursor`, and the new cursor."""
    subscription = Subscription("spool", None if spool_number is None else str(spool_number))
    with tenant_scope(tenant), tenant_row_security(tenant):
        return messages_after(tenant, cursor, subscription)


def poll_for(key, cursor, subscription=EVERYTHING, skip: frozenset[int] = frozenset()):
    """`(False, [], cursor)` once `key` is no longer in force, else `(True, messages, new cursor)`.

    The key is checked after the feed is read: a change the feed saw committed after the key's
    revocation, so the check's later snapshot sees the revocation too, and the change is not served.
    """
    tenant = key.tenant
    with tenant_scope(tenant), tenant_row_security(tenant):
        messages, new_cursor = messages_after(tenant, cursor, subscription, skip)
        if not in_force(key):
            return False, [], cursor
        return True, messages, new_cursor


def in_force(key) -> bool:
    """The key is in force (services.keys_in_force: not revoked, its printer, if it has one, active, a
    manage key's creator still a member) and still its tenant's, read under its row security."""
    return services.keys_in_force().filter(pk=key.pk, tenant_id=key.tenant_id).exists()


def messages_after(tenant, cursor, subscription: Subscription, skip: frozenset[int] = frozenset()):
    """The Spoolman messages of the subscription's events after `cursor` but those of `skip`, and the new cursor."""
    events = selectors.feed(tenant=tenant, after=cursor, types=subscription.event_types(), limit=BATCH)
    if not events:
        return [], cursor
    shown = current_shapes(tenant, events)
    messages = []
    for event in events:
        if event.id in skip:
            continue
        resource, kind = MESSAGES[event.type]
        payload = shown.get((resource, event.resource_id))
        if payload is None:
            payload = recorded_shape(tenant, resource, event)
        if payload is None:
            continue
        message = {"type": kind, "resource": resource, "date": shapes.iso(event.occurred_at), "payload": payload}
        if subscription.wants(message):
            messages.append(message)
    return messages, events[-1].id


def current_shapes(tenant, events) -> dict[tuple[str, Any], dict[str, Any]]:
    """The Spoolman shapes, as they are now, of the records the events name that still exist
    (one query per kind of record), keyed by (resource, record id)."""
    ids: dict[str, set] = {resource: set() for resource in MODELS}
    for event in events:
        resource = MESSAGES[event.type][0]
        if resource in ids:
            ids[resource].add(event.resource_id)
    found: dict[tuple[str, Any], dict[str, Any]] = {}
    if ids["vendor"]:
        for vendor in Vendor.objects.for_tenant(tenant).filter(pk__in=ids["vendor"]):
            found["vendor", vendor.pk] = shapes.vendor(vendor)
    if ids["filament"]:
        materials = Material.objects.for_tenant(tenant).select_related("vendor").filter(pk__in=ids["filament"])
        for material in materials:
            found["filament", material.pk] = shapes.filament(material)
    if ids["spool"]:
        for spool in shapes.with_filament(Spool.objects.for_tenant(tenant).filter(pk__in=ids["spool"])):
            found["spool", spool.pk] = shapes.spool(spool)
    return found


def recorded_shape(tenant, resource, event) -> dict[str, Any] | None:
    """The shape of a record that is gone (a deleted one), from its event's payload (the record as the
    REST API showed it then), with the records it refers to as they are now; None if it cannot be shown."""
    payload = event.payload or {}
    if resource == "setting":
        if event.type.startswith("field."):
            entity = EntityType(payload.get("entity_type", EntityType.SPOOL))
            key = f"{catalogue.FIELDS_SETTING_PREFIX}{entity.value}"
            return {"key": key, "setting": catalogue.setting_of(tenant=tenant, key=key).shape()}
        return payload if "key" in payload and "setting" in payload else None
    if "number" not in payload:
        return None
    record = revived(MODELS[resource], payload)
    if resource == "vendor":
        return shapes.vendor(record)
    if resource == "filament":
        vendor = Vendor.objects.for_tenant(tenant).filter(pk=record.vendor_id) if record.vendor_id else []
        record.vendor = first(vendor)
        return shapes.filament(record)
    material = first(Material.objects.for_tenant(tenant).select_related("vendor").filter(pk=record.material_id))
    if material is None:
        return {"id": record.number}
    record.material = material
    return shapes.spool(record)


def first(rows: Iterable):
    return next(iter(rows), None)


def revived(model, payload: dict[str, Any]):
    """An unsaved instance of `model` with the fields `payload` (a REST serializer's data) holds."""
    record = model()
    for field in model._meta.concrete_fields:
        if field.name not in payload:
            continue
        value = payload[field.name]
        if field.is_relation:
            setattr(record, field.attname, value)
            continue
        try:
            setattr(record, field.attname, field.to_python(value))
        except (ValidationError, TypeError, ValueError):
            continue
    return record


class SpoolmanEventsConsumer(AsyncWebsocketConsumer):
    """One socket of the key's tenant: its subscription from the path (`resource`, `ident`)."""

    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.subscription = Subscription(kwargs.get("resource"), kwargs.get("ident"))
        if not origins.handshake_is_trusted(self.scope):
            await self.close(code=FOREIGN_ORIGIN)  # before the handshake: the client gets a 403
            return
        key = await database_sync_to_async(services.authenticate)(kwargs["key"])
        if key is None:
            await self.close(code=KEY_NOT_IN_FORCE)  # a 403 too
            return
        self.key, self.tenant = key, key.tenant
        wanted = self.subscription
        if wanted.resource == "setting" and wanted.ident is not None and wanted.ident not in catalogue.SETTINGS:
            await self.close(code=UNKNOWN_SETTING)
            return
        self.cursor, self.before = await database_sync_to_async(opening_cursor)(self.tenant)
        await self.accept()
        self.poller = asyncio.create_task(self.poll())

    async def disconnect(self, code):
        poller = getattr(self, "poller", None)
        if poller is not None:
            poller.cancel()

    async def receive(self, text_data=None, bytes_data=None):
        if text_data:  # Spoolman's socket answers a client's text (its ping) with its health
            await self.send(text_data=HEALTHY)

    async def poll(self):
        interval = settings.SPOOLMAN_WS_POLL_SECONDS
        while True:
            await asyncio.sleep(interval)
            served, messages, self.cursor = await database_sync_to_async(poll_for)(
                self.key, self.cursor, self.subscription, self.before
            )
            if not served:
                await self.close(code=KEY_NOT_IN_FORCE)
                return
            for message in messages:
                await self.send(text_data=json.dumps(message))


SpoolEventsConsumer = SpoolmanEventsConsumer  # its name while it served spools only
