"""Memberships under row security: a tenant's request sees its own member list, and resolving the tenant
(before it is known) reads the user's own memberships through a policy for exactly that, not as the owner.

The catalogue's check that every `tenant_id` table has the tenant policy is in test_row_security.py.
"""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.models import Spool
from tenants.models import Membership
from tenants.row_security import APP_ROLE, ENTER_SQL, OWN_ROWS_POLICY_NAME, own_rows
from tests.conftest import postgres_only
from tests.support.clients import browser_for

pytestmark = [postgres_only, pytest.mark.django_db]

HTML = {"HTTP_ACCEPT": "text/html"}


def fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def multi_user(tenant, other_tenant, make_member):
    """A member of `tenant` (acme) and an owner of `other_tenant` (globex)."""
    user = make_member(tenant, "member", "multi")
    other_tenant.memberships.create(user=user, role="owner")
    return user


@pytest.fixture
def members(tenant, other_tenant, make_member, multi_user):
    """Besides `multi_user`: a member of each tenant."""
    return {owner.pk: make_member(owner, "member", f"member-{owner.slug}") for owner in (tenant, other_tenant)}


def memberships_seen():
    return {(membership.tenant_id, membership.user_id) for membership in Membership.objects.all()}


def test_a_tenants_request_sees_its_own_member_list_only(tenant, other_tenant, members, multi_user):
    with transaction.atomic():
        fetch(ENTER_SQL, [APP_ROLE, str(tenant.pk)])
        seen = memberships_seen()
        transaction.set_rollback(True)

    assert seen == {(tenant.pk, members[tenant.pk].pk), (tenant.pk, multi_user.pk)}


def test_own_rows_shows_the_users_memberships_of_every_tenant_and_nothing_else(
    tenant, other_tenant, members, multi_user, make_spool
):
    make_spool(tenant)

    with own_rows(multi_user):
        [(user,)] = fetch("SELECT current_user")
        seen, spools = memberships_seen(), Spool.objects.count()

    assert user == APP_ROLE  # not the owner, whom no policy binds
    assert seen == {(tenant.pk, multi_user.pk), (other_tenant.pk, multi_user.pk)}
    assert spools == 0  # no tenant is set: no tenant-owned row
    assert fetch("SELECT current_user, current_setting('role')")[0][1] == "none"  # undone after the block


def test_own_rows_inside_a_tenants_request_adds_the_users_rows_and_restores_the_tenant(
    tenant, other_tenant, members, multi_user
):
    with transaction.atomic():
        fetch(ENTER_SQL, [APP_ROLE, str(tenant.pk)])
        with own_rows(multi_user):
            inside = memberships_seen()
        after = memberships_seen()
        [(user,)] = fetch("SELECT current_user")
        transaction.set_rollback(True)

    assert (other_tenant.pk, multi_user.pk) in inside and (other_tenant.pk, members[other_tenant.pk].pk) not in inside
    assert after == {(tenant.pk, members[tenant.pk].pk), (tenant.pk, multi_user.pk)}
    assert user == APP_ROLE


def test_own_rows_may_not_write_a_membership(tenant, multi_user, make_member):
    stranger = make_member(tenant, "viewer", "stranger")
    Membership.objects.filter(user=stranger).delete()

    with own_rows(stranger), pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        Membership.objects.create(tenant=tenant, user=stranger, role="owner")


@pytest.fixture
def without_the_own_rows_policy():
    """Rolled back with the test's transaction: PostgreSQL's DDL is transactional."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER and DROP refuse pending foreign-key checks
        cursor.execute(f"DROP POLICY {OWN_ROWS_POLICY_NAME} ON {Membership._meta.db_table}")


def token_client(user, tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}", HTTP_X_TENANT=tenant.slug)
    return client


def test_the_token_and_session_paths_resolve_the_tenant_through_the_policy(tenant, member, api):
    assert token_client(member, tenant).get("/api/v1/tenant/").status_code == 200
    assert api.get("/api/v1/tenant/").status_code == 200


def test_without_the_own_rows_policy_no_tenant_is_resolved(tenant, member, api, without_the_own_rows_policy):
    """The control: resolution reads as the application role, so the policy is what lets it through."""
    assert token_client(member, tenant).get("/api/v1/tenant/").status_code == 403
    assert api.get("/api/v1/tenant/").status_code == 403


def test_the_tenant_switcher_on_a_tenants_page_lists_the_users_other_tenants(multi_user):
    page = browser_for(multi_user).get("/api/v1/spools/", {"tenant": "acme"}, **HTML)

    assert page.status_code == 200
    assert "?tenant=globex" in page.content.decode()
