"""The filter backend builds a filter set only for a request that names one of its filters."""

import pytest

from inventory.filters import SpoolFilter


@pytest.fixture
def built(monkeypatch):
    """The filter sets built during the test."""
    seen = []
    original = SpoolFilter.__init__

    def counting(self, *args, **kwargs):
        seen.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SpoolFilter, "__init__", counting)
    return seen


def test_a_request_without_filter_parameters_builds_no_filter_set(api, tenant, make_spool, built):
    spool = make_spool(tenant)

    assert api.get("/api/v1/spools/").status_code == 200
    assert api.get(f"/api/v1/spools/{spool.pk}/").status_code == 200
    assert api.get("/api/v1/spools/", {"page_size": 5, "page": 1}).status_code == 200
    assert built == []


def test_a_filter_parameter_still_filters(api, tenant, make_spool, built):
    make_spool(tenant, code="ON")
    make_spool(tenant, code="OFF", is_active=False)

    response = api.get("/api/v1/spools/", {"is_active": "false"})

    assert [row["code"] for row in response.json()["results"]] == ["OFF"]
    assert len(built) == 1


def test_a_bad_filter_value_is_still_a_400(api, built):
    response = api.get("/api/v1/spools/", {"is_active": "perhaps"})

    assert response.status_code == 400
    assert "is_active" in response.json()
