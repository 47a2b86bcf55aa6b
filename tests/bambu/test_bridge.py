"""The bridge against a real broker (mosquitto, TLS, password file) and a simulated P1S.

The bridge runs in threads of the test process here (tests/bambu/test_bridge_process.py runs it
as a process of its own); its database writes come from those threads, so these tests need
PostgreSQL (SQLite's shared in-memory test database locks whole tables between connections).
"""

import logging
from decimal import Decimal

import pytest

from bambu.bridge import Bridge
from bambu.models import PrinterStatus
from events.models import Event
from inventory.models import InventoryTransaction
from tests.bambu.conftest import TEST_OPTIONS, wait_for
from tests.conftest import client_for, postgres_only
from tests.support.ledger import assert_ledger_balances
from tests.support.mqtt import ACCESS_CODE, RFID_UUID

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def status_of(printer):
    return PrinterStatus.objects.filter(connection__printer=printer).first()


def connection_state(printer):
    status = status_of(printer)
    return status.connection_state if status is not None else None


def progress_of(printer):
    status = status_of(printer)
    return status is not None and (status.gcode_state, status.progress_percent)


def booked_g(spool):
    rows = InventoryTransaction.objects.filter(spool=spool, type="printer_use")
    return -sum((row.weight_change_g for row in rows), Decimal("0"))


def test_the_status_and_trays_appear_with_the_rfid_spool(
    bridge, simulated_printer, bambu_printer, connect, rfid_spool, tenant, make_member
):
    connect(bambu_printer)

    wait_for(lambda: (s := status_of(bambu_printer)) and s.trays, what="the printer's trays")
    body = client_for(make_member(tenant, "viewer"), tenant).get(f"/api/v1/printers/{bambu_printer.pk}/status/").json()

    assert simulated_printer.pushall_requests == 1
    assert body["connection_state"] == "connected"
    assert (body["state"], body["gcode_state"], body["run_state"]) == ("idle", "IDLE", "idle")
    assert body["nozzle_temperature_c"] == "24.0"
    tagged, untagged = body["trays"]
    assert tagged["slot"] == 0
    assert (tagged["type"], tagged["color_hex"], tagged["remain_percent"]) == ("PLA", "#FF0000", 80)
    assert tagged["tray_uuid"] == RFID_UUID
    assert tagged["spool"]["code"] == "BL-PLA-RED"
    assert untagged["slot"] == 1
    assert (untagged["type"], untagged["color_hex"], untagged["tag_uid"], untagged["spool"]) == (
        "PETG",
        "#00AE42",
        "",
        None,
    )


def test_partial_reports_merge_into_the_full_state(bridge, simulated_printer, bambu_printer, connect):
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected")

    simulated_printer.report(gcode_state="PREPARE", subtask_name="benchy.3mf")
    simulated_printer.report(nozzle_temper=215.5)
    wait_for(lambda: (s := status_of(bambu_printer)) and s.nozzle_temperature_c == Decimal("215.5"))

    status = status_of(bambu_printer)
    # Each partial report carried one thing; the rest is the full report's and the earlier ones'.
    assert (status.gcode_state, status.job_name, status.bed_temperature_c) == ("PREPARE", "benchy.3mf", Decimal("23.5"))
    assert [tray["slot"] for tray in status.trays] == [0, 1]


