"""Charts as inline SVG, drawn on the server: no script, no library, nothing from another host.

Inventory draws a spool's weight over time in its admin; insights, a floor above, its dashboard.

Each function returns markup safe to put in a template (every text is escaped). Hovering a
bar or a point shows its figure (an SVG `<title>`), which needs no script either.
"""

import datetime
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 40
PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"]
AXIS = "#6b7280"
GRID = "#e5e7eb"


COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def safe_colour(value, fallback=""):
    """`value` when it is a `#RRGGBB` colour, else `fallback` (the palette's, when empty)."""
    return value if COLOUR.match(value or "") else fallback


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    colour: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    points: list = field(default_factory=list)  # (datetime.date or datetime.datetime, value)
    colour: str = ""


def _number(value):
    value = float(value)
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _nice_step(span):
    """A round tick step (1, 2, 2.5 or 5 x a power of ten) dividing `span` into at most 4 parts."""
    if span <= 0:
        return 1.0
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)


def _axis_range(low, high):
    """(bottom, top, step) of an axis holding `low`..`high` and zero, on round ticks."""
    low, high = min(low, 0.0), max(high, 0.0)
    step = _nice_step(high - low)
    return math.floor(low / step) * step, max(math.ceil(high / step) * step, step), step


def _svg(label, body, width=WIDTH, height=HEIGHT):
    # Every text inside went through escape().
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'style="max-width:100%;height:auto;font:11px system-ui,sans-serif">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _empty(label, message):
    body = f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{AXIS}">{escape(message)}</text>'
    return _svg(label, body)


def _y_axis(bottom, top, step, y, unit=""):
    """Grid lines with their figures, every `step` from `bottom` to `top`; `y` maps a value to a y."""
    parts = []
    ticks = round((top - bottom) / step)
    for index in range(ticks + 1):
        value = bottom + step * index
        at = y(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{at:.1f}" y2="{at:.1f}" stroke="{GRID}"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" fill="{AXIS}">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    return "".join(parts)


def _short(text, characters):
    text = str(text)
    return text if len(text) <= characters else text[: max(characters - 1, 1)] + "…"


def _plot():
    return WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM


def _scale(bottom, top):
    plot_height = _plot()[1]
    return lambda value: MARGIN_TOP + plot_height * (top - float(value)) / (top - bottom)


def bar_chart(bars, *, label, unit=""):
    """Vertical bars from zero, each with its figure; negative values hang below the zero line."""
    if not bars:
        return _empty(label, "Nothing to show yet.")
    values = [float(bar.value) for bar in bars]
    bottom, top, step = _axis_range(min(values), max(values))
    y = _scale(bottom, top)
    slot = _plot()[0] / len(bars)
    bar_width = min(slot * 0.7, 80)
    parts = [_y_axis(bottom, top, step, y, unit)]
    for index, (bar, value) in enumerate(zip(bars, values, strict=True)):
        colour = escape(safe_colour(bar.colour, PALETTE[index % len(PALETTE)]))
        x = MARGIN_LEFT + slot * index + (slot - bar_width) / 2
        y_top, y_bottom = sorted((y(value), y(0)))
        centre = x + bar_width / 2
        figure = escape(_number(value))
        parts.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_width:.1f}" height="{max(y_bottom - y_top, 0.5):.1f}" '
            f'fill="{colour}"><title>{escape(bar.label)}: {figure}{escape(unit)}</title></rect>'
            f'<text x="{centre:.1f}" y="{(y_top - 4) if value >= 0 else (y_bottom + 12):.1f}" '
            f'text-anchor="middle">{figure}</text>'
            f'<text x="{centre:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" '
            f'fill="{AXIS}">{escape(_short(bar.label, int(slot / 6.5)))}<title>{escape(bar.label)}</title></text>'
        )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{AXIS}"/>'
    )
    return _svg(label, "".join(parts))


LEGEND_COLUMNS = 2  # a material is named with its number, kind, colour and vendor: room for about 50 characters


