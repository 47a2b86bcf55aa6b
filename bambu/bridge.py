"""The bridge: one MQTT connection per connected Bambu Lab printer, for every tenant, in one process.

`python manage.py printer_bridge` runs `Bridge.run`. Every few seconds it reads the printer
connections (across tenants: a management command's documented escape, tenants/scoping.py) and
starts, restarts or stops one `PrinterLink` per connection, so a new, changed or deleted
connection is picked up within `poll_seconds` (at most 10). Each link runs in its own thread:

- connects to the saved host and port only, over TLS (the printer's self-signed certificate is
  accepted unless BAMBU_CA_FILE names a CA to verify it against), as `bblp` with the access code;
- subscribes to `device/{serial}/report` and asks for the full state (`pushall` on
  `device/{serial}/request`); merges each report into the last full state (bambu/reports.py);
- stores the status, books use and records events through bambu.services, inside its own
  tenant's scope and, on PostgreSQL, row-level security: a report can only ever reach the
  tenant whose admin saved the connection;
- reconnects with exponential backoff (1 s doubling to `max_backoff_seconds`); a refused login
  is `auth_failed` and retried only every `auth_retry_seconds`;
- catches and logs its own failures (a bad message, a database error), so one printer's trouble
  never stops another's.

The access code lives in the link's memory and paho's CONNECT packet only: it is never logged
(`Target`'s repr leaves it out) nor written anywhere but its encrypted column.
"""

import json
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections, connection

from bambu import credentials, services
from bambu.models import ConnectionKind, ConnectionState, PrinterConnection
from bambu.reports import Snapshot, merge, snapshot
from tenants.models import Tenant
from tenants.row_security import tenant_row_security
from tenants.scoping import all_tenants, tenant_scope

log = logging.getLogger(__name__)

USERNAME = "bblp"
PUSHALL = json.dumps({"pushing": {"sequence_id": "0", "command": "pushall"}})
MAX_MESSAGE_BYTES = 1_000_000
# CONNACK codes of a refused login: MQTT 3.1.1's 4 and 5 (paho reports them as 134 and 135).
AUTH_REFUSED = frozenset({4, 5, 134, 135})
# What `_in_tenant` answers for a write that failed (None is a write's own "nothing to do").
FAILED = object()


@dataclass(frozen=True, kw_only=True)
class Options:
    poll_seconds: float = 5.0
    auth_retry_seconds: float = 120.0
    min_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    keepalive_seconds: int = 30
    # Temperatures and remaining time alone are stored at most this often; anything else at once.
    status_interval_seconds: float = 5.0
    ca_file: str = ""


@dataclass(frozen=True, kw_only=True)
class Target:
    """One printer to connect to, as its tenant's admin saved it."""

    tenant: Tenant
    link: services.Link
    host: str
    port: int
    serial: str
    access_code: str = field(repr=False)


def load_targets() -> dict[UUID, Target]:
    """Every tenant's Bambu Lab connections, by connection id; one whose code cannot be decrypted is skipped."""
    targets = {}
    with all_tenants():
        rows = list(PrinterConnection.objects.filter(kind=ConnectionKind.BAMBU_LAN).select_related("printer", "tenant"))
    for row in rows:
        link = services.Link(
            tenant_id=row.tenant_id,
            printer_id=row.printer_id,
            printer_name=row.printer.name,
            connection_id=row.pk,
            version=row.version,
        )
        try:
            code = credentials.decrypt(row.access_code_encrypted)
        except credentials.UndecryptableCredential as exc:
            log.error("Printer %s (tenant %s): %s", row.printer.name, row.tenant.slug, exc)
            _in_tenant(
                row.tenant,
                services.record_connection_state,
                link=link,
                state=ConnectionState.DISCONNECTED,
                error=str(exc),
            )
            continue
        targets[row.pk] = Target(
            tenant=row.tenant, link=link, host=row.host, port=row.port, serial=row.serial, access_code=code
        )
    return targets


