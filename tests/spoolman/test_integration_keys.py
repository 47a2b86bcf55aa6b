"""Admins and owners create, list and revoke a printer's integration keys; the secret is shown once."""

import pytest

from spoolman.models import IntegrationKey, key_digest
from tests.support.clients import SpoolmanClient

pytestmark = pytest.mark.django_db


def keys_url(printer):
    return f"/api/v1/printers/{printer.pk}/integration-keys/"


def test_an_admin_creates_a_key_whose_secret_is_answered_once_and_stored_hashed(manager_api, printer):
    response = manager_api.post(keys_url(printer), {"name": "moonraker"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["key"]
    assert body["server_url"].endswith(f"/spoolman/{secret}")
    stored = IntegrationKey.objects.get(pk=body["id"])
    assert stored.digest == key_digest(secret) and secret not in (stored.digest, stored.prefix)
    assert secret.startswith(stored.prefix)
    assert SpoolmanClient(secret).get("health").status_code == 200

    listed = manager_api.get(keys_url(printer)).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "key" not in listed[0] and secret not in str(listed)


def test_an_idempotency_key_is_not_honoured_so_the_secret_is_never_stored(manager_api, printer):
    first = manager_api.post(keys_url(printer), {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = manager_api.post(keys_url(printer), {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.json()["key"] != second.json()["key"]
    assert "Idempotent-Replayed" not in second


@pytest.mark.parametrize("client", ["api", "viewer_api"])
def test_members_and_viewers_may_not_see_or_create_keys(request, client, printer):
    api = request.getfixturevalue(client)
    assert api.get(keys_url(printer)).status_code == 403
    assert api.post(keys_url(printer), {}, format="json").status_code == 403


def test_revoking_keeps_the_key_listed_and_stops_it_at_once(owner_api, printer):
    created = owner_api.post(keys_url(printer), {}, format="json").json()

    assert owner_api.delete(f"{keys_url(printer)}{created['id']}/").status_code == 204

    assert SpoolmanClient(created["key"]).get("spool").status_code == 401
    (listed,) = owner_api.get(keys_url(printer)).json()["results"]
    assert listed["is_active"] is False and listed["revoked_at"] is not None


def test_another_tenants_printer_is_a_404(manager_api, other_tenant, make_printer):
    theirs = make_printer(other_tenant)
    assert manager_api.post(keys_url(theirs), {}, format="json").status_code == 404


def test_a_key_in_a_logged_path_is_redacted(spoolman, issued, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        spoolman.get("spool/999")  # a 404: Django logs its path

    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "/spoolman/" in logged
    assert issued.secret not in logged
    assert issued.key.prefix in logged
