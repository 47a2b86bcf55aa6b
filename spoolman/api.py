"""The Spoolman-compatible v1 API under `/spoolman/<key>/api/v1/`, for Moonraker, OctoPrint-Spoolman and Home Assistant.

Plain Django views, not DRF: the shapes, status codes and error bodies are Spoolman's
(`{"message": ...}`), and the integration key in the path is the only authentication. It
is kept apart from the user-token path (tenants.authentication). A `printer` key acts for its
printer's tenant, may read and report use and weighings, and nothing else; a `manage` key
acts as its creator, with the creator's current role in the tenant (`endpoint`'s `manage`).

Every request enters its key's tenant scope (and, on PostgreSQL, row-level security) for
the rest of the request, as the REST API's views do. Writes run in one transaction with
their answer, bounded like the REST API's (core.locking), and honour `Idempotency-Key`
(core.idempotency) on `PUT`. No input is a 500: a bad body or parameter is a 4xx with a
message, a database that is unreachable a 503 that Moonraker retries.
"""

import functools
import json
import logging
from contextlib import ExitStack
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core import idempotency, writes
from core.api.exceptions import DATABASE_RETRY_AFTER_SECONDS
from core.database import first_round_trip, is_lock_timeout
from core.errors import DomainError
from core.locking import in_transaction_started_for_write, write_started
from spoolman import origins, services, shapes
from spoolman.errors import SpoolmanError
from tenants.models import Role
from tenants.row_security import has_row_security, row_security_transaction, tenant_row_security
from tenants.scoping import request_scope_stack, tenant_scope

logger = logging.getLogger(__name__)

MAX_BODY = 10_000


def answer(data, status=200, headers=None):
    response = JsonResponse(data, status=status, safe=False)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(status, message):
    return answer({"message": message}, status=status)


def database_error_answer(exc):
    """A database that is away (a 503, which Moonraker retries) or a lock not granted in time (409), as JSON."""
    if is_lock_timeout(exc):
        return error(409, "The spool is being changed by another request; try again.")
    response = error(503, "The database is unavailable; try again.")
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def source_of(request) -> str:
    """Which client sent a report, from its User-Agent (Moonraker, OctoPrint and aiohttp/HA say so)."""
    agent = request.headers.get("User-Agent", "").replace("\x00", "")  # stored with the use: no NUL
    lowered = agent.lower()
    for name in ("moonraker", "octoprint", "home assistant", "homeassistant"):
        if name in lowered:
            return name.replace(" ", "")
    if "tornado" in lowered:
        return "moonraker"
    if "python-requests" in lowered:
        return "octoprint"
    if "aiohttp" in lowered:
        return "homeassistant"
    return agent[:100] or "spoolman-api"


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a role may do, in order: viewers read, members write, admins and owners also delete and
# adjust (SPEC section 2); an owner may do what an admin may.
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 2}
# What each rank may do, for the refusal's message.
ROLE_WORDS = {0: "read", 1: "write", 2: "manage"}


def endpoint(*methods, write=False, manage=False):
    """A Spoolman endpoint: key authentication, tenant scope, Spoolman's errors, and for writes a transaction.

    A POST, PUT, PATCH or DELETE from a foreign browser origin (403), and a request through a
    proxy naming a host this server does not serve (400), are refused first, nothing read or
    written (spoolman.origins), whatever the endpoint.

    `write`: the endpoint's methods other than GET/HEAD/OPTIONS write (a transaction, the write's
    bounds, `Idempotency-Key`).

    Every key reads. A write needs, of a `manage` key, a creator who is a member or above now (a
    viewer's key only reads). `manage` says which writes a `printer` key may not make (403,
    Spoolman's `{"message": ...}`), and which role they need of a manage key's creator:

    - False: none; a printer key makes this endpoint's writes too (`use`, `measure`).
    - True: every write of the endpoint needs a manage key (a member's or above).
    - a `Role` (`Role.ADMIN`: deletes, say): every write needs a manage key whose creator holds at
      least that role (admin and owner rank alike).
    - a dict `{method: Role}`: those methods need a manage key with that role (a read named here is
      refused to a printer key too); the other writes as with True.

    The key, its tenant and its creator's current role are read in one statement at each
    request (spoolman.services.authenticate): a revoked key, or a creator who left the tenant,
    is a 401 at the next request; a changed role applies to it. A view that needs more (a field
    of a PATCH that only admins may change) calls `require_role(request, role)` itself.
    """
    for method in methods:
        _needs(manage, method)  # a typo of a role fails at import, not at a request

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, key, **kwargs):
            if not origins.request_is_trusted(request):  # a foreign page's write: before anything is read
                return error(403, origins.REFUSAL)
            if not origins.forwarded_host_is_served(request.headers.get("X-Forwarded-Host")):
                return error(400, origins.HOST_REFUSAL)  # its Host: Django's ALLOWED_HOSTS, before any view
            if request.method not in methods:
                response = error(405, "Method Not Allowed")
                response["Allow"] = ", ".join(methods)
                return response
            request.database_error_answer = database_error_answer  # its commit fails after this view
            refused = nul_parameter(request)
            if refused is not None:
                return error(400, f"The query parameter {refused!r} holds a NUL character, which no value can hold.")
            is_write = write and request.method not in READ_METHODS
            try:
                refused = enter_key(request, key, manage=manage, write=is_write)
                if refused is not None:
                    return refused
                if is_write:
                    return write_in_transaction(view, request, **kwargs)
                return view(request, **kwargs)
            except SpoolmanError as exc:
                return error(exc.status, exc.message)
            except DomainError as exc:
                return error(exc.code.status, exc.detail)
            except DatabaseError as exc:
                logger.exception("Spoolman API: database error")
                connection.close_if_unusable_or_obsolete()
                return database_error_answer(exc)

        return wrapper

    return decorate