def _legend(series):
    """Swatches and names under the plot, two a row, each whole name on hover; returns (markup, extra height)."""
    parts = []
    column_width = _plot()[0] / LEGEND_COLUMNS
    for index, (name, colour) in enumerate(series):
        row, column = divmod(index, LEGEND_COLUMNS)
        x, y = MARGIN_LEFT + column * column_width, HEIGHT + row * 16 - 6
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{escape(colour)}" stroke="#555" '
            f'stroke-width="0.5"/><text x="{x + 14:.1f}" y="{y}"><title>{escape(name)}</title>'
            f"{escape(_short(name, 50))}</text>"
        )
    return "".join(parts), 16 * ((len(series) + LEGEND_COLUMNS - 1) // LEGEND_COLUMNS)


def stacked_bar_chart(columns, series, *, label, unit=""):
    """One column per key of `columns` ({key: {series name: value}}, in order), its segments stacked
    in the order and colours of `series` ([(name, colour)]); the first, middle and last keys label
    the axis."""
    if not columns or not series:
        return _empty(label, "Nothing to show yet.")
    totals = [sum(float(value) for value in values.values()) for values in columns.values()]
    bottom, top, step = _axis_range(0.0, max(totals))
    y = _scale(bottom, top)
    slot = _plot()[0] / len(columns)
    bar_width = max(slot * 0.8, 1)
    parts = [_y_axis(bottom, top, step, y, unit)]
    keys = list(columns)
    for index, key in enumerate(keys):
        x = MARGIN_LEFT + slot * index + (slot - bar_width) / 2
        base = 0.0
        for name, colour in series:
            value = float(columns[key].get(name, 0))
            if value <= 0:
                continue
            top_y, bottom_y = y(base + value), y(base)
            parts.append(
                f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{bar_width:.1f}" height="{bottom_y - top_y:.1f}" '
                f'fill="{escape(colour)}" stroke="#555" stroke-width="0.3">'
                f"<title>{escape(key)} {escape(name)}: {escape(_number(value))}{escape(unit)}</title></rect>"
            )
            base += value
        if index in (0, len(keys) // 2, len(keys) - 1):
            anchor, at = {0: ("start", x), len(keys) - 1: ("end", x + bar_width)}.get(
                index, ("middle", x + bar_width / 2)
            )
            parts.append(
                f'<text x="{at:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="{anchor}" '
                f'fill="{AXIS}">{escape(key)}</text>'
            )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{AXIS}"/>'
    )
    legend, extra = _legend(series)
    return _svg(label, "".join(parts) + legend, height=HEIGHT + extra)


def _local(moment):
    """A datetime in the active time zone (the tenant's, where a view activated it); a date as it is."""
    if isinstance(moment, datetime.datetime) and timezone.is_aware(moment):
        return timezone.localtime(moment)
    return moment


def _timestamp(moment):
    if isinstance(moment, datetime.datetime):
        return moment.timestamp()
    return datetime.datetime.combine(moment, datetime.time.min, tzinfo=datetime.UTC).timestamp()


def line_chart(series, *, label, unit="", start=None, end=None, step=False):
    """One line per series over time (dates or datetimes), with a legend; `step` draws a staircase
    (a value that holds until the next point, like a spool's weight)."""
    series = [one for one in series if one.points]
    if not series:
        return _empty(label, "Nothing to show yet.")
    moments = [_timestamp(moment) for one in series for moment, _ in one.points]
    first = _timestamp(start) if start is not None else min(moments)
    last = _timestamp(end) if end is not None else max(moments)
    if last <= first:
        last = first + 86400
    bottom, top, step_size = _axis_range(0.0, max(float(value) for one in series for _, value in one.points))
    y = _scale(bottom, top)
    plot_width = _plot()[0]

    def x(moment):
        return MARGIN_LEFT + plot_width * (_timestamp(moment) - first) / (last - first)

    parts = [_y_axis(bottom, top, step_size, y, unit)]
    for fraction in (0, 0.5, 1):
        moment = _local(datetime.datetime.fromtimestamp(first + (last - first) * fraction, tz=datetime.UTC))
        anchor = ("start", "middle", "end")[int(fraction * 2)]
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_width * fraction:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="{anchor}" fill="{AXIS}">{moment:%Y-%m-%d}</text>'
        )
    for index, one in enumerate(series):
        colour = escape(one.colour or PALETTE[index % len(PALETTE)])
        coordinates = []
        for moment, value in one.points:
            if step and coordinates:
                coordinates.append(f"{x(moment):.1f},{coordinates[-1].split(',')[1]}")
            coordinates.append(f"{x(moment):.1f},{y(value):.1f}")
        if step and end is not None:
            coordinates.append(f"{x(end):.1f},{coordinates[-1].split(',')[1]}")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(coordinates)}"/>'
            + "".join(
                f'<circle cx="{x(moment):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(one.name)} {_local(moment):%Y-%m-%d %H:%M}: {escape(_number(value))}{escape(unit)}"
                "</title></circle>"
                for moment, value in one.points
            )
        )
    legend, extra = _legend(
        [(one.name, one.colour or PALETTE[index % len(PALETTE)]) for index, one in enumerate(series)]
    )
    return _svg(label, "".join(parts) + legend, height=HEIGHT + extra)
