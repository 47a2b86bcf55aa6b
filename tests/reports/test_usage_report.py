"""`GET /api/v1/reports/usage/` against the hand-computed farm of tests/reports/conftest.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import MARCH
from tests.support.queries import row_security_statements

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/usage/"


def rows(api, **parameters):
    response = api.get(URL, {**MARCH, **parameters})
    assert response.status_code == 200, response.json()
    return [(r["period"], r["name"], r["grams"], r["cost"], r["unpriced_g"]) for r in response.json()["results"]]


def test_usage_by_material(api, farm):
    # PLA: R1 112 (2.80) + R2 84 (1.68) + R4 22 (0.55; its reversed 25 g not at all) + waste 10 (0.20).
    # PETG: R1 45 (1.35) + R3 30 waste, unpriced.
    assert rows(api, group_by="material") == [
        (None, "PETG HF", "75.00", "1.35", "30.00"),
        (None, "PLA Basic", "228.00", "5.23", "0.00"),
    ]


def test_usage_by_spool(api, farm):
    assert rows(api, group_by="spool") == [
        (None, "S1", "134.00", "3.35", "0.00"),
        (None, "S2", "94.00", "1.88", "0.00"),
        (None, "S3", "45.00", "1.35", "0.00"),
        (None, "S4", "30.00", "0.00", "30.00"),
    ]


def test_usage_by_printer_puts_runs_without_one_and_manual_waste_in_a_null_row(api, farm):
    # P1: R1 157 (4.15) + R3 30 (unpriced) + R4 22 (0.55). None: R2 84 (1.68) + waste 10 (0.20).
    assert rows(api, group_by="printer") == [
        (None, "P1", "209.00", "4.70", "30.00"),
        (None, None, "94.00", "1.88", "0.00"),
    ]


def test_usage_by_product_shares_a_run_by_units(api, farm):
    # R1 (157 g, 4.15) is 3/4 A and 1/4 B: A 117.75 g, 3.1125; B 39.25 g, 1.0375.
    # A: 117.75 + R2 84 + R4 22 = 223.75 g, 3.1125 + 1.68 + 0.55 = 5.3425. B: 39.25 + R3 30 (unpriced).
    assert rows(api, group_by="product") == [
        (None, "Axolotl", "223.75", "5.34", "0.00"),
        (None, "Bracket", "69.25", "1.04", "30.00"),
        (None, None, "10.00", "0.20", "0.00"),
    ]


def test_usage_by_day_in_the_tenants_zone(api, farm):
    # R2 ended 00:30 on 3 March in Berlin (still 2 March in UTC): its day is 3 March.
    assert rows(api, group_by="material", period="day") == [
        ("2026-03-02", "PETG HF", "45.00", "1.35", "0.00"),
        ("2026-03-02", "PLA Basic", "112.00", "2.80", "0.00"),
        ("2026-03-03", "PLA Basic", "84.00", "1.68", "0.00"),
        ("2026-03-05", "PETG HF", "30.00", "0.00", "30.00"),
        ("2026-03-06", "PLA Basic", "10.00", "0.20", "0.00"),
        ("2026-03-10", "PLA Basic", "22.00", "0.55", "0.00"),
    ]


def test_usage_by_week_starts_on_monday(api, farm):
    assert rows(api, group_by="material", period="week") == [
        ("2026-03-02", "PETG HF", "75.00", "1.35", "30.00"),
        ("2026-03-02", "PLA Basic", "206.00", "4.68", "0.00"),
        ("2026-03-09", "PLA Basic", "22.00", "0.55", "0.00"),
    ]


def test_usage_by_month(api, farm):
    assert rows(api, group_by="spool", period="month")[0] == ("2026-03-01", "S1", "134.00", "3.35", "0.00")


def test_usage_date_bounds_are_inclusive_local_days(api, farm):
    # 3 March (R2, in Berlin) to 5 March (R3).
    assert rows(api, group_by="material", start="2026-03-03", end="2026-03-05") == [
        (None, "PETG HF", "30.00", "0.00", "30.00"),
        (None, "PLA Basic", "84.00", "1.68", "0.00"),
    ]


def test_usage_echoes_its_parameters(api, farm):
    body = api.get(URL, {**MARCH, "group_by": "spool", "period": "week"}).json()

    assert {k: v for k, v in body.items() if k != "results"} == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "time_zone": "Europe/Berlin",
        "group_by": "spool",
        "period": "week",
    }


def test_usage_defaults_to_the_last_30_days_by_material(api, farm):
    body = api.get(URL).json()

    assert body["group_by"] == "material"
    assert body["period"] is None
    assert body["results"] == []  # the farm's March is long gone


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"period": "year"}, "period"),
        ({"start": "March"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "start"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, farm, parameters, named):
    response = api.get(URL, parameters)

    assert response.status_code == 400
    assert list(response.json()) == [named]


def test_usage_is_one_query(api, farm):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL, {**MARCH, "group_by": "product", "period": "week"})

    assert response.status_code == 200
    # The member's tenant membership, then the report.
    assert len(queries) == 2 + row_security_statements(), [q["sql"] for q in queries]


def test_a_viewer_may_read_it(viewer_api, farm):
    assert viewer_api.get(URL, MARCH).status_code == 200


def test_another_tenants_rows_never_appear(api, other_api, farm):
    theirs = other_api.get(URL, {**MARCH, "group_by": "spool"}).json()["results"]
    ours = {row[1] for group_by in ("spool", "product") for row in rows(api, group_by=group_by)}

    assert [(row["name"], row["grams"]) for row in theirs] == [("FOREIGN", "70.00")]
    assert ours == {"S1", "S2", "S3", "S4", "Axolotl", "Bracket", None}


def test_writes_are_405(api, farm):
    assert api.post(URL, {}, format="json").status_code == 405
