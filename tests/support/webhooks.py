"""A local webhook receiver (an http.server in a thread) and the background worker, run in-process."""

import hashlib
import hmac
import http.server
import io
import json
import threading
import time
from dataclasses import dataclass

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import selectors
from tenants.scoping import tenant_scope

POLL_TIMEOUT_S = 60


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def event(self):
        return json.loads(self.body)

    def signed_with(self, secret):
        timestamp = self.headers["X-Printfarm-Timestamp"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["X-Printfarm-Signature"], f"sha256={expected}")


class Receiver:
    """Records every POST; answers each with the next of `statuses` (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(Received(dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/printfarm"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run_worker():
    """Run the real `db_worker` until no task is ready, in this process."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", stdout=io.StringIO())


def make_scheduled_tasks_due():
    """The queue's clock moves on: every task waiting for its `run_after` becomes ready now."""
    return DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def poll(read, until, timeout=POLL_TIMEOUT_S):
    """`read()` again until `until(result)`: waits only for other transactions of the cluster to end
    (PostgreSQL's feed holds an event back while an older transaction runs); returns the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = read()
        if until(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def wait_until_the_feed_serves_everything(tenant):
    """Until no event of `tenant` is held back (PostgreSQL's feed waits for every older transaction of
    the cluster, other databases' included). A reader that starts then begins after all of them: a
    test's setup, such as its spool's `spool.created`, is never served to it as a change."""

    def held_back():
        with tenant_scope(tenant):
            return selectors.held_back(tenant=tenant)

    assert not poll(held_back, lambda held: not held), "the feed still holds back events of the setup"
