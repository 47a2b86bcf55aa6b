"""Times in the tenant's time zone: answered with its offset, naive input read there, the admin's one-tenant pages."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from production.models import ProductionRun
from tests.conftest import client_for
from tests.support.clients import browser_for

UTC = datetime.UTC
# 09:30 UTC on a winter day is 10:30 in Berlin (UTC+1).
WINTER_MORNING = datetime.datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def berlin(make_tenant):
    return make_tenant("berlin", run_prefix="BER", timezone="Europe/Berlin")


@pytest.fixture
def berlin_api(berlin, make_member):
    return client_for(make_member(berlin, "member"), berlin)


def test_times_are_answered_in_the_tenants_zone_with_its_offset(berlin, berlin_api, make_run):
    run = make_run(berlin, started_at=WINTER_MORNING)

    body = berlin_api.get(f"/api/v1/production-runs/{run.pk}/").json()

    assert body["started_at"] == "2026-01-15T10:30:00+01:00"
    assert datetime.datetime.fromisoformat(body["started_at"]) == WINTER_MORNING


def test_a_utc_tenant_is_answered_in_utc(tenant, api, make_run):
    run = make_run(tenant, started_at=WINTER_MORNING)

    assert api.get(f"/api/v1/production-runs/{run.pk}/").json()["started_at"] == "2026-01-15T09:30:00Z"


def test_a_naive_datetime_is_read_as_wall_clock_time_in_the_tenants_zone(berlin, berlin_api):
    response = berlin_api.post("/api/v1/production-runs/", {"started_at": "2026-07-01T08:00:00"})

    assert response.status_code == 201, response.content
    # Summer: Berlin is UTC+2.
    run = ProductionRun.objects.get(pk=response.json()["id"])
    assert run.started_at == datetime.datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    assert response.json()["started_at"] == "2026-07-01T08:00:00+02:00"


def test_a_datetime_with_an_offset_keeps_it(berlin, berlin_api):
    response = berlin_api.post("/api/v1/production-runs/", {"started_at": "2026-07-01T08:00:00Z"})

    assert ProductionRun.objects.get(pk=response.json()["id"]).started_at == datetime.datetime(
        2026, 7, 1, 8, 0, tzinfo=UTC
    )


def test_a_naive_completion_time_is_read_in_the_tenants_zone(berlin, berlin_api, make_run):
    run = make_run(berlin, started_at=WINTER_MORNING)

    response = berlin_api.post(
        f"/api/v1/production-runs/{run.pk}/complete/", {"completed_at": "2026-01-15T12:00:00", "use_estimates": True}
    )

    assert response.status_code == 200, response.content
    run.refresh_from_db()
    assert run.completed_at == datetime.datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
    assert run.duration_hours == Decimal("1.50")


def test_the_zone_ends_with_the_request(berlin, berlin_api, make_run):
    berlin_api.get("/api/v1/production-runs/")

    assert timezone.get_current_timezone_name() == "UTC"


def test_two_tenants_each_get_their_own_zone(berlin, berlin_api, tenant, api, make_run):
    berlin_run, utc_run = make_run(berlin, started_at=WINTER_MORNING), make_run(tenant, started_at=WINTER_MORNING)

    assert berlin_api.get(f"/api/v1/production-runs/{berlin_run.pk}/").json()["started_at"].endswith("+01:00")
    assert api.get(f"/api/v1/production-runs/{utc_run.pk}/").json()["started_at"].endswith("Z")


def test_a_csv_export_writes_the_tenants_times(berlin, berlin_api, make_run):
    make_run(berlin, started_at=WINTER_MORNING)

    response = berlin_api.get("/api/v1/production-runs/", {"format": "csv"})

    assert "2026-01-15T10:30:00+01:00" in b"".join(response.streaming_content).decode()


def test_the_browsable_forms_show_wall_clock_time(berlin, make_member, make_run):
    browser = browser_for(make_member(berlin, "member"))
    run = make_run(berlin, started_at=WINTER_MORNING)

    page = browser.get(f"/api/v1/production-runs/{run.pk}/", HTTP_ACCEPT="text/html").content.decode()

    assert 'value="2026-01-15T10:30:00' in page


def test_the_schema_says_how_naive_datetimes_are_read(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    started_at = schema["components"]["schemas"]["ProductionRunRequest"]["properties"]["started_at"]

    assert "tenant's time zone" in started_at["description"]
    assert "tenant's time zone" in schema["info"]["description"]


@pytest.fixture
def staff(db):
    return browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))


def test_the_admin_shows_a_runs_times_in_its_tenants_zone(staff, berlin, make_run):
    run = make_run(berlin, started_at=WINTER_MORNING)

    page = staff.get(f"/admin/production/productionrun/{run.pk}/change/").content.decode()

    assert 'value="10:30:00"' in page
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_admin_list_of_one_tenant_shows_its_zone(staff, berlin, make_run):
    make_run(berlin, started_at=WINTER_MORNING)
    url = "/admin/production/productionrun/"

    one_tenant = staff.get(url, {"tenant__id__exact": str(berlin.pk)}).content.decode()
    every_tenant = staff.get(url).content.decode()

    assert "10:30" in one_tenant
    assert "10:30" not in every_tenant and "9:30" in every_tenant
