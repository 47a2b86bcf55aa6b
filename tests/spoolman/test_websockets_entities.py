"""Spoolman's websockets for every entity and the root: `{"type", "resource", "date", "payload"}` per change, from
the events feed; the root hears everything of its tenant, `vendor`/`filament`/`spool`/`setting` their own kind,
`<kind>/<id>` one record; a filament's change is not fanned out to its spools; a deleted record is shown as its
event recorded it; a client's text is answered with Spoolman's health; the key is checked at every poll."""

import asyncio
import json
import threading
import time
from decimal import Decimal

import pytest
import websockets
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from inventory import services as inventory
from spoolman import catalogue, consumers, services, shapes
from spoolman.consumers import Subscription
from spoolman.models import EntityType, FieldType, KeyScope
from tests.support.asgi import serving_asgi
from tests.support.webhooks import poll, wait_until_the_feed_serves_everything

pytestmark = pytest.mark.django_db(transaction=True)  # the feed serves committed changes only


@pytest.fixture
def owner(tenant, make_member):
    return make_member(tenant, "owner")


@pytest.fixture
def manage_key(tenant, owner):
    return services.create_key(tenant=tenant, user=owner, draft=services.KeyDraft(scope=KeyScope.MANAGE))


@pytest.fixture
def start(tenant):
    """The feed's cursor after the setup's events: what a socket opened now starts from."""

    def cursor():
        wait_until_the_feed_serves_everything(tenant)
        return consumers.latest_event_id(tenant)

    return cursor


EVERYTHING = Subscription()


def messages(key, cursor, subscription=EVERYTHING, count=1):
    """The messages of `subscription` after `cursor`, read again until `count` came (or the poll's time ran out)."""
    served, found, _ = poll(lambda: consumers.poll_for(key, cursor, subscription), lambda r: len(r[1]) >= count)
    assert served
    return found


def summary(found):
    return [(message["type"], message["resource"]) for message in found]


def test_the_root_hears_every_kind_of_change_in_spoolman_s_shapes(tenant, owner, manage_key, start, make_material):
    key = services.authenticate(manage_key.secret)
    cursor = start()
    vendor = inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="John"))
    material = make_material(tenant, vendor=vendor, brand="")
    inventory.update_material(material=material, user=owner, changes=inventory.MaterialFieldChanges(name="Galaxy"))
    spool = inventory.create_spool(
        tenant=tenant,
        user=owner,
        draft=inventory.SpoolDraft(code="S1", material=material, initial_weight_g=Decimal("1000.00")),
    )
    catalogue.set_setting(tenant=tenant, user=owner, change=catalogue.SettingChange(key="currency", value='"SEK"'))
    catalogue.define_field(
        tenant=tenant,
        user=owner,
        definition=catalogue.FieldDefinition(
            entity_type=EntityType.SPOOL, key="batch", name="Batch", field_type=FieldType.TEXT
        ),
    )

    found = messages(key, cursor, count=5)

    assert summary(found) == [
        ("added", "vendor"),
        ("updated", "filament"),
        ("added", "spool"),
        ("updated", "setting"),
        ("updated", "setting"),
    ]
    vendor.refresh_from_db()
    material.refresh_from_db()
    assert found[0]["payload"] == shapes.vendor(vendor)
    assert found[1]["payload"] == shapes.filament(material) and found[1]["payload"]["name"] == "Galaxy"
    assert found[2]["payload"]["id"] == spool.number and found[2]["payload"]["filament"]["id"] == material.number
    assert found[3]["payload"] == {"key": "currency", "setting": {"value": '"SEK"', "is_set": True, "type": "string"}}
    assert found[4]["payload"]["key"] == "extra_fields_spool"
    assert json.loads(found[4]["payload"]["setting"]["value"])[0]["key"] == "batch"
    assert all(set(message) == {"type", "resource", "date", "payload"} for message in found)


