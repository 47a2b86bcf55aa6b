"""The feed never skips an event whose transaction commits after a later-numbered one (PostgreSQL).

Two writers in their own connections interleave so that the event with the SMALLER id commits
LAST, while a reader reads the feed in between and reads on from its cursor afterwards. A feed
served by id without regard to running transactions hands the reader the later event first, moves
its cursor past the earlier one, and never serves it. The reader must end with both, once each.
"""

import threading
import uuid

import pytest
from django.db import connection, transaction

from events.selectors import feed
from events.services import record_event
from tenants.scoping import all_tenants
from tests.conftest import postgres_only
from tests.support.webhooks import poll

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
WAIT_S = 60


class Writer(threading.Thread):
    """A transaction in its own connection, advanced step by step: `begin` (takes its transaction id),
    `insert` (records one event), `commit`."""

    def __init__(self, tenant):
        super().__init__(daemon=True)
        self.tenant = tenant
        self.steps = {name: threading.Event() for name in ("begin", "insert", "commit")}
        self.done = {name: threading.Event() for name in self.steps}
        self.event = None
        self.error = None

    def run(self):
        try:
            with all_tenants(), transaction.atomic():
                self.step("begin", lambda: connection.cursor().execute("SELECT pg_current_xact_id()"))
                self.step("insert", self.insert)
                self.steps["commit"].wait(WAIT_S)
            self.done["commit"].set()
        except BaseException as exc:  # surfaced by `do`
            self.error = exc
            for done in self.done.values():
                done.set()
        finally:
            connection.close()

    def step(self, name, action):
        self.steps[name].wait(WAIT_S)
        action()
        self.done[name].set()

    def insert(self):
        self.event = record_event(
            tenant=self.tenant, type="run.created", resource="run", resource_id=uuid.uuid4(), actor=None, payload={}
        )

    def do(self, name):
        self.steps[name].set()
        assert self.done[name].wait(WAIT_S), f"writer stuck at {name}"
        assert self.error is None, self.error


def read(tenant, after):
    return feed(tenant=tenant, after=after, limit=100)


def interleave(tenant, order, after):
    """Run the writers' steps and the reader's read from `after` in `order`; return what that read
    served, the reader's cursor, and both events."""
    writers = {"A": Writer(tenant), "B": Writer(tenant)}
    for writer in writers.values():
        writer.start()
    seen = []
    for step in order:
        if step == "read":
            seen = read(tenant, after)
            after = seen[-1].pk if seen else after
        else:
            name, action = step.split()
            writers[name].do(action)
    for writer in writers.values():
        writer.join(WAIT_S)
    return seen, after, {writer.event.pk for writer in writers.values()}


def test_an_event_committed_after_a_later_numbered_one_is_still_served_after_it(tenant):
    """A inserts first (smaller id) and commits last; the reader reads while only B has committed,
    then reads on from its cursor: it must get A's event then, and nothing twice."""
    order = ["A begin", "A insert", "B begin", "B insert", "B commit", "read", "A commit"]

    seen, after, ids = interleave(tenant, order, None)
    rest = poll(lambda: read(tenant, after), lambda page: len(seen) + len(page) >= 2)

    assert sorted(event.pk for event in [*seen, *rest]) == sorted(ids), "an event was skipped or served twice"


def test_events_are_served_in_the_order_of_their_transactions_not_of_their_ids(tenant):
    """B's transaction is newer but takes the smaller id; A's commits first. A reader may be handed
    A's event (its transaction ended first) before B's commits, so B's must come after A's in the
    feed, and reading on from A's event must still give B's."""
    order = ["A begin", "B begin", "B insert", "A insert", "A commit", "read", "B commit"]

    _seen, _after, _ids = interleave(tenant, order, None)
    events = poll(lambda: read(tenant, None), lambda page: len(page) >= 2)
    a_event, b_event = sorted(events, key=lambda event: -event.pk)  # A's has the larger id

    assert b_event.pk < a_event.pk
    assert [event.pk for event in events] == [a_event.pk, b_event.pk]
    assert [event.pk for event in read(tenant, a_event.pk)] == [b_event.pk]
    assert read(tenant, b_event.pk) == []
