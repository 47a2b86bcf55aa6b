"""The project's ASGI application (config.asgi: Django for HTTP, Channels for websockets) under uvicorn, in a thread."""

import threading
import time
from contextlib import contextmanager

import uvicorn
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def serving_asgi(monkeypatch):
    """Yields `host:port` of a live uvicorn serving config.asgi until the block ends.

    Its requests run in worker threads whose connections the test cannot close: they close
    themselves at the end of each request (CONN_MAX_AGE 0), so none outlives the test database.
    """
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 0)
    server = uvicorn.Server(
        uvicorn.Config(
            "config.asgi:application",
            host="127.0.0.1",
            port=0,
            lifespan="off",
            ws="websockets-sansio",
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
