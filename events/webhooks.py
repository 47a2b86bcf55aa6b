"""Webhook deliveries: who gets which event (dispatch), and one signed POST per attempt (attempt).

Both run in the background worker (events/tasks.py), never in a request. The tasks call this module
and enqueue what it asks for; this module never imports the tasks:

- `dispatch(tenant_id)` (enqueued after a write that recorded events commits) locks the tenant's
  active webhooks, reads the feed after each one's `last_event_id` (events/selectors.py, so an
  event is handed out only once its transaction and every older one have ended), creates one
  `WebhookDelivery` per wanted event and moves the cursors on; once that commits, its task
  enqueues one `deliver` task per delivery, and, if events are still held back by a running
  transaction, itself again a second later.
- `attempt(delivery_id)` POSTs the event, signed, to the webhook's URL. A 2xx marks it delivered;
  anything else (another status, a timeout, a refused address) is retried with exponential
  backoff (30 s, 1 min, 2 min... at most 1 h apart) until `WEBHOOK_RETRY_HOURS` (24) after the
  delivery was created, then it is given up (`failed`). One task per delivery and attempt: a
  delivery is never sent by two workers at once.

The request, for a receiver to check (documented in the README):

    POST <url>
    Content-Type: application/json
    X-Printfarm-Event: spool.updated
    X-Printfarm-Delivery: <delivery uuid>          (the same on every retry: deduplicate on it)
    X-Printfarm-Timestamp: <unix seconds of this attempt>
    X-Printfarm-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

    {"id", "type", "resource", "resource_id", "occurred_at", "actor", "payload"}  (the feed's event)

The URL is checked when a webhook is saved and again at each attempt: its host must resolve only to
public addresses (not private, loopback, link-local, shared, reserved or multicast) unless
`WEBHOOK_ALLOW_PRIVATE_URLS` is set, and the connection goes to the address that was checked, so
a DNS answer that changes in between cannot redirect it. Redirects are not followed.
"""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.errors import ErrorCode, InvalidInput
from core.locking import lock_rows
from events.models import DeliveryStatus, Event, Webhook, WebhookDelivery
from events.selectors import feed, held_back
from events.serializers import EventSerializer

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Printfarm-Signature"
TIMESTAMP_HEADER = "X-Printfarm-Timestamp"
DELIVERY_HEADER = "X-Printfarm-Delivery"
EVENT_HEADER = "X-Printfarm-Event"
USER_AGENT = "printfarm-webhooks/1"
DISPATCH_PAGE = 500
FIRST_RETRY = datetime.timedelta(seconds=30)
LONGEST_RETRY = datetime.timedelta(hours=1)
HELD_BACK_RECHECK = datetime.timedelta(seconds=1)


def now():
    """The clock of deliveries and retries (tests move it; nothing here sleeps)."""
    return timezone.now()


def new_secret():
    return f"whsec_{secrets.token_urlsafe(32)}"


# --- addresses -------------------------------------------------------------------------------


# IPv6 forms that carry an IPv4 address a packet can end up at: the IPv4 is checked as well.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 in the last 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translator, never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291 (deprecated): ::a.b.c.d
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 (SIIT): ::ffff:0:a.b.c.d


def embedded_ipv4(ip):
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, -compatible and -translated, NAT64, 6to4, Teredo."""
    if ip.version != 6:
        return []
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if any(ip in network for network in (NAT64_WELL_KNOWN, IPV4_COMPATIBLE, IPV4_TRANSLATED)):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:  # 2002::/16: the IPv4 in bits 16-47
        return [ip.sixtofour]
    if ip.teredo is not None:  # 2001::/32: the server, and the client (the last 32 bits inverted)
        return list(ip.teredo)
    return []


def is_public_ip(ip):
    return ip.is_global and not ip.is_multicast


def is_public(address):
    """Whether an address, and every IPv4 address an IPv6 form of it embeds, is a public unicast one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip in NAT64_LOCAL_USE:
            return False
        if ip.ipv4_mapped is not None:  # the IPv4 address itself, in IPv6 notation: only it counts
            return is_public_ip(ip.ipv4_mapped)
    return is_public_ip(ip) and all(is_public_ip(inner) for inner in embedded_ipv4(ip))


