"""Domain errors raised by services; the API turns each into `{"detail", "code"}`.

They carry no HTTP machinery so services stay plain Python; only the status a
client should see is attached, as the contract names it.
"""


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, detail, *, code=None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class InvalidInput(DomainError):
    """The request is malformed for this operation (400)."""


class NotFound(DomainError):
    """The record is gone: another request removed it after this one found it (404)."""

    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The request is valid but clashes with the record's current state (409)."""

    status_code = 409
    default_code = "conflict"
