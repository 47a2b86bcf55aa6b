"""Date bounds at the ends of the calendar: a bound past what a datetime holds is a bound, not a 500.

`end_date=9999-12-31` covers that whole day (whose end is past the last datetime), and in a
time zone ahead of or behind UTC a bound near year 1 or 9999 falls off the range once in UTC.
"""

import pytest

from tests.conftest import client_for

RUNS = "/api/v1/production-runs/"
LEDGER = "/api/v1/inventory-transactions/"


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def farm(make_tenant, make_member, make_run):
    """A tenant in `zone` with one run started now (and its spool's purchase row); its client."""

    def make(zone):
        tenant = make_tenant(zone.split("/")[-1].lower(), run_prefix="EDGE", timezone=zone)
        run = make_run(tenant)
        return client_for(make_member(tenant), tenant), str(run.pk)

    return make


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_bounds_at_the_ends_of_the_calendar_include_everything_between(farm, zone):
    api, run = farm(zone)

    assert ids(api.get(RUNS, {"end_date": "9999-12-31"})) == {run}
    assert ids(api.get(RUNS, {"start_date": "0001-01-01", "end_date": "9999-12-31T23:59:59"})) == {run}
    assert ids(api.get(RUNS, {"start_date": "0001-01-01T00:00:00+05:00"})) == {run}
    assert len(ids(api.get(LEDGER, {"occurred_after": "0001-01-01", "occurred_before": "9999-12-31"}))) == 1


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_bounds_beyond_the_calendar_exclude_everything(farm, zone):
    api, _ = farm(zone)

    assert ids(api.get(RUNS, {"start_date": "9999-12-31"})) == set()
    assert ids(api.get(RUNS, {"start_date": "9999-12-31T23:00:00"})) == set()
    assert ids(api.get(RUNS, {"end_date": "0001-01-01T00:30:00"})) == set()
    assert ids(api.get(RUNS, {"end_date": "9999-12-31T23:59:59-05:00", "start_date": "9999-12-31"})) == set()
    assert ids(api.get(LEDGER, {"occurred_before": "0001-01-01"})) == set()
