"""The "not sent" marker of the changes dataclasses every service takes: `UNSET` and `sent()`.

In a changes dataclass (`RunChanges`, `SpoolChanges`...) `UNSET` means "leave it as it is" and
`None` "sent as null". A kernel piece: any app's services use it, whatever their tenancy.
"""

import dataclasses
from typing import Any, Final


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
