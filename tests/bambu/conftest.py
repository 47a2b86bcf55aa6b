"""A Bambu Lab printer on a real broker (mosquitto, TLS, password file), its connection, and a bridge."""

import threading
import time
from decimal import Decimal

import pytest

from bambu import services
from bambu.bridge import Bridge, Options
from tests.support.mqtt import ACCESS_CODE, RFID_UUID, SERIAL, Broker, SimulatedPrinter

# Quick to notice changes and to retry; the production defaults are seconds and minutes.
TEST_OPTIONS = Options(
    poll_seconds=0.2,
    auth_retry_seconds=30.0,
    min_backoff_seconds=0.2,
    max_backoff_seconds=1.0,
    status_interval_seconds=0.0,
)


def wait_for(predicate, *, timeout=15.0, what="the condition"):
    """Poll `predicate` until it answers something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def broker(tmp_path):
    broker = Broker(tmp_path).start()
    yield broker
    broker.stop()


@pytest.fixture
def simulated_printer(broker):
    printer = SimulatedPrinter(broker).start()
    yield printer
    printer.stop()


@pytest.fixture
def bambu_printer(tenant, make_printer):
    return make_printer(tenant, name="P1S-01", model="Bambu Lab P1S")


@pytest.fixture
def connect(tenant, broker):
    """Save a connection of `printer` to the broker (the access code by default the right one)."""

    def save(printer, *, access_code=ACCESS_CODE, serial=SERIAL):
        return services.save_connection(
            tenant=printer.tenant,
            printer=printer,
            user=None,
            settings=services.ConnectionSettings(
                host="127.0.0.1", port=broker.port, serial=serial, access_code=access_code
            ),
        )

    return save


@pytest.fixture
def rfid_spool(tenant, make_spool, make_material):
    pla = make_material(tenant, name="PLA Basic", brand="Bambu Lab", kind="PLA", color_hex="#FF0000")
    return make_spool(tenant, pla, code="BL-PLA-RED", initial_weight_g=Decimal("1000.00"), rfid_uid=RFID_UUID)


@pytest.fixture
def bridge(transactional_db):
    """The bridge, in a thread of this process (tests/bambu/test_bridge_process.py runs it as its own process)."""
    bridge = Bridge(TEST_OPTIONS)
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    yield bridge
    stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the bridge did not stop"
