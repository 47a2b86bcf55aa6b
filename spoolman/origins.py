"""Which browser origins may change a tenant's data through its Spoolman key, or open its websockets.

The key in the path is the only credential of `/spoolman/<key>/`, and a browser holding a page of
another site can still send to a URL it knows: a form post needs no CORS preflight, and websockets
are exempt from CORS. So, as Spoolman 0.26 does, a state-changing request (POST, PUT, PATCH,
DELETE) and every websocket handshake must come from a trusted origin:

- no `Origin` header (Moonraker, OctoPrint, Home Assistant, scripts: not a browser, or a
  same-origin navigation): trusted;
- `null` (a sandboxed frame, a `data:` or `file:` page): never trusted;
- an origin whose host (and port, the scheme's default dropped) is the request's own `Host`, or the
  first `X-Forwarded-Host` (a reverse proxy that rewrites `Host`; a page cannot set that header on
  a request that needs no preflight): trusted, it is this server's own page; both names must be
  hosts this server answers to (below);
- an origin listed in `CSRF_TRUSTED_ORIGINS` (Django's own list of origins trusted with unsafe
  requests; `https://*.example.com` covers its subdomains): trusted;
- any other: refused (HTTP 403 `{"message": ...}`, a websocket closed before its handshake).

Reads over HTTP are not checked: the same-origin policy keeps their answers from a foreign page.

The names a request reached the server by are checked against Django's `ALLOWED_HOSTS`, this
server's DNS rebinding defence in place of Spoolman's `SPOOLMAN_ALLOWED_HOSTS`: Django refuses a
`Host` it does not serve (400) before any view; `X-Forwarded-Host`, which Django ignores but the
origin check above trusts as the server's own name, is checked here too (400 `{"message"}`), and a
websocket handshake, which Django never sees, has both checked here (refused before it is accepted).
Unlike Spoolman, IP addresses and single-label or `.local` names are served only when listed.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port, validate_host

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}
REFUSAL = (
    "Request refused: it came from a browser origin this server does not trust. "
    "List the origin in CSRF_TRUSTED_ORIGINS if it should be allowed."
)


def normalized(origin: str) -> str:
    return origin.strip().lower().rstrip("/")


def authority(origin: str) -> str:
    """The `host[:port]` of an origin, without its scheme's default port."""
    parts = urlsplit(origin)
    default = DEFAULT_PORTS.get(parts.scheme)
    return parts.netloc.removesuffix(default) if default else parts.netloc


def own_hosts(host: str, forwarded_host: str | None) -> set[str]:
    """The names this request reached the server by: its `Host`, and a proxy's first `X-Forwarded-Host`."""
    hosts = {host.strip().lower().removesuffix(":80").removesuffix(":443")}
    if forwarded_host:
        hosts.add(forwarded_host.split(",")[0].strip().lower().removesuffix(":80").removesuffix(":443"))
    hosts.discard("")
    return hosts


def listed(origin: str) -> bool:
    """`origin` is in CSRF_TRUSTED_ORIGINS (exactly, or under a `scheme://*.domain` entry)."""
    scheme = urlsplit(origin).scheme
    netloc = authority(origin)
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        entry = normalized(entry)
        if entry == origin:
            return True
        if "://*." in entry:
            entry_scheme, _, domain = entry.partition("://*.")
            host = netloc.partition(":")[0]
            if entry_scheme == scheme and (host == domain or host.endswith("." + domain)):
                return True
    return False


def is_trusted(origin: str | None, host: str, forwarded_host: str | None = None) -> bool:
    """Whether a request with this `Origin` (None: none sent), `Host` and `X-Forwarded-Host` is trusted."""
    if origin is None or not origin.strip():
        return True
    origin = normalized(origin)
    if origin == "null":
        return False
    netloc = authority(origin)
    if netloc and netloc in own_hosts(host, forwarded_host):
        return True
    return listed(origin)


HOST_REFUSAL = (
    "Request refused: it was addressed to a host name this server does not answer to. "
    "List the name in ALLOWED_HOSTS if it should be served."
)


def host_is_served(host: str) -> bool:
    """`host` (`name[:port]`) is one of ALLOWED_HOSTS, as Django's `HttpRequest.get_host` decides."""
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host.strip())
    return bool(domain) and validate_host(domain, allowed)


def forwarded_host_is_served(forwarded_host: str | None) -> bool:
    """No `X-Forwarded-Host`, or its first name (what the browser asked for) is served."""
    return not forwarded_host or host_is_served(forwarded_host.split(",")[0])


def request_is_trusted(request) -> bool:
    """An HTTP request: reads always; a state-changing one from a trusted origin only."""
    if request.method not in UNSAFE_METHODS:
        return True
    try:
        host = request.get_host()  # its Host (else the server's name), which Django has checked already
    except DisallowedHost:
        host = ""
    return is_trusted(request.headers.get("Origin"), host, request.headers.get("X-Forwarded-Host"))


def handshake_is_trusted(scope) -> bool:
    """A websocket handshake (an ASGI scope): addressed to a served host, from a trusted origin."""
    headers = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    host, forwarded_host = headers.get("host"), headers.get("x-forwarded-host")
    if (host is not None and not host_is_served(host)) or not forwarded_host_is_served(forwarded_host):
        return False
    return is_trusted(headers.get("origin"), host or "", forwarded_host)