def test_a_kind_s_socket_hears_only_its_kind_and_a_filament_s_change_reaches_no_spool_socket(
    tenant, owner, manage_key, start, make_material, make_spool
):
    key = services.authenticate(manage_key.secret)
    material = make_material(tenant)
    make_spool(tenant, material)
    cursor = start()
    inventory.update_material(
        material=material, user=owner, changes=inventory.MaterialFieldChanges(density_g_cm3=Decimal("2.48"))
    )
    inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="Other"))

    filaments = messages(key, cursor, Subscription("filament"))
    assert summary(filaments) == [("updated", "filament")] and filaments[0]["payload"]["density"] == 2.48
    assert summary(messages(key, cursor, Subscription("vendor"))) == [("added", "vendor")]
    time.sleep(0.3)
    assert consumers.poll_for(key, cursor, Subscription("spool"))[1] == []


def test_a_record_s_socket_hears_only_that_record(tenant, owner, manage_key, start):
    key = services.authenticate(manage_key.secret)
    first = inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="A"))
    second = inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="B"))
    cursor = start()
    for vendor in (first, second):
        inventory.update_vendor(vendor=vendor, user=owner, changes=inventory.VendorChanges(comment="changed"))

    found = messages(key, cursor, Subscription("vendor", str(second.number)))

    assert [(m["type"], m["payload"]["id"]) for m in found] == [("updated", second.number)]
    assert found[0]["payload"]["comment"] == "changed"


def test_a_setting_s_socket_hears_only_that_setting(tenant, owner, manage_key, start):
    key = services.authenticate(manage_key.secret)
    cursor = start()
    for name, value in (("currency", '"SEK"'), ("base_url", '"http://farm"')):
        catalogue.set_setting(tenant=tenant, user=owner, change=catalogue.SettingChange(key=name, value=value))
    catalogue.set_setting(tenant=tenant, user=owner, change=catalogue.SettingChange(key="currency", value=None))

    found = messages(key, cursor, Subscription("setting", "currency"), count=2)

    assert [(m["type"], m["payload"]["setting"]["is_set"]) for m in found] == [("updated", True), ("deleted", False)]


def test_a_deleted_record_is_shown_as_its_event_recorded_it(tenant, owner, manage_key, start, make_material):
    key = services.authenticate(manage_key.secret)
    vendor = inventory.create_vendor(
        tenant=tenant,
        user=owner,
        fields=inventory.VendorFields(name="John", empty_spool_weight_g=Decimal("246"), extra={"x": '"y"'}),
    )
    material = make_material(tenant, vendor=vendor, brand="")
    spool = inventory.create_spool(
        tenant=tenant,
        user=owner,
        draft=inventory.SpoolDraft(code="S1", material=material, initial_weight_g=Decimal("750.00")),
    )
    vendor_shape = shapes.vendor(vendor)
    spool_shape = shapes.spool(shapes.with_filament(type(spool).objects.filter(pk=spool.pk)).get())
    cursor = start()
    inventory.delete_spool(spool=spool, user=owner)
    inventory.delete_vendor(vendor=vendor, user=owner)

    found = messages(key, cursor, count=2)

    assert summary(found) == [("deleted", "spool"), ("deleted", "vendor")]
    assert found[1]["payload"] == vendor_shape
    deleted_spool = found[0]["payload"]
    assert (deleted_spool["id"], deleted_spool["remaining_weight"]) == (spool_shape["id"], 750.0)
    assert deleted_spool["filament"]["id"] == material.number  # the filament as it is now: without its vendor


def test_another_tenant_s_changes_are_not_heard(tenant, other_tenant, make_member, manage_key, start):
    key = services.authenticate(manage_key.secret)
    cursor = start()
    inventory.create_vendor(
        tenant=other_tenant, user=make_member(other_tenant, "owner"), fields=inventory.VendorFields(name="Theirs")
    )
    time.sleep(0.3)

    assert consumers.poll_for(key, cursor)[1] == []


def test_a_revoked_key_s_entity_socket_is_served_nothing_more(tenant, owner, manage_key, start):
    key = services.authenticate(manage_key.secret)
    cursor = start()
    services.revoke_key(key=manage_key.key)
    inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="After"))

    assert consumers.poll_for(key, cursor, Subscription("vendor")) == (False, [], cursor)


