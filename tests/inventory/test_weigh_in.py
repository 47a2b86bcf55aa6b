"""`POST spools/{id}/measure/`: a weigh-in, booked as an `adjustment` row with the reason `weigh-in`."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event
from inventory.models import InventoryTransaction
from tests.inventory.test_adjust_statements import ADJUST_QUERIES
from tests.support.clients import post_form
from tests.support.ledger import assert_ledger_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(
        tenant, code="PLA-RED-001", initial_weight_g=Decimal("1000.00"), empty_spool_weight_g=Decimal("250.00")
    )


def measure(api, spool, gross):
    return api.post(f"/api/v1/spools/{spool.pk}/measure/", {"gross_weight_g": gross}, format="json")


def test_a_member_weighs_a_spool_in_and_the_ledger_books_the_difference(api, member, spool):
    response = measure(api, spool, "1100.40")

    assert response.status_code == 200, response.content
    assert response.json()["current_weight_g"] == "850.40"
    row = InventoryTransaction.objects.filter(spool=spool).latest("sequence")
    assert (row.type, row.description, row.user) == ("adjustment", "weigh-in", member)
    assert (row.weight_before_g, row.weight_change_g, row.weight_after_g) == (
        Decimal("1000.00"),
        Decimal("-149.60"),
        Decimal("850.40"),
    )
    assert_ledger_balances(spool)
    event = Event.objects.filter(type="spool.adjusted", resource_id=spool.pk).get()
    assert event.payload["current_weight_g"] == "850.40"


def test_a_weigh_in_costs_what_an_adjustment_costs(api, spool):
    with CaptureQueriesContext(connection) as captured:
        response = measure(api, spool, "900")

    assert response.status_code == 200, response.content
    assert len(captured.captured_queries) == ADJUST_QUERIES, [query["sql"] for query in captured.captured_queries]


def test_a_viewer_may_not_weigh_in(viewer_api, spool):
    response = measure(viewer_api, spool, "900")

    assert response.status_code == 403
    assert InventoryTransaction.objects.filter(spool=spool).count() == 1


def test_manual_adjustment_stays_with_admins_and_owners(api, manager_api, spool):
    body = {"type": "count", "new_weight_g": "800"}

    assert api.post(f"/api/v1/spools/{spool.pk}/adjust/", body, format="json").status_code == 403
    assert manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", body, format="json").status_code == 200


def test_a_spool_without_an_empty_weight_cannot_be_weighed_in(api, tenant, make_spool):
    spool = make_spool(tenant)

    response = measure(api, spool, "900")

    assert response.status_code == 400
    assert response.json()["code"] == "no_empty_weight"
    assert InventoryTransaction.objects.filter(spool=spool).count() == 1


@pytest.mark.parametrize("gross", ["249.99", "-1", "abc", ""])
def test_a_gross_weight_below_the_empty_reel_or_not_a_number_is_a_400_and_writes_nothing(api, spool, gross):
    response = measure(api, spool, gross)

    assert response.status_code == 400
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")
    assert InventoryTransaction.objects.filter(spool=spool).count() == 1


def test_another_tenants_spool_is_a_404(other_api, spool):
    assert measure(other_api, spool, "900").status_code == 404


def test_the_browsable_measure_page_has_its_form_for_a_member(member_browser, spool):
    response = member_browser.get(f"/api/v1/spools/{spool.pk}/measure/?tenant=acme", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert 'name="gross_weight_g"' in post_form(response)