@contextmanager
def acting_for(tenant: Tenant):
    """The tenant's scope, and on PostgreSQL its row-level security: the bridge writes as an API request would."""
    with tenant_scope(tenant), tenant_row_security(tenant, write=True):
        yield


def _in_tenant(tenant: Tenant, function: Callable[..., Any], **kwargs) -> Any:
    """`function(**kwargs)` for `tenant`; a failure is logged (and the connection reset) and answers FAILED."""
    try:
        close_old_connections()
        with acting_for(tenant):
            return function(**kwargs)
    except Exception:
        log.exception("Writing %s for tenant %s failed", getattr(function, "__name__", function), tenant.slug)
        connection.close()
        return FAILED


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """TLS to a printer: its certificate names its serial, not its address, so host names are not checked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def describe(exc: BaseException) -> str:
    """A connection failure in words (an OSError's text names the address, never the credentials)."""
    text = str(exc) or type(exc).__name__
    return f"Cannot reach the printer: {text}"[:255]


class PrinterLink:
    """One printer's MQTT connection, in a thread of its own, reconnecting until stopped."""

    def __init__(self, target: Target, options: Options):
        self.target = target
        self.options = options
        self.state: dict[str, Any] = {}
        self._stop = threading.Event()
        self._client: mqtt.Client | None = None
        self._outcome = ConnectionState.DISCONNECTED
        self._stored: Snapshot | None = None
        self._stored_at = 0.0
        self._progress_seen: int | None = None
        self._remains_seen: dict[str, int] | None = None
        self._thread = threading.Thread(target=self._run, name=f"printer-{target.link.printer_name}", daemon=True)

    @property
    def name(self):
        return self.target.link.printer_name

    def start(self):
        self._thread.start()

    def stop(self):
        """Ask the link to end (its thread ends within a few seconds); `join` waits for it."""
        self._stop.set()
        client = self._client
        if client is not None:
            client.disconnect()

    def join(self, timeout=10.0):
        self._thread.join(timeout)

    def _write(self, function: Callable[..., Any], **kwargs) -> Any:
        return _in_tenant(self.target.tenant, function, link=self.target.link, **kwargs)

    def _run(self):
        failures = 0
        try:
            while not self._stop.is_set():
                outcome = self._session()
                if self._stop.is_set():
                    break
                if outcome == ConnectionState.AUTH_FAILED:
                    delay = self.options.auth_retry_seconds
                elif outcome == ConnectionState.CONNECTED:
                    failures, delay = 0, self.options.min_backoff_seconds
                else:
                    delay = min(self.options.min_backoff_seconds * 2**failures, self.options.max_backoff_seconds)
                    failures += 1
                log.info("Printer %s: %s; trying again in %.1f s", self.name, outcome, delay)
                self._stop.wait(delay)
            self._write(services.record_connection_state, state=ConnectionState.DISCONNECTED)
        finally:
            connection.close()

    def _session(self) -> str:
        """Connect, and serve the connection until it ends; how it ended (connected, disconnected, auth_failed)."""
        target = self.target
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"printfarm-{secrets.token_hex(6)}",
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=False,
        )
        client.username_pw_set(USERNAME, target.access_code)
        client.tls_set_context(tls_context(self.options.ca_file))
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        self._outcome = ConnectionState.DISCONNECTED
        self._client = client
        if self._stop.is_set():
            return self._outcome
        try:
            client.connect(target.host, target.port, keepalive=self.options.keepalive_seconds)
        except (OSError, ValueError) as exc:
            self._write(services.record_connection_state, state=ConnectionState.DISCONNECTED, error=describe(exc))
            return ConnectionState.DISCONNECTED
        try:
            client.loop_forever()
        except (OSError, ValueError) as exc:
            self._write(services.record_connection_state, state=ConnectionState.DISCONNECTED, error=describe(exc))
        return self._outcome

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            if reason_code.value in AUTH_REFUSED:
                self._outcome = ConnectionState.AUTH_FAILED
                error = "The printer refused the access code."
                log.warning("Printer %s: the access code was refused", self.name)
            else:
                error = f"The printer refused the connection: {reason_code}"
            self._write(services.record_connection_state, state=self._outcome, error=error)
            client.disconnect()
            return
        self._outcome = ConnectionState.CONNECTED
        log.info("Printer %s: connected to %s:%s", self.name, self.target.host, self.target.port)
        self._write(services.record_connection_state, state=ConnectionState.CONNECTED)
        serial = self.target.serial
        client.subscribe(f"device/{serial}/report", qos=0)
        client.publish(f"device/{serial}/request", PUSHALL, qos=0)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if self._outcome == ConnectionState.AUTH_FAILED:
            return
        error = "" if self._stop.is_set() else f"Connection lost: {reason_code}"
        self._write(services.record_connection_state, state=ConnectionState.DISCONNECTED, error=error)

    def _on_message(self, client, userdata, message):
        if message.topic != f"device/{self.target.serial}/report" or len(message.payload) > MAX_MESSAGE_BYTES:
            return
        try:
            report = json.loads(message.payload)
        except ValueError:
            log.warning("Printer %s: a report that is not JSON was ignored", self.name)
            return
        if not isinstance(report, dict) or not isinstance(report.get("print"), dict):
            return  # `info`, `system`, ... and the echo of our own requests
        self.state = merge(self.state, {"print": report["print"]})
        self.handle(snapshot(self.state))

    def handle(self, current: Snapshot):
        """Store what changed, then book the use it shows (each write its own transaction)."""
        now = time.monotonic()
        if self._should_store(current, now) and self._write(services.record_snapshot, snapshot=current) is not FAILED:
            self._stored, self._stored_at = current, now
        percent = current.progress_percent
        running = current.gcode_state == "RUNNING" and percent and percent != self._progress_seen
        if running and self._write(services.book_progress, percent=percent) is not FAILED:
            self._progress_seen = percent
        remains = {tray.tray_uuid: tray.remain_percent for tray in current.trays if tray.is_tagged}
        changed = remains and remains != self._remains_seen
        if changed and self._write(services.book_tray_remains, trays=current.trays) is not FAILED:
            self._remains_seen = remains

    def _should_store(self, current: Snapshot, now: float) -> bool:
        """Anything but the temperatures and the remaining time at once; those alone every few seconds."""
        if current == self._stored:
            return False
        if self._stored is None or _steady(current) != _steady(self._stored):
            return True
        return now - self._stored_at >= self.options.status_interval_seconds


