"""Login brute force: failed logins are limited per client and per username on every login
page, the limit is shared by every worker, and a new password ends the user's tokens."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from core.api.client import client_ip
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
LIMIT = 3


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def alice(tenant, make_member):
    return make_member(tenant, "member", "alice")


def post_token(client=None, *, password="wrong", username="alice", **headers):
    return (client or APIClient()).post(TOKEN_URL, {"username": username, "password": password}, **headers)


def test_wrong_passwords_then_429_even_with_a_new_x_forwarded_for_each_time(alice):
    responses = [post_token(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(LIMIT + 2)]

    assert [r.status_code for r in responses] == [400] * (LIMIT - 1) + [429] * 3
    locked = responses[-1]
    assert locked.json()["code"] == "throttled"
    assert set(locked.json()) == {"detail", "code"}
    assert int(locked["Retry-After"]) == 15 * 60


def test_a_locked_out_client_cannot_log_in_even_with_the_right_password(alice):
    for _ in range(LIMIT):
        post_token()

    response = post_token(password=PASSWORD)

    assert response.status_code == 429
    assert not AuthToken.objects.exists()


def test_a_username_is_locked_out_across_client_addresses(alice):
    for n in range(LIMIT):
        post_token(REMOTE_ADDR=f"198.51.100.{n}")

    assert post_token(password=PASSWORD, REMOTE_ADDR="192.0.2.77").status_code == 429


def test_a_client_address_is_locked_out_across_usernames(alice, make_member, tenant):
    make_member(tenant, "member", "bob")
    for n in range(LIMIT):
        post_token(username=f"guess-{n}")

    assert post_token(username="bob", password=PASSWORD).status_code == 429


def test_other_clients_and_users_still_log_in(alice, make_member, tenant):
    make_member(tenant, "member", "bob")
    for _ in range(LIMIT):
        post_token(REMOTE_ADDR="198.51.100.1")

    assert post_token(username="bob", password=PASSWORD, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_failures_are_recorded_in_the_database_for_every_worker(alice):
    """Two separate clients, as two workers would see them: the count lives in the database."""
    post_token(APIClient())
    post_token(APIClient())

    assert AccessAttempt.objects.get(username="alice").failures_since_start == 2
    assert post_token(APIClient()).status_code == 429


def test_the_request_rate_counter_lives_in_the_shared_cache(alice, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/min"})

    statuses = [post_token(APIClient(), password=PASSWORD).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert isinstance(caches["default"], DatabaseCache)
    # The counter is a row of the cache table, which every process reads.
    assert caches["default"].get("throttle_token_127.0.0.1") is not None


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (3, "203.0.113.9", "203.0.113.9"),
        (1, None, "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (2, "<script>", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, rf, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}

    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", **headers)) == expected


def test_drf_throttles_use_the_same_proxy_rule():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT == 0


@pytest.mark.parametrize("login_url", ["/api-auth/login/", "/admin/login/"])
def test_session_login_pages_are_limited(client, login_url, make_member, tenant):
    staff = make_member(tenant, "owner", "alice")
    get_user_model().objects.filter(pk=staff.pk).update(is_staff=True)

    statuses = [
        client.post(
            login_url, {"username": "alice", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(LIMIT + 1)
    ]
    right = client.post(login_url, {"username": "alice", "password": PASSWORD})

    assert statuses == [200] * (LIMIT - 1) + [429, 429]
    assert right.status_code == 429
    assert int(right["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


def test_the_api_login_counts_the_session_pages_failures(client, alice):
    for _ in range(LIMIT):
        client.post("/api-auth/login/", {"username": "alice", "password": "wrong"})

    assert post_token(password=PASSWORD).status_code == 429


def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_set_password_and_save_revokes_the_users_tokens(alice, make_member, tenant):
    tokens = [post_token(password=PASSWORD).json()["token"] for _ in range(2)]
    bob = make_member(tenant, "member", "bob")
    bobs_token = post_token(username="bob", password=PASSWORD).json()["token"]

    alice.set_password("a-brand-new-password")
    alice.save()

    assert [token_client(token).get(ME_URL).status_code for token in tokens] == [401, 401]
    assert not AuthToken.objects.filter(user=alice).exists()
    assert token_client(bobs_token).get(ME_URL).status_code == 200
    assert AuthToken.objects.filter(user=bob).count() == 1


def test_other_saves_keep_the_tokens(alice):
    token = post_token(password=PASSWORD).json()["token"]

    alice.first_name = "Alice"
    alice.save()

    assert token_client(token).get(ME_URL).status_code == 200


def test_a_password_changed_in_the_admin_revokes_the_tokens(client, alice):
    token = post_token(password=PASSWORD).json()["token"]
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": "another-long-password-9", "password2": "another-long-password-9", "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    assert token_client(token).get(ME_URL).status_code == 401


def test_the_schema_documents_the_429_and_its_retry_after():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    throttled = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["429"]

    assert throttled["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "failed logins" in throttled["description"]


def test_logging_in_to_an_own_account_does_not_wipe_the_failures(alice, make_member, tenant):
    """Else an attacker with one account resets the count of their guesses at another between tries."""
    make_member(tenant, "member", "mallory")
    for _ in range(LIMIT - 1):
        post_token(username="alice")
    assert post_token(username="mallory", password=PASSWORD).status_code == 200

    assert post_token(username="alice").status_code == 429


@pytest.mark.parametrize("forwarded_for", ["not-an-address", "", "1.2.3.4.5", "x" * 300])
def test_a_forged_address_behind_a_proxy_is_a_plain_failure(alice, settings, forwarded_for):
    """The failed-login record stores the address in an `inet` column on PostgreSQL: never a 500."""
    settings.TRUSTED_PROXY_COUNT = 2

    response = post_token(HTTP_X_FORWARDED_FOR=forwarded_for)

    assert response.status_code == 400
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_an_overlong_username_is_a_field_error(db):
    response = post_token(username="x" * 1000)

    assert response.status_code == 400
    assert "username" in response.json()
    assert not AccessAttempt.objects.exists()
