"""Every API write in one transaction with its response; a POST may carry an `Idempotency-Key`.

`TransactionalWritesMixin` (a base of every tenant-scoped view) wraps the handler of a
POST, PUT, PATCH or DELETE, once DRF has authenticated the user, resolved the tenant
and checked permissions, in one `transaction.atomic()` that:

1. bounds its lock waits (`SET LOCAL lock_timeout`, settings.LOCK_TIMEOUT_MS) before
   any write, once for every lock the write takes (core.locking.api_write_transaction),
   so a foreign-key check waiting on a row another transaction holds
   `FOR UPDATE` runs out into a 409 `busy` instead of hanging, and each of its
   statements (`SET LOCAL statement_timeout`, settings.STATEMENT_TIMEOUT_MS), so a
   database that stops answering is a 503 `database_unavailable`, not a hung request;
   and checks its foreign keys by each statement (`SET CONSTRAINTS ALL IMMEDIATE`, the
   same round trip), so a refusal or a wait for a referenced row is the view's error,
   not the request transaction's commit's;
2. claims the request's idempotency key (POST only; see core.idempotency), or answers
   the finished request's stored response with `Idempotent-Replayed: true`;
3. runs the view, which builds its response from what it wrote, before the commit:
   a failure while building it rolls the change back, so no client is answered an
   error for a change that was committed;
4. stores the response in the key row, in the same transaction.

On PostgreSQL this transaction is a savepoint in the request's transaction, which the
tenant layer opens for row-level security and commits once the response is rendered
(tenants/row_security.py); a commit that fails there is still the client's 503.

Which responses a key stores (a retry replays them) and which it does not (the key is
released with the rolled-back transaction, and a retry runs again), after Stripe:

- stored: every response of a request the view processed, the success (2xx) and
  the domain errors a service raised (`insufficient_stock`, `invalid_transition`, ...),
  whose change was rolled back but whose answer is the request's outcome;
- not stored: what refuses the request before it is processed (authentication,
  tenant, permission, throttling, a 404 on the path, a parse error, field
  validation), what a retry can get past (409 `busy`, `idempotency_in_progress`,
  503 `database_unavailable`), and any 5xx.
"""

import functools
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http.request import RawPostDataException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import idempotency
from core.errors import DomainError, ErrorCode, InvalidInput
from core.locking import api_write_transaction, lock_on_read, locking_queryset

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Domain errors a retry can get past: answering them again from the key would be wrong.
RETRYABLE_CODES = frozenset({ErrorCode.BUSY, ErrorCode.IDEMPOTENCY_IN_PROGRESS})

# The view this mixin is mixed into, for the type checker (at run time it stands alone).
if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView as _View
else:
    _View = object


class TransactionalWritesMixin(_View):
    accepts_idempotency_key = True  # read by the schema, which documents the header on every POST

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raw_key = request.headers.get(idempotency.HEADER) if request.method == "POST" else None
        name = request.method.lower()
        handler = getattr(self, name, None)
        if request.method not in WRITE_METHODS or handler is None:
            return
        keyed = None
        # A view whose answer must not be stored (a secret shown once) sets accepts_idempotency_key False.
        if raw_key is not None and request.user.is_authenticated and self.accepts_idempotency_key:
            tenant = getattr(request, "tenant", None)
            keyed = idempotency.KeyedRequest(
                key=idempotency.checked_key(raw_key),
                user_id=request.user.pk,
                tenant_pk=str(tenant.pk) if tenant is not None else "",
                method=request.method,
                path=request.path,
                # Hashed before the handler: DRF's parsers consume the body's stream.
                body_sha256=idempotency.body_digest(raw_body(request)),
            )
        # DRF calls the handler it finds on the view after `initial`; viewsets bind theirs per
        # instance the same way (`as_view` sets `self.post = self.create`).
        setattr(self, name, functools.partial(self.write_in_transaction, handler, keyed))

    def filter_queryset(self, queryset):
        return locking_queryset(super().filter_queryset(queryset))

    def get_locked_object(self):
        """`get_object()`, its row locked `FOR UPDATE` by that read when inside a write, and
        handed over to the service's lock of it (core.locking.lock_on_read): one read, not two."""
        return lock_on_read(self.get_object)

    def write_in_transaction(self, handler, keyed, request, *args, **kwargs):
        with api_write_transaction():
            if keyed is None:
                return checked(handler, request, *args, **kwargs)
            row, claimed = idempotency.claim(keyed)
            if not claimed:
                return replay(row)
            try:
                # A savepoint: a refused request's writes go, its key row stays to store the refusal.
                with transaction.atomic():
                    response = checked(handler, request, *args, **kwargs)
            except DomainError as exc:
                if exc.code in RETRYABLE_CODES:
                    raise
                # The service refused: its writes are rolled back, its answer is the outcome.
                response = self.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            else:
                idempotency.complete(row, status=response.status_code, body=stored_body(response))
            return response


def checked(handler, request, *args, **kwargs):
    # Its foreign keys are checked by each statement (core.locking.bound_write_transaction).
    return handler(request, *args, **kwargs)


def raw_body(request):
    try:
        return request._request.body
    except RequestDataTooBig as exc:
        # Django keeps at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes of a body in memory to hash it.
        raise InvalidInput(
            f"A request with an {idempotency.HEADER} may send at most "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes of body."
        ) from exc
    except RawPostDataException:
        # Something read the stream first (a multipart form parsed for CSRF): hash what it parsed.
        return json.dumps(sorted(request._request.POST.lists())).encode()


def stored_body(response):
    return "" if response.data is None else JSONRenderer().render(response.data).decode()


def replay(row):
    data = json.loads(row.response_body) if row.response_body else None
    return Response(data, status=row.response_status, headers={idempotency.REPLAYED_HEADER: "true"})
