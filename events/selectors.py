"""The events feed: a tenant's events in commit order, after a cursor, never skipping a late commit.

The cursor is the id of the last event a reader processed. Ids come from a sequence, taken when a
row is inserted, so on PostgreSQL they do not commit in order: a transaction can insert event 11,
another insert event 12 and commit first. A reader that served 12 and moved its cursor past it
would then never see 11. So on PostgreSQL:

- each event stores the id of the transaction that wrote it (`xact_id`, `pg_current_xact_id()`);
- the feed serves only events whose transaction is older than the oldest transaction still
  running when the query's snapshot was taken (`pg_snapshot_xmin(pg_current_snapshot())`):
  those have all finished, so no event of theirs can appear later;
- it serves them in `(xact_id, id)` order and reads "after the cursor" as after the cursor
  event's `(xact_id, id)`. Every event that becomes visible later belongs to a transaction at
  least as new as that horizon, so it sorts after everything already served.

An event is therefore served once its own transaction and every older one still running have
ended (usually milliseconds; a long-running write transaction anywhere in the cluster holds the
feed back for as long as it runs, without losing anything).

SQLite runs one writer at a time (IMMEDIATE transactions), so its ids commit in order: `xact_id`
is 0 there and the order is the id's.
"""

from django.db import connection

from core.errors import ErrorCode, InvalidInput
from events.models import Event

# Events of transactions that had all ended when this statement's snapshot was taken.
FINISHED = "events_event.xact_id < pg_snapshot_xmin(pg_current_snapshot())"
# After the cursor event in feed order; the parameter is the cursor event's id.
AFTER_CURSOR = (
    "(events_event.xact_id, events_event.id) > "
    "(SELECT cursor.xact_id, cursor.id FROM events_event cursor WHERE cursor.id = %s)"
)


def feed(*, tenant, after=None, types=(), limit=100):
    """Up to `limit` of `tenant`'s finished events after the event `after` (an id; None: from the
    start), of `types` only if given, in feed order. A cursor that is not an event of the tenant
    is a 400 `invalid_cursor`."""
    events = Event.objects.for_tenant(tenant).select_related(None)
    if after is not None and not events.filter(pk=after).exists():
        raise InvalidInput(f"No event {after} in this tenant's feed.", code=ErrorCode.INVALID_CURSOR)
    events = _after(events, after)
    if types:
        events = events.filter(type__in=types)
    return list(events.order_by("xact_id", "id")[:limit])


def last_served(*, tenant):
    """The id of the last event `feed` would serve `tenant` now (None: none yet): a new reader's
    cursor, after which it sees every later change, a late commit included."""
    events = _after(Event.objects.for_tenant(tenant).select_related(None), None)
    return events.order_by("-xact_id", "-id").values_list("id", flat=True).first()


def committed_after(*, tenant, after=None, limit=1000) -> frozenset[int]:
    """The ids of `tenant`'s events committed now after `after` in feed order, finished or not
    (PostgreSQL; SQLite: none, its `last_served` is the last committed). A reader that starts at
    `last_served` skips them: they were committed before it started, though the feed may serve
    them later (an older transaction was still running)."""
    if connection.vendor != "postgresql":
        return frozenset()
    events = Event.objects.for_tenant(tenant).select_related(None)
    if after is not None:
        events = events.extra(where=[AFTER_CURSOR], params=[after])
    return frozenset(events.order_by("id").values_list("id", flat=True)[:limit])


def _after(events, after):
    if connection.vendor == "postgresql":
        events = events.extra(where=[FINISHED])
        if after is not None:
            events = events.extra(where=[AFTER_CURSOR], params=[after])
        return events
    return events if after is None else events.filter(pk__gt=after)


def held_back(*, tenant, after=None):
    """Whether committed events after `after` are waiting for an older transaction to end (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return False
    events = Event.objects.for_tenant(tenant)
    if after is not None:
        events = events.extra(where=[AFTER_CURSOR], params=[after])
    return events.extra(where=[f"NOT ({FINISHED})"]).exists()
