"""A change made through one server process reaches a websocket held by another, in under 2 s, without Redis."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from django.db import connection

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


@pytest.fixture
def two_servers(transactional_db):
    """Two uvicorn processes on the test database, sharing nothing else (no REDIS_URL)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "REDIS_URL": "",
        "CONN_MAX_AGE": "0",  # no connection outlives a request: the test database is dropped at the end
    }
    ports = [free_port(), free_port()]
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
