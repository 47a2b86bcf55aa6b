"""List endpoints cost a fixed number of queries, whatever the number of rows on the page.

Each list is read at 1 row and at 50 rows whose related records are all distinct (another material per
spool, another spool, user and run per ledger row), so any per-row lookup would show as extra queries.
The counts with a member's forced authentication: tenant membership, count, page; plus, on
PostgreSQL, the request's row-security transaction (tests/support/queries.py).
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.services import Adjustment, adjust_spool
from production.services import Completion, complete_run, reopen_run
from tests.support.queries import row_security_statements

QUERIES = {
    "/api/v1/materials/": 3 + row_security_statements(),
    "/api/v1/spools/": 3 + row_security_statements(),
    "/api/v1/inventory-transactions/": 3 + row_security_statements(),
    "/api/v1/products/": 3 + row_security_statements(),
    "/api/v1/printers/": 3 + row_security_statements(),
}


@pytest.fixture
def grow(make_material, make_spool, make_product, make_printer, make_member, make_run):
    """Per list URL: add rows to `tenant` until the list holds `n`."""
    counter = iter(range(1, 10_000))

    def materials(tenant, n):
        for _ in range(n):
            make_material(tenant, name=f"M{next(counter)}")

    def spools(tenant, n):
        for _ in range(n):
            make_spool(tenant, make_material(tenant, name=f"M{next(counter)}"))

    def ledger(tenant, n):
        """Rows on distinct spools by distinct users, with usage rows of runs and reversals among them."""
        while n > 0:
            user = make_member(tenant, "admin", f"user-{next(counter)}")
            spool = make_spool(tenant, user=user)  # its purchase row
            n -= 1
            if n >= 3:
                run = make_run(tenant, user=user, materials=[{"spool": spool, "estimated_model_g": Decimal("5")}])
                complete_run(
                    run=run, user=user, completion=Completion.from_data({"use_estimates": True})
                )  # a usage row
                reopen_run(run=run, user=user)  # a reversal row pointing back at it
                adjust_spool(spool=spool, user=user, adjustment=Adjustment(type="count", new_weight_g=Decimal("900")))
                n -= 3

    def products(tenant, n):
        for _ in range(n):
            make_product(tenant)

    def printers(tenant, n):
        for _ in range(n):
            make_printer(tenant)

    return {
        "/api/v1/materials/": materials,
        "/api/v1/spools/": spools,
        "/api/v1/inventory-transactions/": ledger,
        "/api/v1/products/": products,
        "/api/v1/printers/": printers,
    }


def read(api, url):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, {"page_size": 100})
    assert response.status_code == 200
    return response.json(), len(queries)


@pytest.mark.parametrize("url", list(QUERIES))
def test_list_costs_a_fixed_number_of_queries(api, tenant, grow, url, django_assert_num_queries):
    grow[url](tenant, 1)
    with django_assert_num_queries(QUERIES[url]):
        body, at_one = read(api, url)
    assert body["count"] == 1

    grow[url](tenant, 49)
    with django_assert_num_queries(QUERIES[url]):
        body, at_fifty = read(api, url)
    assert body["count"] == len(body["results"]) == 50

    assert at_one == at_fifty
