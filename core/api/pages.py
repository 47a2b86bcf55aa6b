"""JSON pages written from `.values()` rows, for the lists a serializer made too slow to read.

A serializer writes each field through a DRF field's `get_attribute` and `to_representation`
on a model instance; for a page of rows that is thousands of calls, and the instances cost
more than the fields. A page written for the purpose (production/run_pages.py,
inventory/spool_pages.py) reads the columns it shows and writes each value as the
serializer's field would, with these helpers; its tests compare the JSON bytes with the
serializer's. Writes, the browsable API, CSV export and the schema still use the serializer.
"""

from decimal import Decimal
from typing import Any

from rest_framework import ISO_8601
from rest_framework.settings import api_settings

from core.api.fields import EARLIEST, LATEST, DateTimeField

CENTS = Decimal("0.01")
PER_GRAM = Decimal("0.0001")  # a cost per gram's decimal places
_DATE_TIME = DateTimeField(read_only=True)


def answers_json_page(view: Any, *, actions: tuple[str, ...] = ("list",)) -> bool:
    """`view` answers one of `actions` in JSON, so its rows are written by a page; its browsable pages, CSV
    file and writes are the serializer's."""
    renderer = getattr(view.request, "accepted_renderer", None)
    return view.action in actions and getattr(renderer, "format", None) == "json"


def places(value: Decimal | None, exponent: Decimal) -> str | None:
    """A decimal as DRF's DecimalField of `exponent`'s places writes it (quantized, then `:f`)."""
    return None if value is None else f"{value.quantize(exponent):f}"


def two_places(value: Decimal | None) -> str | None:
    """A decimal of two places (grams, hours, money) as DRF's DecimalField writes it."""
    return places(value, CENTS)


def moment(value: Any, zone: Any) -> str | None:
    """A date-time as core.api.fields.DateTimeField writes it in the current time zone (`zone`)."""
    if value is None:
        return None
    if value.tzinfo is None or not EARLIEST <= value <= LATEST or api_settings.DATETIME_FORMAT != ISO_8601:
        return _DATE_TIME.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class WrittenPageMixin:
    """A viewset whose JSON list is written by a page: `represent_page(rows)` of the page of
    `page_queryset()` of the filtered `get_queryset()`, which give the page's `.values()` rows
    when `json_page()`; the browsable page and the CSV file keep the serializer (`super().list`).
    Put before the viewset's bases.

    The list's count is of the filtered `get_queryset()`: a viewset whose `get_queryset()` gives
    the bare rows and `page_queryset()` their columns has them counted without the columns (Django
    would clone the page's queryset and strip its annotations and columns on each request)."""

    page_actions: tuple[str, ...] = ("list",)

    def json_page(self) -> bool:
        return answers_json_page(self, actions=self.page_actions)

    def page_queryset(self, listed: Any) -> Any:
        """What the page reads of the filtered list `listed`: by default `get_queryset()` gave its rows."""
        return listed

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        view: Any = self  # a DRF viewset's methods, which the mixin does not declare
        if not self.json_page():
            return super().list(request, *args, **kwargs)  # type: ignore[misc]  # the browsable page, or a CSV file
        listed = view.filter_queryset(view.get_queryset())
        rows = view.paginator.paginate_queryset(self.page_queryset(listed), request, view=view, counted=listed)
        return view.get_paginated_response(view.represent_page(rows))
