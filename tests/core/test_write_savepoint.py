"""A REST write's own savepoint (core.api.writes `needs_savepoint`).

On PostgreSQL a JSON write runs in the request's row-security transaction, opened for it alone,
with no savepoint of its own: a refusal marks that transaction for rollback, which its end does,
and its JSON answer runs no query. The browsable API's page of a refusal renders forms that
query, so an HTML answer keeps the savepoint. Either way a refused write leaves nothing behind.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict
from inventory import services
from inventory.models import InventoryTransaction, Spool
from tests.conftest import postgres_only

pytestmark = pytest.mark.django_db

REFUSAL = "Refused after the ledger row and the weight were written."


@pytest.fixture
def refused_after_writing(monkeypatch):
    """`adjust/` refused once its ledger row and the spool's new weight are written (its events step raises)."""

    def refuse(*args, **kwargs):
        raise Conflict(REFUSAL)

    monkeypatch.setattr(services, "spool_events", refuse)


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant)


def adjust(api, spool, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = api.post(
            f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "900"}, format="json", **headers
        )
    return response, [query["sql"] for query in captured.captured_queries]


def savepoints(statements):
    return [sql for sql in statements if sql.startswith("SAVEPOINT")]


def test_a_refused_json_write_is_its_json_error_and_leaves_nothing_written(manager_api, spool, refused_after_writing):
    response, _ = adjust(manager_api, spool)

    assert response.status_code == 409, response.content
    assert response.json() == {"detail": REFUSAL, "code": "conflict"}
    assert Spool.objects.get(pk=spool.pk).current_weight_g == Decimal("1000.00")
    assert not InventoryTransaction.objects.filter(spool=spool, weight_change_g=Decimal("-100.00")).exists()


def test_a_refused_write_on_the_browsable_api_renders_its_page_and_leaves_nothing_written(
    manager_api, spool, refused_after_writing
):
    response, _ = adjust(manager_api, spool, HTTP_ACCEPT="text/html")

    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert REFUSAL in response.content.decode()
    assert Spool.objects.get(pk=spool.pk).current_weight_g == Decimal("1000.00")
    assert not InventoryTransaction.objects.filter(spool=spool, weight_change_g=Decimal("-100.00")).exists()


@postgres_only
def test_a_json_write_has_no_savepoint_of_its_own_and_an_html_one_keeps_it(manager_api, spool):
    _, json_statements = adjust(manager_api, spool)
    _, html_statements = adjust(manager_api, spool, HTTP_ACCEPT="text/html")

    # Under the test's transaction the request's own transaction is a savepoint too: one for JSON, two for HTML.
    assert len(savepoints(json_statements)) == 1, json_statements
    assert len(savepoints(html_statements)) == 2, html_statements
