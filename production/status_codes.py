"""The one table of a production run's states: which action moves a run from where to where.

Everything that asks "may this run do X now?" reads it: the services (through
`ensure_transition` and the groups), the admin's actions and the serializers.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models

from core.errors import Conflict, ErrorCode


class RunStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class InvalidTransition(Conflict):
    default_code = ErrorCode.INVALID_TRANSITION


class RunAction(StrEnum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    CANCEL = "cancel"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    # The participle used in messages: "cannot be completed".
    verb: str


TRANSITIONS: dict[RunAction, Transition] = {
    RunAction.START: Transition("Start", frozenset({RunStatus.PLANNED}), RunStatus.IN_PROGRESS, "started"),
    RunAction.COMPLETE: Transition("Complete", frozenset({RunStatus.IN_PROGRESS}), RunStatus.COMPLETED, "completed"),
    RunAction.FAIL: Transition("Fail", frozenset({RunStatus.IN_PROGRESS}), RunStatus.FAILED, "failed"),
    RunAction.CANCEL: Transition(
        "Cancel", frozenset({RunStatus.PLANNED, RunStatus.IN_PROGRESS}), RunStatus.CANCELLED, "cancelled"
    ),
    RunAction.REOPEN: Transition(
        "Reopen", frozenset({RunStatus.COMPLETED, RunStatus.FAILED}), RunStatus.IN_PROGRESS, "reopened"
    ),
}

# Where a run starts when its create names no status; `CREATABLE_STATUSES` are those a create may name.
INITIAL_STATUS = RunStatus.IN_PROGRESS
CREATABLE_STATUSES = frozenset({RunStatus.IN_PROGRESS, RunStatus.PLANNED})
# Items, materials and every field of the run can change; in the other (locked) statuses only
# `FIELDS_EDITABLE_WHEN_LOCKED` can.
EDITABLE_STATUSES = frozenset({RunStatus.PLANNED, RunStatus.IN_PROGRESS})
LOCKED_STATUSES = frozenset(RunStatus) - EDITABLE_STATUSES
FIELDS_EDITABLE_WHEN_LOCKED = frozenset({"notes", "quality_rating", "quality_notes"})
# A run in these statuses always holds stock (its usage rows); one in `MAY_HOLD_INVENTORY` holds
# stock if it wrote unreversed usage or waste rows (a failed run with actuals). Neither may be deleted.
HOLDS_INVENTORY = frozenset({RunStatus.COMPLETED})
MAY_HOLD_INVENTORY = frozenset({RunStatus.COMPLETED, RunStatus.FAILED})
# A run in these statuses reserves each material line's estimate (less what its printer already
# reported) on the line's spool, or on its catalogue material while it has none (SPEC 8.2).
RESERVING_STATUSES = frozenset({RunStatus.PLANNED, RunStatus.IN_PROGRESS})
# The queue: runs waiting for a printer. A printer with a run in `PRINTING_STATUSES` is busy.
QUEUED_STATUSES = frozenset({RunStatus.PLANNED})
PRINTING_STATUSES = frozenset({RunStatus.IN_PROGRESS})
# A line that names only a catalogue material (no spool yet) is allowed while the run waits.
MATERIAL_ONLY_LINE_STATUSES = QUEUED_STATUSES
# The actions a PUT/PATCH of the run may make by changing `status` (the others need their own body).
ACTIONS_BY_STATUS_FIELD = frozenset({RunAction.CANCEL})


def allowed(status: str, action: RunAction) -> bool:
    return status in TRANSITIONS[action].sources


def action_setting(target: str) -> RunAction | None:
    """The action a PUT/PATCH means by setting `status` to `target`, if it may mean one."""
    for action in ACTIONS_BY_STATUS_FIELD:
        if TRANSITIONS[action].target == target:
            return action
    return None


def ensure_transition(run, action: RunAction) -> str:
    """Refuse `action` unless the table allows it from the run's status; return the status it leads to.

    Only admin reaches a soft-deleted run: moving its inventory would leave a deleted run that holds stock.
    """
    transition = TRANSITIONS[action]
    if run.deleted_at is not None:
        raise Conflict(
            f"Run {run.run_number} is deleted; restore it before it can be {transition.verb}.",
            code=ErrorCode.RUN_DELETED,
        )
    if run.status not in transition.sources:
        raise InvalidTransition(
            f"Run {run.run_number} is {run.status} and cannot be {transition.verb}.", status=run.status
        )
    return transition.target
