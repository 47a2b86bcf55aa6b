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


# The CSS Color Module Level 4 named colours (148 keywords), name -> RRGGBB: a search for "red"
# is a colour search, as Spoolman's is.
_CSS_TEXT = """
aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4
black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 cadetblue:5f9ea0
chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff
darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgreen:006400 darkgrey:a9a9a9
darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 darkorchid:9932cc darkred:8b0000
darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b darkslategray:2f4f4f darkslategrey:2f4f4f
darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969
dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc
ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 green:008000 greenyellow:adff2f grey:808080
honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ivory:fffff0 khaki:f0e68c lavender:e6e6fa
lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff
lightgoldenrodyellow:fafad2 lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1
lightsalmon:ffa07a lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899
lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000
mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371
mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585
midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080
oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa
palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f
pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f
royalblue:4169e1 saddlebrown:8b4513 salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee
sienna:a0522d silver:c0c0c0 skyblue:87ceeb slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa
springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0
violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32
"""
CSS_NAMES = dict(item.split(":") for item in _CSS_TEXT.split())
SHORT_OR_LONG_HEX = re.compile(r"#?([0-9a-f]{3}|[0-9a-f]{6})")


def colour_query(text: str) -> str | None:
    """The colour a search query names (`#f00`, `ff0000`, `red`, `Dark Red`) as RRGGBB, else None."""
    normalized = "".join(text.lower().split())
    match = SHORT_OR_LONG_HEX.fullmatch(normalized)
    if match is not None:
        digits = match.group(1)
        return "".join(char * 2 for char in digits) if len(digits) == 3 else digits
    return CSS_NAMES.get(normalized)
