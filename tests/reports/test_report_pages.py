"""The reports in the browser and from the API root (issue 21): an index, each report as a table with its form."""

from decimal import Decimal

import pytest

from production.services import Completion, complete_run
from tests.support.html import tables

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def test_the_api_root_lists_the_reports_index(api):
    root = api.get("/api/v1/").json()

    assert root["reports"] == "http://testserver/api/v1/reports/"


def test_the_reports_index_lists_every_report_with_its_parameters(api):
    response = api.get("/api/v1/reports/")

    assert response.status_code == 200
    by_name = {entry["name"]: entry for entry in response.json()["results"]}
    assert list(by_name) == ["usage", "variance", "cost-per-unit", "low-stock"]
    assert by_name["usage"]["url"] == "http://testserver/api/v1/reports/usage/"
    assert by_name["usage"]["parameters"] == ["start", "end", "group_by", "period"]
    assert by_name["low-stock"]["parameters"] == []
    assert all(entry["description"] and entry["title"] for entry in by_name.values())
    for entry in by_name.values():
        assert api.get(entry["url"]).status_code == 200


def test_viewers_read_the_index(viewer_api):
    assert viewer_api.get("/api/v1/reports/").status_code == 200


def test_the_index_is_in_the_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert "get" in schema["paths"]["/api/v1/reports/"]


def test_the_index_page_is_a_table_of_links(member_browser):
    [table] = tables(member_browser.get("/api/v1/reports/", **HTML))

    assert table["headers"] == ["Report", "What it tells", "Parameters"]
    assert [row[0] for row in table["rows"]] == ["Usage", "Variance", "Cost per unit", "Low stock"]


@pytest.fixture
def used(tenant, member, make_run, make_material, make_spool):
    red = make_material(tenant, name="PLA Basic", color_name="Red", brand="Acme")
    blue = make_material(tenant, name="PLA Basic", color_name="Blue", color_hex="#0000FF", brand="Bolt")
    for material in (red, blue):
        run = make_run(
            tenant,
            user=member,
            materials=[{"spool": make_spool(tenant, material=material), "estimated_model_g": Decimal("40")}],
        )
        complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))
    return red, blue


def test_a_report_page_is_a_table_with_its_parameters_as_a_form(member_browser, used):
    red, blue = used

    response = member_browser.get("/api/v1/reports/usage/", {"group_by": "material"}, **HTML)

    [table] = tables(response)
    assert table["headers"] == ["Name", "Grams", "Cost", "Unpriced (g)"]
    names = sorted(row[0] for row in table["rows"])
    # Two materials with one name are told apart by number, colour and brand.
    assert names == sorted(
        [f"#{red.number} PLA Basic (PLA) · Red · Acme", f"#{blue.number} PLA Basic (PLA) · Blue · Bolt"]
    )
    html = response.content.decode()
    assert 'id="report-filters"' in html and 'name="group_by"' in html and 'type="date"' in html
    assert '<option value="material" selected>' in html


def test_a_report_keeps_its_json_for_clients(api, used):
    plain = api.get("/api/v1/reports/usage/")
    asked = api.get("/api/v1/reports/usage/", {"format": "json"})

    assert plain["Content-Type"] == asked["Content-Type"] == "application/json"
    assert plain.json() == asked.json()
    assert set(plain.json()) == {"start", "end", "time_zone", "group_by", "period", "results"}
