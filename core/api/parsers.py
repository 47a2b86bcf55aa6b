"""Request body parsers."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API nests deeper than a few levels (a run's items/materials); the bound
# leaves room while keeping every recursive step after parsing (validation, error
# rendering) far below Python's recursion limit.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 `parse_error` for a body nested too deep.

    Python's decoder raises `RecursionError` (a 500) for deep nesting, and a body just
    under its limit would reach the serializers at a depth they cannot recurse through.
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
        return data


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
