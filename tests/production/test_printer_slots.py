"""Printer slots (SPEC 8.3): slot_count, the slots list, loading, unloading and moving spools."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event
from production.models import PrinterSlot
from tests.support.queries import row_security_statements

pytestmark = pytest.mark.django_db

# slots list: membership, the path's printer, the loaded slots (with spools, materials, loaders and
# the spools' reservations in one statement).
SLOTS_LIST_QUERIES = 3 + row_security_statements()


def slots_url(printer, slot=None):
    base = f"/api/v1/printers/{printer.pk}/slots/"
    return base if slot is None else f"{base}{slot}/"


@pytest.fixture
def ams(tenant, make_printer):
    return make_printer(tenant, name="X1C", slot_count=4)


def test_a_new_printer_has_one_slot_and_is_idle(api):
    response = api.post("/api/v1/printers/", {"name": "Mini"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["slot_count"] == 1
    assert response.json()["state"] == "idle"
    assert response.json()["current_run"] is None


@pytest.mark.parametrize("slot_count", [0, 33])
def test_slot_count_outside_1_to_32_is_refused(api, slot_count):
    response = api.post("/api/v1/printers/", {"name": "Odd", "slot_count": slot_count}, format="json")

    assert response.status_code == 400
    assert "slot_count" in response.json()


def test_the_slots_list_has_one_entry_per_slot(api, ams, make_spool, tenant):
    spool = make_spool(tenant)
    api.put(slots_url(ams, 2), {"spool": spool.code}, format="json")

    response = api.get(slots_url(ams))

    assert response.status_code == 200
    entries = response.json()
    assert [entry["slot"] for entry in entries] == [0, 1, 2, 3]
    assert [entry["spool"] is None for entry in entries] == [True, True, False, True]
    loaded = entries[2]
    assert loaded["spool"]["code"] == spool.code
    assert loaded["spool"]["number"] == spool.number
    assert loaded["spool"]["current_weight_g"] == "1000.00"
    assert loaded["spool"]["available_g"] == "1000.00"
    assert loaded["loaded_by"] == "member-acme"
    assert loaded["loaded_at"] is not None


@pytest.mark.parametrize("key", ["id", "code", "number"])
def test_a_spool_is_loaded_by_id_code_or_number(api, ams, make_spool, tenant, key):
    spool = make_spool(tenant)
    value = {"id": str(spool.pk), "code": spool.code, "number": spool.number}[key]

    response = api.put(slots_url(ams, 1), {"spool": value}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["spool"]["id"] == str(spool.pk)
    assert PrinterSlot.objects.get(printer=ams, slot=1).spool == spool


def test_null_unloads_the_slot(api, ams, make_spool, tenant):
    spool = make_spool(tenant)
    api.put(slots_url(ams, 0), {"spool": spool.code}, format="json")

    response = api.put(slots_url(ams, 0), {"spool": None}, format="json")

    assert response.status_code == 200
    assert response.json()["spool"] is None
    assert not PrinterSlot.objects.filter(printer=ams).exists()
    assert api.get(f"/api/v1/spools/{spool.pk}/").json()["loaded_in"] is None


def test_loading_a_spool_elsewhere_moves_it(api, ams, make_printer, make_spool, tenant):
    other = make_printer(tenant, name="P1S")
    spool = make_spool(tenant)
    api.put(slots_url(ams, 3), {"spool": spool.code}, format="json")

    response = api.put(slots_url(other, 0), {"spool": spool.code}, format="json")

    assert response.status_code == 200
    assert list(PrinterSlot.objects.filter(spool=spool).values_list("printer__name", "slot")) == [("P1S", 0)]
    assert api.get(slots_url(ams)).json()[3]["spool"] is None
    assert api.get(f"/api/v1/spools/{spool.pk}/").json()["loaded_in"] == {
        "printer": str(other.pk),
        "printer_name": "P1S",
        "slot": 0,
    }


def test_loading_a_full_slot_pushes_its_spool_out(api, ams, make_spool, tenant):
    first, second = make_spool(tenant), make_spool(tenant)
    api.put(slots_url(ams, 0), {"spool": first.code}, format="json")

    api.put(slots_url(ams, 0), {"spool": second.code}, format="json")

    assert api.get(f"/api/v1/spools/{first.pk}/").json()["loaded_in"] is None
    assert api.get(f"/api/v1/spools/{second.pk}/").json()["loaded_in"]["slot"] == 0


def test_each_change_is_in_the_feed_and_the_spools_history(api, ams, make_printer, make_spool, tenant):
    other = make_printer(tenant, name="P1S")
    spool = make_spool(tenant)
    api.put(slots_url(ams, 1), {"spool": spool.code}, format="json")
    api.put(slots_url(other, 0), {"spool": spool.code}, format="json")
    api.put(slots_url(other, 0), {"spool": None}, format="json")

    spool_history = list(
        Event.objects.filter(resource_id=spool.pk, type__in=["spool.loaded", "spool.unloaded"]).order_by("id")
    )
    assert [event.type for event in spool_history] == ["spool.loaded", "spool.loaded", "spool.unloaded"]
    assert spool_history[1].payload["loaded_in"]["printer_name"] == "P1S"
    changes = list(Event.objects.filter(type="printer.slot_changed").order_by("id"))
    assert [(event.payload["printer_name"], event.payload["slot"]) for event in changes] == [
        ("X1C", 1),
        ("X1C", 1),  # moved out
        ("P1S", 0),
        ("P1S", 0),
    ]
    assert [event.payload["spool"] is None for event in changes] == [False, True, False, True]
    assert changes[3].payload["previous_spool"]["code"] == spool.code


def test_loading_the_same_spool_again_records_nothing(api, ams, make_spool, tenant):
    spool = make_spool(tenant)
    api.put(slots_url(ams, 1), {"spool": spool.code}, format="json")
    before = Event.objects.count()

    response = api.put(slots_url(ams, 1), {"spool": spool.code}, format="json")

    assert response.status_code == 200
    assert Event.objects.count() == before


@pytest.mark.parametrize("slot", [4, 99])
def test_a_slot_outside_the_printer_is_404(api, ams, make_spool, tenant, slot):
    spool = make_spool(tenant)

    assert api.get(slots_url(ams, slot)).status_code == 404
    assert api.put(slots_url(ams, slot), {"spool": spool.code}, format="json").status_code == 404
    assert not PrinterSlot.objects.exists()


def test_an_inactive_or_unknown_spool_is_400(api, ams, make_spool, tenant):
    inactive = make_spool(tenant, is_active=False)

    refused = api.put(slots_url(ams, 0), {"spool": inactive.code}, format="json")
    unknown = api.put(slots_url(ams, 0), {"spool": "NOPE-404"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "spool_inactive"
    assert unknown.status_code == 400
    assert "spool" in unknown.json()
    assert not PrinterSlot.objects.exists()


def test_slot_count_below_a_loaded_slot_is_400_naming_it(api, ams, make_spool, tenant):
    api.put(slots_url(ams, 2), {"spool": make_spool(tenant).code}, format="json")

    response = api.patch(f"/api/v1/printers/{ams.pk}/", {"slot_count": 2}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "slot_loaded"
    assert "Slot 2" in response.json()["detail"]
    ams.refresh_from_db()
    assert ams.slot_count == 4
    assert api.patch(f"/api/v1/printers/{ams.pk}/", {"slot_count": 3}, format="json").status_code == 200


def test_viewers_read_slots_but_do_not_load(viewer_api, ams, make_spool, tenant):
    spool = make_spool(tenant)

    assert viewer_api.get(slots_url(ams)).status_code == 200
    assert viewer_api.put(slots_url(ams, 0), {"spool": spool.code}, format="json").status_code == 403
    assert not PrinterSlot.objects.exists()


def test_another_tenants_printer_is_404_and_spool_400(
    api, other_api, ams, make_spool, make_printer, tenant, other_tenant
):
    foreign_spool = make_spool(other_tenant)
    foreign_printer = make_printer(other_tenant, name="Theirs")

    assert api.get(slots_url(foreign_printer)).status_code == 404
    assert api.put(slots_url(foreign_printer, 0), {"spool": None}, format="json").status_code == 404
    response = api.put(slots_url(ams, 0), {"spool": str(foreign_spool.pk)}, format="json")
    assert response.status_code == 400
    assert str(foreign_spool.pk) in str(response.json())
    assert not PrinterSlot.objects.exists()


def test_the_slots_list_costs_the_same_empty_and_full(api, ams, make_spool, tenant):
    with CaptureQueriesContext(connection) as empty:
        api.get(slots_url(ams))
    for slot in range(4):
        api.put(slots_url(ams, slot), {"spool": make_spool(tenant).code}, format="json")
    with CaptureQueriesContext(connection) as full:
        response = api.get(slots_url(ams))

    assert all(entry["spool"] for entry in response.json())
    assert len(empty) == len(full) == SLOTS_LIST_QUERIES


def test_a_spool_shows_its_reservation_and_available_grams(api, make_run, make_spool, tenant):
    spool = make_spool(tenant)
    make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("120.00")}])

    body = api.get(f"/api/v1/spools/{spool.pk}/").json()

    assert body["reserved_g"] == "120.00"
    assert body["available_g"] == "880.00"
