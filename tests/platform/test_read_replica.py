"""The optional read replica (core/routers.py), proven against a TEST MIRROR of the primary (tests/settings.py)."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.routers import ReplicaRouter, replica_reads
from inventory.models import Spool
from tenants.models import Membership

# Committed data: the mirror is another connection, which sees no uncommitted test transaction.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA_ALIAS = "replica"


@pytest.fixture
def client(member, tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=member)[1]}", HTTP_X_TENANT="acme")
    return client


def sql_of(captured):
    return " ".join(query["sql"] for query in captured)


def test_a_get_reads_business_rows_from_the_replica_and_the_token_from_the_primary(replica, client, tenant, make_spool):
    make_spool(tenant, code="R1")

    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/api/v1/spools/")

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["R1"]
    assert "inventory_spool" in sql_of(on_replica) and "inventory_spool" not in sql_of(on_primary)
    assert "knox_authtoken" in sql_of(on_primary) and "knox_authtoken" not in sql_of(on_replica)
    if connections["replica"].vendor == "postgresql":  # the second wall holds on the replica too
        assert "set_config('role'" in sql_of(on_replica)


def test_a_write_and_its_reads_stay_on_the_primary(replica, client, tenant, make_spool, make_member):
    spool = make_spool(tenant, code="W1")
    Membership.objects.filter(tenant=tenant).update(role="admin")

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "adjustment", "delta_g": "-1.00"})

    assert response.status_code == 200, response.content
    assert response.json()["current_weight_g"] == "999.00"
    assert on_replica.captured_queries == []


def test_without_a_replica_every_read_uses_the_primary(client, tenant, make_spool):
    make_spool(tenant, code="P1")

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get("/api/v1/spools/").status_code == 200

    assert on_replica.captured_queries == []


def test_the_router_keeps_reads_inside_a_transaction_of_the_primary_there(replica):
    from django.db import transaction

    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Spool) == "replica"
        assert router.db_for_read(Membership) == "default"
        assert router.db_for_write(Spool) == "default"
        with transaction.atomic():
            assert router.db_for_read(Spool) == "default"
    assert router.db_for_read(Spool) == "default"
