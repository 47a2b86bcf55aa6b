"""Done-when: `python manage.py printer_bridge` as a process of its own, a real broker, a simulated P1S.

Everything a farm sees, end to end through the API: the status and trays, the RFID spool
recognized, a 100 g run printed to 50 % booked exactly 50 g (a repeated report books nothing),
completion with 120 g actual booking the other 70 g, a print FAILED at 37 % booking 37 g that
`fail/` reconciles, a wrong access code shown as auth_failed, and the broker stopped and
started again reconnected. The access code appears nowhere in the process's output.
"""

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from inventory.models import InventoryTransaction
from tests.bambu.conftest import wait_for
from tests.conftest import client_for, postgres_only
from tests.support.mqtt import ACCESS_CODE, RFID_UUID, SERIAL

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def credential_key(settings):
    key = Fernet.generate_key().decode()
    settings.PRINTER_CREDENTIAL_KEYS = [key]
    return key


@pytest.fixture
def bridge_process(transactional_db, credential_key, tmp_path):
    """The bridge command on the test database, with the same encryption key as this process."""
    output = (tmp_path / "bridge.log").open("w+")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "LOG_LEVEL": "DEBUG",
        "PRINTER_CREDENTIAL_KEYS": credential_key,
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "printer_bridge", "--poll-seconds", "0.5"),
            *("--max-backoff-seconds", "1", "--status-interval-seconds", "0"),
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    yield process, output
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    output.close()


def test_the_bridge_process_from_connection_to_reconciled_runs(
    bridge_process, broker, simulated_printer, tenant, make_member, make_printer, rfid_spool, make_run
):
    process, output = bridge_process
    admin = client_for(make_member(tenant, "admin"), tenant)
    p1s = make_printer(tenant, name="P1S-01", model="Bambu Lab P1S")
    a1 = make_printer(tenant, name="A1-02", model="Bambu Lab A1")
    body = {"kind": "bambu_lan", "host": "127.0.0.1", "port": broker.port, "serial": SERIAL}
    assert admin.put(f"/api/v1/printers/{p1s.pk}/connection/", {**body, "access_code": ACCESS_CODE}).status_code == 201
    assert admin.put(f"/api/v1/printers/{a1.pk}/connection/", {**body, "access_code": "00000000"}).status_code == 201

    def status(printer):
        return admin.get(f"/api/v1/printers/{printer.pk}/status/").json()

    def booked_g():
        rows = InventoryTransaction.objects.filter(spool=rfid_spool, type="printer_use")
        return -sum((row.weight_change_g for row in rows), Decimal("0"))

    # The status and trays appear, the RFID spool recognized in its tray; the wrong code is auth_failed.
    shown = wait_for(lambda: (s := status(p1s))["trays"] and s, what="the P1S's trays")
    assert (shown["connection_state"], shown["state"]) == ("connected", "idle")
    assert [(t["slot"], t["type"], (t["spool"] or {}).get("code")) for t in shown["trays"]] == [
        (0, "PLA", "BL-PLA-RED"),
        (1, "PETG", None),
    ]
    assert shown["trays"][0]["tray_uuid"] == RFID_UUID
    wait_for(lambda: status(a1)["connection_state"] == "auth_failed", what="the A1's auth_failed")

    # A 100 g run printed to 50 % books exactly 50 g; the same report again books nothing.
    run = make_run(tenant, printer=p1s, materials=[{"spool": rfid_spool, "estimated_model_g": Decimal("100")}])
    simulated_printer.report(gcode_state="PREPARE", subtask_name="benchy.3mf")
    for percent in range(0, 51, 10):
        simulated_printer.print_to(percent)
    wait_for(lambda: booked_g() == Decimal("50.00"), what="50 g booked")
    simulated_printer.print_to(50)
    simulated_printer.report(bed_temper=60.0)
    wait_for(lambda: status(p1s)["bed_temperature_c"] == "60.0", what="the report after the repeated one")
    assert booked_g() == Decimal("50.00")
    shown = status(p1s)
    assert (shown["state"], shown["progress_percent"], shown["current_run"]) == ("printing", 50, str(run.pk))

    # Completion with 120 g actual books the 70 g the printer did not report.
    material = run.materials.get()
    completed = admin.post(
        f"/api/v1/production-runs/{run.pk}/complete/",
        {"materials": [{"id": str(material.pk), "actual_model_g": "120.00"}]},
        format="json",
    )
    assert completed.status_code == 200, completed.content
    assert InventoryTransaction.objects.get(production_run=run, type="usage").weight_change_g == Decimal("-70.00")
    simulated_printer.report(gcode_state="FINISH", mc_percent=100)
    wait_for(lambda: status(p1s)["state"] == "finished", what="FINISH")

    # A print that FAILED at 37 % books 37 g of its 100, and fail/ books nothing more.
    failing = make_run(tenant, printer=p1s, materials=[{"spool": rfid_spool, "estimated_model_g": Decimal("100")}])
    simulated_printer.report(gcode_state="PREPARE", mc_percent=0)
    for percent in (0, 10, 20, 30, 37):
        simulated_printer.print_to(percent)
    simulated_printer.report(gcode_state="FAILED")
    wait_for(lambda: status(p1s)["state"] == "failed", what="FAILED")
    reported = InventoryTransaction.objects.filter(production_run=failing, type="printer_use")
    assert -sum(row.weight_change_g for row in reported) == Decimal("37.00")
    failed = admin.post(f"/api/v1/production-runs/{failing.pk}/fail/", {"failure_reason": "spaghetti"}, format="json")
    assert failed.status_code == 200, failed.content
    assert failed.json()["actual_total_g"] == "37.00"
    assert not InventoryTransaction.objects.filter(production_run=failing, type="waste").exists()
    rfid_spool.refresh_from_db()
    assert rfid_spool.current_weight_g == Decimal("1000.00") - Decimal("120.00") - Decimal("37.00")

    # The broker stopped and started again: the bridge reconnects, and reports flow again.
    broker.stop()
    wait_for(lambda: status(p1s)["connection_state"] == "disconnected", what="the lost connection")
    broker.start()
    wait_for(lambda: status(p1s)["connection_state"] == "connected", what="the bridge to reconnect")
    wait_for(lambda: simulated_printer.connections == 2, what="the simulated printer to reconnect")
    simulated_printer.report(gcode_state="IDLE", mc_percent=0)
    wait_for(lambda: status(p1s)["state"] == "idle", what="IDLE after reconnecting")

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    output.seek(0)
    logged = output.read()
    assert "Printer P1S-01: connected" in logged
    assert ACCESS_CODE not in logged
    assert status(p1s)["connection_state"] == "disconnected"
