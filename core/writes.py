"""The one write step of every API: its transaction, and its `Idempotency-Key` claimed, replayed or completed.

Used by the REST API (core.api.writes, DRF's `{"detail", "code"}` answers), by the
Spoolman-compatible API (spoolman.api, Spoolman's `{"message"}` answers) and by anything else
that writes for a client without a request object (a printer bridge): what differs between
them is how an answer is built, stored and replayed (`Answers`), never the steps:

1. one `transaction.atomic()` bounded once for all its locks (core.locking.api_write_transaction:
   lock and statement timeouts, constraints checked by each statement);
2. with a key: claim it (core.idempotency), or answer the finished request's stored answer,
   marked replayed, without running anything;
3. run the write, which builds its answer from what it wrote, before the commit: a failure
   while building it rolls the change back, so no client is answered an error for a change
   that was committed. Nothing of the write's runs after its commit (events.services enqueues
   the webhooks' dispatch inside the transaction);
4. with a key: store the answer in the key's row, in the same transaction.

Which answers a key stores (a retry replays them) and which it does not (the key goes with the
rolled-back transaction, and a retry runs again), after Stripe:

- stored: every answer of a request the write processed: the success (2xx) and the refusals
  the write raised that are its outcome (`Answers.refusals`: a service's `insufficient_stock`,
  `invalid_transition`, ...), whose change was rolled back (a savepoint) but whose answer is the
  request's outcome;
- not stored: what a retry can get past (409 `busy`, `idempotency_in_progress`, a database that
  is away), any 5xx, and whatever the caller refused before the write step.
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

from django.db import transaction

from core import idempotency
from core.errors import DomainError, ErrorCode
from core.locking import api_write_transaction

# Domain errors a retry can get past: answering them again from the key would be wrong.
RETRYABLE_CODES = frozenset({ErrorCode.BUSY, ErrorCode.IDEMPOTENCY_IN_PROGRESS})


class Answer(Protocol):
    status_code: int


A = TypeVar("A", bound=Answer)


class Answers(Protocol[A]):
    """How one API answers: its refusals as answers, and an answer stored in a key and replayed."""

    # The exceptions that are a processed request's outcome (rendered, and stored under its key).
    refusals: tuple[type[Exception], ...]

    def refused(self, error: Exception) -> A: ...

    def stored_body(self, answer: A) -> str: ...

    def replayed(self, status: int, body: str) -> A: ...


def run_write(
    write: Callable[[], A],
    *,
    keyed: idempotency.KeyedRequest | None = None,
    answers: Answers[A] | None = None,
    savepoint: bool = True,
) -> A:
    """`write()` as one API write (see the module): its answer, or the stored answer of its key.

    Without a key the write's exceptions leave the transaction, which rolls back, and the
    caller answers them. With one, `answers` says which of them are the outcome to store.
    `savepoint`: see core.locking.api_write_transaction (a keyed write's refusal always has its own).
    """
    with api_write_transaction(savepoint=savepoint):
        if keyed is None:
            return write()
        if answers is None:
            raise TypeError("A keyed write needs its API's answers, to store and replay them.")
        row, claimed = idempotency.claim(keyed)
        if not claimed:
            return answers.replayed(row.response_status, row.response_body)
        try:
            # A savepoint: a refused request's writes go, its key row stays to store the refusal.
            with transaction.atomic():
                answer = write()
        except answers.refusals as refusal:
            if is_retryable(refusal):
                raise
            answer = answers.refused(refusal)
        if answer.status_code >= 500:
            transaction.set_rollback(True)
        else:
            idempotency.complete(row, status=answer.status_code, body=answers.stored_body(answer))
        return answer


def is_retryable(error: Exception) -> bool:
    return isinstance(error, DomainError) and error.code in RETRYABLE_CODES
