"""Onboarding commands `create_tenant` and `add_member`: SPEC section 6."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tenants.models import Membership, Tenant

User = get_user_model()


def create_tenant(*args):
    call_command("create_tenant", *args)


def add_member(*args):
    call_command("add_member", *args)


def test_create_tenant(db):
    create_tenant("acme", "--name", "Acme Prints", "--prefix", "ACME", "--timezone", "Europe/Berlin")

    tenant = Tenant.objects.get(slug="acme")
    assert (tenant.name, tenant.run_prefix, tenant.timezone) == ("Acme Prints", "ACME", "Europe/Berlin")


def test_create_tenant_defaults_to_utc(db):
    create_tenant("acme", "--name", "Acme", "--prefix", "AC1")

    assert Tenant.objects.get(slug="acme").timezone == "UTC"


def test_create_tenant_is_idempotent(db):
    create_tenant("acme", "--name", "Acme", "--prefix", "ACME")
    first_id = Tenant.objects.get().id

    create_tenant("acme", "--name", "Acme", "--prefix", "ACME")
    create_tenant("acme", "--name", "Acme Renamed", "--prefix", "ACM2", "--timezone", "America/New_York")

    tenant = Tenant.objects.get()
    assert tenant.id == first_id
    assert (tenant.name, tenant.run_prefix, tenant.timezone) == ("Acme Renamed", "ACM2", "America/New_York")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--prefix", "ab"), "run_prefix"),
        (("--prefix", "A"), "run_prefix"),
        (("--prefix", "TOOLONGPREFIX1"), "run_prefix"),
        (("--prefix", "AC-1"), "run_prefix"),
        (("--prefix", "ACME", "--timezone", "Mars/Base"), "timezone"),
        (("--prefix", "ACME", "--timezone", ""), "timezone"),
        # Files of the zoneinfo folder, not IANA names: the server's own zone and placeholders.
        (("--prefix", "ACME", "--timezone", "localtime"), "timezone"),
        (("--prefix", "ACME", "--timezone", "Factory"), "timezone"),
    ],
)
def test_create_tenant_rejects_bad_input_without_writing(db, args, message):
    with pytest.raises(CommandError, match=message):
        create_tenant("acme", "--name", "Acme", *args)

    assert not Tenant.objects.exists()


def test_create_tenant_bad_update_leaves_the_tenant_unchanged(tenant):
    with pytest.raises(CommandError, match="Mars/Base"):
        create_tenant("acme", "--name", "Changed", "--prefix", "ACME", "--timezone", "Mars/Base")

    tenant.refresh_from_db()
    assert (tenant.name, tenant.timezone) == ("Acme", "UTC")


def test_create_tenant_requires_name_and_prefix(db):
    with pytest.raises(CommandError):
        create_tenant("acme", "--name", "Acme")
    with pytest.raises(CommandError):
        create_tenant("acme", "--prefix", "ACME")

    assert not Tenant.objects.exists()


def test_add_member_creates_a_missing_user(tenant):
    add_member("acme", "bob", "--role", "member")

    membership = Membership.objects.get(user__username="bob")
    assert (membership.tenant, membership.role) == (tenant, "member")
    assert not membership.user.has_usable_password()


def test_add_member_adds_an_existing_user(tenant, django_user_model):
    user = django_user_model.objects.create_user("bob", password="old-password-123")

    add_member("acme", "bob", "--role", "viewer")

    assert Membership.objects.get(user=user).role == "viewer"
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert user.check_password("old-password-123")


def test_add_member_with_password_can_log_in(tenant):
    add_member("acme", "bob", "--role", "admin", "--password", "s3cret-enough-pw")

    response = APIClient().post("/api/v1/auth/token/", {"username": "bob", "password": "s3cret-enough-pw"})
    assert response.status_code == 200


def test_add_member_is_idempotent_and_changes_the_role(tenant):
    add_member("acme", "bob", "--role", "member")
    add_member("acme", "bob", "--role", "member")
    assert Membership.objects.get(user__username="bob").role == "member"

    add_member("acme", "bob", "--role", "owner")

    assert Membership.objects.count() == 1
    assert User.objects.filter(username="bob").count() == 1
    assert Membership.objects.get().role == "owner"


def test_add_member_to_a_second_tenant_keeps_the_first(tenant, other_tenant):
    add_member("acme", "bob", "--role", "member")
    add_member("globex", "bob", "--role", "viewer")

    assert dict(Membership.objects.values_list("tenant__slug", "role")) == {"acme": "member", "globex": "viewer"}


def test_add_member_rejects_a_bad_role_without_writing(tenant):
    with pytest.raises(CommandError, match="superuser"):
        add_member("acme", "bob", "--role", "superuser")

    assert not User.objects.filter(username="bob").exists()
    assert not Membership.objects.exists()


def test_add_member_bad_role_keeps_the_existing_role(tenant):
    add_member("acme", "bob", "--role", "viewer")

    with pytest.raises(CommandError):
        add_member("acme", "bob", "--role", "god")

    assert Membership.objects.get().role == "viewer"


def test_add_member_rejects_an_unknown_tenant_without_writing(tenant):
    with pytest.raises(CommandError, match="nope"):
        add_member("nope", "bob", "--role", "member")

    assert not User.objects.filter(username="bob").exists()
    assert not Membership.objects.exists()


def test_add_member_rejects_an_invalid_username_without_writing(tenant):
    with pytest.raises(CommandError):
        add_member("acme", "bad name!", "--role", "member")

    assert not User.objects.exists()


def test_add_member_requires_a_role(tenant):
    with pytest.raises(CommandError):
        add_member("acme", "bob")

    assert not User.objects.exists()
