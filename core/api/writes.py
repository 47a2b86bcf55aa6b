"""The REST API's writes: each in the one write step (core.writes), a POST with an `Idempotency-Key`.

`TransactionalWritesMixin` (a base of every tenant-scoped view) wraps the handler of a
POST, PUT, PATCH or DELETE, once DRF has authenticated the user, resolved the tenant
and checked permissions, in `core.writes.run_write`: one bounded transaction with its
response, its key claimed, replayed or completed (see there for which answers a key stores).
What is this API's own: the key's scope (user, tenant, method, path, body), its answers in
DRF's `{"detail", "code"}` shape (`RestAnswers`), and that what refuses a request before its
write (authentication, tenant, permission, throttling, a 404 on the path, a parse error, field
validation) is not an outcome a key stores: only the domain errors a service raised are.

On PostgreSQL this transaction is a savepoint in the request's transaction, which the
tenant layer opens for row-level security and commits once the response is rendered
(tenants/row_security.py); a commit that fails there is still the client's 503.
"""

import functools
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import idempotency, writes
from core.errors import DomainError, InvalidInput
from core.locking import in_transaction_started_for_write, lock_on_read, locking_queryset

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

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
        return writes.run_write(
            lambda: handler(request, *args, **kwargs),
            keyed=keyed,
            answers=RestAnswers(self.handle_exception),
            savepoint=needs_savepoint(request),
        )


def needs_savepoint(request):
    """Whether the write needs a savepoint of its own in the request's transaction.

    Not when that transaction was opened for this write alone (core.locking
    `in_transaction_started_for_write`: the row-security transaction on PostgreSQL) and the
    answer is JSON: a refusal then marks the whole transaction for rollback, which its end does,
    and its JSON error runs no query. Two statements fewer for every write. The browsable API's
    page of a refusal renders forms that query, so an HTML answer keeps the savepoint.
    """
    return not (in_transaction_started_for_write() and isinstance(request.accepted_renderer, JSONRenderer))


class RestAnswers:
    """The REST API's answers for the write step: DRF responses, a refusal as its exception handler answers it."""

    refusals: tuple[type[Exception], ...] = (DomainError,)

    def __init__(self, handle_exception):
        self.refused = handle_exception

    def stored_body(self, answer):
        return "" if answer.data is None else JSONRenderer().render(answer.data).decode()

    def replayed(self, status, body):
        data = json.loads(body) if body else None
        return Response(data, status=status, headers={idempotency.REPLAYED_HEADER: "true"})


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
