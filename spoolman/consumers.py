"""Spoolman's websocket: `/spoolman/<key>/api/v1/`, `.../spool` and `.../spool/<number>`.

A client (Moonraker connects to `.../spool` before it reports any use) gets one message
`{"type": "added"|"updated", "resource": "spool", "date", "payload": <the spool>}` per change
of a spool of its tenant (or of that one spool), like Spoolman's own.

Changes come from the events outbox (events.models.Event), which every process writes in the
transaction of the change: each connection polls its tenant's new spool events every
`SPOOLMAN_WS_POLL_SECONDS` (0.5 s) through the events feed (`events.selectors.feed`: commit
order from a cursor, so a change whose transaction commits late is not skipped), so a change
made by any worker or process reaches every connected client in well under 2 s, with no
Redis or channel layer. The cost is two indexed queries (the feed, the key) per connection and interval.

Each poll first checks, in the same row-security transaction, that the connection's key is still
in force: not revoked, its printer (a manage key may have none) active, a manage key's creator
still a member of the tenant, and still a row of its tenant (a deleted printer or tenant takes
its keys with it). Otherwise the socket is closed with code 4401 before it is served
anything more: a revoked key stops receiving within one poll, as it stops authenticating at once.
"""

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from events import selectors
from inventory.models import Spool
from spoolman import services, shapes
from tenants.row_security import tenant_row_security
from tenants.scoping import tenant_scope

MESSAGE_TYPES = {"spool.created": "added", "spool.updated": "updated", "spool.adjusted": "updated"}
BATCH = 200
# The close code of a socket whose key is no longer in force (as the refused handshake's).
KEY_NOT_IN_FORCE = 4401


def latest_event_id(tenant) -> int | None:
    with tenant_scope(tenant), tenant_row_security(tenant):
        return selectors.last_served(tenant=tenant)


def spool_messages(tenant, cursor, spool_number=None):
    """The Spoolman messages of the tenant's spool events after `cursor`, and the new cursor."""
    with tenant_scope(tenant), tenant_row_security(tenant):
        return _spool_messages(tenant, cursor, spool_number)


def poll_for(key, cursor, spool_number=None):
    """`(False, [], cursor)` once `key` is no longer in force, else `(True, messages, new cursor)`.

    The key is checked after the feed is read: a change the feed saw committed after the key's
    revocation, so the check's later snapshot sees the revocation too, and the change is not served.
    """
    tenant = key.tenant
    with tenant_scope(tenant), tenant_row_security(tenant):
        messages, new_cursor = _spool_messages(tenant, cursor, spool_number)
        if not in_force(key):
            return False, [], cursor
        return True, messages, new_cursor


def in_force(key) -> bool:
    """The key is in force (services.keys_in_force: not revoked, its printer, if it has one, active, a
    manage key's creator still a member) and still its tenant's, read under its row security."""
    return services.keys_in_force().filter(pk=key.pk, tenant_id=key.tenant_id).exists()


def _spool_messages(tenant, cursor, spool_number):
    events = selectors.feed(tenant=tenant, after=cursor, types=list(MESSAGE_TYPES), limit=BATCH)
    if not events:
        return [], cursor
    spools = Spool.objects.for_tenant(tenant).filter(pk__in={event.resource_id for event in events})
    if spool_number is not None:
        spools = spools.filter(number=spool_number)
    by_id = {spool.pk: spool for spool in shapes.with_filament(spools)}
    messages = [
        {
            "type": MESSAGE_TYPES[event.type],
            "resource": "spool",
            "date": shapes.iso(event.occurred_at),
            "payload": shapes.spool(by_id[event.resource_id]),
        }
        for event in events
        if event.resource_id in by_id
    ]
    return messages, events[-1].id


class SpoolEventsConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.spool_number = int(kwargs["spool_id"]) if kwargs.get("spool_id") else None
        key = await database_sync_to_async(services.authenticate)(kwargs["key"])
        if key is None:
            await self.close(code=KEY_NOT_IN_FORCE)  # before the handshake: the client gets a 403
            return
        self.key, self.tenant = key, key.tenant
        self.cursor = await database_sync_to_async(latest_event_id)(self.tenant)
        await self.accept()
        self.poller = asyncio.create_task(self.poll())

    async def disconnect(self, code):
        poller = getattr(self, "poller", None)
        if poller is not None:
            poller.cancel()

    async def receive(self, text_data=None, bytes_data=None):
        pass  # Spoolman's socket only speaks; clients send nothing but pings, which the server answers

    async def poll(self):
        interval = settings.SPOOLMAN_WS_POLL_SECONDS
        while True:
            await asyncio.sleep(interval)
            served, messages, self.cursor = await database_sync_to_async(poll_for)(
                self.key, self.cursor, self.spool_number
            )
            if not served:
                await self.close(code=KEY_NOT_IN_FORCE)
                return
            for message in messages:
                await self.send(text_data=json.dumps(message))
