"""`?cursor=`: keyset pages beside page numbers, without a count, stable under inserts."""

import base64

import pytest

from tests.support.pages import walk

SPOOLS = "/api/v1/spools/"


@pytest.fixture
def spools(tenant, make_spool, make_material):
    material = make_material(tenant)
    return [make_spool(tenant, material, code=f"S{n:02d}") for n in range(7)]


def codes(response):
    return [row["code"] for row in response.json()["results"]]


def test_cursor_pages_cover_the_list_once_in_order_without_a_count(api, spools):
    pages = walk(api, SPOOLS, {"cursor": "", "page_size": 3})

    assert [codes(page) for page in pages] == [["S00", "S01", "S02"], ["S03", "S04", "S05"], ["S06"]]
    assert all(set(page.json()) == {"next", "previous", "results"} for page in pages)
    assert pages[0].json()["previous"] is None


def test_previous_links_walk_back_over_the_same_pages(api, spools):
    last = walk(api, SPOOLS, {"cursor": "", "page_size": 3})[-1]

    back = walk(api, last.json()["previous"], key="previous")

    assert [codes(page) for page in back] == [["S03", "S04", "S05"], ["S00", "S01", "S02"]]
    assert api.get(back[-1].json()["next"]).json()["results"][0]["code"] == "S03"


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(api, tenant, spools, make_spool):
    first = api.get(SPOOLS, {"cursor": "", "page_size": 3})
    make_spool(tenant, code="S00A")  # sorts inside the first page

    assert codes(api.get(first.json()["next"])) == ["S03", "S04", "S05"]


def test_the_cursor_follows_the_requested_ordering_and_filters(api, spools):
    pages = walk(api, SPOOLS, {"cursor": "", "page_size": 4, "ordering": "-code", "search": "S0"})

    assert [codes(page) for page in pages] == [["S06", "S05", "S04", "S03"], ["S02", "S01", "S00"]]


def test_page_numbers_keep_their_count(api, spools):
    body = api.get(SPOOLS, {"page": 2, "page_size": 3}).json()

    assert body["count"] == 7
    assert [row["code"] for row in body["results"]] == ["S03", "S04", "S05"]


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", base64.urlsafe_b64encode(b'{"v": ["x"]}').decode(), base64.urlsafe_b64encode(b"[]").decode()],
)
def test_a_tampered_cursor_is_a_400(api, spools, cursor):
    response = api.get(SPOOLS, {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()


@pytest.mark.parametrize("ordering", ["purchased_at", "-purchased_at"])
def test_a_nullable_ordering_pages_its_nulls_as_the_largest_value(api, tenant, make_spool, ordering):
    import datetime

    made = [
        make_spool(tenant, code=f"N{n}", purchased_at=None if n % 2 else datetime.date(2026, 1, 1 + n))
        for n in range(6)
    ]
    dated = ["N0", "N2", "N4"]
    # Ties (the nulls) are ordered by the primary key the cursor appends.
    undated = [spool.code for spool in sorted(made, key=lambda spool: spool.pk) if spool.purchased_at is None]
    expected = dated + undated if ordering == "purchased_at" else undated + list(reversed(dated))

    pages = walk(api, SPOOLS, {"cursor": "", "page_size": 2, "ordering": ordering})
    back = walk(api, pages[-1].json()["previous"], key="previous")

    assert [code for page in pages for code in codes(page)] == expected
    assert [code for page in reversed(back) for code in codes(page)] == expected[:-2]


def test_planned_runs_page_by_cursor_before_the_started_ones(api, tenant, make_run):
    started = [make_run(tenant) for _ in range(3)]
    planned = [make_run(tenant, status="planned") for _ in range(2)]

    pages = walk(api, "/api/v1/production-runs/", {"cursor": "", "page_size": 2})

    numbers = [row["run_number"] for page in pages for row in page.json()["results"]]
    assert sorted(numbers[:2]) == sorted(run.run_number for run in planned)
    assert sorted(numbers[2:]) == sorted(run.run_number for run in started)


def test_a_cursor_page_of_runs_costs_no_count(api, make_run, tenant, django_assert_num_queries):
    from tests.support.queries import row_security_statements

    for _ in range(3):
        make_run(tenant)
    api.get("/api/v1/production-runs/", {"cursor": ""})

    with django_assert_num_queries(4 + row_security_statements()):  # membership, page, items, materials
        body = api.get("/api/v1/production-runs/", {"cursor": "", "page_size": 2}).json()

    assert len(body["results"]) == 2 and body["next"] is not None