def enter_key(request, secret, *, manage, write):
    """Authenticate the request's key and enter its tenant for the rest of the request (its scope and,
    on PostgreSQL, its row security); None, or the answer of a key that is unknown (401) or refused (403).

    On PostgreSQL the key is read inside the request's row-security transaction, and its own row
    enters its tenant there, with the role and a write's bounds in the same message
    (services.authenticate's `entering`): one round trip, Django's connection health check folded
    in (core.database.first_round_trip), where the key, the check and the row security took three.
    An unknown or refused key rolls that transaction back: nothing of it stays.
    """
    if not has_row_security():
        integration = services.authenticate(secret)
        refused = key_refusal(integration, request.method, manage)
        if refused is None:
            request.integration_key = integration
            stack = request_scope_stack(request)
            stack.enter_context(tenant_scope(integration.tenant))
            stack.enter_context(tenant_row_security(integration.tenant, write=write))
        return refused
    return first_round_trip(lambda: _enter_key_in_one_round_trip(request, secret, manage=manage, write=write))


def _enter_key_in_one_round_trip(request, secret, *, manage, write):
    with ExitStack() as entered:
        started = entered.enter_context(row_security_transaction())
        integration = services.authenticate(secret, entering=services.EnteringRowSecurity(write=write))
        refused = key_refusal(integration, request.method, manage)
        if refused is not None:
            transaction.set_rollback(True)
            return refused
        if write:
            started.enter_context(write_started(connection))
        request.integration_key = integration
        stack = request_scope_stack(request)
        stack.enter_context(tenant_scope(integration.tenant))
        stack.enter_context(entered.pop_all())
    return None


def key_refusal(integration, method, manage):
    """The answer to a request whose key is None (401) or may not make it (403, `endpoint`'s `manage`), else None."""
    if integration is None:
        return error(401, "Unknown or revoked integration key.")
    needs_manage, role = _needs(manage, method)
    refusal = _refusal(integration, method, needs_manage=needs_manage, role=role)
    return None if refusal is None else error(403, refusal)


def _needs(manage, method) -> tuple[bool, Role]:
    """(whether `method` needs a manage key, the least role of its creator) under `manage` (`endpoint`)."""
    reading = method in READ_METHODS
    base = Role.VIEWER if reading else Role.MEMBER
    if isinstance(manage, dict):
        if method in manage:
            named = Role(manage[method])
            return True, named if ROLE_RANK[named] > ROLE_RANK[base] else base
        manage = True
    if manage is False or reading:
        return False, base
    if manage is True:
        return True, base
    named = Role(manage)
    return True, named if ROLE_RANK[named] > ROLE_RANK[base] else base


def _refusal(key, method, *, needs_manage, role) -> str | None:
    """Why `key` may not make this request (a 403's message), else None."""
    if not key.is_manage:
        if needs_manage:
            what = "read this" if method in READ_METHODS else "make this change"
            return (
                f"A printer key may read and report its printer's use and weighings; to {what} "
                "use a manage key (created by an admin or owner)."
            )
        return None
    return _role_refusal(key.role, role)


def _role_refusal(held, needed) -> str | None:
    if held is None:  # not authenticated as a manage key: authenticate() answers none such
        return "This integration key acts for nobody in its tenant."
    if ROLE_RANK[held] >= ROLE_RANK[needed]:
        return None
    may = ROLE_WORDS[ROLE_RANK[held]]
    if ROLE_RANK[needed] >= ROLE_RANK[Role.ADMIN]:
        return f"Only an admin's or owner's manage key may do this; this key's creator is a {held} (may {may})."
    return f"This key's creator is a {held} in its tenant, who may only {may}."


def require_role(request, role) -> None:
    """Refuse (403, Spoolman's shape) unless the request's key is a manage key whose creator holds
    at least `role` now: for a view whose need depends on its body (a PATCH of a spool's weight)."""
    key = request.integration_key
    if not key.is_manage:
        raise SpoolmanError(403, _refusal(key, request.method, needs_manage=True, role=Role(role)))
    refusal = _role_refusal(key.role, Role(role))
    if refusal is not None:
        raise SpoolmanError(403, refusal)


