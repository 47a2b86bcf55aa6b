"""The OpenAPI schema (SPEC 6, issue 5.1): valid, warning-free, and true to the API.

Most tests read the generated schema; the last ones send real requests and check that
what the API answered is what the schema documents for that operation.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.errors import DomainError, ErrorCode
from production.services import Completion, complete_run
from tenants.models import Membership
from tests.conftest import client_for

RUNS = "/api/v1/production-runs/"
RUN = "/api/v1/production-runs/{id}/"
NOT_TENANT_SCOPED = {"/api/v1/me/", "/api/v1/auth/token/"}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}

LIST_FILTERS = {
    "/api/v1/materials/": {"kind", "search"},
    "/api/v1/spools/": {"material", "kind", "is_active", "location", "low_stock", "search"},
    "/api/v1/inventory-transactions/": {"spool", "type", "production_run", "occurred_after", "occurred_before"},
    "/api/v1/products/": {"is_active", "material_kind", "search"},
    "/api/v1/printers/": {"is_active", "search"},
    RUNS: {"status", "start_date", "end_date", "product", "spool", "printer", "is_reprint", "search"},
    RUNS + "{run_id}/history/": {"action"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema, path, method):
    return schema["paths"][path][method]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def parameters(op, location):
    return {p["name"]: p for p in op.get("parameters", []) if p["in"] == location}


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def body_ref(op):
    return op["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def response_schema(op, status):
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


def refs_and_enums(node):
    """Every `$ref` and every `code` enum value in a response schema, however it is nested."""
    refs, codes = set(), set()
    if isinstance(node, dict):
        if "$ref" in node:
            refs.add(node["$ref"].rsplit("/", 1)[-1])
        if "enum" in node:
            codes.update(node["enum"])
        for value in node.values():
            more_refs, more_codes = refs_and_enums(value)
            refs |= more_refs
            codes |= more_codes
    elif isinstance(node, list):
        for value in node:
            more_refs, more_codes = refs_and_enums(value)
            refs |= more_refs
            codes |= more_codes
    return refs, codes


def documented_codes(schema, path, method, status):
    return refs_and_enums(response_schema(operation(schema, path, method), status))[1]


# --- the schema as a whole -----------------------------------------------------------------


@pytest.mark.django_db
def test_schema_endpoint_serves_openapi_3():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert RUNS in document["paths"]


def test_schema_validates_with_no_warnings(tmp_path):
    # --fail-on-warn raises CommandError on any warning; --validate checks it against the OpenAPI 3 spec.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert out.read_text().startswith("openapi: 3.")


def test_token_and_session_authentication_are_declared(schema):
    schemes = schema["components"]["securitySchemes"]
    token = next(s for s in schemes.values() if s.get("in") == "header")
    session = next(s for s in schemes.values() if s.get("in") == "cookie")

    assert token["type"] == "apiKey" and token["name"] == "Authorization" and "Token" in token["description"]
    assert session["type"] == "apiKey" and session["name"] == "sessionid"
    assert len(operation(schema, RUNS, "get")["security"]) == 2
    assert not operation(schema, "/api/v1/auth/token/", "post").get("security")  # obtaining a token needs none


# --- request and response bodies -----------------------------------------------------------


def test_complete_takes_the_complete_body_with_use_estimates(schema):
    op = operation(schema, RUN + "complete/", "post")
    body = component(schema, body_ref(op))

    assert body_ref(op).endswith("/CompleteRunRequest")
    assert body["properties"]["use_estimates"]["type"] == "boolean"
    assert component(schema, body["properties"]["items"]["items"]["$ref"])["properties"]["id"]["format"] == "uuid"
    assert "actual_model_g" in component(schema, body["properties"]["materials"]["items"]["$ref"])["properties"]
    assert not op["requestBody"].get("required")  # the body is optional
    assert response_schema(op, 200)["$ref"].endswith("/ProductionRun")


def test_fail_takes_a_failure_reason(schema):
    body = component(schema, body_ref(operation(schema, RUN + "fail/", "post")))

    assert "failure_reason" in body["required"]
    assert set(component(schema, body["properties"]["failure_reason"]["$ref"])["enum"]) >= {"adhesion", "other"}


@pytest.mark.parametrize("action", ["cancel", "reopen"])
def test_cancel_and_reopen_take_no_body(schema, action):
    op = operation(schema, RUN + f"{action}/", "post")

    assert "requestBody" not in op
    assert response_schema(op, 200)["$ref"].endswith("/ProductionRun")


def test_run_create_nests_items_and_materials(schema):
    body = component(schema, body_ref(operation(schema, RUNS, "post")))

    assert body["properties"]["items"]["items"]["$ref"].endswith("/RunItemRequest")
    assert body["properties"]["materials"]["items"]["$ref"].endswith("/RunMaterialRequest")


@pytest.mark.parametrize("method", ["put", "patch"])
def test_run_update_body_leaves_out_items_and_materials(schema, method):
    # After create, items and materials change only through their own endpoints.
    body = component(schema, body_ref(operation(schema, RUN, method)))

    assert "items" not in body["properties"] and "materials" not in body["properties"]
    assert "notes" in body["properties"]


def test_adjust_takes_the_adjustment_body(schema):
    op = operation(schema, "/api/v1/spools/{id}/adjust/", "post")
    body = component(schema, body_ref(op))

    assert {"type", "new_weight_g", "delta_g", "reason"} <= set(body["properties"])
    assert set(component(schema, body["properties"]["type"]["$ref"])["enum"]) == {"adjustment", "count", "waste"}
    assert response_schema(op, 200)["$ref"].endswith("/Spool")


def test_me_lists_memberships_with_their_shape(schema):
    memberships = component(schema, "Me")["properties"]["memberships"]

    assert set(component(schema, memberships["items"]["$ref"])["properties"]) == {"tenant_slug", "tenant_name", "role"}


# --- lists: pagination, ordering, filters ---------------------------------------------------


@pytest.mark.parametrize("path", sorted(LIST_FILTERS))
def test_lists_document_pagination_ordering_and_filters(schema, path):
    op = operation(schema, path, "get")
    envelope = component(schema, response_schema(op, 200)["$ref"])

    assert {"page", "page_size", "ordering"} | LIST_FILTERS[path] <= set(parameters(op, "query"))
    assert set(envelope["properties"]) == {"count", "next", "previous", "results"}


def test_run_history_documents_its_entries(schema):
    op = operation(schema, RUNS + "{run_id}/history/", "get")
    envelope = component(schema, response_schema(op, 200)["$ref"])
    entry = component(schema, envelope["properties"]["results"]["items"]["$ref"])

    assert set(entry["properties"]) == {"id", "action", "user", "occurred_at", "changes"}
    assert set(schema["paths"][RUNS + "{run_id}/history/"]) == {"get"}  # read-only


def test_run_ordering_offers_the_contract_fields(schema):
    ordering = parameters(operation(schema, RUNS, "get"), "query")["ordering"]

    assert {"started_at", "-started_at", "completed_at", "created_at", "run_number"} <= set(
        ordering["schema"]["items"]["enum"]
    )
    assert "-started_at" in ordering["description"]  # the default


def test_run_filters_have_their_types(schema):
    query = parameters(operation(schema, RUNS, "get"), "query")

    assert query["status"]["schema"]["items"]["enum"] == ["cancelled", "completed", "failed", "in_progress", "planned"]
    assert "comma" in query["status"]["description"]
    # Each takes an id or the row's natural key, so the type is a plain string, described.
    for name, key in (("product", "sku"), ("spool", "code"), ("printer", "name")):
        assert query[name]["schema"] == {"type": "string"}, name
        assert f"id or {key}" in query[name]["description"], name
    assert query["is_reprint"]["schema"]["type"] == "boolean"
    for name in ("start_date", "end_date"):
        # A date or a datetime: not declared as date-time only, and described.
        assert query[name]["schema"] == {"type": "string", "example": "2025-01-31"}
        assert "whole day" in query[name]["description"]


def test_nested_run_id_is_a_uuid(schema):
    nested = [(path, op) for path, _, op in operations(schema) if "{run_id}" in path]

    # list, create, retrieve, update, partial update, delete of items and of materials; the history's list.
    assert len(nested) == 13
    for path, op in nested:
        assert parameters(op, "path")["run_id"]["schema"] == {"type": "string", "format": "uuid"}, path


def test_path_parameters_are_named_as_the_readme_names_them(schema):
    names = {name for path, _, op in operations(schema) for name in parameters(op, "path")}

    assert names == {"id", "run_id", "webhook_id", "printer_id", "slot"}
    assert not [path for path in schema["paths"] if "_pk}" in path]


def test_request_bodies_are_documented_as_json_only(schema):
    """A generated client sends what the schema lists first: form or multipart bodies cannot nest."""
    bodies = [(path, method, op["requestBody"]) for path, method, op in operations(schema) if "requestBody" in op]

    assert len(bodies) > 10
    for path, method, body in bodies:
        assert set(body["content"]) == {"application/json"}, (method, path)


def test_the_browsable_api_still_accepts_form_bodies(api):
    response = api.post("/api/v1/printers/", {"name": "Form printer", "model": "MK4"}, format="multipart")

    assert response.status_code == 201, response.content


# --- X-Tenant -------------------------------------------------------------------------------


def test_x_tenant_header_is_on_every_tenant_scoped_operation(schema):
    scoped = [(path, method, op) for path, method, op in operations(schema) if path not in NOT_TENANT_SCOPED]

    assert len(scoped) >= 50
    for path, method, op in scoped:
        assert "X-Tenant" in parameters(op, "header"), (method, path)


@pytest.mark.parametrize(("path", "method"), [("/api/v1/me/", "get"), ("/api/v1/auth/token/", "post")])
def test_x_tenant_header_is_not_on_tenantless_operations(schema, path, method):
    assert "X-Tenant" not in parameters(operation(schema, path, method), "header")


# --- error responses ------------------------------------------------------------------------


def test_every_error_response_has_the_detail_code_shape_and_lists_its_codes(schema):
    for path, method, op in operations(schema):
        for status, response in op["responses"].items():
            if not status.startswith("4"):
                continue
            refs, codes = refs_and_enums(response["content"]["application/json"]["schema"])
            assert "Error" in refs or refs == {"FieldErrors"}, (method, path, status)
            assert codes <= {code.value for code in ErrorCode}, (method, path, status)
            assert all(ErrorCode(code).status == int(status) for code in codes), (method, path, status)
            for code in codes:
                assert f"`{code}`" in response["description"], (method, path, status, code)


def test_platform_errors_are_on_every_operation_that_can_give_them(schema):
    for path, method, op in operations(schema):
        responses = op["responses"]
        if path in NOT_TENANT_SCOPED:
            continue
        assert {"not_authenticated", "authentication_failed"} <= documented_codes(schema, path, method, 401), path
        assert "tenant_forbidden" in documented_codes(schema, path, method, 403), path
        assert "tenant_required" in documented_codes(schema, path, method, 400), path
        if method != "get":
            assert "permission_denied" in documented_codes(schema, path, method, 403), (method, path)
        if "{id}" in path or "{run_id}" in path:
            assert "not_found" in documented_codes(schema, path, method, 404), (method, path)
        if "requestBody" in op:
            assert "FieldErrors" in refs_and_enums(responses["400"]["content"]["application/json"]["schema"])[0]


def test_list_400_covers_invalid_filters(schema):
    refs, codes = refs_and_enums(response_schema(operation(schema, RUNS, "get"), 400))

    assert "FieldErrors" in refs and "tenant_required" in codes


@pytest.mark.parametrize(
    ("path", "method", "status", "codes"),
    [
        (RUN + "complete/", "post", 409, {"invalid_transition", "insufficient_stock", "busy"}),
        (RUN + "complete/", "post", 400, {"missing_actuals", "no_items", "unknown_item", "invalid_dates"}),
        (RUN + "fail/", "post", 409, {"invalid_transition", "insufficient_stock"}),
        (RUN + "cancel/", "post", 409, {"invalid_transition"}),
        (RUN + "reopen/", "post", 409, {"invalid_transition"}),
        (RUN, "patch", 409, {"invalid_transition", "run_locked"}),
        (RUN, "delete", 409, {"run_has_inventory"}),
        (RUNS, "post", 409, {"insufficient_stock", "duplicate_spool"}),
        (RUNS + "{run_id}/items/", "post", 409, {"run_locked"}),
        (RUNS + "{run_id}/materials/", "post", 409, {"run_locked", "duplicate_spool", "insufficient_stock"}),
        ("/api/v1/materials/{id}/", "delete", 409, {"protected"}),
        ("/api/v1/spools/{id}/", "delete", 409, {"protected"}),
        ("/api/v1/products/{id}/", "delete", 409, {"protected"}),
        ("/api/v1/spools/{id}/adjust/", "post", 400, {"below_zero"}),
        ("/api/v1/auth/token/", "post", 429, {"throttled"}),
    ],
)
def test_operations_document_their_own_error_codes(schema, path, method, status, codes):
    assert codes <= documented_codes(schema, path, method, status)


def test_reads_document_no_conflict(schema):
    assert "409" not in operation(schema, RUN, "get")["responses"]
    assert "409" not in operation(schema, RUNS, "get")["responses"]


def all_subclasses(cls):
    return {cls, *(sub for child in cls.__subclasses__() for sub in all_subclasses(child))}


def test_every_domain_error_carries_a_member_of_the_catalogue():
    """Codes and statuses are declared once, in `core.errors.ErrorCode`: an error cannot invent one."""
    import inventory.services  # noqa: F401  (defines domain errors)
    import production.services  # noqa: F401

    errors_ = all_subclasses(DomainError)

    assert len(errors_) > 8
    for error in errors_:
        assert isinstance(error.default_code, ErrorCode), error
        assert error("x").status_code == error.default_code.status
    with pytest.raises(ValueError):
        DomainError("x", code="no_such_code")


# --- what the API answers is what the schema says ------------------------------------------


@pytest.mark.django_db
def test_a_second_completion_answers_a_documented_409(schema, api, tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))

    response = api.post(f"{RUNS}{run.pk}/complete/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] in documented_codes(schema, RUN + "complete/", "post", 409)


@pytest.mark.django_db
def test_insufficient_stock_answers_with_the_documented_extra_fields(schema, api, tenant, make_run, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("150.00"))
    run = make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])

    response = api.post(
        f"{RUNS}{run.pk}/complete/",
        {"materials": [{"id": str(run.materials.get().pk), "actual_model_g": "200.00"}]},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] in documented_codes(schema, RUN + "complete/", "post", 409)
    assert set(body) <= set(component(schema, "Error")["properties"])
    assert {"spool", "available_g", "required_g"} <= set(body)


@pytest.mark.django_db
def test_a_viewer_write_answers_a_documented_403(schema, viewer_api):
    response = viewer_api.post("/api/v1/printers/", {"name": "P1"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] in documented_codes(schema, "/api/v1/printers/", "post", 403)


@pytest.mark.django_db
def test_a_missing_tenant_answers_a_documented_400(schema, tenant, other_tenant, make_member):
    user = make_member(tenant, "member", "two-tenants")
    Membership.objects.create(tenant=other_tenant, user=user, role="member")

    response = client_for(user).get("/api/v1/spools/")

    assert response.status_code == 400
    assert response.json()["code"] in documented_codes(schema, "/api/v1/spools/", "get", 400)


@pytest.mark.django_db
def test_no_credentials_answers_a_documented_401(schema):
    response = APIClient().get(RUNS)

    assert response.status_code == 401
    assert response.json()["code"] in documented_codes(schema, RUNS, "get", 401)


@pytest.mark.django_db
def test_deleting_a_used_material_answers_a_documented_409(schema, manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = manager_api.delete(f"/api/v1/materials/{spool.material_id}/")

    assert response.status_code == 409
    assert response.json()["code"] in documented_codes(schema, "/api/v1/materials/{id}/", "delete", 409)


@pytest.mark.django_db
def test_an_invalid_filter_answers_field_errors_naming_a_documented_parameter(schema, api):
    response = api.get(RUNS, {"status": "bogus"})

    assert response.status_code == 400
    assert set(response.json()) == {"status"}
    assert "status" in parameters(operation(schema, RUNS, "get"), "query")


# --- the docs pages -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_nothing_from_another_host(url):
    response = APIClient().get(url)
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)

    assert response.status_code == 200
    assert not re.search(r"https?://", html)
    assert assets  # the page does load its scripts and styles, from here
    for asset in assets:
        if asset == f"{url}?script=":
            # Swagger UI's start-up script, served by the page's own view (no inline script under the CSP).
            script = APIClient().get(asset)
            assert script.status_code == 200
            assert script["Content-Type"].startswith("application/javascript")
            continue
        if asset == "/api/v1/redoc/redoc.standalone.js":
            # ReDoc's bundle, served without the logo it would fetch from cdn.redoc.ly (core/api/docs.py).
            bundle = APIClient().get(asset)
            assert bundle.status_code == 200
            assert bundle["Content-Type"].startswith("text/javascript")
            assert b"cdn.redoc.ly" not in bundle.content
            continue
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


# --- what fuzzing the API against its schema found (tests/test_api_fuzz.py) ------------------


@pytest.mark.django_db
def test_a_body_of_an_unsupported_media_type_answers_a_documented_415(schema, api):
    response = api.post("/api/v1/printers/", '{"name": "P1"}', content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] in documented_codes(schema, "/api/v1/printers/", "post", 415)


def test_every_operation_with_a_body_documents_415(schema):
    for path, method, op in operations(schema):
        if "requestBody" in op:
            assert documented_codes(schema, path, method, 415) == {"unsupported_media_type"}, (path, method)


@pytest.mark.django_db
def test_a_stale_token_on_token_obtain_answers_a_documented_401(schema, member):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)

    response = client.post("/api/v1/auth/token/", {"username": member.username, "password": "x"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] in documented_codes(schema, "/api/v1/auth/token/", "post", 401)


def test_page_size_documents_its_minimum(schema):
    page_size = parameters(operation(schema, RUNS, "get"), "query")["page_size"]

    assert page_size["schema"]["minimum"] == 1


def test_a_runs_failure_reason_may_be_blank(schema):
    failure_reason = component(schema, "ProductionRun")["properties"]["failure_reason"]

    assert {ref["$ref"].rsplit("/", 1)[-1] for ref in failure_reason["oneOf"]} == {"FailureReasonEnum", "BlankEnum"}
    assert component(schema, "BlankEnum")["enum"] == [""]


def test_bodies_name_products_spools_and_printers_by_id_or_natural_key(schema):
    body = component(schema, body_ref(operation(schema, RUNS, "post")))
    item = component(schema, body["properties"]["items"]["items"]["$ref"])
    material = component(schema, body["properties"]["materials"]["items"]["$ref"])
    response = component(
        schema, operation(schema, RUNS, "get")["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    run = component(schema, response["properties"]["results"]["items"]["$ref"])

    assert "id or sku" in item["properties"]["product"]["description"]
    assert "id, code or number" in material["properties"]["spool"]["description"]
    assert "id or name" in body["properties"]["printer"]["description"]
    assert "format" not in item["properties"]["product"]
    # Responses keep the id, with the readable name beside it.
    assert run["properties"]["printer"]["format"] == "uuid"
    assert "printer_name" in run["properties"]


CSV_LISTS = [
    "/api/v1/vendors/",
    "/api/v1/materials/",
    "/api/v1/spools/",
    "/api/v1/products/",
    "/api/v1/printers/",
    "/api/v1/inventory-transactions/",
    RUNS,
    RUNS + "{run_id}/items/",
    RUNS + "{run_id}/materials/",
    RUNS + "{run_id}/history/",
    "/api/v1/printers/{printer_id}/integration-keys/",
    "/api/v1/integration-keys/",
    "/api/v1/queue/",
]


@pytest.mark.parametrize("path", CSV_LISTS)
def test_lists_document_their_csv_export(schema, path):
    op = operation(schema, path, "get")

    assert set(parameters(op, "query")["format"]["schema"]["enum"]) == {"json", "csv"}
    assert op["responses"]["200"]["content"]["text/csv"]["schema"]["type"] == "string"
    # Errors of a CSV request are JSON.
    assert all("text/csv" not in r.get("content", {}) for status, r in op["responses"].items() if status != "200")


def test_only_lists_offer_csv(schema):
    for path, method, op in operations(schema):
        if path not in CSV_LISTS or method != "get":
            assert "csv" not in parameters(op, "query").get("format", {}).get("schema", {}).get("enum", []), path
            assert all("text/csv" not in r.get("content", {}) for r in op["responses"].values()), (path, method)


@pytest.mark.parametrize("path", ["/api/v1/spools/{id}/label/", "/api/v1/spools/labels/"])
def test_labels_document_svg_and_pdf_and_json_errors(schema, path):
    op = operation(schema, path, "get")

    assert set(parameters(op, "query")["format"]["schema"]["enum"]) == {"svg", "pdf"}
    assert set(op["responses"]["200"]["content"]) == {"image/svg+xml", "application/pdf"}
    assert all(set(r["content"]) == {"application/json"} for s, r in op["responses"].items() if s != "200")
