"""A token request enters its tenant in one round trip, and a connection lost between requests is replaced.

The middleware reads the token, user, membership and tenant and enters the tenant's row
security in one string of statements inside the request's transaction
(tenants/resolution.py `enter_in_one_round_trip`); Django's health check (a `SELECT 1`
before a reused connection's first query) is folded into it: a connection whose backend
died since the last request fails that round trip, is closed, and the round trip runs again
on a new connection, so the client never sees the restart. The lookup is a statement
prepared once per database session, so PostgreSQL does not plan its join for every request.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import postgres_only
from tests.support.clients import token_client
from tests.support.faults import next_request, pid_of_this_connection, terminate_backend

SPOOLS = "/api/v1/spools/"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_token_request_on_a_connection_whose_backend_died_is_answered_from_a_new_connection(
    member, tenant, make_spool
):
    make_spool(tenant, code="S1")
    client = token_client(member, tenant)
    client.raise_request_exception = False
    assert client.get(SPOOLS).status_code == 200
    dead = pid_of_this_connection()
    terminate_backend(dead)
    next_request()

    response = client.get(SPOOLS)

    assert response.status_code == 200, response.content
    assert [spool["code"] for spool in response.json()["results"]] == ["S1"]
    assert pid_of_this_connection() != dead


def prepared_lookups():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE %s", ["printfarm_token_lookup%"])
        return sorted(name for (name,) in cursor.fetchall())


@postgres_only
@pytest.mark.django_db
def test_the_token_lookup_is_planned_once_per_database_session_not_per_request(
    member, tenant, other_tenant, make_member, make_spool
):
    make_spool(tenant, code="S1")
    client = token_client(member, tenant)
    assert client.get(SPOOLS).status_code == 200
    # A lookup that decides nothing rolls its transaction back: the prepared statement stays.
    assert token_client(member, other_tenant).get(SPOOLS).status_code == 403

    with CaptureQueriesContext(connection) as captured:
        response = client.get(SPOOLS)

    assert response.status_code == 200
    assert [spool["code"] for spool in response.json()["results"]] == ["S1"]
    statements = " ".join(query["sql"] for query in captured)
    assert "EXECUTE printfarm_token_lookup_by_slug(" in statements
    assert "PREPARE" not in statements
    assert "printfarm_token_lookup_by_slug" in prepared_lookups()
    # Without a named tenant: the lookup of the user's only membership, prepared beside it.
    assert token_client(member).get(SPOOLS).status_code == 200
    assert {"printfarm_token_lookup_by_slug", "printfarm_token_lookup_only"} <= set(prepared_lookups())
