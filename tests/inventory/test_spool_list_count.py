"""The spool list's `count`: the rows its pages hold, for every filter, counted on the bare spools.

The JSON list is filtered and counted without the page's columns and subqueries, which are read
for the page alone (inventory.views.SpoolViewSet.page_queryset). Another tenant holds the same
spools (codes, numbers, shelves, kinds), so a count that left the tenant's scope would show.
"""

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.services import Adjustment, adjust_spool
from production.services.slots import SlotLoad, load_slot
from tests.support.pages import walk
from tests.support.queries import count_statements

URL = "/api/v1/spools/"


@pytest.fixture
def stock(tenant, other_tenant, make_material, make_spool, make_printer, make_run):
    """Seven spools of each tenant: PLA and PETG on shelves A and B, an inactive one, two low ones (below 20 %),
    one loaded in a slot and one reserved by a planned run. Numbered 1 to 7 in each tenant."""

    def shelve(owner):
        pla = make_material(owner, name="PLA Basic", kind="PLA", color_name="Red")
        petg = make_material(owner, name="PETG HF", kind="PETG", color_name="Black")
        spools = {
            "PLA-RED-1": make_spool(owner, pla, code="PLA-RED-1", location="Shelf A"),
            "PLA-RED-2": make_spool(owner, pla, code="PLA-RED-2", location="Shelf A"),
            "PLA-RED-3": make_spool(owner, pla, code="PLA-RED-3", location="Shelf B", is_active=False),
            "PETG-BLK-1": make_spool(owner, petg, code="PETG-BLK-1", location="Shelf B"),
            "PETG-BLK-2": make_spool(owner, petg, code="PETG-BLK-2", location="Shelf B"),
            "PETG-BLK-3": make_spool(owner, petg, code="PETG-BLK-3", location="Shelf A"),
            "PETG-BLK-4": make_spool(owner, petg, code="PETG-BLK-4", location="Shelf A"),
        }
        low = Adjustment(type="count", new_weight_g=Decimal("150"))
        for code in ("PLA-RED-2", "PETG-BLK-2"):
            adjust_spool(spool=spools[code], user=None, adjustment=low)
        load_slot(printer=make_printer(owner), user=None, load=SlotLoad(slot=0, spool=spools["PLA-RED-1"]))
        make_run(
            owner, status="planned", materials=[{"spool": spools["PETG-BLK-1"], "estimated_model_g": Decimal("40")}]
        )
        return {"pla": pla, **spools}

    shelve(other_tenant)
    return shelve(tenant)


ALL = ["PETG-BLK-1", "PETG-BLK-2", "PETG-BLK-3", "PETG-BLK-4", "PLA-RED-1", "PLA-RED-2", "PLA-RED-3"]
FILTERS = [
    ({}, ALL),
    ({"material": "pla"}, ["PLA-RED-1", "PLA-RED-2", "PLA-RED-3"]),
    ({"kind": "PETG"}, ["PETG-BLK-1", "PETG-BLK-2", "PETG-BLK-3", "PETG-BLK-4"]),
    ({"is_active": "false"}, ["PLA-RED-3"]),
    ({"location": "shelf b"}, ["PETG-BLK-1", "PETG-BLK-2", "PLA-RED-3"]),
    ({"low_stock": "true"}, ["PETG-BLK-2", "PLA-RED-2"]),
    ({"low_stock": "false"}, ["PETG-BLK-1", "PETG-BLK-3", "PETG-BLK-4", "PLA-RED-1", "PLA-RED-3"]),
    ({"search": "red"}, ["PLA-RED-1", "PLA-RED-2", "PLA-RED-3"]),  # code and colour
    ({"search": "hf"}, ["PETG-BLK-1", "PETG-BLK-2", "PETG-BLK-3", "PETG-BLK-4"]),  # material name
    ({"number": 2}, ["PLA-RED-2"]),
    ({"kind": "PETG", "location": "shelf a", "low_stock": "false", "is_active": "true"}, ["PETG-BLK-3", "PETG-BLK-4"]),
]


def listed(api, params, page_size=2):
    """Every page of the list by page number: (the `count` of each page, the codes of all their rows)."""
    pages = [page.json() for page in walk(api, URL, {**params, "page_size": page_size})]
    return [page["count"] for page in pages], [row["code"] for page in pages for row in page["results"]]


@pytest.mark.parametrize(("params", "codes"), FILTERS, ids=[urlencode(params) or "unfiltered" for params, _ in FILTERS])
def test_each_filters_count_is_the_rows_of_its_pages(api, stock, params, codes):
    if "material" in params:
        params = {**params, "material": stock[params["material"]].pk}

    counts, rows = listed(api, params)

    assert sorted(rows) == codes
    assert set(counts) == {len(codes)}


@pytest.mark.parametrize(
    ("ordering", "codes"),
    [
        ("-code", ["PLA-RED-2", "PLA-RED-1", "PETG-BLK-4", "PETG-BLK-3", "PETG-BLK-2", "PETG-BLK-1"]),
        ("-number", ["PETG-BLK-4", "PETG-BLK-3", "PETG-BLK-2", "PETG-BLK-1", "PLA-RED-2", "PLA-RED-1"]),
    ],
)  # orders of unique values: a page number's order has no tie-break
def test_an_ordered_and_filtered_lists_count_is_the_rows_of_its_pages(api, stock, ordering, codes):
    counts, rows = listed(api, {"ordering": ordering, "is_active": "true"})

    assert rows == codes
    assert set(counts) == {len(codes)}


def test_the_count_reads_the_bare_spools_not_the_pages_columns(api, stock):
    with CaptureQueriesContext(connection) as captured:
        body = api.get(URL, {"page_size": 3}).json()

    (count,) = count_statements(captured)
    assert body["count"] == 7
    first = body["results"][0]  # the page itself still reads for_floor's columns
    assert (first["code"], first["reserved_g"]) == ("PETG-BLK-1", "40.00")
    # The page joins the material and selects four subqueries (reservations, slot); its count needs neither.
    assert count.count("SELECT") == 1
    assert "inventory_material" not in count
    assert "production_" not in count