def nul_parameter(request):
    """The first query parameter whose name or value holds a NUL character, else None.

    No stored text holds one, and PostgreSQL refuses one in a query parameter (a DataError,
    which would be answered 503 and retried forever): every filter is refused here, at once.
    """
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name
    return None


def write_in_transaction(view, request, **kwargs):
    """The view in the one write step of every API (core.writes), with Spoolman's answers."""
    raw_key = request.headers.get(idempotency.HEADER)
    key = request.integration_key
    keyed = None
    if raw_key is not None and key.created_by_id is not None:
        keyed = idempotency.KeyedRequest(
            key=idempotency.checked_key(raw_key),
            user_id=key.created_by_id,
            # The key, not its creator's memberships, is who sent it; the path without the secret.
            tenant_pk=f"printer-key:{key.pk}",
            method=request.method,
            path=request.path.replace(request.resolver_match.kwargs["key"], key.prefix),
            body_sha256=idempotency.body_digest(request.body),
        )
    # Inside the request's row-security transaction, opened for this write alone (PostgreSQL), no savepoint
    # of its own: an error answer (plain JSON) needs no query, so an error rolls the request's transaction
    # back at its end (as core.api.writes `needs_savepoint`). Elsewhere the write is the transaction.
    return writes.run_write(
        lambda: view(request, **kwargs),
        keyed=keyed,
        answers=SPOOLMAN_ANSWERS,
        savepoint=not in_transaction_started_for_write(),
    )


class SpoolmanAnswers:
    """Spoolman's answers for the write step: JSON bodies, a refusal as `{"message": ...}`."""

    refusals = (SpoolmanError, DomainError)

    def refused(self, refusal):
        if isinstance(refusal, SpoolmanError):
            return error(refusal.status, refusal.message)
        return error(refusal.code.status, refusal.detail)

    def stored_body(self, answer):
        return answer.content.decode()

    def replayed(self, status, body):
        return answer(json.loads(body), status=status, headers={idempotency.REPLAYED_HEADER: "true"})


SPOOLMAN_ANSWERS = SpoolmanAnswers()


# --- parsing --------------------------------------------------------------------------------


def body_of(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise SpoolmanError(413, "The body is too large.")
    try:
        data = json.loads(request.body or b"{}", parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError) as exc:
        raise SpoolmanError(422, "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise SpoolmanError(422, "The body must be a JSON object.")
    return data


def quantity(data, name) -> Decimal | None:
    """A non-negative finite number, or None when absent or null; anything else is a 422."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | str):
        raise SpoolmanError(422, f"{name} must be a number.")
    try:
        value = Decimal(value)
    except InvalidOperation as exc:
        raise SpoolmanError(422, f"{name} must be a number.") from exc
    if not value.is_finite():
        raise SpoolmanError(422, f"{name} must be a finite number.")
    if value < 0:
        raise SpoolmanError(422, f"{name} must not be negative.")
    if value > services.MAX_WEIGHT_G * 1000:
        raise SpoolmanError(422, f"{name} is too large.")
    return value


# --- endpoints ------------------------------------------------------------------------------


@endpoint("GET")
def info(request):
    return answer(
        {
            "version": shapes.SPOOLMAN_VERSION,
            "debug_mode": False,
            "automatic_backups": False,
            "data_dir": "",
            "logs_dir": "",
            "backups_dir": "",
            "db_type": "postgres" if connection.vendor == "postgresql" else "sqlite",
            "external_db_name": "SpoolmanDB",  # Spoolman's label for its filament library (SpoolmanDB's default)
            "git_commit": None,
            "build_date": None,
        }
    )


@endpoint("POST", manage=True)
def backup(request):
    """Spoolman's `POST backup` (a copy of its SQLite file), as Spoolman answers where it cannot make one
    (a database that is not a file, its automatic backups off, as `info` says): 500 with its message.

    This server makes no backups of its own: the farm's database is backed up by its operator
    (README, "Deployment"). A printer key may not ask (403); nothing is read or written.
    """
    response = error(
        500,
        "Backup failed: this server does not make Spoolman's database backups; "
        "its database is backed up by the farm's operator.",
    )
    response._has_been_logged = True  # an answer by design, not a server error for django.request's log
    return response


@endpoint("GET")
def root(request):
    """The key's server root: where Spoolman serves its web client, here a pointer to the API under it."""
    return answer(
        {
            "name": "Spoolman-compatible API",
            "version": shapes.SPOOLMAN_VERSION,
            "api": request.path.rstrip("/") + "/api/v1/",
        }
    )


@endpoint("GET")
def health(request):
    return answer({"status": "healthy"})


@endpoint("GET", "PUT", "POST", "PATCH", "DELETE")
def not_found(request, rest=""):
    raise SpoolmanError(404, "Not found.")
