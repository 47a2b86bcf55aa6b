"""Filters and ordering of the run list (SPEC 5 "Filters on the list", section 3)."""

import datetime
from decimal import Decimal

import pytest

from production import services
from production.services import Completion, Failure

RUNS = "/api/v1/production-runs/"
UTC = datetime.UTC


def at(text):
    return datetime.datetime.fromisoformat(text)


def ids(response):
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.json()["results"]]


def id_set(response):
    return set(ids(response))


@pytest.fixture
def runs_by_status(tenant, make_run):
    """One run in each status, keyed by status."""
    runs = {status: make_run(tenant) for status in ("in_progress", "completed", "failed", "cancelled")}
    services.complete_run(run=runs["completed"], user=None, completion=Completion.from_data({"use_estimates": True}))
    services.fail_run(run=runs["failed"], user=None, failure=Failure.from_data({"failure_reason": "adhesion"}))
    services.cancel_run(run=runs["cancelled"], user=None)
    return {status: str(run.pk) for status, run in runs.items()}


# --- status ---------------------------------------------------------------------------------------


def test_filter_by_one_status(api, runs_by_status):
    assert ids(api.get(RUNS, {"status": "failed"})) == [runs_by_status["failed"]]


def test_filter_by_repeated_status(api, runs_by_status):
    response = api.get(f"{RUNS}?status=completed&status=cancelled")

    assert id_set(response) == {runs_by_status["completed"], runs_by_status["cancelled"]}


def test_filter_by_comma_separated_status(api, runs_by_status):
    response = api.get(RUNS, {"status": "in_progress,failed"})

    assert id_set(response) == {runs_by_status["in_progress"], runs_by_status["failed"]}


def test_filter_by_mixed_status_forms(api, runs_by_status):
    response = api.get(f"{RUNS}?status=in_progress,failed&status=cancelled")

    assert id_set(response) == {runs_by_status["in_progress"], runs_by_status["failed"], runs_by_status["cancelled"]}


@pytest.mark.parametrize("value", ["paused", "completed,bogus", "COMPLETED"])
def test_an_unknown_status_is_a_400_naming_it(api, runs_by_status, value):
    response = api.get(RUNS, {"status": value})

    assert response.status_code == 400
    assert "status" in response.data


# --- dates ------------------------------------------------------------------------------------------


@pytest.fixture
def dated_runs(tenant, make_run):
    """Three runs around midnight UTC of 10 March 2024 (New York is UTC-5 that night)."""
    return {
        "a": str(make_run(tenant, started_at=at("2024-03-09T12:00:00+00:00")).pk),
        "b": str(make_run(tenant, started_at=at("2024-03-10T03:30:00+00:00")).pk),  # 9 March, 22:30 in New York
        "c": str(make_run(tenant, started_at=at("2024-03-10T12:00:00+00:00")).pk),
    }


def names(dated_runs, response):
    by_id = {run_id: name for name, run_id in dated_runs.items()}
    return sorted(by_id[run_id] for run_id in ids(response))


def test_start_date_covers_the_whole_day_in_utc(api, dated_runs):
    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-10"})) == ["b", "c"]


def test_end_date_covers_the_whole_day_in_utc(api, dated_runs):
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-10"})) == ["a", "b", "c"]
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-09"})) == ["a"]


def test_one_day_in_both_bounds_gives_that_day(api, dated_runs):
    response = api.get(RUNS, {"start_date": "2024-03-10", "end_date": "2024-03-10"})

    assert names(dated_runs, response) == ["b", "c"]


def test_date_bounds_use_the_tenants_timezone(api, tenant, dated_runs):
    tenant.timezone = "America/New_York"
    tenant.save()

    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-10"})) == ["c"]
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-09"})) == ["a", "b"]
    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-09", "end_date": "2024-03-09"})) == ["a", "b"]


def test_datetime_bounds_are_inclusive_and_exact(api, dated_runs):
    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-10T03:30:00Z"})) == ["b", "c"]
    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-10T03:30:01Z"})) == ["c"]
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-10T03:30:00Z"})) == ["a", "b"]
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-10T03:29:59Z"})) == ["a"]


def test_datetime_bounds_honour_their_offset(api, dated_runs):
    # 04:30+01:00 is 03:30 UTC; a raw "+" in a query string arrives as a space and still means the offset.
    assert names(dated_runs, api.get(RUNS, {"end_date": "2024-03-10T04:30:00+01:00"})) == ["a", "b"]
    assert names(dated_runs, api.get(f"{RUNS}?end_date=2024-03-10T04:30:00+01:00")) == ["a", "b"]
    assert names(dated_runs, api.get(RUNS, {"start_date": "2024-03-09T22:30:00-05:00"})) == ["b", "c"]


