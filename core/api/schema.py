"""The OpenAPI schema's conventions, declared once.

`AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to every operation what
the platform does for every view: the `X-Tenant` header on tenant-scoped views, and
the error responses that authentication, tenant resolution, role permissions,
validation, lookups and throttling can give, each with the `code` values it carries.
A view declares only its own extra codes, by listing them in `extend_schema`:

    @extend_schema(responses={200: RunSerializer, **errors(ErrorCode.INVALID_TRANSITION, ErrorCode.BUSY)})

`errors()` files each code under its status from `core.errors.ErrorCode`, the one
catalogue, so a code has one status and one meaning everywhere in the schema.
"""

from collections import defaultdict

import django_filters
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import BrowsableAPIRenderer

from core.api.exports import CSV_FORMAT, CSV_MEDIA_TYPE, FileRenderer
from core.api.filters import BooleanFilter, DateBoundFilter
from core.errors import ErrorCode
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import MAX_KEY_LENGTH
from core.idempotency import REPLAYED_HEADER as IDEMPOTENT_REPLAYED_HEADER
from core.tenancy import TENANT_HEADER, TENANT_QUERY_PARAM

X_TENANT = OpenApiParameter(
    TENANT_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Slug of the tenant this request acts for (the browsable API may use "
        f"`?{TENANT_QUERY_PARAM}=<slug>` instead). Optional for a user with one membership; "
        "a user of several tenants who names none gets 400 `tenant_required`, and a tenant "
        "the user is not a member of gives 403 `tenant_forbidden`. `GET /api/v1/me/` lists "
        "the user's tenants."
    ),
)

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        f"A unique string (1-{MAX_KEY_LENGTH} printable ASCII characters, a UUID say) that makes this POST "
        "safe to retry. Within 24 h, the same key from the same user and tenant with the same method, path "
        "and body returns the first request's stored response (with `Idempotent-Replayed: true`) and does "
        "nothing again; with another method, path or body it is a 422 `idempotency_key_reused`; while the "
        "first request is still running, a 409 `idempotency_in_progress`. Stored: the success and the "
        "errors of a processed request (such as `insufficient_stock` or `invalid_transition`); not stored, "
        "so a retry runs again: authentication, tenant, permission, field-validation and not-found errors, "
        "`busy`, `database_unavailable` and any 5xx."
    ),
)
IDEMPOTENT_REPLAYED = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": f"`true` when this is the stored response of an earlier request with the same "
    f"`{IDEMPOTENCY_HEADER}`, replayed; absent otherwise.",
}

FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", CSV_FORMAT],
    description=(
        "`csv` answers the whole filtered, ordered list (not one page: `page` and `page_size` are ignored) "
        "as a CSV file (`text/csv`, streamed, with a header row and a `Content-Disposition` filename); "
        "`Accept: text/csv` does the same. Nested rows are summarised in one column each. Errors stay JSON. "
        "Default: JSON."
    ),
)
CSV_RESPONSE = {
    "schema": {"type": "string", "description": "CSV: a header row, then one row per record (with `format=csv`)."}
}

STATUS_TITLES = {
    400: "Invalid input.",
    401: "Not authenticated.",
    403: "Forbidden.",
    404: "Not found.",
    409: "Conflict with the current state of the records.",
    415: "Unsupported media type.",
    422: "Unprocessable: the request clashes with an earlier one.",
    429: "Throttled.",
    503: "Service unavailable.",
}

# Answers that tell the client when to try again.
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer", "minimum": 0},
    "description": "Seconds to wait before trying again.",
}

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MODEL_WRITE_ACTIONS = frozenset({"create", "update", "partial_update"})


class ErrorSerializer(serializers.Serializer):
    """`{"detail", "code"}`: every error that is not a field-error dict."""

    detail = serializers.CharField(help_text="A message for people.")
    code = serializers.CharField(help_text="A stable code for programs; each response lists the codes it may carry.")
    status = serializers.CharField(required=False, help_text="`invalid_transition`: the run's current status.")
    spool = serializers.CharField(required=False, help_text="`insufficient_stock`, `invalid`: the spool's code.")
    available_g = serializers.CharField(required=False, help_text="`insufficient_stock`, `invalid`: grams it holds.")
    required_g = serializers.CharField(required=False, help_text="`insufficient_stock`, `invalid`: grams asked for.")
    completed_at = serializers.DateTimeField(
        required=False, help_text="`invalid_transition` of a completed or failed run: when it ended."
    )
    completed_by = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="`invalid_transition` of a completed or failed run: the username of who ended it "
        "(null if it moved no stock), to tell your own earlier request from someone else's.",
    )
    materials = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="`missing_actuals`: spool codes of those materials."
    )

    class Meta:
        ref_name = "Error"


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "DRF's field errors: each invalid field (a filter or ordering parameter on a list) maps "
        "to its messages, nested for nested bodies; `non_field_errors` holds the rest."
    ),
    "additionalProperties": {},
    "example": {"quantity": ["Ensure this value is greater than or equal to 1."]},
}


