"""GET /api/v1/events/: the tenant's events in commit order, read on with a cursor, each exactly once.

The writes commit (transactional tests): on PostgreSQL the feed serves an event only once its
transaction has ended, so a test's own uncommitted writes would never show.
"""

import pytest

from events.models import Event
from tests.support.webhooks import poll

pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/api/v1/events/"


def read_feed(client, **params):
    """Every event the feed serves from `after` on, page by page, waiting for the writes to show."""
    expected = Event.objects.filter(tenant__slug=client._credentials["HTTP_X_TENANT"]).count()
    if "after" in params:
        expected -= Event.objects.filter(id__lte=params["after"]).count()
    if "type" in params:
        expected = None

    def read():
        events, after = [], params.get("after")
        while True:
            response = client.get(FEED, {**params, **({"after": after} if after else {})})
            assert response.status_code == 200, response.content
            page = response.json()
            events += page["results"]
            after = page["next_cursor"]
            if not page["has_more"]:
                return events

    return poll(read, lambda events: expected is None or len(events) >= expected)


def test_the_feed_serves_every_change_once_in_order_across_pages(api, tenant, make_material):
    material = make_material(tenant)
    for n in range(5):
        api.post("/api/v1/spools/", {"code": f"SP-{n}", "material": str(material.pk), "initial_weight_g": "500"})

    events = read_feed(api, limit=2)

    assert [event["type"] for event in events] == ["spool.created"] * 5
    assert [event["payload"]["code"] for event in events] == [f"SP-{n}" for n in range(5)]
    assert len({event["id"] for event in events}) == 5


def test_a_page_says_where_to_read_on_and_an_empty_page_keeps_the_cursor(api, tenant, make_spool):
    make_spool(tenant)
    make_spool(tenant)
    [first, second] = read_feed(api)

    page = api.get(FEED, {"limit": 1}).json()
    assert (page["next_cursor"], page["has_more"]) == (first["id"], True)
    assert f"after={first['id']}" in page["next"]

    end = api.get(FEED, {"after": second["id"]}).json()
    assert (end["results"], end["next_cursor"], end["has_more"]) == ([], second["id"], False)


def test_reading_on_from_a_cursor_gives_only_later_events(api, tenant, make_spool):
    make_spool(tenant)
    [first] = read_feed(api)
    make_spool(tenant)

    later = read_feed(api, after=first["id"])

    assert len(later) == 1 and later[0]["id"] != first["id"]


def test_the_type_filter_keeps_only_those_types(api, manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "0"})
    read_feed(api)

    events = read_feed(api, type="spool.empty,spool.created")

    assert [event["type"] for event in events] == ["spool.created", "spool.empty"]


def test_an_event_shows_who_did_what_to_which_resource(api, member, tenant, make_material):
    material = make_material(tenant)
    created = api.post("/api/v1/spools/", {"code": "SP-1", "material": str(material.pk), "initial_weight_g": "500"})

    [event] = read_feed(api)

    assert event["type"] == "spool.created"
    assert (event["resource"], event["resource_id"]) == ("spool", created.json()["id"])
    assert event["actor"] == member.username
    assert event["payload"] == created.json()
    assert set(event) == {"id", "type", "resource", "resource_id", "occurred_at", "actor", "payload"}


def test_another_tenants_events_are_not_in_the_feed_nor_a_cursor(api, other_api, tenant, other_tenant, make_spool):
    make_spool(tenant)
    make_spool(other_tenant)
    [theirs] = read_feed(other_api)

    mine = read_feed(api)
    refused = api.get(FEED, {"after": theirs["id"]})

    assert len(mine) == 1 and mine[0]["id"] != theirs["id"]
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "x"}, "after"),
        ({"after": "0"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"type": "spool.exploded"}, "type"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, params, field):
    response = api.get(FEED, params)

    assert response.status_code == 400
    assert field in response.json()


def test_viewers_read_the_feed(viewer_api, tenant, make_spool):
    make_spool(tenant)

    assert len(read_feed(viewer_api)) == 1
