"""The bridge against a real broker and a simulated P1S: status, trays, use, failures and reconnection."""

from decimal import Decimal

import pytest

from bambu.models import PrinterStatus
from inventory.models import InventoryTransaction
from tests.bambu.conftest import wait_for
from tests.conftest import client_for
from tests.support.mqtt import RFID_UUID

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(printer):
    return PrinterStatus.objects.filter(connection__printer=printer).first()


def test_the_status_and_trays_appear_with_the_rfid_spool(
    bridge, simulated_printer, bambu_printer, connect, rfid_spool, tenant, make_member
):
    connect(bambu_printer)

    wait_for(lambda: (s := status_of(bambu_printer)) and s.trays, what="the printer's trays")
    body = client_for(make_member(tenant, "viewer"), tenant).get(f"/api/v1/printers/{bambu_printer.pk}/status/").json()

    assert simulated_printer.pushall_requests == 1
    assert body["connection_state"] == "connected"
    assert (body["state"], body["gcode_state"]) == ("idle", "IDLE")
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
