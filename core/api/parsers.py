"""Request body parsers."""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API nests deeper than a few levels (a run's items/materials); the bound
# leaves room while keeping every recursive step after parsing (validation, error
# rendering) far below Python's recursion limit.
MAX_JSON_DEPTH = 32
# A UTF-16 surrogate code point left in a decoded string: JSON's `\ud800` escape without its pair.
# (A pair decodes to one character; a surrogate sent as raw UTF-8 bytes is already undecodable.)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 `parse_error` for a body nested too deep or holding a lone surrogate.

    Python's decoder raises `RecursionError` (a 500) for deep nesting, and a body just
    under its limit would reach the serializers at a depth they cannot recurse through.

    A lone surrogate (`"\\ud800"`) is valid JSON text but no Unicode character: it cannot be
    encoded as UTF-8, so neither stored nor echoed back in an error ("... is not a valid
    choice"), whose rendering failed as a 500. Refused here, once for every field of every body.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = nesting_depth(data) > MAX_JSON_DEPTH
        if too_deep:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_JSON_DEPTH} levels.")
        if has_lone_surrogate(data):
            raise ParseError(
                "JSON parse error - a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character."
            )
        return data


def has_lone_surrogate(data):
    """Whether any string of `data` (a key or a value, at any depth) holds a lone surrogate; without recursion."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def nesting_depth(data):
    """How many arrays/objects deep `data` goes, without recursion."""
    deepest = 0
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
