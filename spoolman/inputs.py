"""The members of a Spoolman request body, read as its request models (pydantic) read them.

`spoolman.api.body_of` gives a dict whose JSON numbers are Decimals (never floats). Each reader
here takes one member: absent is `UNSET`, so a PATCH touches only what was sent; `null` is None
(our blank text columns store Spoolman's NULL as ""). A member of the wrong JSON type, or out of
its bounds, is Spoolman's 422 (its request validation), with a message naming the member.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from core.changes import UNSET, Unset
from spoolman.errors import SpoolmanError


def unprocessable(name: str, problem: str) -> SpoolmanError:
    return SpoolmanError(422, f"{name}: {problem}")


def text(data: dict, name: str, max_length: int, *, nullable: bool = True) -> str | Unset | None:
    """A string of at most `max_length` characters; None when sent as null (a 422 unless `nullable`)."""
    if name not in data:
        return UNSET
    value = data[name]
    if value is None:
        if not nullable:
            raise unprocessable(name, "Value must not be None.")
        return None
    if not isinstance(value, str):
        raise unprocessable(name, "Input should be a valid string.")
    if len(value) > max_length:
        raise unprocessable(name, f"String should have at most {max_length} characters.")
    if "\x00" in value:
        raise unprocessable(name, "A string may not hold a NUL character.")
    return value


def blank(value: str | Unset | None) -> str | Unset:
    """A text member for our column: null is "" (Spoolman's NULL), UNSET stays UNSET."""
    if value is None:
        return ""
    return value


def decimal(
    data: dict,
    name: str,
    *,
    positive: bool = False,
    places: int = 2,
    digits: int = 10,
    nullable: bool = True,
) -> Decimal | Unset | None:
    """A number (or numeric string, as pydantic takes one) >= 0 (> 0 when `positive`), exact: never a
    float. It must fit its column: at most `places` decimals and `digits` digits in all."""
    if name not in data:
        return UNSET
    value = data[name]
    if value is None:
        if not nullable:
            raise unprocessable(name, "Value must not be None.")
        return None
    number = _number(name, value)
    if positive and number <= 0:
        raise unprocessable(name, "Input should be greater than 0.")
    if number < 0:
        raise unprocessable(name, "Input should be greater than or equal to 0.")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise unprocessable(name, f"At most {places} decimal places are stored.")
    if number >= Decimal(10) ** (digits - places):
        raise unprocessable(name, f"Input should be less than {Decimal(10) ** (digits - places)}.")
    return number


def integer(data: dict, name: str, *, maximum: int = 2**31 - 1) -> int | Unset | None:
    """A whole number >= 0 (a number with no fraction, or a numeric string, as pydantic takes one)."""
    number = reference(data, name)
    if number is UNSET or number is None:
        return number
    if number < 0:
        raise unprocessable(name, "Input should be greater than or equal to 0.")
    if number > maximum:
        raise unprocessable(name, f"Input should be at most {maximum}.")
    return number


def reference(data: dict, name: str) -> int | Unset | None:
    """An id (a whole number, any sign: one that names no row is the caller's 404)."""
    if name not in data:
        return UNSET
    value = data[name]
    if value is None:
        return None
    number = _number(name, value)
    if number != number.to_integral_value():
        raise unprocessable(name, "Input should be a valid integer.")
    return int(number)


def _number(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | str):
        raise unprocessable(name, "Input should be a valid number.")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise unprocessable(name, "Input should be a valid number.") from None
    if not number.is_finite():
        raise unprocessable(name, "Input should be a finite number.")
    return number


def extra(data: dict) -> dict[str, str | None] | Unset:
    """`extra`: an object of JSON texts (strings) or nulls; null or absent is UNSET (nothing to change)."""
    value = data.get("extra")
    if value is None:
        return UNSET
    if not isinstance(value, dict):
        raise unprocessable("extra", "Input should be a valid dictionary.")
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise unprocessable(f"extra.{key}", "Input should be a valid string.")
    return dict(value)


def merged_extra(current: dict[str, str], sent: dict[str, str | None]) -> dict[str, str]:
    """A PATCH's `extra` over the stored one, as Spoolman merges it: only the keys sent change, a null
    removes its key."""
    merged = {key: value for key, value in current.items() if key not in sent}
    merged.update({key: value for key, value in sent.items() if value is not None})
    return merged


def without_nulls(sent: dict[str, str | None]) -> dict[str, str]:
    """A new entity's `extra`: the null values are no values."""
    return {key: value for key, value in sent.items() if value is not None}
