"""Colour similarity as Spoolman's filament search measures it: CIE 1994 delta-E (graphic arts weights)
between two sRGB colours converted to CIELAB (D65 white). 0 is the same colour; Spoolman's default
threshold is 20, and 100 takes nearly every colour.
"""

import math
import re

HEX = re.compile(r"#?([0-9A-Fa-f]{6})([0-9A-Fa-f]{2})?")
# sRGB (linear) -> XYZ, each row divided by the D65 white point's component.
TO_XYZ = (
    ((0.4124, 0.3576, 0.1805), 0.95047),
    ((0.2126, 0.7152, 0.0722), 1.00000),
    ((0.0193, 0.1192, 0.9505), 1.08883),
)
EPSILON = 0.008856  # (6/29)^3: below it, the CIELAB function is linear
K1, K2 = 0.045, 0.015  # CIE94 graphic arts


def rgb_of(code: str) -> tuple[int, int, int] | None:
    """`RRGGBB` (a leading `#` and a trailing alpha `AA` allowed) as (r, g, b), else None."""
    match = HEX.fullmatch(code.strip())
    if match is None:
        return None
    digits = match.group(1)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _lab_part(value: float) -> float:
    return value ** (1 / 3) if value > EPSILON else 7.787 * value + 16 / 116


def lab_of(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    linear = [_linear(channel) for channel in rgb]
    x, y, z = (
        _lab_part(sum(weight * value for weight, value in zip(row, linear, strict=True)) / white)
        for row, white in TO_XYZ
    )
    return 116 * y - 16, 500 * (x - y), 200 * (y - z)


def delta_e(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIE94 difference of two CIELAB colours (the first is the reference: its chroma weighs)."""
    light = first[0] - second[0]
    a, b = first[1] - second[1], first[2] - second[2]
    chroma_1 = math.hypot(first[1], first[2])
    chroma = chroma_1 - math.hypot(second[1], second[2])
    hue_squared = a * a + b * b - chroma * chroma
    hue = math.sqrt(hue_squared) if hue_squared > 0 else 0.0
    total = light**2 + (chroma / (1 + K1 * chroma_1)) ** 2 + (hue / (1 + K2 * chroma_1)) ** 2
    return math.sqrt(total) if total > 0 else 0.0


def similar(query: tuple[float, float, float], codes: list[str], threshold: float) -> bool:
    """Whether any of `codes` (hex colours) is within `threshold` of `query` (a CIELAB colour)."""
    for code in codes:
        rgb = rgb_of(code)
        if rgb is not None and delta_e(query, lab_of(rgb)) <= threshold:
            return True
    return False
