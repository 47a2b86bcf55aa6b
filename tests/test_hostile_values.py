"""Values no field can hold, sent to every field the OpenAPI schema documents: a 400 in JSON, never a 500.

- A lone UTF-16 surrogate (`"\\ud800"`, valid JSON text, no character) in any string of any
  body: the error that echoed it could not be encoded (an HTML 500). The JSON parser refuses it.
- A date-time without an offset at either end of the calendar, read in a tenant zone that
  takes it outside the years 1-9999 in UTC (an OverflowError, a 500): a 400 on its field.
- A NUL character in any query parameter (PostgreSQL refuses one as a query value: a
  DataError, once answered 503): a 400 naming the parameter (or the value ignored).

The operations, fields and parameters come from the schema, so a field added later is covered.
"""

import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from events.models import Webhook
from spoolman import services as spoolman_services
from tenants.models import Tenant
from tests.spoolman.conftest import SpoolmanClient

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
LONE_SURROGATE = "\ud800"
# A moment that leaves the years 1-9999 once converted to UTC from the zone it is read in.
OUT_OF_RANGE = [("9999-12-31T23:59:59", "America/New_York"), ("0001-01-01T00:00:00", "Europe/Berlin")]


def resolved(schema):
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolved(schema["allOf"][0])
    return schema


def writable_fields(schema, path=()):
    """(path, field schema) of every writable field of a body: `("items", 0, "product")` for a nested one."""
    for name, field in resolved(schema).get("properties", {}).items():
        field = resolved(field)
        if field.get("readOnly"):
            continue
        yield (*path, name), field
        if field.get("type") == "array" and "properties" in resolved(field.get("items", {})):
            yield from writable_fields(field["items"], (*path, name, 0))


def body_with(path, value):
    """The smallest body that puts `value` at `path`."""
    if not path:
        return value
    head, *rest = path
    inner = body_with(tuple(rest), value)
    return [inner] if isinstance(head, int) else {head: inner}


def operations(method_filter):
    for template, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            if method_filter(method, operation):
                yield template, method, operation


def json_body_schema(operation):
    return operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


WRITES = [
    (template, method, operation)
    for template, method, operation in operations(lambda method, op: json_body_schema(op) is not None)
    if template != "/api/v1/auth/token/"  # no tenant: tested on its own below
]
LISTS = [(template, operation) for template, method, operation in operations(lambda method, op: method == "get")]


@pytest.fixture
def records(tenant, make_run, make_printer, make_webhook, member):
    """One record of each kind, for the path parameters."""
    printer = make_printer(tenant)
    run = make_run(tenant, printer=printer)
    key = spoolman_services.create_key(
        tenant=tenant, user=member, draft=spoolman_services.KeyDraft(printer=printer, name="moonraker")
    )
    material = run.materials.get()
    return {
        "production-runs": run,
        "items": run.items.get(),
        "materials": material,
        "run-materials": material,
        "spools": material.spool,
        "catalog-materials": material.spool.material,
        "vendors": material.spool.material.vendor,
        "inventory-transactions": material.spool.transactions.first(),
        "products": run.items.get().product,
        "printers": printer,
        "integration-keys": key,
        "webhooks": make_webhook(tenant),
    }


def concrete(template, records):
    """The template with the records' ids: `{run_id}` and `{printer_id}` by name, `{id}` by the segment before it."""
    segments = template.strip("/").split("/")
    parts = []
    for index, segment in enumerate(segments):
        if segment == "{slot}":  # a printer's slot is a number, not a record
            segment = "0"
        elif segment.startswith("{"):
            kind = segments[index - 1]
            if kind == "materials":
                kind = "run-materials" if "production-runs" in segments[: index - 1] else "catalog-materials"
            named = {"{run_id}": "production-runs", "{printer_id}": "printers", "{webhook_id}": "webhooks"}
            record = records[named.get(segment, kind)]
            segment = str(getattr(record, "key", record).pk)  # an issued integration key: its row
        parts.append(segment)
    return "/" + "/".join(parts) + "/"


def send_json(client, method, path, body):
    # json.dumps escapes the surrogate (`"\ud800"`): the text a client sends.
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def assert_json_400(response, context):
    assert response.status_code == 400, (context, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), context
    return response.json()


@pytest.mark.parametrize(
    ("template", "method", "operation"), WRITES, ids=lambda value: value if isinstance(value, str) else ""
)
def test_a_lone_surrogate_in_any_field_of_any_body_is_a_json_400(owner_api, records, template, method, operation):
    path = concrete(template, records)
    fields = list(writable_fields(json_body_schema(operation)))
    assert fields, template

    for field_path, _field in fields:
        answer = assert_json_400(send_json(owner_api, method, path, body_with(field_path, LONE_SURROGATE)), field_path)
        assert answer["code"] == "parse_error"
    answer = assert_json_400(send_json(owner_api, method, path, {LONE_SURROGATE: "a key"}), "a key")
    assert answer["code"] == "parse_error"


