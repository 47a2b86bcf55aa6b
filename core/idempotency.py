"""Idempotency keys of POST requests, with Stripe's semantics.

A client that may retry a POST sends `Idempotency-Key: <unique string>`. The key is
scoped to the user and the tenant; the first request with it claims it by inserting
an `IdempotencyKey` row in the same transaction as its change, and completes the row
with its response before that transaction commits. So a change is never committed
without its key, nor a key without its change. A later request with the same key:

- same method, path and body (by SHA-256 of the raw body), first one finished: its
  stored response is replayed and nothing runs again;
- different method, path or body: 422 `idempotency_key_reused`;
- first one still running: on PostgreSQL the insert waits on the first transaction's
  row (bounded by settings.LOCK_TIMEOUT_MS) and then replays, or answers 409
  `idempotency_in_progress` once the wait runs out; SQLite's writers queue anyway.

Keys live `settings.IDEMPOTENCY_KEY_TTL_HOURS` (24 h): an older row is ignored and
replaced, and `manage.py purge_idempotency_keys` deletes them.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from core.database import is_lock_timeout
from core.errors import Conflict, DomainError, ErrorCode, InvalidInput
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = cast(int, IdempotencyKey._meta.get_field("key").max_length)


class IdempotencyInProgress(Conflict):
    default_code = ErrorCode.IDEMPOTENCY_IN_PROGRESS


class IdempotencyKeyReused(DomainError):
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED


@dataclass(frozen=True)
class KeyedRequest:
    """What a key stands for: who sent it, for which tenant, and the request it was first sent with."""

    key: str
    user_id: int
    tenant_pk: str
    method: str
    path: str
    body_sha256: str


def checked_key(value):
    """The header's value if it is 1-255 printable ASCII characters; else a 400."""
    if not value or len(value) > MAX_KEY_LENGTH or not (value.isascii() and value.isprintable()):
        raise InvalidInput(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    return value


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def key_lifetime():
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def claim(request: KeyedRequest):
    """`(row, True)` when this request claimed the key, or `(row, False)`: a finished request to replay.

    Call it inside the transaction of the change. Raises 422 for a key reused with
    another request and 409 for a key whose first request is still running.
    """
    now = timezone.now()
    scope = {"user_id": request.user_id, "tenant_pk": request.tenant_pk, "key": request.key}
    # Twice at most: a stale row (or one purged meanwhile) gives way once to this request.
    for _ in range(2):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    **scope,
                    method=request.method,
                    path=request.path,
                    body_sha256=request.body_sha256,
                    created_at=now,
                )
            return row, True
        except IntegrityError:
            pass  # the key is taken by a committed request: look at it below
        except OperationalError as exc:
            # The first request's transaction still holds its uncommitted row, past the lock wait.
            if is_lock_timeout(exc):
                raise in_progress() from exc
            raise
        existing = IdempotencyKey.objects.filter(**scope).first()
        if existing is None:
            continue
        if existing.created_at < now - key_lifetime():
            existing.delete()
            continue
        if (existing.method, existing.path, existing.body_sha256) != (
            request.method,
            request.path,
            request.body_sha256,
        ):
            raise IdempotencyKeyReused(
                f"This {HEADER} was already used for another request "
                f"({existing.method} {existing.path} with another body, or another method or path); "
                "use a new key for a new request."
            )
        if not existing.is_completed:
            raise in_progress()
        return existing, False
    raise in_progress()


def in_progress():
    return IdempotencyInProgress(f"A request with this {HEADER} is still running; retry it once that one has finished.")


def complete(row: IdempotencyKey, *, status: int, body: str):
    """Store the response of the request that claimed `row`, in its transaction."""
    row.response_status = status
    row.response_body = body
    row.save(update_fields=["response_status", "response_body"])


def purge_expired(*, now=None) -> int:
    """Delete the keys older than their lifetime; return how many."""
    cutoff = (now or timezone.now()) - key_lifetime()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
