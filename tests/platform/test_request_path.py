"""A token request enters its tenant in one round trip, and a connection lost between requests is replaced.

The middleware reads the token, user, membership and tenant and enters the tenant's row
security in one string of statements inside the request's transaction
(tenants/resolution.py `enter_in_one_round_trip`); Django's health check (a `SELECT 1`
before a reused connection's first query) is folded into it: a connection whose backend
died since the last request fails that round trip, is closed, and the round trip runs again
on a new connection, so the client never sees the restart.
"""

import pytest

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
