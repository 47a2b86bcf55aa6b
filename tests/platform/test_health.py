"""`/healthz` (process up) and `/readyz` (database reachable), both without auth."""

from unittest import mock

from django.db import OperationalError
from django.db.backends.utils import CursorWrapper


def test_healthz_needs_no_auth_and_no_database(client):
    """No `db` fixture: pytest-django would fail this test if /healthz touched the database."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_needs_no_auth(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_503_when_the_database_is_down(client, db):
    down = OperationalError("connection refused")

    with mock.patch.object(CursorWrapper, "execute", side_effect=down):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_readyz_is_503_when_no_connection_can_be_opened(client, db):
    with mock.patch("tenants.views.connection.cursor", side_effect=OperationalError("could not connect")):
        response = client.get("/readyz")

    assert response.status_code == 503


def test_readyz_does_not_show_the_database_error_to_anonymous_callers(client, db):
    # Driver messages name hosts, ports, users and databases: for the logs, not for the public.
    leak = OperationalError('connection to server at "10.0.0.7", port 5432 failed: password for user "farm"')

    with mock.patch("tenants.views.connection.cursor", side_effect=leak):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert "10.0.0.7" not in response.content.decode()
    assert "farm" not in response.content.decode()
