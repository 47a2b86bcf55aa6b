"""`reports/variance/` and `reports/cost-per-unit/` against the hand-computed farm (tests/reports/conftest.py).

Completed runs in March: R1 (S1 est 100 / act 112, S3 est 50 / act 45; A x3, B x1), R2 (S2 est 80 /
act 84; A x4), R4 (S1 est 20 / act 22 after a reopen; A x2). R3 failed: in neither report.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from production.services import Completion, ItemOutcome, complete_run
from tests.reports.conftest import MARCH, local
from tests.support.queries import row_security_statements

pytestmark = pytest.mark.django_db
VARIANCE = "/api/v1/reports/variance/"
COST = "/api/v1/reports/cost-per-unit/"
ROW = ("period", "name", "runs", "estimated_g", "actual_g", "variance_g", "variance_percent")


def variance(api, **parameters):
    response = api.get(VARIANCE, {**MARCH, **parameters})
    assert response.status_code == 200, response.json()
    return [tuple(row[field] for field in ROW) for row in response.json()["results"]]


def test_variance_per_material(api, farm):
    # PLA: est 100 + 80 + 20 = 200, act 112 + 84 + 22 = 218. PETG: est 50, act 45.
    assert variance(api, group_by="material") == [
        (None, "PETG HF", 1, "50.00", "45.00", "-5.00", "-10.00"),
        (None, "PLA Basic", 3, "200.00", "218.00", "18.00", "9.00"),
    ]


def test_variance_per_product_shares_a_run_by_units(api, farm):
    # R1 (est 150, act 157) is 3/4 A, 1/4 B: A est 112.5 act 117.75, B est 37.5 act 39.25.
    # A: est 112.5 + 80 + 20 = 212.5, act 117.75 + 84 + 22 = 223.75, +11.25 = 5.29 %. B: +1.75 = 4.67 %.
    assert variance(api) == [
        (None, "Axolotl", 3, "212.50", "223.75", "11.25", "5.29"),
        (None, "Bracket", 1, "37.50", "39.25", "1.75", "4.67"),
    ]


def test_variance_trend_by_week(api, farm):
    # Week of 2 March: A from R1 and R2 (est 192.5, act 201.75); week of 9 March: A from R4 (R4's first,
    # reversed completion on 4 March counts nowhere: the run's end is now 10 March).
    assert variance(api, group_by="product", period="week") == [
        ("2026-03-02", "Axolotl", 2, "192.50", "201.75", "9.25", "4.81"),
        ("2026-03-02", "Bracket", 1, "37.50", "39.25", "1.75", "4.67"),
        ("2026-03-09", "Axolotl", 1, "20.00", "22.00", "2.00", "10.00"),
    ]


def test_variance_counts_runs_by_their_local_end_day(api, farm):
    # 3 March in Berlin holds R2 only (it ended 00:30 there, 2 March in UTC).
    assert variance(api, group_by="material", start="2026-03-03", end="2026-03-03") == [
        (None, "PLA Basic", 1, "80.00", "84.00", "4.00", "5.00")
    ]


def test_cost_per_unit(api, farm):
    # A: R1 cost 4.15 x 3/4 = 3.1125, R2 1.68, R4 0.55: 5.3425 over 2 + 4 + 2 = 8 successful units = 0.6678.
    # B: R1 4.15 x 1/4 = 1.0375 over 1 unit. R3 (failed, B) is not a completed run.
    response = api.get(COST, MARCH)

    assert response.status_code == 200, response.json()
    assert [{k: v for k, v in row.items() if k != "id"} for row in response.json()["results"]] == [
        {
            "sku": "A",
            "name": "Axolotl",
            "runs": 3,
            "successful_units": 8,
            "failed_units": 1,
            "material_g": "223.75",
            "material_cost": "5.34",
            "unpriced_g": "0.00",
            "cost_per_unit": "0.67",
        },
        {
            "sku": "B",
            "name": "Bracket",
            "runs": 1,
            "successful_units": 1,
            "failed_units": 0,
            "material_g": "39.25",
            "material_cost": "1.04",
            "unpriced_g": "0.00",
            "cost_per_unit": "1.04",
        },
    ]


def test_cost_per_unit_is_null_without_successful_units(api, farm, tenant, make_run, make_spool):
    run = make_run(tenant, started_at=local(20), items=[{"product": farm.b, "quantity": 2}])
    item = run.items.get()
    complete_run(
        run=run,
        user=None,
        completion=Completion(
            completed_at=local(20, 14),
            use_estimates=True,
            items=(ItemOutcome(id=item.pk, successful_quantity=0, failed_quantity=2),),
        ),
    )

    (row,) = api.get(COST, {"start": "2026-03-20", "end": "2026-03-20"}).json()["results"]

    assert (row["sku"], row["successful_units"], row["material_cost"], row["cost_per_unit"]) == ("B", 0, "2.50", None)


def test_cost_per_unit_reports_grams_from_spools_without_a_price(api, farm, tenant, make_run, make_spool):
    unpriced = make_spool(tenant, code="NOPRICE", purchase_price=None)
    run = make_run(
        tenant,
        started_at=local(21),
        items=[{"product": farm.a, "quantity": 5}],
        materials=[
            {"spool": unpriced, "estimated_model_g": 30},
            {"spool": farm.spools["S2"], "estimated_model_g": 20},
        ],
    )
    complete_run(run=run, user=None, completion=Completion(completed_at=local(21, 14), use_estimates=True))

    (row,) = api.get(COST, {"start": "2026-03-21", "end": "2026-03-21"}).json()["results"]

    # 20 g x 0.0200 = 0.40 over 5 units; the 30 g without a price are counted apart.
    assert (row["material_g"], row["material_cost"], row["unpriced_g"], row["cost_per_unit"]) == (
        "50.00",
        "0.40",
        "30.00",
        "0.08",
    )


@pytest.mark.parametrize("url", [VARIANCE, COST])
def test_each_report_is_one_query(api, farm, url):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, {**MARCH, "period": "week"})

    assert response.status_code == 200
    # The member's tenant membership, then the report.
    assert len(queries) == 2 + row_security_statements(), [q["sql"] for q in queries]


@pytest.mark.parametrize("url", [VARIANCE, COST])
def test_a_viewer_may_read_them(viewer_api, farm, url):
    assert viewer_api.get(url, MARCH).status_code == 200


def test_another_tenants_runs_never_appear(api, other_api, farm):
    theirs = other_api.get(VARIANCE, {**MARCH, "group_by": "material"}).json()["results"]
    ours_cost = api.get(COST, MARCH).json()["results"]
    theirs_cost = other_api.get(COST, MARCH).json()["results"]

    assert [(row["estimated_g"], row["runs"]) for row in theirs] == [("70.00", 1)]
    assert sum(row["runs"] for row in ours_cost) == 4  # A in R1, R2, R4; B in R1
    assert [(row["sku"], row["material_g"]) for row in theirs_cost] == [("A", "70.00")]


@pytest.mark.parametrize(
    ("url", "parameters", "named"),
    [
        (VARIANCE, {"group_by": "printer"}, "group_by"),
        (VARIANCE, {"period": "quarter"}, "period"),
        (COST, {"start": "yesterday"}, "start"),
        (COST, {"start": "2026-03-02", "end": "2026-03-01"}, "start"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, farm, url, parameters, named):
    response = api.get(url, parameters)

    assert response.status_code == 400
    assert list(response.json()) == [named]
