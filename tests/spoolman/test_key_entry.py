"""A printer's request enters its key's tenant in the key's own round trip (spoolman/api.py `enter_key`).

Inside the request's row-security transaction the key is read as the connecting user (across
tenants), its row sets `app.tenant_id` and the message goes on with the application role: no
round trip of its own for the row security, and Django's health check is folded into it. An
unknown or refused key rolls that transaction back, so the connection goes on as the
connecting user with no tenant; a connection whose backend died since the last request is
replaced without the printer seeing it. Counted in production's shape: no test transaction.
"""

import pytest
from django.db import connection
from psycopg.pq import TransactionStatus

from tests.conftest import postgres_only
from tests.support.clients import SpoolmanClient
from tests.support.faults import next_request, pid_of_this_connection, terminate_backend

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


# Between requests: no transaction open, the connecting user's role, no tenant.
AT_REST = (TransactionStatus.IDLE, True, "")


def session_state():
    """The connection between requests: its transaction status, whether it acts as the connecting user, its tenant."""
    status = connection.connection.info.transaction_status
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user = session_user, current_setting('app.tenant_id', true)")
        as_connecting_user, tenant = cursor.fetchone()
    return status, as_connecting_user, tenant or ""


def test_a_printer_s_read_answers_its_tenant_s_spool(spoolman, spool, other_tenant, make_spool):
    make_spool(other_tenant)

    listed = spoolman.get("spool")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [spool.number]
    assert session_state() == AT_REST


@pytest.mark.parametrize("secret", ["pfk_unknown-key", "not-a-key"])
def test_an_unknown_key_is_a_401_and_leaves_no_role_or_tenant_on_the_connection(secret, spool):
    response = SpoolmanClient(secret).get(f"spool/{spool.number}")

    assert response.status_code == 401
    assert session_state() == AT_REST


def test_a_refused_key_is_a_403_that_writes_nothing_and_leaves_no_role_or_tenant(spoolman, tenant):
    response = spoolman.post("vendor", {"name": "Refused"})

    assert response.status_code == 403, response.content
    assert session_state() == AT_REST
    assert spoolman.get("vendor").json() == []


def test_a_printer_s_request_sends_no_health_check_of_its_own(spoolman, spool, monkeypatch):
    assert spoolman.get(f"spool/{spool.number}").status_code == 200  # the connection is now a reused one
    next_request()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)

    response = spoolman.get(f"spool/{spool.number}")

    assert response.status_code == 200
    assert checks == []


def test_a_printer_s_use_on_a_connection_whose_backend_died_is_answered_from_a_new_connection(spoolman, spool):
    spoolman.client.raise_request_exception = False
    assert spoolman.get(f"spool/{spool.number}").status_code == 200
    dead = pid_of_this_connection()
    terminate_backend(dead)
    next_request()

    response = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2.5})

    assert response.status_code == 200, response.content
    assert response.json()["remaining_weight"] == 997.5
    assert pid_of_this_connection() != dead
