"""Requests that once answered 500: each is now the 4xx the contract gives for bad input.

Found by fuzzing the API against its OpenAPI schema (tests/test_api_fuzz.py keeps doing that).
"""

import pytest

from tests.conftest import client_for

RUNS = "/api/v1/production-runs/"


def test_tenant_query_parameter_with_a_nul_byte_is_tenant_forbidden(member):
    # PostgreSQL refuses a NUL byte in a query parameter: looking the slug up raised a DataError.
    response = client_for(member).get(RUNS, {"tenant": "acme\x00"})

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "tenant_forbidden"


def test_tenant_header_with_a_nul_byte_is_tenant_forbidden(member):
    client = client_for(member)
    client.credentials(HTTP_X_TENANT="\x00")

    response = client.get(RUNS)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "tenant_forbidden"


def test_options_on_the_docs_pages_is_method_not_allowed(api):
    # The Swagger UI template rendered OPTIONS metadata as its context and failed (TemplateDoesNotExist).
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = api.options(path)

        assert response.status_code == 405, path
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/api/v1/materials/", "/api/v1/products/", "/api/v1/production-runs/"])
def test_an_ordering_that_names_no_field_keeps_the_default_order(api, path):
    # django-filter ordered by nothing, so the list was paginated unordered (a RuntimeWarning, an error in tests).
    response = api.get(path, {"ordering": ","})

    assert response.status_code == 200, response.content


def test_an_ordering_that_names_no_field_lists_materials_by_name(api, tenant, make_material):
    for name in ("Beta", "Alpha", "Gamma"):
        make_material(tenant, name=name)

    response = api.get("/api/v1/materials/", {"ordering": ","})

    assert [row["name"] for row in response.json()["results"]] == ["Alpha", "Beta", "Gamma"]