def url_port(url):
    """The URL's port (its scheme's by default); a 400 for one outside 1-65535."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise InvalidInput("The URL's port must be a number from 1 to 65535.", code=ErrorCode.INVALID)
    return port or (443 if parts.scheme == "https" else 80)


def resolve(url):
    """The addresses the URL's host resolves to, checked: a 400 for none, or a non-public one when not allowed."""
    host, port = urlsplit(url).hostname, url_port(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        infos = []
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise InvalidInput(f"The host {host!r} does not resolve.", code=ErrorCode.UNRESOLVABLE_WEBHOOK_URL)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        private = [address for address in addresses if not is_public(address)]
        if private:
            raise InvalidInput(
                f"The host {host!r} resolves to a non-public address ({private[0]}); webhooks may only call "
                "public addresses.",
                code=ErrorCode.PRIVATE_WEBHOOK_URL,
            )
    return addresses, port


# --- signing ---------------------------------------------------------------------------------


def signature(secret, timestamp, body):
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_body(event):
    """The event as the feed shows it, as compact JSON: the body that is signed and sent."""
    return json.dumps(EventSerializer(event).data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


# --- dispatch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatched:
    """What `dispatch` committed: the deliveries created, and when to look again for held-back events."""

    deliveries: list[WebhookDelivery]
    recheck_at: datetime.datetime | None = None


def dispatch(tenant_id):
    """Create the deliveries of the tenant's new events for each active webhook (see the module).

    It enqueues nothing: events/tasks.py, its caller, enqueues the deliveries and the recheck.
    """
    with transaction.atomic():
        hooks = lock_rows(Webhook.objects.filter(tenant_id=tenant_id, is_active=True))
        deliveries = []
        for hook in hooks:
            while True:
                page = feed(tenant=tenant_id, after=hook.last_event_id, limit=DISPATCH_PAGE)
                deliveries += [
                    WebhookDelivery(tenant_id=tenant_id, webhook=hook, event=event)
                    for event in page
                    if hook.wants(event.type)
                ]
                if page:
                    hook.last_event_id = page[-1].pk
                if len(page) < DISPATCH_PAGE:
                    break
        WebhookDelivery.objects.bulk_create(deliveries)
        Webhook.objects.bulk_update(hooks, ["last_event_id"])
        held = any(held_back(tenant=tenant_id, after=hook.last_event_id) for hook in hooks)
    return Dispatched(deliveries, recheck_at=timezone.now() + HELD_BACK_RECHECK if held else None)


def first_cursor(tenant):
    """Where a new webhook starts: after the tenant's last event so far (it gets what happens from now on)."""
    last = Event.objects.for_tenant(tenant).order_by("-xact_id", "-id").values_list("pk", flat=True).first()
    return last


# --- attempts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    error: str = ""

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


def backoff(attempts):
    """The wait after the `attempts`-th failed attempt: 30 s doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


@dataclass(frozen=True)
class Attempted:
    """What `attempt` committed: the delivery (None if it is gone), and when its next attempt is due."""

    delivery: WebhookDelivery | None
    retry_at: datetime.datetime | None = None


def attempt(delivery_id):
    """One attempt of a pending delivery (see the module).

    It enqueues nothing: events/tasks.py, its caller, enqueues the retry at `retry_at`.
    """
    delivery = WebhookDelivery.objects.select_related("webhook", "event").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return Attempted(delivery)
    outcome = send(delivery)
    moment = now()
    delivery.attempts += 1
    delivery.last_attempt_at = moment
    delivery.response_status = outcome.status
    delivery.last_error = outcome.error[:500]
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, moment, None
    else:
        retry_at = moment + backoff(delivery.attempts)
        if retry_at >= delivery.created_at + datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            logger.warning("Webhook delivery %s to %s given up: %s", delivery.pk, delivery.webhook.url, outcome)
        else:
            delivery.next_attempt_at = retry_at
    with transaction.atomic():
        fields = ["attempts", "last_attempt_at", "response_status", "last_error", "status", "delivered_at"]
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            **{name: getattr(delivery, name) for name in fields}, next_attempt_at=delivery.next_attempt_at
        )
    return Attempted(delivery, retry_at=delivery.next_attempt_at if updated else None)


def send(delivery):
    """POST the delivery's event to its webhook, signed; never raises."""
    hook = delivery.webhook
    body = event_body(delivery.event)
    timestamp = str(int(time.time()))
    try:
        addresses, port = resolve(hook.url)
    except InvalidInput as refused:
        return Outcome(error=f"{refused.code}: {refused.detail}")
    parts = urlsplit(hook.url)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, port, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    # Connect to the address that was checked, not to a second DNS answer (TLS still checks the host name).
    connection._create_connection = lambda _address, timeout, source=None: socket.create_connection(
        (addresses[0], port), timeout, source
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event.type,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(hook.secret, timestamp, body),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return Outcome(status=response.status, error="" if 200 <= response.status < 300 else response.reason)
    except (OSError, http.client.HTTPException) as failure:
        return Outcome(error=f"{type(failure).__name__}: {failure}")
    finally:
        connection.close()