def _steady(value: Snapshot) -> Snapshot:
    return replace(value, nozzle_temperature_c=None, bed_temperature_c=None, remaining_minutes=None)


class Bridge:
    """Keeps one `PrinterLink` per connection in the database, until `stop` is set."""

    def __init__(self, options: Options):
        self.options = options
        self.links: dict[UUID, PrinterLink] = {}

    def sync(self):
        targets = load_targets()
        stopping = []
        for connection_id, link in list(self.links.items()):
            target = targets.get(connection_id)
            if target is None or target.link.version != link.target.link.version:
                log.info("Printer %s: connection %s", link.name, "removed" if target is None else "changed")
                link.stop()
                stopping.append(link)
                del self.links[connection_id]
        for link in stopping:
            link.join()
        for connection_id, target in targets.items():
            if connection_id not in self.links:
                link = PrinterLink(target, self.options)
                self.links[connection_id] = link
                link.start()

    def run(self, stop: threading.Event):
        log.info("Printer bridge started (looking for connection changes every %s s)", self.options.poll_seconds)
        try:
            while not stop.is_set():
                try:
                    self.sync()
                except Exception:
                    log.exception("Reading the printer connections failed; trying again")
                    connection.close()
                stop.wait(self.options.poll_seconds)
        finally:
            self.shutdown()
            connection.close()

    def shutdown(self):
        links = list(self.links.values())
        for link in links:
            link.stop()
        for link in links:
            link.join()
        self.links.clear()
        log.info("Printer bridge stopped")


def options_from_settings(**overrides) -> Options:
    return Options(ca_file=settings.BAMBU_CA_FILE, **overrides)
