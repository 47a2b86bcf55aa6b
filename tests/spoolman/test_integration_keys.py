"""Admins and owners create, list and revoke integration keys (a printer's, and the tenant's of either scope);
the secret is shown once."""

import configparser
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from spoolman import services
from spoolman.logs import redact
from spoolman.models import IntegrationKey, KeyScope, key_digest
from tenants.models import Membership
from tests.conftest import client_for
from tests.support.clients import SpoolmanClient, browser_for

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


def uwsgi_setting(name):
    """A setting of the deployment's server (config/uwsgi.ini; `%k` and such are uWSGI's, not interpolation)."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(settings.BASE_DIR / "config" / "uwsgi.ini")
    return ini["uwsgi"][name]


def test_the_servers_own_log_lines_naming_a_whole_key_are_dropped(issued):
    """uWSGI prints a request's path in lines of its own (a harakiri's); its master drops those that name a
    whole key, and keeps the app's lines, which name only the key's first characters."""
    drain = re.compile(uwsgi_setting("log-drain"))
    path = f"/spoolman/{issued.secret}/api/v1/spool/1/use"

    assert uwsgi_setting("log-master") == "true"  # the master writes every line, so it can drop one
    assert drain.search(f"HARAKIRI [core 0] 127.0.0.1 - PUT {path} since 1796505122")
    assert not drain.search(f"Not Found: {redact(path)}")
    assert not drain.search("Not Found: /api/v1/spools/999/")


# --- the tenant's keys: /api/v1/integration-keys/ ---------------------------------------------

TENANT_KEYS = "/api/v1/integration-keys/"


def test_an_admin_creates_a_manage_key_without_a_printer_whose_secret_is_answered_once(manager_api, tenant):
    response = manager_api.post(TENANT_KEYS, {"scope": "manage", "name": "spoolman-ui"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["scope"], body["printer"], body["printer_name"], body["created_by"]) == (
        "manage",
        None,
        None,
        f"admin-{tenant.slug}",
    )
    assert body["server_url"].endswith(f"/spoolman/{body['key']}")
    stored = IntegrationKey.objects.get(pk=body["id"])
    assert stored.digest == key_digest(body["key"]) and stored.scope == KeyScope.MANAGE
    assert SpoolmanClient(body["key"]).get("spool").status_code == 200

    (listed,) = manager_api.get(TENANT_KEYS).json()["results"]
    assert listed["id"] == body["id"] and "key" not in listed and body["key"] not in str(listed)


def test_the_tenant_list_shows_every_key_with_its_scope_and_printer(owner_api, printer, issued):
    manage = owner_api.post(TENANT_KEYS, {"scope": "manage", "printer": printer.name}, format="json").json()

    rows = {row["id"]: row for row in owner_api.get(TENANT_KEYS).json()["results"]}

    assert {row_id: (row["scope"], row["printer_name"]) for row_id, row in rows.items()} == {
        str(issued.key.pk): ("printer", printer.name),
        manage["id"]: ("manage", printer.name),
    }
    managed = owner_api.get(TENANT_KEYS, {"scope": "manage"}).json()["results"]
    assert [row["id"] for row in managed] == [manage["id"]]
    # The printer's own list shows both too: they are its keys.
    assert {row["id"] for row in owner_api.get(keys_url(printer)).json()["results"]} == set(rows)


def test_a_printer_key_is_created_by_naming_its_printer(manager_api, printer):
    response = manager_api.post(TENANT_KEYS, {"printer": printer.name, "name": "moonraker"}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["scope"], response.json()["printer"]) == ("printer", str(printer.pk))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "printer"}, "printer"),
        ({}, "printer"),
        ({"scope": "everything"}, "scope"),
        ({"scope": "manage", "printer": "No such printer"}, "printer"),
        ({"scope": "manage", "name": "x" * 101}, "name"),
    ],
)
def test_a_bad_key_body_is_a_400_on_its_field_and_writes_nothing(manager_api, printer, body, field):
    response = manager_api.post(TENANT_KEYS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not IntegrationKey.objects.exists()


def test_another_tenants_printer_is_a_400(manager_api, other_tenant, make_printer):
    theirs = make_printer(other_tenant, name="Theirs")

    response = manager_api.post(TENANT_KEYS, {"printer": str(theirs.pk)}, format="json")

    assert response.status_code == 400 and "printer" in response.json()
    assert not IntegrationKey.objects.exists()


@pytest.mark.parametrize("client", ["api", "viewer_api"])
def test_members_and_viewers_may_not_list_create_or_revoke_tenant_keys(request, client, issued):
    api = request.getfixturevalue(client)

    assert api.get(TENANT_KEYS).status_code == 403
    assert api.post(TENANT_KEYS, {"scope": "manage"}, format="json").status_code == 403
    assert api.delete(f"{TENANT_KEYS}{issued.key.pk}/").status_code == 403
    assert IntegrationKey.objects.get().is_active


def test_another_tenants_key_is_not_found(other_tenant, make_member, issued):
    their_admin = client_for(make_member(other_tenant, "admin"), other_tenant)

    assert their_admin.get(f"{TENANT_KEYS}{issued.key.pk}/").status_code == 404
    assert their_admin.delete(f"{TENANT_KEYS}{issued.key.pk}/").status_code == 404
    assert their_admin.get(TENANT_KEYS).json()["count"] == 0
    assert IntegrationKey.objects.get().is_active


def test_revoking_a_manage_key_stops_it_at_the_very_next_request(owner_api):
    created = owner_api.post(TENANT_KEYS, {"scope": "manage"}, format="json").json()
    client = SpoolmanClient(created["key"])
    assert client.get("spool").status_code == 200

    assert owner_api.delete(f"{TENANT_KEYS}{created['id']}/").status_code == 204

    assert client.get("spool").status_code == 401
    listed = owner_api.get(f"{TENANT_KEYS}{created['id']}/").json()
    assert listed["is_active"] is False and listed["revoked_at"] is not None
    assert owner_api.get(TENANT_KEYS, {"is_active": "false"}).json()["count"] == 1


def test_a_demoted_admin_s_manage_key_reads_but_no_longer_writes(manager_api, tenant, spool):
    created = manager_api.post(TENANT_KEYS, {"scope": "manage"}, format="json").json()
    client = SpoolmanClient(created["key"])
    assert client.put(f"spool/{spool.number}/use", {"use_weight": 1}).status_code == 200

    Membership.objects.filter(tenant=tenant, user__username=f"admin-{tenant.slug}").update(role="viewer")

    assert client.get(f"spool/{spool.number}").status_code == 200
    refused = client.put(f"spool/{spool.number}/use", {"use_weight": 1})
    assert refused.status_code == 403 and list(refused.json()) == ["message"]


def test_the_tenant_endpoint_does_not_honour_an_idempotency_key_either(manager_api):
    first = manager_api.post(TENANT_KEYS, {"scope": "manage"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = manager_api.post(TENANT_KEYS, {"scope": "manage"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.json()["key"] != second.json()["key"]
    assert IntegrationKey.objects.count() == 2


def test_the_admin_shows_each_key_s_scope(tenant, make_member, printer, issued):
    services.create_key(
        tenant=tenant, user=make_member(tenant, "owner"), draft=services.KeyDraft(scope=KeyScope.MANAGE)
    )
    staff = browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    listed = staff.get("/admin/spoolman/integrationkey/")
    managed = staff.get("/admin/spoolman/integrationkey/", {"scope__exact": "manage"})

    assert listed.status_code == 200
    assert "Manage: Spoolman" in listed.content.decode() and "Printer: read" in listed.content.decode()
    assert managed.content.decode().count('class="field-prefix"') == 1
