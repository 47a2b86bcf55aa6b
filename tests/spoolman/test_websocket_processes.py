"""Live websockets on real server processes: a change made through one process reaches a websocket held by
another in under 2 s, without Redis; a key revoked (or its printer deactivated) closes its open socket within
one poll."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets
from django.db import connection
from knox.models import AuthToken

from spoolman.consumers import KEY_NOT_IN_FORCE
from tests.conftest import postgres_only
from tests.support.webhooks import wait_until_the_feed_serves_everything

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

ROOT = Path(__file__).resolve().parents[2]
UVICORN = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
UVICORN += ["--ws", "websockets-sansio", "--log-level", "warning", "--lifespan", "off"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url():
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


@contextmanager
def uvicorn_servers(count):
    """`count` uvicorn processes on the test database, sharing nothing else (no REDIS_URL)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "REDIS_URL": "",
        "CONN_MAX_AGE": "0",  # no connection outlives a request: the test database is dropped at the end
    }
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [*UVICORN, "--port", str(port)],
            cwd=ROOT,
            env=env,
        )
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


@pytest.fixture
def two_servers(transactional_db):
    with uvicorn_servers(2) as addresses:
        yield addresses


@pytest.fixture
def server(transactional_db):
    with uvicorn_servers(1) as (address,):
        yield address


def test_a_use_reported_to_one_process_reaches_a_websocket_on_another(two_servers, tenant, issued, spool):
    listening, writing = two_servers
    # The socket's first message is the reported use, not the spool's creation.
    wait_until_the_feed_serves_everything(tenant)

    async def session():
        async with (
            websockets.connect(f"ws://{listening}/spoolman/{issued.secret}/api/v1/spool/{spool.number}") as ws,
            httpx.AsyncClient() as http,
        ):
            started = time.monotonic()
            response = await http.put(
                f"http://{writing}/spoolman/{issued.secret}/api/v1/spool/{spool.number}/use", json={"use_weight": 7}
            )
            assert response.status_code == 200
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            return message, time.monotonic() - started

    message, latency = asyncio.run(session())

    assert message["payload"]["remaining_weight"] == 993.0
    assert latency < 2, latency


@pytest.fixture
def owner_token(tenant, make_member):
    return AuthToken.objects.create(user=make_member(tenant, "owner"))[1]


def cut_off(server, issued, spool, owner_token, cut):
    """Open the key's websocket, `cut(http)` the key off, change the spool: the messages the socket
    received about that change, how it was closed, and how long after the cut."""
    api = f"http://{server}/api/v1"
    headers = {"Authorization": f"Token {owner_token}", "X-Tenant": "acme"}
    adjust = f"{api}/spools/{spool.pk}/adjust/"

    async def session():
        received = []
        async with (
            websockets.connect(f"ws://{server}/spoolman/{issued.secret}/api/v1/spool") as ws,
            httpx.AsyncClient(headers=headers, timeout=30) as http,
        ):
            await cut(http)
            cut_at = time.monotonic()
            adjusting = asyncio.create_task(http.post(adjust, json={"type": "waste", "delta_g": "-2.00"}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    received.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
            waited = time.monotonic() - cut_at
            assert (await adjusting).status_code == 200
            changed = [message for message in received if message["payload"]["remaining_weight"] == 998.0]
            return changed, closed.value.rcvd, waited

    return asyncio.run(session())


def test_a_revoked_key_s_open_websocket_is_closed_within_one_poll_and_gets_nothing_more(
    server, issued, printer, spool, owner_token
):
    async def revoke(http):
        url = f"http://{server}/api/v1/printers/{printer.pk}/integration-keys/{issued.key.pk}/"
        assert (await http.delete(url)).status_code == 204

    received, close, waited = cut_off(server, issued, spool, owner_token, revoke)

    assert received == []
    assert close is not None and close.code == KEY_NOT_IN_FORCE
    assert waited < 2  # one poll (0.5 s), plus whatever the load adds


def test_a_deactivated_printer_s_open_websocket_is_closed_within_one_poll(server, issued, printer, spool, owner_token):
    async def deactivate(http):
        url = f"http://{server}/api/v1/printers/{printer.pk}/"
        assert (await http.patch(url, json={"is_active": False})).status_code == 200

    received, close, waited = cut_off(server, issued, spool, owner_token, deactivate)

    assert received == []
    assert close is not None and close.code == KEY_NOT_IN_FORCE
    assert waited < 2
