"""Bearer tokens (knox) and the session login of the browsable API: SPEC section 2."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def user(tenant, make_member):
    return make_member(tenant, "member", "alice")


def obtain_token(username="alice", password=PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password})


def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_obtain_token_returns_token_and_expiry(user):
    response = obtain_token()

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert body["token"]
    expires_at = timezone.datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() is not None
    assert expires_at > timezone.now()


def test_token_authenticates_requests(user):
    token = obtain_token().json()["token"]

    response = token_client(token).get(ME_URL)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_user_may_hold_several_tokens(user):
    first = obtain_token().json()["token"]
    second = obtain_token().json()["token"]

    assert first != second
    assert AuthToken.objects.filter(user=user).count() == 2
    assert token_client(first).get(ME_URL).status_code == 200
    assert token_client(second).get(ME_URL).status_code == 200


def test_revoke_deletes_only_the_token_used(user):
    revoked = obtain_token().json()["token"]
    kept = obtain_token().json()["token"]

    response = token_client(revoked).delete(TOKEN_URL)

    assert response.status_code == 204
    assert token_client(revoked).get(ME_URL).status_code == 401
    assert token_client(kept).get(ME_URL).status_code == 200


def test_revoke_without_token_is_401(db):
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_expired_token_is_401(user):
    token = obtain_token().json()["token"]
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))

    assert token_client(token).get(ME_URL).status_code == 401


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong-password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice"},
        {},
    ],
)
def test_bad_credentials_are_400(user, credentials):
    response = APIClient().post(TOKEN_URL, credentials)

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_missing_token_is_401(db):
    assert APIClient().get(ME_URL).status_code == 401


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Token a b", "Bearer abc"])
def test_garbage_token_is_401(user, header):
    obtain_token()  # a real token exists, and still does not match
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(ME_URL).status_code == 401


def test_token_is_stored_hashed(user):
    token = obtain_token().json()["token"]

    table = AuthToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])


def test_token_endpoint_is_throttled(user, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/min"})

    statuses = [obtain_token().status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert AuthToken.objects.count() == 2


def test_throttled_bad_credentials_are_429_too(user, monkeypatch):
    """Guessing passwords is what the throttle is for."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/min"})

    statuses = [obtain_token(password="guess").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_browsable_api_login_page_renders(client, db):
    response = client.get("/api-auth/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_session_login_authenticates_browsable_api(client, user):
    response = client.post("/api-auth/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(ME_URL).json()["username"] == "alice"
