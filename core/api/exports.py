"""`?format=csv` on a list: the whole filtered, ordered result as a streamed CSV file.

`CSVExportMixin` (a base of every tenant-scoped view) adds a CSV renderer to the `list`
action only. A CSV list is not paginated: the view filters and orders its queryset as for
JSON, then streams it in chunks of `csv_chunk_size` rows (`QuerySet.iterator`, which runs
the queryset's prefetches once per chunk), so a large export costs a fixed number of queries
per chunk and holds one chunk in memory. Each chunk is serialized by the list's own
serializer and flattened: nested objects are dropped unless the view names a summary for
them (`csv_summaries`), so every row is one line of plain columns.

An error (a bad filter, a missing tenant) is answered as JSON, not as CSV.
"""

import contextlib
import csv
import datetime
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.renderers import BaseRenderer, JSONRenderer

CSV_FORMAT = "csv"
CSV_MEDIA_TYPE = "text/csv"
# A cell a spreadsheet would run as a formula (CSV injection); numbers like "-12.50" are plain.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

# The view these mixins are mixed into, for the type checker (at run time they stand alone).
if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView as _View
else:
    _View = object


class FileRenderer(BaseRenderer):
    """A renderer of files the view has already written (bytes); an error of its request is answered in JSON."""

    charset: str | None = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class CSVRenderer(FileRenderer):
    """Selected by `?format=csv` or `Accept: text/csv`; the list streams its own body (`CSVExportMixin`)."""

    media_type = CSV_MEDIA_TYPE
    format = CSV_FORMAT
    charset = "utf-8"


class SVGRenderer(FileRenderer):
    media_type = "image/svg+xml"
    format = "svg"


class PDFRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class Echo:
    """A file-like object whose write returns the line, for csv.writer to stream through."""

    def write(self, value):
        return value


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_START) and not NUMBER.match(text):
        return "'" + text
    return text


class CSVExportMixin(_View):
    csv_chunk_size = 500
    # Nested fields kept as one column: {field: function(list of the nested rows' data) -> str}.
    csv_summaries: dict[str, Callable[[list[Any]], str]] = {}

    def get_renderers(self):
        if getattr(self, "action", None) == "list" and CSVRenderer not in self.renderer_classes:
            # On the instance: the browsable API's format menu lists `renderer_classes`, so a list offers csv.
            self.renderer_classes = [*self.renderer_classes, CSVRenderer]
        return super().get_renderers()

    def list(self, request, *args, **kwargs):
        parent = getattr(super(), "list", None)
        if parent is None:  # a view without a list of its own (the mixin is a base of every scoped view)
            raise MethodNotAllowed(request.method)
        if getattr(request.accepted_renderer, "format", None) != CSV_FORMAT:
            return parent(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(self.csv_lines(queryset), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_filename()}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # An error of a file's request (CSV, a label) is answered in JSON: `{detail, code}` or field errors.
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None:  # content negotiation itself failed: DRF would fall back to the first renderer
            renderer = next(iter(self.get_renderers()), None)
        if getattr(response, "exception", False) and isinstance(renderer, FileRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def csv_filename(self):
        tenant = getattr(self.request, "tenant", None)
        parts = [tenant.slug if tenant is not None else None, self.csv_name(), timezone.localdate().isoformat()]
        return "-".join(part for part in parts if part) + ".csv"

    def csv_name(self):
        """The list's last path segment: `spools`, `production-runs`, `items`."""
        return self.request.path.rstrip("/").rsplit("/", 1)[-1] or "export"

    def csv_scope(self):
        """The context the rows are read in: the body streams after the view has returned."""
        return contextlib.nullcontext()

    def csv_columns(self, serializer):
        return [
            name
            for name, field in serializer.child.fields.items()
            if not field.write_only
            and (name in self.csv_summaries or not isinstance(field, serializers.BaseSerializer))
        ]

    def csv_lines(self, queryset):
        writer = csv.writer(Echo())
        with self.csv_scope():
            columns = None
            rows = queryset.iterator(chunk_size=self.csv_chunk_size)
            while True:
                chunk = [row for _, row in zip(range(self.csv_chunk_size), rows, strict=False)]
                if columns is None:
                    serializer = self.get_serializer(chunk, many=True)
                    columns = self.csv_columns(serializer)
                    yield writer.writerow(columns)
                else:
                    serializer = self.get_serializer(chunk, many=True)
                if not chunk:
                    return
                for data in serializer.data:
                    yield writer.writerow([cell(self.csv_value(name, data.get(name))) for name in columns])
                if len(chunk) < self.csv_chunk_size:
                    return

    def csv_value(self, name, value):
        summary = self.csv_summaries.get(name)
        if summary is not None:
            return summary(value or [])
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        return value