def test_a_lone_surrogate_in_a_login_is_a_json_400(db):
    response = send_json(APIClient(), "post", "/api/v1/auth/token/", {"username": LONE_SURROGATE, "password": "x"})

    assert assert_json_400(response, "login")["code"] == "parse_error"


def test_a_surrogate_pair_is_a_character(api, tenant):
    """Only a lone surrogate is refused: an emoji (a pair in JSON's escapes) is stored as sent."""
    response = send_json(api, "post", "/api/v1/printers/", {"name": "Printer \U0001f600"})

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Printer \U0001f600"


DATE_TIME_WRITES = [
    (template, method, field_path)
    for template, method, operation in WRITES
    for field_path, field in writable_fields(json_body_schema(operation))
    if field.get("format") == "date-time" and method != "put"
]


@pytest.mark.parametrize(("value", "zone"), OUT_OF_RANGE)
@pytest.mark.parametrize(("template", "method", "field_path"), DATE_TIME_WRITES, ids=str)
def test_a_naive_moment_beyond_the_calendar_in_the_tenants_zone_is_a_400_on_its_field(
    owner_api, tenant, records, template, method, field_path, value, zone
):
    Tenant.objects.filter(pk=tenant.pk).update(timezone=zone)

    response = send_json(owner_api, method, concrete(template, records), body_with(field_path, value))

    errors = assert_json_400(response, (field_path, value, zone))
    assert field_path[0] in errors, errors
    assert "out of range" in json.dumps(errors)


def test_every_writable_date_time_is_covered():
    """The schema still has the fields the test above walks (a run's started_at, the actions' completed_at)."""
    assert {(template, path) for template, _method, path in DATE_TIME_WRITES} >= {
        ("/api/v1/production-runs/", ("started_at",)),
        ("/api/v1/production-runs/{id}/complete/", ("completed_at",)),
        ("/api/v1/production-runs/{id}/fail/", ("completed_at",)),
    }


def test_a_stored_moment_the_tenants_zone_cannot_show_is_shown_in_utc(api, tenant, make_run):
    """A moment stored in range for UTC (before this check, say) read by a tenant east of UTC."""
    run = make_run(tenant)
    type(run).objects.filter(pk=run.pk).update(started_at="9999-12-31T23:59:59Z")
    Tenant.objects.filter(pk=tenant.pk).update(timezone="Europe/Berlin")

    response = api.get(f"/api/v1/production-runs/{run.pk}/")

    assert response.status_code == 200, response.content
    assert response.json()["started_at"] == "9999-12-31T23:59:59Z"


def query_parameters(operation):
    return [parameter for parameter in operation.get("parameters", []) if parameter["in"] == "query"]


def is_text(parameter):
    schema = parameter.get("schema", {})
    return schema.get("type") == "string" and "enum" not in schema and "format" not in schema


@pytest.mark.parametrize(("template", "operation"), LISTS, ids=lambda value: value if isinstance(value, str) else "")
def test_a_nul_in_any_query_parameter_is_never_a_server_error(owner_api, records, template, operation):
    path = concrete(template, records)

    for parameter in query_parameters(operation):
        # An owner reads every list, the admins' and owners' own (webhooks, integration keys) included.
        response = owner_api.get(path, {parameter["name"]: "a\x00b"})
        assert response.status_code < 500, (parameter["name"], response.content[:300])
        if is_text(parameter) and parameter["name"] not in ("format", "cursor"):
            # A text filter names the parameter; a number or a choice is refused or ignored the way it always is.
            assert response.status_code == 400, (parameter["name"], response.content[:300])
            assert parameter["name"] in response.json(), response.json()


SPOOLMAN_READS = ["spool", "spool/1", "filament", "filament/1", "vendor", "info", "health"]
SPOOLMAN_PARAMETERS = ["location", "filament.material", "filament.id", "material", "allow_archived", "limit", "x\x00"]


@pytest.mark.parametrize("parameter", SPOOLMAN_PARAMETERS, ids=lambda name: re.sub(r"\W", "_", name))
def test_a_nul_in_a_spoolman_query_parameter_is_a_400_message(records, parameter):
    """Spoolman's 4xx shape, not the 503 of a DataError (which Moonraker would retry forever)."""
    client = SpoolmanClient(records["integration-keys"].secret)

    for path in SPOOLMAN_READS:
        response = client.get(path, **{parameter: "\x00"})

        assert response.status_code == 400, (path, response.content)
        assert set(response.json()) == {"message"}
        assert "NUL" in response.json()["message"]


def test_webhooks_untouched_by_refused_bodies(owner_api, records):
    """A refused body wrote nothing: the fixture's webhook is the only one."""
    send_json(owner_api, "post", "/api/v1/webhooks/", {"url": LONE_SURROGATE, "event_types": ["*"]})

    assert Webhook.objects.count() == 1
