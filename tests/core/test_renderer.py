"""The orjson renderer writes exactly what DRF's JSONRenderer writes."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from core.api.renderers import JSONRenderer

UTC = datetime.UTC
CASES = [
    {"count": 2, "next": None, "results": [{"id": uuid.UUID(int=7), "grams": Decimal("12.50"), "ok": True}]},
    {"at": datetime.datetime(2026, 11, 30, 2, 3, 4, 567891, tzinfo=UTC), "day": datetime.date(2026, 1, 2)},
    {"naive": datetime.datetime(2026, 1, 2, 3, 4, 5), "time": datetime.time(1, 2, 3, 456789)},
    {"detail": ErrorDetail("Not found.", code="not_found"), "lazy": gettext_lazy("This field is required.")},
    {"text": 'Grüße, 日本, \u2028 and \u2029, "quotes" and \\ backslash', "tuple": (1, 2.5, -3)},
    {"big": 2**70, "nested": [[], {}, [None]]},
    {1: "a non-string key"},
    [Decimal("-0.00"), Decimal("1E+3"), Decimal("12.345")],
    {"set": {1}},
]


@pytest.mark.parametrize("data", CASES)
def test_the_bytes_are_drfs(data):
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_indented_rendering_is_drfs():
    data = {"a": [1, {"b": Decimal("2.00")}]}

    assert JSONRenderer().render(data, "application/json; indent=4") == DRFJSONRenderer().render(
        data, "application/json; indent=4"
    )


def test_a_decimal_nan_fails_as_drfs_does():
    with pytest.raises(ValueError):
        DRFJSONRenderer().render({"x": Decimal("NaN")})
    with pytest.raises(ValueError):
        JSONRenderer().render({"x": Decimal("NaN")})


def test_an_unknown_type_fails_as_drfs_does():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


def test_the_api_renders_with_it(api):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
    assert api.get("/api/v1/spools/").content.startswith(b'{"count":0,')
