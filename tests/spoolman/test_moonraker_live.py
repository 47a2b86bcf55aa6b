"""Done-when: Moonraker's session against a live ASGI server, over a real websocket and HTTP.

Moonraker connects the websocket at `<server>/api/v1/spool` first, checks its active spool
with `GET spool/<id>`, then every sync interval reports the extruded length with
`PUT spool/<id>/use {"use_length": mm}`; a report that fails (not a 404) is added to the next
one. Here the intervals are simulated, one report fails with a 500, and at the end the ledger
holds exactly what the successful reports carried, each change having reached the websocket.
"""

import asyncio
import json
import time
from decimal import ROUND_DOWN, Decimal

import httpx
import pytest
import websockets

from inventory.models import InventoryTransaction
from spoolman import services, shapes
from tests.support.asgi import serving_asgi
from tests.support.ledger import assert_ledger_balances
from tests.support.webhooks import wait_until_the_feed_serves_everything

pytestmark = pytest.mark.django_db(transaction=True)

LENGTHS_MM = [812.5, 1330.25, 96.0, 2048.75, 15.5]
CENT = Decimal("0.01")
FAILING_REPORT = 2  # the third report answers 500; Moonraker adds its length to the next one


@pytest.fixture
def live_server_url(transactional_db, monkeypatch):
    with serving_asgi(monkeypatch) as address:
        yield address


def test_moonraker_reports_use_over_http_and_hears_every_change_on_the_websocket(
    live_server_url, monkeypatch, tenant, issued, spool
):
    real_report_use = services.report_use
    calls = {"n": 0}

    def report_use_failing_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == FAILING_REPORT + 1:
            raise RuntimeError("a crash while booking the report (answered 500)")
        return real_report_use(**kwargs)

    monkeypatch.setattr(services, "report_use", report_use_failing_once)
    server = f"{live_server_url}/spoolman/{issued.secret}"
    per_mm = shapes.grams_per_mm(spool.material)

    async def moonraker():
        reported, booked, latencies = [], [], []
        # The websocket first, as Moonraker does; only then HTTP.
        async with (
            websockets.connect(f"ws://{server}/api/v1/spool") as socket,
            httpx.AsyncClient(base_url=f"http://{server}/api", headers={"User-Agent": "Moonraker"}) as http,
        ):
            checked = await http.get(f"/v1/spool/{spool.number}")
            assert checked.status_code == 200
            assert checked.json()["id"] == spool.number
            pending = 0.0
            for length in LENGTHS_MM:
                await asyncio.sleep(0.2)  # Moonraker's sync_rate, shortened
                pending += length
                sent = time.monotonic()
                response = await http.put(f"/v1/spool/{spool.number}/use", json={"use_length": pending})
                if response.status_code != 200:
                    assert response.status_code == 500
                    continue  # kept pending: sent again with the next interval's length
                reported.append(Decimal(str(pending)) * per_mm)
                # Whole cents are booked; the rest is carried into the next report.
                booked.append(sum(reported).quantize(CENT, ROUND_DOWN) - sum(booked, Decimal("0")))
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))
                latencies.append(time.monotonic() - sent)
                assert (message["type"], message["resource"]) == ("updated", "spool")
                assert message["payload"]["id"] == spool.number
                # Spoolman's exact figure: the carried rest is filament gone too.
                assert message["payload"]["remaining_weight"] == pytest.approx(float(1000 - sum(reported)), abs=1e-5)
                assert set(message) == {"type", "resource", "date", "payload"}
                pending = 0.0
        return booked, latencies

    # The socket's messages are the reports' changes only, not the spool's creation.
    wait_until_the_feed_serves_everything(tenant)
    booked, latencies = asyncio.run(moonraker())

    assert len(booked) == len(LENGTHS_MM) - 1
    rows = InventoryTransaction.objects.filter(spool=spool, type="printer_use").order_by("sequence")
    assert [-row.weight_change_g for row in rows] == booked
    assert {row.source for row in rows} == {"moonraker"}
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("1000.00") - sum(booked)
    assert max(latencies) < 2, latencies


def test_a_websocket_with_an_unknown_key_is_refused(live_server_url):
    async def connect():
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(f"ws://{live_server_url}/spoolman/pfk_unknown/api/v1/spool"):
                pass

    asyncio.run(connect())
