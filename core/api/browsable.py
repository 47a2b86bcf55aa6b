"""The browsable API as a person's tool: forms with rows, typed input kept, action pages, links.

DRF's browsable API, with its look, plus:

- **Rows.** A list of objects in a body (a run's `items` and `materials`, a completion's
  outcomes) is a table of rows in the HTML form instead of DRF's "Lists are not currently
  supported in HTML input": one input per field of the row (a select for a foreign key,
  listing the tenant's rows by their readable label), posted as `items[0]product`, which DRF
  parses into a list. Rows of a list whose rows name an existing `id` (a completion's items
  and materials) are fixed: the view lists them (`form_rows` and `row_labels` in the
  serializer's context) and the id is a hidden input beside its label. Other lists get an
  "Add a row" button and a "Remove" per row (core/static/core/form-rows.js; the
  Content-Security-Policy runs no inline script). A row left blank (only its `id`, if any) is
  no row (`FormRowsListSerializer`).
- **Typed input kept.** A 400 of a form shows the form again with what was typed and each
  error beside its field (DRF does that for field errors); a refusal of the service (a
  `{detail, code}` 400 or 409) keeps the typed form too instead of an empty one.
- **Action pages.** A `GET` of an action that takes `POST` (`complete/`, `fail/`, `cancel/`,
  `reopen/`, `adjust/`) in the browsable API answers 200 with the record and the action's
  form: the page a link leads to, and the confirmation step of a bodyless action (its POST
  button). A JSON client's `GET` there stays 405 (the schema lists POST only).
  The refusal's `detail` is shown at the top of the page.
- **Tables.** A view may offer `html_table(data)`: its list (or report) as an HTML table above
  the JSON, and `html_filter_form(request)`: its parameters as a GET form (core/api/tables.py).
- **Links.** A view may offer `page_links(data)`: `[(label, url)]` shown under the page's
  description (a run's ledger rows and spools, a spool's history). Links to actions are only
  those the user's role may take (`action_links`); an action page opened anyway says why it
  has no form (`action_refusal`).
"""

import re

from django.template import loader
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from rest_framework import renderers, serializers
from rest_framework.exceptions import APIException, MethodNotAllowed
from rest_framework.fields import empty
from rest_framework.relations import RelatedField
from rest_framework.request import override_method
from rest_framework.response import Response
from rest_framework.utils import html
from rest_framework.utils.serializer_helpers import ReturnDict

BROWSABLE_FORMAT = "api"
ROWS_TEMPLATE = "rest_framework/rows.html"
INDEX_PLACEHOLDER = "__index__"
# A row needs a blank line to add on; a list without any gets this many blank rows.
BLANK_ROWS = 1


CODE_SPAN = re.compile(r"`([^`]+)`")


def help_html(text):
    """A help text (written in the schema's Markdown) for an HTML form: escaped, its `code` spans as <code>.

    DRF's and Django's form templates print help text unescaped: raw backticks would show, and a
    `printer:<name>` would be read as a tag.
    """
    if not text:
        return text
    return mark_safe(CODE_SPAN.sub(r"<code>\1</code>", str(conditional_escape(text))))


def is_browsable(request):
    return getattr(getattr(request, "accepted_renderer", None), "format", None) == BROWSABLE_FORMAT


def is_blank_row(row):
    values = [row.get(name) for name in row if name != "id"]
    return all(value in ("", None) for value in values)


