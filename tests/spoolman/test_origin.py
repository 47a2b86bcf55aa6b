"""Cross-origin writes under a key (Spoolman's guard): a POST, PUT, PATCH or DELETE from a foreign browser origin
is a 403 that changes nothing; the server's own origin, an origin in CSRF_TRUSTED_ORIGINS and requests without
an `Origin` (Moonraker, scripts) write; reads are not checked; a websocket handshake from a foreign origin, or
to a host the server does not serve, is refused. A proxy's `X-Forwarded-Host` must be a served host."""

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings

from config.asgi import application
from inventory.models import InventoryTransaction
from spoolman import origins
from spoolman.models import ExtraField, Setting
from tests.support.spoolman_keys import manage_client

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example"


@pytest.fixture
def admin_key(tenant, make_member):
    return manage_client(tenant, make_member, "admin")


def set_currency(client, value='"SEK"', **headers):
    return client.client.post(
        client.base + "setting/currency", json.dumps(value), content_type="application/json", headers=headers
    )


def test_a_write_from_a_foreign_origin_is_a_403_and_changes_nothing(admin_key, tenant):
    refused = set_currency(admin_key, Origin=EVIL)

    assert refused.status_code == 403 and "origin" in refused.json()["message"]
    assert not Setting.objects.filter(tenant=tenant).exists()
    assert admin_key.get("setting/currency").json()["is_set"] is False


def test_a_foreign_delete_of_a_field_and_a_foreign_use_report_change_nothing(admin_key, spoolman, tenant, spool):
    admin_key.client.post(
        admin_key.base + "field/spool/batch", json.dumps({"name": "B", "field_type": "text"}), "application/json"
    )
    delete = admin_key.client.delete(admin_key.base + "field/spool/batch", headers={"Origin": EVIL})
    use = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 5}, Origin=EVIL)
    backup = admin_key.client.post(admin_key.base + "backup", headers={"Origin": EVIL})

    assert (delete.status_code, use.status_code, backup.status_code) == (403, 403, 403)
    assert ExtraField.objects.filter(tenant=tenant, key="batch").exists()
    assert not InventoryTransaction.objects.filter(spool=spool, type="printer_use").exists()


def test_the_server_s_own_origin_and_no_origin_write(admin_key):
    assert set_currency(admin_key, Origin="http://testserver").status_code == 200
    assert set_currency(admin_key, Origin="http://testserver:80/spoolman/somewhere").status_code == 200
    assert set_currency(admin_key, '"USD"').json()["value"] == '"USD"'


def test_an_opaque_origin_is_never_trusted(admin_key):
    assert set_currency(admin_key, Origin="null").status_code == 403


def test_a_foreign_origin_reads(admin_key):
    assert admin_key.client.get(admin_key.base + "setting/currency", headers={"Origin": EVIL}).status_code == 200


@override_settings(CSRF_TRUSTED_ORIGINS=["https://ui.example.com", "https://*.farm.example"])
def test_an_origin_in_csrf_trusted_origins_writes(admin_key):
    assert set_currency(admin_key, Origin="https://ui.example.com").status_code == 200
    assert set_currency(admin_key, Origin="https://spools.farm.example").status_code == 200
    assert set_currency(admin_key, Origin="http://spools.farm.example").status_code == 403  # another scheme


@override_settings(ALLOWED_HOSTS=["testserver", "spoolman.example.com"])
def test_a_proxy_s_forwarded_host_is_the_server_s_own_name_when_it_is_served(admin_key, tenant):
    forwarded = {"X-Forwarded-Host": "spoolman.example.com"}

    assert set_currency(admin_key, Origin="https://spoolman.example.com", **forwarded).status_code == 200
    assert set_currency(admin_key, '"HAX"', Origin=EVIL, **forwarded).status_code == 403
    assert Setting.objects.get(tenant=tenant, key="currency").value == '"SEK"'


def test_a_forwarded_host_the_server_does_not_serve_is_a_400(admin_key, tenant):
    forwarded = {"X-Forwarded-Host": "evil.example"}

    assert admin_key.client.get(admin_key.base + "spool", headers=forwarded).status_code == 400
    refused = set_currency(admin_key, Origin="https://evil.example", **forwarded)  # rebinding: Origin agrees
    assert refused.status_code == 400
    assert not Setting.objects.filter(tenant=tenant).exists()


def test_a_host_the_server_does_not_serve_is_django_s_400(admin_key):
    assert admin_key.client.get(admin_key.base + "spool", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize(
    ("origin", "host", "forwarded", "trusted"),
    [
        (None, "farm:8000", None, True),
        ("", "farm:8000", None, True),
        ("http://farm:8000", "farm:8000", None, True),
        ("HTTP://Farm:8000/", "farm:8000", None, True),
        ("https://farm", "farm:443", None, True),
        ("http://farm:8001", "farm:8000", None, False),
        ("https://farm.evil", "farm", None, False),
        ("https://public.example", "10.0.0.2:8000", "public.example, 10.0.0.1", True),
        ("null", "farm", None, False),
    ],
)
def test_which_origins_are_the_server_s_own(origin, host, forwarded, trusted):
    assert origins.is_trusted(origin, host, forwarded) is trusted


# --- websockets -----------------------------------------------------------------------------------


def handshake(path, headers):
    """The application's first answer to a websocket's connect: (accepted, close code)."""

    async def connect():
        scope = {"type": "websocket", "path": path, "headers": headers, "query_string": b"", "subprotocols": []}
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "websocket.connect"})
        answer = await communicator.receive_output(timeout=5)
        await communicator.send_input({"type": "websocket.disconnect", "code": answer.get("code", 1000)})
        await communicator.wait(timeout=5)
        return answer["type"] == "websocket.accept", answer.get("code")

    return asyncio.run(connect())


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"testserver"), (b"origin", EVIL.encode())],
        [(b"host", b"testserver"), (b"origin", b"null")],
        [(b"host", b"evil.example")],
        [(b"host", b"testserver"), (b"x-forwarded-host", b"evil.example")],
    ],
)
def test_a_websocket_from_a_foreign_origin_or_to_a_foreign_host_is_refused_before_its_key_is_read(headers):
    connected, code = handshake("/spoolman/pfk_anything/api/v1/spool", headers)

    assert (connected, code) == (False, 4403)
