"""The browsable API's tables: a list, a report or an index read as an HTML table above DRF's JSON.

A view offers `html_table(data)` (the response's data) returning a `Table`, or None; the
browsable renderer (core/api/browsable.py) renders it with `rest_framework/list_table.html`
above the JSON, which stays as it is (and stays exactly the same for `?format=json` and
`Accept: application/json`: the table exists only in the HTML page). A cell is text, with an
optional link, colour swatch, bar (a share of 0-100 %) or sign class (`+12.00`, `-3.50`).

A view may also offer `html_filter_form(request)`: a GET form of its parameters (a report's
range and grouping), rendered above the table.
"""

import dataclasses
import datetime
import re
from decimal import Decimal, InvalidOperation

from rest_framework import serializers

COLOR_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclasses.dataclass(frozen=True)
class Cell:
    text: str = ""
    url: str | None = None
    swatch: str | None = None  # "#RRGGBB"
    bar: float | None = None  # 0-100: a bar of that share
    css: str = ""  # "positive" / "negative" for signed grams, "numeric" for numbers
    title: str = ""


@dataclasses.dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    empty: str = "Nothing here."


def text(value, suffix=""):
    return Cell("" if value is None else f"{value}{suffix}")


def grams(value):
    return Cell("" if value in (None, "") else f"{value} g", css="numeric")


def signed_grams(value):
    """A change of weight with its sign: `+1000.00 g`, `-115.40 g`."""
    if value in (None, ""):
        return Cell()
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return Cell(str(value))
    sign = "+" if number > 0 else ""
    return Cell(
        f"{sign}{value} g", css="numeric positive" if number > 0 else "numeric negative" if number < 0 else "numeric"
    )


def swatch(color_hex, label):
    return Cell(label, swatch=color_hex if COLOR_HEX.match(color_hex or "") else None)


def bar(label, percent):
    try:
        share = max(0.0, min(100.0, float(percent)))
    except (TypeError, ValueError):
        share = None
    return Cell(label, bar=share, css="numeric")


def link(label, url):
    return Cell(str(label), url=url)


def when(value):
    """An ISO timestamp of the JSON as a person reads it: `2026-01-15 10:30` (in the tenant's zone, as sent)."""
    if not value:
        return Cell()
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return Cell(str(value))
    return Cell(moment.strftime("%Y-%m-%d %H:%M"), title=str(value))


def yes_no(value):
    return Cell("yes" if value else "no")


def results_of(data):
    """The rows of a page (`{"results": [...]}`, paginated or by cursor) or a plain list."""
    if isinstance(data, dict):
        results = data.get("results")
        return results if isinstance(results, list) else None
    return data if isinstance(data, list) else None


@dataclasses.dataclass(frozen=True)
class FormField:
    name: str
    label: str
    help_text: str
    value: str
    input_type: str = "text"  # "date", "select"
    choices: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def parameter_form(parameters_class, query):
    """The GET form of a report's parameters serializer, with the values of the request's `query`."""
    from core.api.browsable import help_html

    fields = []
    for name, field in parameters_class().fields.items():
        value = query.get(name, "")
        entry = {
            "name": name,
            "label": field.label or name.replace("_", " ").capitalize(),
            "help_text": help_html(field.help_text or ""),
            "value": value,
        }
        if isinstance(field, serializers.ChoiceField):
            default = "" if field.default is serializers.empty else str(field.default)
            blank = [] if field.default is not serializers.empty else [("", "(none)")]
            choices = blank + [(str(key), str(label)) for key, label in field.choices.items()]
            fields.append(FormField(**{**entry, "value": value or default}, input_type="select", choices=choices))
        elif isinstance(field, serializers.DateField):
            fields.append(FormField(**entry, input_type="date"))
        else:
            fields.append(FormField(**entry))
    return fields