def test_a_print_to_half_books_half_the_estimate_and_completion_the_rest(
    bridge, simulated_printer, bambu_printer, connect, rfid_spool, tenant, make_run, make_member
):
    run = make_run(
        tenant, printer=bambu_printer, materials=[{"spool": rfid_spool, "estimated_model_g": Decimal("100")}]
    )
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected")

    simulated_printer.report(gcode_state="PREPARE", subtask_name="benchy.3mf")
    for percent in range(0, 51, 5):
        simulated_printer.print_to(percent)
    wait_for(lambda: booked_g(rfid_spool) == Decimal("50.00"), what="50 g booked")
    simulated_printer.print_to(50)  # the same report again
    simulated_printer.report(nozzle_temper=219.0)  # a later report, to know the repeated one was handled
    wait_for(lambda: status_of(bambu_printer).nozzle_temperature_c == Decimal("219.0"))

    rows = InventoryTransaction.objects.filter(spool=rfid_spool, type="printer_use")
    assert booked_g(rfid_spool) == Decimal("50.00")
    assert {row.source for row in rows} == {"bambu"}
    assert {row.production_run_id for row in rows} == {run.pk}
    changes = Event.objects.filter(tenant=tenant, type="printer.status_changed").order_by("id")
    assert [(e.payload["old"], e.payload["new"]) for e in changes] == [
        (None, "IDLE"),
        ("IDLE", "PREPARE"),
        ("PREPARE", "RUNNING"),
    ]
    assert {e.actor_label for e in changes} == {"printer:P1S-01"}

    api = client_for(make_member(tenant, "member"), tenant)
    material = run.materials.get()
    response = api.post(
        f"/api/v1/production-runs/{run.pk}/complete/",
        {"materials": [{"id": str(material.pk), "actual_model_g": "120.00"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    usage = InventoryTransaction.objects.get(spool=rfid_spool, type="usage")
    assert usage.weight_change_g == Decimal("-70.00")
    rfid_spool.refresh_from_db()
    assert rfid_spool.current_weight_g == Decimal("880.00")
    assert_ledger_balances(rfid_spool)


def test_a_print_failed_at_37_percent_books_37_percent_and_fail_reconciles(
    bridge, simulated_printer, bambu_printer, connect, rfid_spool, tenant, make_run, make_member
):
    run = make_run(
        tenant, printer=bambu_printer, materials=[{"spool": rfid_spool, "estimated_model_g": Decimal("100")}]
    )
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected")

    simulated_printer.report(gcode_state="PREPARE")
    for percent in (0, 12, 25, 37):
        simulated_printer.print_to(percent)
    simulated_printer.report(gcode_state="FAILED", print_error=117473287)
    wait_for(lambda: progress_of(bambu_printer) == ("FAILED", 37))

    assert booked_g(rfid_spool) == Decimal("37.00")
    body = client_for(make_member(tenant, "viewer"), tenant).get(f"/api/v1/printers/{bambu_printer.pk}/status/").json()
    assert (body["state"], body["run_state"], body["current_run"]) == ("failed", "printing", str(run.pk))

    api = client_for(make_member(tenant, "member"), tenant)
    response = api.post(f"/api/v1/production-runs/{run.pk}/fail/", {"failure_reason": "spaghetti"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["actual_total_g"] == "37.00"
    assert not InventoryTransaction.objects.filter(spool=rfid_spool, type="waste").exists()
    rfid_spool.refresh_from_db()
    assert rfid_spool.current_weight_g == Decimal("963.00")


def test_two_bridges_by_mistake_book_each_advance_once(
    bridge, simulated_printer, bambu_printer, connect, rfid_spool, tenant, make_run
):
    second = Bridge(TEST_OPTIONS)
    make_run(tenant, printer=bambu_printer, materials=[{"spool": rfid_spool, "estimated_model_g": Decimal("100")}])
    connect(bambu_printer)
    second.sync()
    try:
        wait_for(lambda: connection_state(bambu_printer) == "connected" and second.links)
        wait_for(lambda: simulated_printer.pushall_requests == 2, what="both bridges' pushall")
        for percent in range(1, 31):
            simulated_printer.print_to(percent)
        wait_for(lambda: progress_of(bambu_printer) == ("RUNNING", 30))
        simulated_printer.report(nozzle_temper=221.0)
        wait_for(lambda: status_of(bambu_printer).nozzle_temperature_c == Decimal("221.0"))
    finally:
        second.shutdown()

    assert booked_g(rfid_spool) == Decimal("30.00")
    assert_ledger_balances(rfid_spool)


def test_a_wrong_access_code_is_auth_failed_until_an_admin_corrects_it(
    bridge, simulated_printer, bambu_printer, connect, tenant, make_member
):
    connect(bambu_printer, access_code="87654321")

    wait_for(lambda: connection_state(bambu_printer) == "auth_failed", what="auth_failed")
    admin = client_for(make_member(tenant, "admin"), tenant)
    body = admin.get(f"/api/v1/printers/{bambu_printer.pk}/status/").json()
    assert (body["connection_state"], body["state"]) == ("auth_failed", "offline")
    assert "refused the access code" in body["error"]

    connection = admin.get(f"/api/v1/printers/{bambu_printer.pk}/connection/").json()
    response = admin.put(
        f"/api/v1/printers/{bambu_printer.pk}/connection/", {**connection, "access_code": ACCESS_CODE}, format="json"
    )
    assert response.status_code == 200, response.content

    # A changed connection is picked up at the bridge's next look, without waiting out the slow retry.
    wait_for(lambda: connection_state(bambu_printer) == "connected", what="the corrected code to connect")


def test_stopping_and_restarting_the_broker_reconnects(bridge, broker, simulated_printer, bambu_printer, connect):
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected")

    broker.stop()
    wait_for(lambda: connection_state(bambu_printer) == "disconnected", what="the lost connection")
    broker.start()

    wait_for(lambda: connection_state(bambu_printer) == "connected", what="the bridge to reconnect")
    # The simulated printer is a client of the broker here, reconnecting on its own (a real printer is the broker).
    wait_for(lambda: simulated_printer.connections == 2, what="the simulated printer to reconnect")
    simulated_printer.report(gcode_state="PREPARE")
    wait_for(lambda: progress_of(bambu_printer) == ("PREPARE", 0))


def test_one_unreachable_printer_and_a_bad_message_stop_no_other(
    bridge, simulated_printer, bambu_printer, connect, tenant, make_printer
):
    unreachable = make_printer(tenant, name="X1C-02")
    connect(unreachable, serial="00M09A000000002")
    unreachable_connection = unreachable.connections.get()
    unreachable_connection.port = 1  # nothing listens there
    unreachable_connection.version += 1
    unreachable_connection.save()
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected")
    wait_for(lambda: status_of(unreachable).error, what="the unreachable printer's error")

    simulated_printer.client.publish(f"device/{simulated_printer.serial}/report", b"{not json").wait_for_publish(5)
    simulated_printer.report(gcode_state="PREPARE")

    wait_for(lambda: progress_of(bambu_printer) == ("PREPARE", 0))
    assert connection_state(unreachable) == "disconnected"
    assert "Cannot reach the printer" in status_of(unreachable).error


def test_a_deleted_connection_is_dropped(bridge, simulated_printer, bambu_printer, connect, tenant, make_member):
    connect(bambu_printer)
    wait_for(lambda: connection_state(bambu_printer) == "connected" and bridge.links)

    response = client_for(make_member(tenant, "owner"), tenant).delete(
        f"/api/v1/printers/{bambu_printer.pk}/connection/"
    )

    assert response.status_code == 204
    wait_for(lambda: not bridge.links, what="the bridge to drop the link")


def test_the_access_code_is_never_logged_nor_in_events(
    bridge, simulated_printer, bambu_printer, connect, tenant, caplog, make_printer
):
    caplog.set_level(logging.DEBUG)
    refused = make_printer(tenant, name="A1-03")
    connect(refused, access_code="Wr0ngC0de")
    connect(bambu_printer)
    wait_for(lambda: connection_state(refused) == "auth_failed")
    simulated_printer.report(gcode_state="PREPARE")
    wait_for(lambda: progress_of(bambu_printer) == ("PREPARE", 0))

    assert ACCESS_CODE not in caplog.text and "Wr0ngC0de" not in caplog.text
    events = list(Event.objects.filter(tenant=tenant).values_list("payload", flat=True))
    assert events and not any(ACCESS_CODE in str(payload) for payload in events)
