"""`PUT/GET/DELETE printers/{printer_id}/connection/` and `GET printers/{printer_id}/status/`."""

import pytest
from django.core.management import call_command
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from bambu import credentials
from bambu.models import PrinterConnection, PrinterStatus
from tests.conftest import client_for
from tests.support.queries import row_security_statements

pytestmark = pytest.mark.django_db

BODY = {
    "kind": "bambu_lan",
    "host": "192.168.1.50",
    "port": 8883,
    "serial": "01P00A391800123",
    "access_code": "Q8x4K2m7",
}
# The membership (1), the printer (1), the status with its connection joined (1), the printer's in-progress
# run (1); with a tagged tray, its spools (1). Plus the row-security statements (PostgreSQL).
STATUS_QUERIES = 4 + row_security_statements()


@pytest.fixture
def printer(tenant, make_printer):
    return make_printer(tenant, name="P1S-01")


def url(printer, what="connection"):
    return f"/api/v1/printers/{printer.pk}/{what}/"


def test_put_creates_the_connection_and_never_answers_the_access_code(owner_api, printer):
    response = owner_api.put(url(printer), BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["access_code_set"] is True
    assert "access_code" not in body and "Q8x4K2m7" not in response.content.decode()
    assert (body["host"], body["port"], body["serial"], body["kind"]) == (
        "192.168.1.50",
        8883,
        BODY["serial"],
        "bambu_lan",
    )
    assert owner_api.get(url(printer)).json() == body
    assert owner_api.get(url(printer, "status")).json()["connection_state"] == "disconnected"


def test_the_access_code_is_stored_encrypted(manager_api, printer):
    manager_api.put(url(printer), BODY, format="json")

    stored = PrinterConnection.objects.get(printer=printer).access_code_encrypted
    assert "Q8x4K2m7" not in stored
    assert credentials.decrypt(stored) == "Q8x4K2m7"


def test_a_put_without_the_code_keeps_it_and_a_change_restarts_the_connection(manager_api, printer):
    manager_api.put(url(printer), BODY, format="json")
    before = PrinterConnection.objects.get(printer=printer)
    PrinterStatus.objects.filter(connection=before).update(connection_state="auth_failed")

    response = manager_api.put(url(printer), {**BODY, "host": "printer-1.lan", "access_code": None} | {}, format="json")
    assert response.status_code == 400  # null is not a code
    response = manager_api.put(url(printer), {k: v for k, v in BODY.items() if k != "access_code"} | {"host": "p1.lan"})

    assert response.status_code == 200, response.content
    after = PrinterConnection.objects.get(printer=printer)
    assert after.version == before.version + 1
    assert credentials.decrypt(after.access_code_encrypted) == "Q8x4K2m7"
    assert PrinterStatus.objects.get(connection=after).connection_state == "disconnected"


def test_the_same_settings_again_change_nothing(manager_api, printer):
    manager_api.put(url(printer), BODY, format="json")
    version = PrinterConnection.objects.get(printer=printer).version

    assert manager_api.put(url(printer), BODY, format="json").status_code == 200
    assert PrinterConnection.objects.get(printer=printer).version == version


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "http://192.168.1.50"),
        ("host", "192.168.1.50:8883"),
        ("host", "printer.lan/path"),
        ("host", "999.1.1.1"),
        ("port", 0),
        ("port", 70000),
        ("serial", "01P-00A"),
        ("kind", "octoprint"),
        ("access_code", "has space"),
        ("access_code", "x" * 65),
    ],
)
def test_bad_settings_are_a_400_and_nothing_is_written(manager_api, printer, field, value):
    response = manager_api.put(url(printer), {**BODY, field: value}, format="json")

    assert response.status_code == 400, response.content
    assert not PrinterConnection.objects.exists()


def test_a_new_connection_needs_the_access_code(manager_api, printer):
    body = {k: v for k, v in BODY.items() if k != "access_code"}

    response = manager_api.put(url(printer), body, format="json")

    assert response.status_code == 400
    assert "access_code" in response.json()["detail"]


def test_delete_removes_the_connection_and_its_status(manager_api, printer):
    manager_api.put(url(printer), BODY, format="json")

    assert manager_api.delete(url(printer)).status_code == 204
    assert manager_api.get(url(printer)).status_code == 404
    assert not PrinterStatus.objects.exists()
    assert manager_api.get(url(printer, "status")).json()["connection_state"] == "not_configured"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_members_and_viewers_may_not_touch_connections(api, viewer_api, printer, method):
    for client in (api, viewer_api):
        response = getattr(client, method)(url(printer), BODY, format="json")
        assert response.status_code == 403


def test_a_viewer_reads_the_status(viewer_api, printer):
    body = viewer_api.get(url(printer, "status")).json()

    assert (body["connection_state"], body["state"], body["run_state"], body["trays"]) == (
        "not_configured",
        None,
        "idle",
        [],
    )


def test_another_tenants_printer_does_not_exist(other_tenant, make_member, printer):
    other_admin = client_for(make_member(other_tenant, "admin", "admin-globex"), other_tenant)

    assert other_admin.put(url(printer), BODY, format="json").status_code == 404
    assert other_admin.get(url(printer, "status")).status_code == 404
    assert not PrinterConnection.objects.exists()


def test_the_status_costs_a_fixed_number_of_queries(manager_api, printer):
    manager_api.put(url(printer), BODY, format="json")
    with CaptureQueriesContext(database) as captured:
        response = manager_api.get(url(printer, "status"))

    assert response.status_code == 200
    assert len(captured) == STATUS_QUERIES


def test_rotation_re_encrypts_every_code_with_the_new_first_key(manager_api, printer, settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PRINTER_CREDENTIAL_KEYS = [old]
    manager_api.put(url(printer), BODY, format="json")
    settings.PRINTER_CREDENTIAL_KEYS = [new, old]

    call_command("rotate_printer_credentials", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.PRINTER_CREDENTIAL_KEYS = [new]
    assert credentials.decrypt(PrinterConnection.objects.get(printer=printer).access_code_encrypted) == "Q8x4K2m7"