@pytest.mark.parametrize("parameter", ["start_date", "end_date"])
@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-02-30", "2024-03-10T25:00:00", "10/03/2024"])
def test_a_bad_date_is_a_400_naming_the_parameter(api, dated_runs, parameter, value):
    response = api.get(RUNS, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.data


# --- product, spool, printer, is_reprint ---------------------------------------------------------------


def test_filter_by_product(api, tenant, make_run, make_product):
    product = make_product(tenant)
    with_it = make_run(tenant, items=[{"product": product, "quantity": 1}, {"product": product, "quantity": 2}])
    make_run(tenant)

    # Two items of the product still list the run once.
    assert ids(api.get(RUNS, {"product": str(product.pk)})) == [str(with_it.pk)]


def test_filter_by_spool(api, tenant, make_run, make_spool):
    spool = make_spool(tenant)
    with_it = make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("5")}])
    make_run(tenant)

    assert ids(api.get(RUNS, {"spool": str(spool.pk)})) == [str(with_it.pk)]


def test_filter_by_printer(api, tenant, make_run, make_printer):
    printer = make_printer(tenant)
    on_it = make_run(tenant, printer=printer)
    make_run(tenant, printer=make_printer(tenant))
    make_run(tenant)

    assert ids(api.get(RUNS, {"printer": str(printer.pk)})) == [str(on_it.pk)]


def test_filter_by_is_reprint(api, tenant, make_run):
    original = make_run(tenant)
    reprint = make_run(tenant, original_run=original)

    assert ids(api.get(RUNS, {"is_reprint": "true"})) == [str(reprint.pk)]
    assert ids(api.get(RUNS, {"is_reprint": "false"})) == [str(original.pk)]
    assert len(ids(api.get(RUNS))) == 2


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("is_reprint", "maybe"), ("product", "not-a-uuid"), ("spool", "42"), ("printer", "x")],
)
def test_a_malformed_filter_value_is_a_400_naming_it(api, tenant, make_run, parameter, value):
    make_run(tenant)

    response = api.get(RUNS, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.data


def test_another_tenants_ids_as_filter_values_are_a_400(api, other_tenant, make_run, make_printer):
    foreign = make_run(other_tenant, printer=make_printer(other_tenant))
    values = {
        "product": foreign.items.get().product_id,
        "spool": foreign.materials.get().spool_id,
        "printer": foreign.printer_id,
    }

    for parameter in ("product", "spool", "printer"):
        response = api.get(RUNS, {parameter: str(values[parameter])})
        assert response.status_code == 400, parameter
        assert parameter in response.data


# --- search -----------------------------------------------------------------------------------------------


def test_search_by_run_number(api, tenant, make_run):
    first, second = make_run(tenant), make_run(tenant)

    assert ids(api.get(RUNS, {"search": second.run_number})) == [str(second.pk)]
    assert ids(api.get(RUNS, {"search": first.run_number[-3:]})) == [str(first.pk)]


def test_search_by_notes_ignores_case(api, tenant, make_run):
    hit = make_run(tenant, notes="Customer order for the Dragon keychains")
    make_run(tenant, notes="axolotls")

    assert ids(api.get(RUNS, {"search": "dragon"})) == [str(hit.pk)]


def test_filters_combine(api, tenant, make_run, make_printer):
    printer = make_printer(tenant)
    hit = make_run(tenant, printer=printer, notes="rush")
    make_run(tenant, printer=printer, notes="calm")
    make_run(tenant, notes="rush")

    assert ids(api.get(RUNS, {"printer": str(printer.pk), "search": "rush", "status": "in_progress"})) == [str(hit.pk)]


# --- ordering -----------------------------------------------------------------------------------------------


@pytest.fixture
def ordered_runs(tenant, make_run):
    """Created in the order x, y, z; started z < x < y; completed y < z < x."""
    x = make_run(tenant, started_at=at("2024-01-02T00:00:00+00:00"))
    y = make_run(tenant, started_at=at("2024-01-03T00:00:00+00:00"))
    z = make_run(tenant, started_at=at("2024-01-01T00:00:00+00:00"))
    for run, completed in ((x, "2024-01-10"), (y, "2024-01-04"), (z, "2024-01-05")):
        services.complete_run(
            run=run,
            user=None,
            completion=Completion.from_data({"use_estimates": True, "completed_at": at(f"{completed}T00:00:00+00:00")}),
        )
    return {"x": str(x.pk), "y": str(y.pk), "z": str(z.pk)}


def order(ordered_runs, response):
    by_id = {run_id: name for name, run_id in ordered_runs.items()}
    return "".join(by_id[run_id] for run_id in ids(response))


def test_default_ordering_is_latest_started_first(api, ordered_runs):
    assert order(ordered_runs, api.get(RUNS)) == "yxz"


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("started_at", "zxy"),
        ("-started_at", "yxz"),
        ("completed_at", "yzx"),
        ("-completed_at", "xzy"),
        ("created_at", "xyz"),
        ("-created_at", "zyx"),
        ("run_number", "xyz"),
        ("-run_number", "zyx"),
    ],
)
def test_ordering(api, ordered_runs, ordering, expected):
    assert order(ordered_runs, api.get(RUNS, {"ordering": ordering})) == expected


@pytest.mark.parametrize("value", ["bogus", "notes", "-tenant", "started_at,bogus"])
def test_an_unknown_ordering_is_a_400_naming_it(api, ordered_runs, value):
    response = api.get(RUNS, {"ordering": value})

    assert response.status_code == 400
    assert "ordering" in response.data
