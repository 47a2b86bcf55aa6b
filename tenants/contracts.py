"""Pieces every service of tenant-owned data shares: the "not sent" marker and the tenant guard."""

import dataclasses
from typing import Any, Final

from core.errors import ForeignTenant


class Unset:
    """The type of `UNSET`: a field of a changes dataclass that the caller did not send."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNSET"

    def __bool__(self):
        return False

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


UNSET: Final = Unset()


def sent(changes) -> dict[str, Any]:
    """The fields of a frozen changes dataclass that were sent (not `UNSET`), by name, in field order.

    A field holding `None` was sent as null and is kept: only `UNSET` means "leave it as it is".
    """
    return {
        field.name: value
        for field in dataclasses.fields(changes)
        if (value := getattr(changes, field.name)) is not UNSET
    }


def ensure_same_tenant(tenant, *records) -> None:
    """Refuse any of `records` (None is skipped) that belongs to a tenant other than `tenant`.

    Services call it on every reference they are handed, before they write anything: a run of
    one tenant pointing at another tenant's spool would move that tenant's stock.
    """
    tenant_id = getattr(tenant, "pk", tenant)
    for record in records:
        if record is not None and record.tenant_id != tenant_id:
            raise ForeignTenant(f"The {record._meta.verbose_name} {record.pk} belongs to another tenant.")