# --- live: a real socket on a real server ----------------------------------------------------------


@pytest.fixture
def asgi_server(transactional_db, monkeypatch):
    with serving_asgi(monkeypatch) as address:
        yield address


def test_live_sockets_answer_a_ping_and_hear_their_record_s_change(asgi_server, tenant, owner, manage_key):
    vendor = inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="John"))
    wait_until_the_feed_serves_everything(tenant)
    base = f"ws://{asgi_server}/spoolman/{manage_key.secret}/api/v1"

    async def session():
        async with (
            websockets.connect(f"{base}/") as root,
            websockets.connect(f"{base}/vendor/{vendor.number}", origin=f"http://{asgi_server}") as one,
        ):
            await root.send("ping")
            assert json.loads(await asyncio.wait_for(root.recv(), timeout=5)) == {"status": "healthy"}
            await asyncio.to_thread(
                inventory.update_vendor, vendor=vendor, user=owner, changes=inventory.VendorChanges(name="Jane")
            )
            heard = [json.loads(await asyncio.wait_for(ws.recv(), timeout=5)) for ws in (root, one)]
            return heard

    heard = asyncio.run(session())

    assert [(m["type"], m["resource"], m["payload"]["name"]) for m in heard] == [("updated", "vendor", "Jane")] * 2


def test_a_live_socket_from_a_foreign_origin_is_refused_with_a_403(asgi_server, manage_key):
    async def connect():
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{asgi_server}/spoolman/{manage_key.secret}/api/v1/filament", origin="https://evil.example"
            ):
                pass
        return refused.value.response.status_code

    assert asyncio.run(connect()) == 403


def test_a_spool_and_filament_deleted_through_spoolman_but_kept_are_heard_as_deleted(
    tenant, owner, manage_key, start, make_material
):
    key = services.authenticate(manage_key.secret)
    material = make_material(tenant, brand="")
    spool = inventory.create_spool(
        tenant=tenant,
        user=owner,
        draft=inventory.SpoolDraft(code="S1", material=material, initial_weight_g=Decimal("750.00")),
    )
    inventory.record_movement(spool=spool, type="usage", user=owner, change_g=Decimal("-5.00"))
    cursor = start()
    assert inventory.remove_spool(spool=spool, user=owner) is False
    assert inventory.remove_material(material=material, user=owner) is False

    found = messages(key, cursor, count=2)

    assert summary(found) == [("deleted", "spool"), ("deleted", "filament")]
    assert (found[0]["payload"]["id"], found[1]["payload"]["id"]) == (spool.number, material.number)


@pytest.mark.skipif("connections['default'].vendor != 'postgresql'", reason="SQLite commits events in id order")
def test_a_change_committed_before_the_socket_opened_is_not_heard_though_the_feed_held_it_back(
    tenant, owner, manage_key, start
):
    """An older transaction still running holds the feed back: the change committed before the
    handshake is after the socket's cursor, yet not news to it."""
    key = services.authenticate(manage_key.secret)
    cursor = start()
    began, release = threading.Event(), threading.Event()

    def older_transaction():
        with connections[DEFAULT_DB_ALIAS].cursor() as db, transaction.atomic():
            db.execute("SELECT pg_current_xact_id()")
            began.set()
            release.wait(10)
        connections[DEFAULT_DB_ALIAS].close()

    thread = threading.Thread(target=older_transaction)
    thread.start()
    began.wait(10)
    try:
        inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="Before"))
        opened, before = consumers.opening_cursor(tenant)
        assert opened == cursor and len(before) == 1  # held back, committed
    finally:
        release.set()
        thread.join()
    inventory.create_vendor(tenant=tenant, user=owner, fields=inventory.VendorFields(name="After"))

    found = poll(lambda: consumers.poll_for(key, opened, EVERYTHING, before), lambda r: len(r[1]) >= 1)[1]

    assert [message["payload"]["name"] for message in found] == ["After"]
