"""The admin lists bearer tokens without their digest or key prefix."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from knox.models import AuthToken


@pytest.fixture
def viewer_staff(db):
    staff = get_user_model().objects.create_user("auditor", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_authtoken"))
    return staff


@pytest.fixture
def token(db):
    owner = get_user_model().objects.create_user("alice", password="x")
    instance, raw = AuthToken.objects.create(user=owner)
    return instance, raw


def test_token_list_shows_owner_but_no_digest_or_key(client, viewer_staff, token):
    instance, raw = token
    client.force_login(viewer_staff)

    response = client.get("/admin/knox/authtoken/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "alice" in page
    assert instance.digest not in page
    assert instance.token_key not in page
    assert raw[:8] not in page


def test_token_detail_page_is_not_served(client, viewer_staff, token):
    client.force_login(viewer_staff)

    response = client.get(f"/admin/knox/authtoken/{token[0].digest}/change/")

    assert response.status_code == 403
    assert token[0].digest not in response.content.decode()


def test_searching_by_digest_or_key_finds_nothing(client, viewer_staff, token):
    client.force_login(viewer_staff)

    for fragment in (token[0].digest[:16], token[0].token_key):
        assert "alice" not in client.get("/admin/knox/authtoken/", {"q": fragment}).content.decode()


def test_superuser_cannot_add_tokens_in_the_admin(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    assert client.get("/admin/knox/authtoken/add/").status_code == 403
