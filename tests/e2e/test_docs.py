"""The API docs in a real browser: they render from assets of this server alone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REDOC_RENDER_TIMEOUT_MS, external_requests, screenshot


@pytest.mark.e2e
def test_swagger_ui_lists_the_operations_without_leaving_this_machine(page, network_log, js_errors):
    page.goto("/api/v1/docs/")

    complete = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/production-runs/\{id\}/complete/$"))
    expect(complete).to_be_visible()
    assert page.locator(".opblock").count() > 30
    page.wait_for_load_state("networkidle")
    screenshot(page, "docs-01-swagger-ui")

    assert any(request.url.endswith("/api/v1/schema/") for request in network_log)
    assert external_requests(network_log) == []
    assert js_errors == []


@pytest.mark.e2e
def test_redoc_renders_without_leaving_this_machine(page, network_log, js_errors, csp_violations):
    page.goto("/api/v1/redoc/")

    expect(page.get_by_role("heading", name=re.compile("Print-farm production API"))).to_be_visible(
        timeout=REDOC_RENDER_TIMEOUT_MS
    )
    expect(page.locator(".menu-content")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "docs-02-redoc", full_page=False)

    assert external_requests(network_log) == []
    assert js_errors == []
    # Not even a request the CSP refuses: ReDoc's logo from cdn.redoc.ly is not asked for at all.
    assert [request.url for request in network_log if "redoc.ly" in request.url] == []
    assert csp_violations == []
    # Nor does the page link another host: ReDoc's own "API docs by Redocly" footer is removed.
    foreign_links = page.eval_on_selector_all(
        "a[href]", "links => links.filter(a => a.host && a.host !== location.host).map(a => a.href)"
    )
    assert foreign_links == []
    expect(page.get_by_role("link", name="API docs by Redocly")).to_have_count(0)