class FormRowsListSerializer(serializers.ListSerializer):
    """A list of objects in a body; in an HTML form (`items[0]product=...`), blank rows are no rows."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, list):
            value = [row for row in value if not (hasattr(row, "get") and is_blank_row(row))]
            return value or empty
        return value


def rows_of(value):
    return [row for row in value if hasattr(row, "get")] if isinstance(value, list) else []


def row_errors(errors):
    """(errors of each row by index, errors of the list as a whole).

    DRF gives a list's errors as {index: {field: [...]}} (or a list with one dict per row), and the
    list's own as [...] or {"non_field_errors": [...]}.
    """
    if isinstance(errors, list) and errors and all(isinstance(error, dict) for error in errors):
        errors = dict(enumerate(errors))
    if isinstance(errors, dict):
        by_index = {key: value for key, value in errors.items() if isinstance(key, int) and isinstance(value, dict)}
        general = [str(error) for key, value in errors.items() if key not in by_index for error in value]
        return by_index, general
    return {}, [str(error) for error in errors or ()]


def as_text(value):
    return "" if value is None else str(value)


class RowsFormRenderer(renderers.HTMLFormRenderer):
    """DRF's form renderer; a list of objects becomes rows (see the module's docstring)."""

    def render_field(self, field, parent_style):
        list_field = field._field
        if isinstance(list_field, serializers.ListSerializer) and isinstance(list_field.child, serializers.Serializer):
            return self.render_rows(field, list_field)
        help_text = field._field.help_text
        field._field.help_text = help_html(help_text)  # the form's own copy of the field: the schema keeps it
        try:
            return super().render_field(field, parent_style)
        finally:
            field._field.help_text = help_text

    def render_rows(self, field, list_field):
        child, name = list_field.child, field.name
        context = list_field.root.context
        wanted = list_field.style.get("row_fields")
        columns = [
            (column, child_field)
            for column, child_field in child.fields.items()
            if not child_field.read_only and (wanted is None or column in wanted)
        ]
        fixed = "id" in child.fields and not child.fields["id"].read_only
        typed = rows_of(field.value)
        by_index, list_errors = row_errors(field.errors)
        labels = context.get("row_labels", {})
        if fixed:
            # The view's rows (each of the record's items or materials), with what was typed for them.
            typed_by_id = {as_text(row.get("id")): (row, by_index.get(index, {})) for index, row in enumerate(typed)}
            rows = []
            for start in context.get("form_rows", {}).get(list_field.field_name, []):
                row, errors = typed_by_id.get(as_text(start["id"]), (start, {}))
                rows.append((row, errors))
        else:
            rows = [(row, by_index.get(index, {})) for index, row in enumerate(typed)]
            rows += [({}, {})] * max(0, BLANK_ROWS - len(rows))
        cells = [self.row(name, index, columns, row, errors, labels) for index, (row, errors) in enumerate(rows)]
        template = loader.get_template(ROWS_TEMPLATE)
        return template.render(
            {
                "name": name,
                "label": field.label,
                "help_text": help_html(list_field.help_text),
                "headers": [child_field.label for column, child_field in columns if column != "id"],
                "rows": cells,
                "next_index": len(cells),
                "template_row": None if fixed else self.row(name, INDEX_PLACEHOLDER, columns, {}, {}, labels),
                "addable": not fixed,
                "errors": list_errors,
            }
        )

    def row(self, list_name, index, columns, row, errors, labels):
        cells = []
        key = None
        for column, child_field in columns:
            value = as_text(row.get(column))
            cell = {
                "name": f"{list_name}[{index}]{column}",
                "value": value,
                "label": child_field.label,
                "errors": [str(error) for error in errors.get(column, ())],
            }
            if column == "id":
                key = {**cell, "text": labels.get(value, value)}
                continue
            if hasattr(child_field, "get_choice_rows"):
                # A tenant's rows, each with its data for the form's script (a spool's kind and free grams).
                cell["options"] = [
                    (as_text(option), text, as_text(option) == value, sorted(data.items()))
                    for option, text, data in child_field.get_choice_rows()
                ]
            elif isinstance(child_field, RelatedField | serializers.ChoiceField):
                choices = child_field.get_choices() if isinstance(child_field, RelatedField) else child_field.choices
                cell["options"] = [
                    (as_text(option), text, as_text(option) == value, []) for option, text in choices.items()
                ]
            elif isinstance(child_field, serializers.DecimalField):
                cell["input_type"], cell["step"] = "number", "0.01"
            elif isinstance(child_field, serializers.IntegerField):
                cell["input_type"], cell["step"] = "number", "1"
            else:
                cell["input_type"] = "text"
            cells.append(cell)
        general = [str(error) for name in ("non_field_errors", "id") for error in errors.get(name, ())]
        return {"key": key, "cells": cells, "errors": general}


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    form_renderer_class = RowsFormRenderer

    def get_rendered_html_form(self, data, view, method, request):
        response = getattr(view, "response", None)
        refused = response is not None and response.status_code >= 400 and response.status_code != 403
        keep = refused and request.method == method == "POST" and getattr(data, "serializer", None) is None
        if keep and hasattr(view, "get_serializer"):
            # The service refused a valid body ({detail, code}): show the form again with what was typed.
            with override_method(view, request, method):
                serializer = view.get_serializer(data=request.data)
            data = ReturnDict(data if isinstance(data, dict) else {}, serializer=serializer)
        return super().get_rendered_html_form(data, view, method, request)

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        view, response = renderer_context["view"], renderer_context["response"]
        page_links = getattr(view, "page_links", None)
        context["page_links"] = page_links(response.data) if page_links and response.status_code < 400 else []
        context["confirmation"] = getattr(view, "confirmation", None)
        context["action_refusal"] = getattr(view, "action_refusal", None)
        # A list, report or index as a table above the JSON, and a report's parameters as a form (core/api/tables.py).
        html_table = getattr(view, "html_table", None)
        context["list_table"] = html_table(response.data) if html_table and response.status_code < 400 else None
        html_filter_form = getattr(view, "html_filter_form", None)
        context["parameter_form"] = html_filter_form(renderer_context["request"]) if html_filter_form else None
        # A refusal that names no field ({detail, code}) is shown above the page, the typed form below it.
        data = response.data
        refused = response.status_code >= 400 and isinstance(data, dict) and isinstance(data.get("detail"), str)
        context["refusal"] = data["detail"] if refused else None
        return context


def post_refusal(view, request, action):
    """Why the request's user may not POST `action` on `view` (its permission's message), or None if they may."""
    with override_method(view, request, "POST") as post:
        view.action = action
        try:
            view.check_permissions(post)
        except APIException as exc:
            return str(exc.detail)
    return None


# Who may run an action that only admins and owners may: said beside its link, and on its page to others.
MANAGERS_ONLY = "admins and owners"


def action_links(view, request, actions):
    """The links to the actions of `actions` ([(label, url, action)]) that the user may take.

    An action the user's role may not take is not linked (its page would offer no form); one that
    only admins and owners may take says so beside its label.
    """
    links = []
    for label, url, action in actions:
        if post_refusal(view, request, action) is not None:
            continue
        if action in getattr(view, "manager_actions", ()):
            label = f"{label} ({MANAGERS_ONLY})"
        links.append((label, url))
    return links


class ActionFormPagesMixin:
    """A browsable `GET` of an action that takes `POST` answers the record and the action's form (200).

    A user whose role may not take the action gets the page with the reason instead of a form.
    """

    def http_method_not_allowed(self, request, *args, **kwargs):
        action = getattr(self, "action_map", {}).get("post")
        if request.method == "GET" and action not in (None, "create") and is_browsable(request):
            self.action_refusal = post_refusal(self, request, action)
            return self.action_page(request, action, *args, **kwargs)
        raise MethodNotAllowed(request.method)

    def action_page(self, request, action, *args, **kwargs):
        """The record the action acts on, as the detail page shows it; its form comes with the page."""
        if self.detail:
            return Response(self.get_serializer(self.get_object()).data)
        return Response({})
