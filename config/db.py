"""Row locking shared by the services."""

from django.db import OperationalError

from config.errors import Conflict


class RecordBusy(Conflict):
    default_code = "busy"


def lock_rows(queryset):
    """Lock the rows of `queryset` in primary-key order and return them.

    One statement in a fixed order means two transactions that lock overlapping
    sets cannot deadlock; a lock not granted within the connection's short
    `lock_timeout` (or SQLite's busy timeout) becomes a 409 the client can retry.
    """
    try:
        return list(queryset.select_for_update().order_by("pk"))
    except OperationalError as exc:
        raise RecordBusy("The record is being changed by another request; try again.") from exc