class ErrorCodes(OpenApiResponse):
    """A view's extra error codes for one status, as an entry of `extend_schema(responses=...)`."""

    def __init__(self, status, codes):
        super().__init__(description=STATUS_TITLES.get(status, ""))
        self.status = status
        self.codes = tuple(codes)


def errors(*codes):
    """`{status: ErrorCodes}` for the codes an operation adds to the standard ones."""
    by_status = defaultdict(list)
    for code in codes:
        code = ErrorCode(code)  # an unknown code fails at import
        by_status[code.status].append(code.value)
    return {status: ErrorCodes(status, listed) for status, listed in by_status.items()}


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.is_tenant_scoped():
            parameters = [*parameters, X_TENANT]
        if self.accepts_idempotency_key():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        if self.exports_csv():
            parameters = [*parameters, FORMAT]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes, field_errors = self.standard_errors(operation)
        for status, listed in self.declared_errors().items():
            codes[status] += [code for code in listed if code not in codes[status]]
        responses = operation["responses"]
        for status in sorted(codes):
            if codes[status] or (status == 400 and field_errors):
                responses[str(status)] = self.error_response(status, codes[status], field_errors and status == 400)
        if self.accepts_idempotency_key():
            for status, response in responses.items():
                if status.startswith(("2", "4")):
                    response.setdefault("headers", {})[IDEMPOTENT_REPLAYED_HEADER] = IDEMPOTENT_REPLAYED
        success = responses.get("200", {}).get("content", {})
        if CSV_MEDIA_TYPE in success:
            success[CSV_MEDIA_TYPE] = CSV_RESPONSE  # a list's CSV is a string, not its JSON page
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def exports_csv(self):
        """A list whose view offers `?format=csv` (core.api.exports)."""
        return (
            self.method == "GET"
            and self._is_list_view()
            and any(getattr(renderer, "format", None) == CSV_FORMAT for renderer in self.view.get_renderers())
        )

    def is_tenant_scoped(self):
        return getattr(self.view, "tenant_scoped", False)

    def accepts_idempotency_key(self):
        return self.method == "POST" and getattr(self.view, "accepts_idempotency_key", False)

    def standard_errors(self, operation):
        """The codes the platform can answer for this operation, whatever the view."""
        codes = defaultdict(list)
        security = operation.get("security", [])
        public = not security or {} in security
        writes = self.method in WRITE_METHODS
        if not public:
            codes[401] += ["not_authenticated", "authentication_failed"]
        if self.is_tenant_scoped():
            codes[400].append("tenant_required")
            codes[403].append("tenant_forbidden")
            if writes:
                codes[403].append("permission_denied")
            if getattr(self.view, "action", None) in MODEL_WRITE_ACTIONS:
                codes[400].append("unique")
        elif (
            writes and not public and any(isinstance(a, SessionAuthentication) for a in self.view.get_authenticators())
        ):
            codes[403].append("permission_denied")  # CSRF of a session write
        has_body = self.method in BODY_METHODS and "requestBody" in operation
        if has_body:
            codes[400] += ["parse_error", "body_too_large"]
            codes[415].append("unsupported_media_type")
        is_list = self.method == "GET" and self._is_list_view()
        has_path_parameters = any(parameter["in"] == "path" for parameter in operation.get("parameters", []))
        if has_path_parameters or (is_list and self._get_paginator()):
            codes[404].append("not_found")
        if self.accepts_idempotency_key():
            codes[400].append("invalid_idempotency_key")
            codes[409].append("idempotency_in_progress")
            codes[422].append("idempotency_key_reused")
        if getattr(self.view, "throttle_classes", None):
            codes[429].append("throttled")
        # A list's filters, a view's own query parameters (`validates_query_parameters`), or any GET
        # with query parameters beyond `format` (the labels' `ids`) can name one wrongly: field errors.
        takes_query = self.method == "GET" and any(
            parameter["in"] == "query" and parameter["name"] != "format"
            for parameter in operation.get("parameters", [])
        )
        field_errors = has_body or is_list or takes_query or getattr(self.view, "validates_query_parameters", False)
        return codes, field_errors

    def declared_errors(self):
        declared = self.get_response_serializers()
        if not isinstance(declared, dict):
            return {}
        return {entry.status: entry.codes for entry in declared.values() if isinstance(entry, ErrorCodes)}

    def error_response(self, status, codes, field_errors):
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        schema = None
        if codes:
            schema = {"allOf": [error, {"type": "object", "properties": {"code": {"type": "string", "enum": codes}}}]}
        if field_errors:
            field_errors_ref = self.field_errors_component().ref
            schema = {"anyOf": [field_errors_ref, schema]} if schema else field_errors_ref
        title = STATUS_TITLES.get(status, "")
        if field_errors:
            title += " Field errors, or `{detail, code}`:" if codes else " Field errors."
        listing = "\n".join(f"- `{code}`: {ErrorCode(code).meaning}" for code in codes)
        response = {
            "content": {media_type: {"schema": schema} for media_type in self.error_media_types()},
            "description": f"{title}\n\n{listing}" if listing else title,
        }
        if status in RETRY_AFTER_STATUSES:
            response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        return response

    def error_media_types(self):
        """Errors of a file's request (CSV, a label) are JSON (core.api.exports.FileRenderer)."""
        media_types = [
            renderer.media_type.split(";")[0]
            for renderer in self.view.get_renderers()
            if not isinstance(renderer, FileRenderer | BrowsableAPIRenderer)
        ]
        return list(dict.fromkeys(media_types)) or ["application/json"]

    def field_errors_component(self):
        component = ResolvedComponent(
            name="FieldErrors", type=ResolvedComponent.SCHEMA, object="FieldErrors", schema=FIELD_ERRORS_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component


class FilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with the types and rules of this project's filters.

    Tenant-scoped choice filters (`ModelChoiceFilter` with a per-request queryset)
    take an id; `DateBoundFilter` takes a date or a datetime; strict booleans,
    repeatable choices and ordering say how they are written. A filter's own
    `help_text` leads its description.
    """

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, django_filters.ModelChoiceFilter):
            # A model with a natural key (`natural_key_field`, e.g. a product's sku) is named by either.
            natural_key = self.natural_key(model, filter_field)
            schema = {"type": "string"} if natural_key else build_basic_type(OpenApiTypes.UUID)
            parameters = [self.query_parameter(field_name, schema)]
        elif isinstance(filter_field, DateBoundFilter):
            parameters = [self.query_parameter(field_name, {"type": "string", "example": "2025-01-31"})]
        else:
            parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            description = self.describe(model, field_name, filter_field, parameter.pop("description", None))
            if description:
                parameter["description"] = description
        return parameters

    def natural_key(self, model, filter_field):
        target = self._get_model_field(filter_field, model)
        return getattr(target.model, "natural_key_field", None) if getattr(target, "primary_key", False) else None

    @staticmethod
    def query_parameter(name, schema):
        return build_parameter_type(name=name, schema=schema, location=OpenApiParameter.QUERY)

    def describe(self, model, field_name, filter_field, generated):
        """`help_text`, then how the value is written, then django-filter's list of choices."""
        generated = generated or ""
        choices = generated if generated.startswith("* `") else generated.partition("\n\n")[2]
        head = " ".join(part for part in (filter_field.extra.get("help_text"), self.usage(model, filter_field)) if part)
        return "\n\n".join(part for part in (head, choices) if part)

    def usage(self, model, filter_field):
        if isinstance(filter_field, django_filters.OrderingFilter):
            default = f" Default: `{model._meta.ordering[0]}`." if model._meta.ordering else ""
            return f"A field, or `-field` for descending; several comma-separated.{default}"
        if isinstance(filter_field, django_filters.ModelChoiceFilter):
            target = self._get_model_field(filter_field, model)  # the related model's primary key
            noun = f"a {target.model._meta.verbose_name}" if getattr(target, "primary_key", False) else "a record"
            natural_key = self.natural_key(model, filter_field)
            if natural_key:
                return f"The id or {natural_key} of {noun} of the active tenant (any other value is a 400)."
            return f"The id of {noun} of the active tenant (any other id is a 400)."
        if isinstance(filter_field, DateBoundFilter):
            bound = "on or before" if filter_field.upper else "on or after"
            return (
                f"`{filter_field.field_name}` {bound} this moment: an ISO 8601 datetime, or a date "
                "(YYYY-MM-DD) meaning that whole day in the tenant's time zone."
            )
        if isinstance(filter_field, BooleanFilter):
            return "`true` or `false` (also `1`/`0`, `yes`/`no`); anything else is a 400."
        if isinstance(filter_field, django_filters.MultipleChoiceFilter) and not filter_field.extra.get("help_text"):
            return "One or more: repeat the parameter for several."
        return ""
