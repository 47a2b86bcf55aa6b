"""`?format=csv` on every list: the whole filtered, ordered result, streamed, as flat columns."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.api.exports import CSVExportMixin
from production.models import ProductionRun

pytestmark = pytest.mark.django_db

SPOOLS = "/api/v1/spools/"
RUNS = "/api/v1/production-runs/"


def rows_of(response):
    """The CSV's rows as dicts (the header row gives the keys), read from the streamed body."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def header_of(response):
    return b"".join(response.streaming_content).decode().splitlines()[0].split(",")


@pytest.fixture
def run(tenant, make_run, make_product, make_spool, make_printer):
    return make_run(
        tenant,
        printer=make_printer(tenant, name="Prusa A"),
        items=[
            {"product": make_product(tenant, sku="MUG-1", name="Mug"), "quantity": 2},
            {"product": make_product(tenant, sku="CUP-1", name="Cup"), "quantity": 3},
        ],
        materials=[{"spool": make_spool(tenant, code="PLA-9"), "estimated_model_g": Decimal("12.50")}],
    )


@pytest.mark.parametrize(
    "path, column",
    [
        ("/api/v1/materials/", "name"),
        (SPOOLS, "code"),
        ("/api/v1/products/", "sku"),
        ("/api/v1/printers/", "name"),
        ("/api/v1/inventory-transactions/", "spool_code"),
        (RUNS, "run_number"),
        ("{run}items/", "product_sku"),
        ("{run}materials/", "spool_code"),
        ("{run}history/", "action"),
    ],
)
def test_every_list_exports_csv_with_a_header_row_and_a_filename(api, run, path, column):
    path = path.format(run=f"{RUNS}{run.pk}/")

    response = api.get(path, {"format": "csv"})

    assert response["Content-Disposition"].startswith('attachment; filename="acme-')
    assert response["Content-Disposition"].endswith(f'-{timezone.localdate().isoformat()}.csv"')
    rows = rows_of(response)
    assert rows and column in rows[0]


def test_a_spool_row_has_the_list_columns_and_values(api, tenant, make_spool, make_material):
    make_spool(tenant, code="PLA-001", material=make_material(tenant, name="Galaxy Black"), location="Shelf, A")

    response = api.get(SPOOLS, {"format": "csv"})

    assert 'filename="acme-spools-' in response["Content-Disposition"]
    [row] = rows_of(response)
    assert row["code"] == "PLA-001"
    assert row["material_name"] == "Galaxy Black"
    assert row["current_weight_g"] == "1000.00"
    assert row["location"] == "Shelf, A"  # quoted by the CSV writer, read back whole
    assert row["is_active"] == "true"


def test_a_run_row_summarises_its_items_and_materials_in_flat_columns(api, run):
    [row] = rows_of(api.get(RUNS, {"format": "csv"}))

    assert row["run_number"] == run.run_number
    assert row["printer_name"] == "Prusa A"
    assert row["items"] == "MUG-1 x2; CUP-1 x3"
    assert row["materials"] == "PLA-9 12.50 g"
    assert row["items_summary"] == "2 products"
    assert row["estimated_total_g"] == "12.50"
    assert all("{" not in value and "[" not in value for value in row.values())


def test_filters_and_ordering_are_honoured(api, tenant, make_spool):
    for code in ("B-1", "A-1", "C-1"):
        make_spool(tenant, code=code)
    make_spool(tenant, code="OFF-1", is_active=False)

    rows = rows_of(api.get(SPOOLS, {"format": "csv", "is_active": "true", "ordering": "-code"}))

    assert [row["code"] for row in rows] == ["C-1", "B-1", "A-1"]


def test_the_whole_result_is_exported_not_one_page(api, tenant, make_spool, monkeypatch):
    monkeypatch.setattr(CSVExportMixin, "csv_chunk_size", 7)  # several chunks, the last one partial
    for n in range(45):
        make_spool(tenant, code=f"SP-{n:03d}")

    rows = rows_of(api.get(SPOOLS, {"format": "csv", "page_size": 10, "page": 2}))

    assert [row["code"] for row in rows] == [f"SP-{n:03d}" for n in range(45)]


def test_another_tenants_rows_are_absent(api, tenant, other_tenant, make_spool):
    make_spool(tenant, code="OURS")
    make_spool(other_tenant, code="THEIRS")

    rows = rows_of(api.get(SPOOLS, {"format": "csv"}))

    assert [row["code"] for row in rows] == ["OURS"]


def test_viewers_may_export(viewer_api, tenant, make_spool):
    make_spool(tenant, code="SP-1")

    assert [row["code"] for row in rows_of(viewer_api.get(SPOOLS, {"format": "csv"}))] == ["SP-1"]


def test_accept_text_csv_selects_the_csv_too(api, tenant, make_spool):
    make_spool(tenant, code="SP-1")

    assert [row["code"] for row in rows_of(api.get(SPOOLS, HTTP_ACCEPT="text/csv"))] == ["SP-1"]


def test_an_empty_list_exports_its_header_row(api):
    response = api.get(SPOOLS, {"format": "csv"})

    assert "code" in header_of(response)


def test_a_bad_filter_is_a_json_400(api):
    response = api.get(SPOOLS, {"format": "csv", "is_active": "maybe"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "is_active" in response.json()


def test_a_detail_has_no_csv(api, tenant, make_spool):
    spool = make_spool(tenant)

    assert api.get(f"{SPOOLS}{spool.pk}/", {"format": "csv"}).status_code == 404


def test_json_and_the_browsable_api_are_unchanged(api, tenant, make_spool):
    make_spool(tenant)

    assert api.get(SPOOLS).json()["count"] == 1
    page = api.get(SPOOLS, {"format": "api"})
    assert page.status_code == 200
    assert b"?format=csv" in page.content  # the format menu offers the export


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(api, tenant, make_spool, make_material):
    make_spool(tenant, code="=HYPERLINK(1)", material=make_material(tenant, name="@SUM(A1)"))

    [row] = rows_of(api.get(SPOOLS, {"format": "csv"}))

    assert row["code"] == "'=HYPERLINK(1)"
    assert row["material_name"] == "'@SUM(A1)"


def test_each_chunk_costs_the_same_queries(api, tenant, make_run, make_product, make_spool, monkeypatch):
    monkeypatch.setattr(CSVExportMixin, "csv_chunk_size", 5)
    product, spool = make_product(tenant), make_spool(tenant, initial_weight_g=Decimal("10000.00"))

    def export_queries(runs):
        while ProductionRun.objects.count() < runs:
            make_run(
                tenant,
                items=[{"product": product, "quantity": 1}],
                materials=[{"spool": spool, "estimated_model_g": Decimal("1.00")}],
            )
        with CaptureQueriesContext(connection) as captured:
            rows = rows_of(api.get(RUNS, {"format": "csv"}))
        assert len(rows) == runs
        return len(captured)

    one_chunk, two_chunks, three_chunks = export_queries(4), export_queries(9), export_queries(14)

    # Each chunk prefetches the runs' items and materials (2 queries); the rest is fixed.
    assert three_chunks - two_chunks == two_chunks - one_chunk == 2
