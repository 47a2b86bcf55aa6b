"""Use booked from a printer's reports (bambu.services), called as the bridge calls them, on both databases."""

from decimal import Decimal

import pytest

from bambu import services
from bambu.models import PrinterStatus
from bambu.reports import Snapshot, Tray
from inventory.models import InventoryTransaction
from production.services import Failure, fail_run, reopen_run
from tests.conftest import client_for
from tests.support.ledger import assert_ledger_balances
from tests.support.mqtt import ACCESS_CODE, RFID_UUID

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer(tenant, make_printer):
    return make_printer(tenant, name="P1S-01")


@pytest.fixture
def link(tenant, printer):
    connection = services.save_connection(
        tenant=tenant,
        printer=printer,
        user=None,
        settings=services.ConnectionSettings(host="192.168.1.50", serial="01P00A391800123", access_code=ACCESS_CODE),
    )
    return services.Link(
        tenant_id=tenant.pk,
        printer_id=printer.pk,
        printer_name=printer.name,
        connection_id=connection.pk,
        version=connection.version,
    )


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant, code="BL-PLA", initial_weight_g=Decimal("1000.00"), rfid_uid=RFID_UUID)


def printed(spool):
    rows = InventoryTransaction.objects.filter(spool=spool, type="printer_use")
    return -sum((row.weight_change_g for row in rows), Decimal("0"))


def tagged_tray(remain):
    return Tray(
        slot=0,
        ams_unit=0,
        tray=0,
        type="PLA",
        color_hex="#FF0000",
        remain_percent=remain,
        tag_uid="A1B2",
        tray_uuid=RFID_UUID,
    )


def test_each_advance_books_its_share_and_the_steps_add_up_to_the_estimate(link, printer, spool, tenant, make_run):
    make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("33.33")}])

    for percent in (7, 33, 50, 99, 100):
        services.book_progress(link=link, percent=percent)

    rows = InventoryTransaction.objects.filter(spool=spool, type="printer_use").order_by("sequence")
    assert [-row.weight_change_g for row in rows] == [
        Decimal("2.33"),
        Decimal("8.66"),
        Decimal("5.67"),
        Decimal("16.33"),
        Decimal("0.34"),
    ]
    assert printed(spool) == Decimal("33.33")
    assert {row.source for row in rows} == {"bambu"}
    assert_ledger_balances(spool)


def test_a_repeated_or_older_percent_books_nothing(link, printer, spool, tenant, make_run):
    make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("100")}])
    services.book_progress(link=link, percent=50)

    assert services.book_progress(link=link, percent=50) == []
    assert services.book_progress(link=link, percent=20) == []
    assert printed(spool) == Decimal("50.00")


def test_every_line_books_its_own_estimate_on_its_own_spool(link, printer, tenant, make_run, make_spool):
    red, white = make_spool(tenant), make_spool(tenant)
    make_run(
        tenant,
        printer=printer,
        materials=[
            {"spool": red, "estimated_model_g": Decimal("80"), "estimated_flushed_g": Decimal("20")},
            {"spool": white, "estimated_model_g": Decimal("40")},
        ],
    )

    services.book_progress(link=link, percent=25)

    assert (printed(red), printed(white)) == (Decimal("25.00"), Decimal("10.00"))


def test_no_run_in_progress_books_nothing(link, printer, spool, tenant, make_run, member):
    run = make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("100")}])
    fail_run(run=run, user=member, failure=Failure(failure_reason="adhesion"))

    assert services.book_progress(link=link, percent=40) == []
    assert printed(spool) == 0


def test_reopen_reverses_only_what_the_failure_wrote(link, printer, spool, tenant, make_run, make_member):
    run = make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("100")}])
    services.book_progress(link=link, percent=37)
    material = run.materials.get()
    admin = client_for(make_member(tenant, "admin"), tenant)
    response = admin.post(
        f"/api/v1/production-runs/{run.pk}/fail/",
        {"failure_reason": "spaghetti", "materials": [{"id": str(material.pk), "actual_model_g": "40.00"}]},
        format="json",
    )
    assert response.status_code == 200, response.content

    reopen_run(run=run, user=None)

    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("963.00")  # the 37 g the printer printed stay booked
    # Printing on after the reopening books from where the booking stopped.
    services.book_progress(link=link, percent=40)
    assert printed(spool) == Decimal("40.00")
    assert_ledger_balances(spool)


def test_a_tagged_trays_remain_drop_books_that_share_of_the_spool_once(link, spool):
    assert services.book_tray_remains(link=link, trays=(tagged_tray(80),)) == []  # first sighting: the mark

    (row,) = services.book_tray_remains(link=link, trays=(tagged_tray(75),))
    assert row.weight_change_g == Decimal("-50.00")
    assert services.book_tray_remains(link=link, trays=(tagged_tray(75),)) == []
    assert services.book_tray_remains(link=link, trays=(tagged_tray(78),)) == []  # an older report
    assert services.book_tray_remains(link=link, trays=(tagged_tray(77),)) == []  # above the lowest mark
    services.book_tray_remains(link=link, trays=(tagged_tray(70),))
    assert printed(spool) == Decimal("100.00")
    assert_ledger_balances(spool)


def test_a_remain_drop_during_a_run_books_nothing_but_moves_the_mark(link, printer, spool, tenant, make_run, member):
    run = make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("100")}])
    services.book_tray_remains(link=link, trays=(tagged_tray(80),))
    services.book_tray_remains(link=link, trays=(tagged_tray(70),))
    assert printed(spool) == 0
    fail_run(run=run, user=member, failure=Failure(failure_reason="adhesion"))

    services.book_tray_remains(link=link, trays=(tagged_tray(69),))

    assert printed(spool) == Decimal("10.00")


def test_another_tenants_spool_with_the_same_tag_is_never_touched(link, other_tenant, make_spool):
    theirs = make_spool(other_tenant, rfid_uid=RFID_UUID)

    services.book_tray_remains(link=link, trays=(tagged_tray(80),))
    services.book_tray_remains(link=link, trays=(tagged_tray(50),))

    assert printed(theirs) == 0


def test_a_report_over_a_changed_connection_is_dropped(link, tenant, printer, manager_api):
    response = manager_api.put(
        f"/api/v1/printers/{printer.pk}/connection/",
        {"host": "192.168.1.51", "serial": "01P00A391800123"},
        format="json",
    )
    assert response.status_code == 200

    assert services.record_snapshot(link=link, snapshot=Snapshot(gcode_state="RUNNING")) is None
    assert PrinterStatus.objects.get().gcode_state == ""


def test_a_gcode_state_change_is_recorded_once(link, tenant):
    from events.models import Event

    services.record_snapshot(link=link, snapshot=Snapshot(gcode_state="IDLE"))
    services.record_snapshot(link=link, snapshot=Snapshot(gcode_state="IDLE", nozzle_temperature_c=Decimal("30")))
    services.record_snapshot(link=link, snapshot=Snapshot(gcode_state="PREPARE"))

    events = Event.objects.filter(tenant=tenant, type="printer.status_changed").order_by("id")
    assert [(e.payload["old"], e.payload["new"], e.payload["state"]) for e in events] == [
        (None, "IDLE", "idle"),
        ("IDLE", "PREPARE", "printing"),
    ]
    assert {e.resource for e in events} == {"printer"}
