"""The one catalogue of error codes, and the domain errors services raise with them.

Every `code` a client can receive is a member of `ErrorCode`, with the HTTP status
it is answered with and what it means. The exception handler answers a domain
error with its member's status; the OpenAPI schema documents each operation's
codes from the same members. Domain errors carry no HTTP machinery, so services
stay plain Python.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """`code` value, HTTP status and meaning, declared once."""

    status: int
    meaning: str

    def __new__(cls, code: str, status: int, meaning: str) -> "ErrorCode":
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.meaning = meaning
        return member

    # 400: the request is malformed for this operation.
    INVALID = "invalid", 400, "The input is not valid for this operation."
    PARSE_ERROR = (
        "parse_error",
        400,
        "The body is not valid JSON, nests arrays/objects deeper than 32 levels, or holds a lone surrogate.",
    )
    BODY_TOO_LARGE = (
        "body_too_large",
        400,
        "The body is larger than the server accepts (`DATA_UPLOAD_MAX_MEMORY_SIZE`, 2.5 MB by default).",
    )
    TENANT_REQUIRED = (
        "tenant_required",
        400,
        "You belong to several tenants: name one with `X-Tenant` or `?tenant=`.",
    )
    UNIQUE = "unique", 400, "A concurrent request wrote the same unique value first."
    INVALID_ADJUSTMENT = (
        "invalid_adjustment",
        400,
        "An adjustment needs a known type and exactly one of new_weight_g/delta_g.",
    )
    BELOW_ZERO = (
        "below_zero",
        400,
        "The change would take the spool below 0 g (adds `spool`, `available_g`, `required_g`).",
    )
    INVALID_IDEMPOTENCY_KEY = (
        "invalid_idempotency_key",
        400,
        "The `Idempotency-Key` header is empty, longer than 255 characters, or not printable ASCII.",
    )
    TOO_HEAVY = "too_heavy", 400, "The spool would hold more than the largest weight that can be recorded."
    NO_EMPTY_WEIGHT = (
        "no_empty_weight",
        400,
        "A weigh-in needs the spool's empty_spool_weight_g, to subtract from the scale's gross weight.",
    )
    INVALID_QUANTITIES = "invalid_quantities", 400, "An item's successful + failed quantity exceeds its quantity."
    TOO_MANY_UNITS = "too_many_units", 400, "The run's items add up to more than 1000 units."
    MATERIAL_KIND_MISMATCH = (
        "material_kind_mismatch",
        400,
        "A product on the run must be printed in another material kind.",
    )
    SPOOL_INACTIVE = "spool_inactive", 400, "The spool is inactive."
    AMBIGUOUS_VENDOR = (
        "ambiguous_vendor",
        400,
        "More than one vendor of the tenant has this name (`brand`): name the vendor by its id (`vendor`).",
    )
    INVALID_WEIGHING = "invalid_weighing", 400, "A spool's weight after exceeds its weight before."
    INVALID_ORIGINAL_RUN = "invalid_original_run", 400, "A run cannot be a reprint of itself."
    INVALID_DATES = (
        "invalid_dates",
        400,
        "`completed_at` would precede `started_at`, or the run last over 999999 h.",
    )
    UNKNOWN_ITEM = "unknown_item", 400, "An `items[].id` is not an item of this run."
    UNKNOWN_MATERIAL = "unknown_material", 400, "A `materials[].id` is not a material of this run."
    NO_ITEMS = "no_items", 400, "The run has no items to complete."
    MISSING_ACTUALS = (
        "missing_actuals",
        400,
        "Materials without actual usage (listed in `materials`): send actuals or `use_estimates`.",
    )
    DOES_NOT_EXIST = (
        "does_not_exist",
        400,
        "A record the body names was deleted by another request meanwhile.",
    )
    FOREIGN_TENANT = (
        "foreign_tenant",
        400,
        "A referenced record belongs to another tenant (services refuse it; the API never finds it).",
    )
    INITIAL_WEIGHT_FIXED = (
        "initial_weight_fixed",
        400,
        "A spool's initial_weight_g is fixed once its purchase is recorded.",
    )
    INVALID_CURSOR = (
        "invalid_cursor",
        400,
        "`after` is not the id of one of this tenant's events (give the `next_cursor` of a feed page).",
    )
    PRIVATE_WEBHOOK_URL = (
        "private_webhook_url",
        400,
        "The webhook URL's host resolves to a private, loopback, link-local or otherwise non-public address "
        "(refused unless the server sets WEBHOOK_ALLOW_PRIVATE_URLS).",
    )
    UNRESOLVABLE_WEBHOOK_URL = (
        "unresolvable_webhook_url",
        400,
        "The webhook URL's host name does not resolve to any address.",
    )
    SLOT_LOADED = (
        "slot_loaded",
        400,
        "A printer's `slot_count` would leave a loaded slot outside it (adds `slots`): unload it first.",
    )
    PRINTER_REQUIRED = "printer_required", 400, "Starting a run needs a printer: on the run or in the body."
    # 401, 403: who is asking.
    NOT_AUTHENTICATED = (
        "not_authenticated",
        401,
        "No credentials were sent (`Authorization: Token <token>` or a session).",
    )
    AUTHENTICATION_FAILED = "authentication_failed", 401, "The token is invalid or has expired."
    PERMISSION_DENIED = (
        "permission_denied",
        403,
        "Your role may not do this (viewers only read), or a session write lacks CSRF.",
    )
    TENANT_FORBIDDEN = (
        "tenant_forbidden",
        403,
        "You are not a member of the named tenant, or it does not exist.",
    )
    # 404, 409, 415, 422, 429, 503.
    NOT_FOUND = "not_found", 404, "No such record in the active tenant (or no such page)."
    CONFLICT = "conflict", 409, "The request clashes with the record's current state."
    INVALID_TRANSITION = (
        "invalid_transition",
        409,
        "The run's status does not allow this (adds the current `status`).",
    )
    RUN_LOCKED = "run_locked", 409, "The run is no longer in progress: only notes and quality can change."
    INSUFFICIENT_STOCK = (
        "insufficient_stock",
        409,
        "A spool holds less than the run needs (adds `spool`, `available_g`, `required_g`).",
    )
    DUPLICATE_SPOOL = "duplicate_spool", 409, "The spool is already on this run."
    PRINTER_BUSY = (
        "printer_busy",
        409,
        "The printer already has an in-progress run (adds `printer`, `current_run`).",
    )
    SPOOL_REQUIRED = (
        "spool_required",
        409,
        "A material line names only a catalogue material and no spool of it can feed it (adds `line`).",
    )
    NO_RUN_FITS = (
        "no_run_fits",
        409,
        "No queued run fits the printer now (adds `runs`: the first queued runs and why each does not fit).",
    )
    RUN_HAS_INVENTORY = "run_has_inventory", 409, "The run has moved inventory: reopen it before deleting it."
    # Raised for admin's actions only: through the API a deleted run is a 404.
    RUN_DELETED = "run_deleted", 409, "The run is soft-deleted: restore it first."
    PROTECTED = "protected", 409, "Other records still reference this one (deactivate it instead)."
    BUSY = "busy", 409, "Another request is changing the same records: try again."
    IDEMPOTENCY_IN_PROGRESS = (
        "idempotency_in_progress",
        409,
        "A request with this `Idempotency-Key` is still running: retry it once that one has finished.",
    )
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupported_media_type",
        415,
        "The body's `Content-Type` is missing or not one of the request body's media types.",
    )
    IDEMPOTENCY_KEY_REUSED = (
        "idempotency_key_reused",
        422,
        "This `Idempotency-Key` was used within 24 h for another request (method, path or body): use a new key.",
    )
    THROTTLED = (
        "throttled",
        429,
        "Too many requests, or too many failed logins from this client or for this username: "
        "wait the seconds the `Retry-After` header gives.",
    )
    DATABASE_UNAVAILABLE = (
        "database_unavailable",
        503,
        "The database cannot be reached right now: retry after the seconds `Retry-After` gives.",
    )


def error_code(code: str) -> ErrorCode:
    """The member whose `code` this is; an unknown code is a ValueError."""
    return ErrorCode(code)  # type: ignore[call-arg]  # a lookup by value, which mypy reads as a new member


class DomainError(Exception):
    """An error a client caused or can resolve; answered as `{"detail", "code", **extra}`."""

    default_code = ErrorCode.INVALID

    def __init__(self, detail: str, *, code: ErrorCode | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = error_code(code or self.default_code)
        self.extra = extra

    @property
    def status_code(self) -> int:
        return self.code.status


class InvalidInput(DomainError):
    """The request is malformed for this operation (400)."""


class NotFound(DomainError):
    """The record is gone: another request removed it after this one found it (404)."""

    default_code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    """The request is valid but clashes with the record's current state (409)."""

    default_code = ErrorCode.CONFLICT


class ForeignTenant(InvalidInput):
    """A service was handed a record of another tenant: refused before anything is written."""

    default_code = ErrorCode.FOREIGN_TENANT
