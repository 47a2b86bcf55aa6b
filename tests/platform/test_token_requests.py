"""A token request's tenant, resolved by the middleware in one query and held for the whole request.

The same answers as the DRF path (tests/platform/test_tenant_resolution.py and test_auth.py,
which force-authenticate), here with real tokens; nothing is cached between requests.
"""

import contextvars
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tenants.models import Membership
from tenants.scoping import TenantScopeError
from tests.support.queries import token_request_statements

SPOOLS = "/api/v1/spools/"
TENANT_URL = "/api/v1/tenant/"


def token_for(user):
    return AuthToken.objects.create(user=user)[1]


def token_client(token, tenant=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **({"HTTP_X_TENANT": tenant.slug} if tenant else {}))
    return client


@pytest.fixture
def multi_user(tenant, other_tenant, make_member):
    """A viewer of `tenant` and an owner of `other_tenant`."""
    user = make_member(tenant, "viewer", "multi")
    other_tenant.memberships.create(user=user, role="owner")
    return user


def test_a_token_list_looks_up_token_user_membership_and_tenant_in_one_query(member, tenant, make_spool):
    make_spool(tenant, code="S1")
    client = token_client(token_for(member), tenant)
    client.get(SPOOLS)  # warm: content types, caches

    with CaptureQueriesContext(connection) as captured:
        response = client.get(SPOOLS)

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["S1"]
    # token + membership + tenant + user with the tenant's row security in one message, count, page;
    # before: knox's 2 lookups and the membership's, then the row security's own statement.
    assert len(captured) == 2 + token_request_statements(), [q["sql"] for q in captured]


def test_a_token_write_reuses_the_middlewares_lookup(member, tenant, make_spool):
    spool = make_spool(tenant, code="S1")
    client = token_client(token_for(member), tenant)

    with CaptureQueriesContext(connection) as captured:
        response = client.patch(f"{SPOOLS}{spool.pk}/", {"location": "Shelf 9"}, format="json")

    assert response.status_code == 200
    lookups = [q["sql"] for q in captured if "knox_authtoken" in q["sql"] or "tenants_membership" in q["sql"]]
    assert len(lookups) == 1, lookups


def test_the_header_and_the_query_parameter_select_the_tenant(multi_user, other_tenant):
    token = token_for(multi_user)

    assert token_client(token, other_tenant).get(TENANT_URL).json()["slug"] == "globex"
    assert token_client(token).get(TENANT_URL, {"tenant": "acme"}).json()["slug"] == "acme"


def test_several_memberships_without_a_choice_is_400(multi_user):
    response = token_client(token_for(multi_user)).get(SPOOLS)

    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"


def test_a_foreign_or_unknown_tenant_is_403(member, other_tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member)}")

    assert client.get(SPOOLS, HTTP_X_TENANT="globex").status_code == 403
    assert client.get(SPOOLS, HTTP_X_TENANT="no-such-tenant").status_code == 403
    assert client.get(SPOOLS, HTTP_X_TENANT="not a slug!").status_code == 403


def test_a_revoked_token_is_refused_on_the_next_request(member, tenant):
    token = token_for(member)
    client = token_client(token, tenant)
    assert client.get(SPOOLS).status_code == 200

    AuthToken.objects.filter(user=member).delete()

    assert client.get(SPOOLS).status_code == 401


def test_an_expired_token_is_refused_and_deleted(member, tenant):
    client = token_client(token_for(member), tenant)
    AuthToken.objects.filter(user=member).update(expiry=timezone.now() - timedelta(seconds=1))

    assert client.get(SPOOLS).status_code == 401
    assert not AuthToken.objects.filter(user=member).exists()


def test_a_deactivated_user_is_refused_on_the_next_request(member, tenant):
    client = token_client(token_for(member), tenant)
    assert client.get(SPOOLS).status_code == 200

    member.is_active = False
    member.save()

    assert client.get(SPOOLS).status_code == 401


def test_a_role_change_applies_on_the_next_request(member, tenant):
    client = token_client(token_for(member), tenant)
    assert client.post("/api/v1/printers/", {"name": "P1"}, format="json").status_code == 201

    Membership.objects.filter(user=member).update(role="viewer")

    assert client.post("/api/v1/printers/", {"name": "P2"}, format="json").status_code == 403


def test_a_removed_membership_applies_on_the_next_request(member, tenant):
    client = token_client(token_for(member), tenant)
    assert client.get(SPOOLS).status_code == 200

    Membership.objects.filter(user=member).delete()

    assert client.get(SPOOLS).status_code == 403


def test_views_that_need_no_tenant_work_for_a_user_of_several(multi_user):
    token = token_for(multi_user)

    assert token_client(token).get("/api/v1/me/").status_code == 200
    assert token_client(token).delete("/api/v1/auth/token/").status_code == 204
    assert not AuthToken.objects.filter(user=multi_user).exists()


@pytest.mark.urls("tests.support.plain_view_urls")
def test_a_plain_django_view_runs_in_the_token_requests_tenant_scope(member, tenant, other_tenant, make_spool):
    make_spool(tenant, code="MINE")
    make_spool(other_tenant, code="THEIRS")

    client = token_client(token_for(member), tenant)
    response = contextvars.Context().run(client.get, "/plain/spools/")  # no test-body escape hatch

    assert response.status_code == 200
    assert response.json() == {"codes": ["MINE"]}


@pytest.mark.urls("tests.support.plain_view_urls")
def test_a_plain_django_view_without_a_resolved_token_still_fails_closed(multi_user, make_spool):
    """No tenant named for a user of several: nothing is resolved, and the unscoped query refuses."""
    client = token_client(token_for(multi_user))
    client.raise_request_exception = True

    with pytest.raises(TenantScopeError):
        # Outside the test body's escape hatch (tests/conftest.py), as a server runs it.
        contextvars.Context().run(client.get, "/plain/spools/")


def test_the_lookup_builds_the_rows_a_queryset_would(member, tenant):
    """Written as SQL for speed (tenants/resolution.py TokenLookup): the same values, types included."""
    from django.test import RequestFactory

    from tenants.resolution import resolve_token_request

    token = token_for(member)
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_TENANT=tenant.slug)

    membership = resolve_token_request(request)

    expected = Membership.objects.select_related("tenant", "user").get(user=member, tenant=tenant)
    stored = AuthToken.objects.get(user=member)
    for got, want in [
        (membership, expected),
        (membership.tenant, expected.tenant),
        (membership.user, expected.user),
        (membership.token, stored),
    ]:
        assert [getattr(got, f.attname) for f in want._meta.concrete_fields] == [
            getattr(want, f.attname) for f in want._meta.concrete_fields
        ]
        assert not got._state.adding
