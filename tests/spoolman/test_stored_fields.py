"""Spoolman's shapes read the vendor records and the fields stored for Spoolman: nothing it sent is dropped."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import Material, Spool, TransactionType
from inventory.services import Movement, record_movements

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.UTC)


def test_vendors_are_listed_by_number_with_their_fields_even_without_materials(spoolman, tenant, pla, make_vendor):
    make_vendor(tenant, name="Lonely", comment="No filaments", empty_spool_weight_g=Decimal("140.5"), extra={"a": "1"})

    vendors = spoolman.get("vendor").json()

    assert [(v["id"], v["name"]) for v in vendors] == [
        (pla.vendor.number, "Prusament"),
        (pla.vendor.number + 1, "Lonely"),
    ]
    assert (vendors[1]["comment"], vendors[1]["empty_spool_weight"], vendors[1]["extra"]) == (
        "No filaments",
        140.5,
        {"a": "1"},
    )


def test_a_filament_shows_its_vendor_by_number_and_its_stored_fields(spoolman, tenant, pla):
    Material.objects.filter(pk=pla.pk).update(
        material_name="PLA+",
        price=Decimal("24.99"),
        weight_g=Decimal("1000"),
        settings_extruder_temp=215,
        multi_color_hexes="FF0000,00FF00",
        external_id="ext-1",
        extra={"nozzle": '"0.4"'},
    )

    body = spoolman.get(f"filament/{pla.number}").json()

    assert body["vendor"]["id"] == pla.vendor.number
    assert (body["material"], body["price"], body["weight"], body["settings_extruder_temp"]) == (
        "PLA+",
        24.99,
        1000.0,
        215,
    )
    assert (body["multi_color_hexes"], body["external_id"], body["extra"]) == (
        "FF0000,00FF00",
        "ext-1",
        {"nozzle": '"0.4"'},
    )


def test_a_spool_shows_its_stored_use_dates_lot_and_comment(spoolman, spool):
    record_movements(
        movements=[Movement(spool_id=spool.pk, type=TransactionType.USAGE, change_g=Decimal("-1"))],
        user=None,
        occurred_at=MOMENT,
    )
    Spool.objects.filter(pk=spool.pk).update(lot_nr="L-7", comment="Dry it", extra={"k": '"v"'})

    body = spoolman.get(f"spool/{spool.number}").json()

    assert (body["first_used"], body["last_used"]) == ("2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z")
    assert (body["lot_nr"], body["comment"], body["extra"]) == ("L-7", "Dry it", {"k": '"v"'})


def test_a_printer_s_use_stores_the_spool_s_use_dates(spoolman, spool):
    answered = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2.5}).json()

    stored = Spool.objects.get(pk=spool.pk)
    assert stored.first_used is not None and stored.first_used == stored.last_used
    assert answered["last_used"] == spoolman.get(f"spool/{spool.number}").json()["last_used"]
