"""No request body or header answers 500: deep JSON and undecodable tokens are client errors."""

import pytest
from rest_framework.test import APIClient

from core.api.parsers import MAX_JSON_DEPTH, nesting_depth


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_400_even_unauthenticated(db, depth):
    response = APIClient().post("/api/v1/auth/token/", nested(depth), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "deeper than" in response.json()["detail"]


def test_deeply_nested_json_is_400_for_a_logged_in_user(api):
    body = '{"notes": ' + nested(1000) + "}"

    response = api.post("/api/v1/production-runs/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_at_the_depth_limit_is_parsed(db):
    response = APIClient().post("/api/v1/auth/token/", nested(MAX_JSON_DEPTH), content_type="application/json")

    assert response.status_code == 400
    assert "code" not in response.json()  # parsed: the serializer answered with field errors


@pytest.mark.parametrize(("data", "depth"), [(1, 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[], [[]]], 3)])
def test_nesting_depth(data, depth):
    assert nesting_depth(data) == depth


@pytest.mark.parametrize("header", [b"Token \xff\xfe\xfa", b"Token caf\xe9", b"token \xc3\x28"])
def test_non_utf8_token_is_401(db, header):
    client = APIClient()
    # WSGI carries header bytes as latin-1 characters.
    client.credentials(HTTP_AUTHORIZATION=header.decode("latin-1"))

    for method, path in [("get", "/api/v1/me/"), ("delete", "/api/v1/auth/token/"), ("post", "/api/v1/auth/token/")]:
        response = getattr(client, method)(path, {"username": "x", "password": "y"} if method == "post" else None)
        assert response.status_code == 401, (method, path)
        assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def too_large_body(settings):
    return '{"name": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'


@pytest.mark.parametrize("path", ["/api/v1/printers/", "/api/v1/auth/token/"])
def test_a_body_over_the_size_limit_is_a_json_400(api, settings, path):
    response = api.post(path, too_large_body(settings), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "body_too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in response.json()["detail"]


def test_a_body_over_the_size_limit_outside_the_api_keeps_djangos_page(db, settings):
    from django.test import Client

    response = Client().post(
        "/api-auth/login/", too_large_body(settings), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
