"""Which tenant a request acts for, and the tenant-free `me/` endpoint: SPEC section 2."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for

TENANT_URL = "/api/v1/tenant/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def multi_user(tenant, other_tenant, make_member):
    """A viewer of `tenant` and an owner of `other_tenant`."""
    user = make_member(tenant, "viewer", "multi")
    other_tenant.memberships.create(user=user, role="owner")
    return user


def test_header_selects_the_tenant(multi_user, other_tenant):
    client = client_for(multi_user)

    response = client.get(TENANT_URL, HTTP_X_TENANT="globex")

    assert response.status_code == 200
    assert response.json()["slug"] == "globex"


def test_query_param_selects_the_tenant(multi_user):
    response = client_for(multi_user).get(TENANT_URL, {"tenant": "globex"})

    assert response.status_code == 200
    assert response.json()["slug"] == "globex"


def test_the_role_follows_the_selected_tenant(multi_user, tenant, other_tenant):
    """Viewer of acme, owner of globex: the same user writes in one and not the other."""
    client = client_for(multi_user)

    assert client.post("/api/v1/printers/", {"name": "P1"}, HTTP_X_TENANT="acme").status_code == 403
    assert client.post("/api/v1/printers/", {"name": "P1"}, HTTP_X_TENANT="globex").status_code == 201


def test_single_membership_is_the_default(member):
    response = client_for(member).get(TENANT_URL)

    assert response.status_code == 200
    assert response.json()["slug"] == "acme"


def test_several_memberships_without_a_choice_is_400(multi_user):
    response = client_for(multi_user).get(TENANT_URL)

    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"


def test_several_memberships_without_a_choice_is_400_on_a_list_too(multi_user):
    response = client_for(multi_user).get("/api/v1/printers/")

    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"


def test_non_member_and_unknown_tenant_get_the_same_403(member, other_tenant):
    client = client_for(member)

    not_mine = client.get(TENANT_URL, HTTP_X_TENANT="globex")
    unknown = client.get(TENANT_URL, HTTP_X_TENANT="no-such-tenant")
    unknown_by_query = client.get(TENANT_URL, {"tenant": "no-such-tenant"})

    assert not_mine.status_code == unknown.status_code == unknown_by_query.status_code == 403
    assert not_mine.json()["code"] == "tenant_forbidden"
    assert not_mine.json() == unknown.json() == unknown_by_query.json()


def test_a_user_without_memberships_is_forbidden(django_user_model, tenant):
    loner = django_user_model.objects.create_user("loner", password="x")

    response = client_for(loner).get(TENANT_URL)

    assert response.status_code == 403
    assert response.json()["code"] == "tenant_forbidden"


def test_me_needs_no_tenant_and_lists_memberships(multi_user):
    response = client_for(multi_user).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "multi"
    assert body["memberships"] == [
        {"tenant_slug": "acme", "tenant_name": "Acme", "role": "viewer"},
        {"tenant_slug": "globex", "tenant_name": "Globex", "role": "owner"},
    ]


def test_me_ignores_a_foreign_tenant_header(member, other_tenant):
    response = client_for(member).get(ME_URL, HTTP_X_TENANT="globex")

    assert response.status_code == 200
    assert [m["tenant_slug"] for m in response.json()["memberships"]] == ["acme"]


def test_tenant_endpoint_returns_the_active_tenant(make_tenant, make_member):
    berlin = make_tenant("berlin-works", name="Berlin Works", run_prefix="BW1", timezone="Europe/Berlin")

    response = client_for(make_member(berlin, "viewer"), berlin).get(TENANT_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(berlin.id)
    assert {k: body[k] for k in ("name", "slug", "run_prefix", "timezone")} == {
        "name": "Berlin Works",
        "slug": "berlin-works",
        "run_prefix": "BW1",
        "timezone": "Europe/Berlin",
    }


def test_tenant_endpoint_needs_authentication(tenant):
    assert APIClient().get(TENANT_URL, HTTP_X_TENANT="acme").status_code == 401
