"""The API docs in a real browser: they render from assets of this server alone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import external_requests, screenshot


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
def test_redoc_renders_without_leaving_this_machine(page, network_log, js_errors):
    page.goto("/api/v1/redoc/")

    expect(page.get_by_role("heading", name=re.compile("Print-farm production API"))).to_be_visible()
    # The menu's footer is what asks cdn.redoc.ly for a logo: wait until it is there.
    expect(page.get_by_role("link", name="API docs by Redocly")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "docs-02-redoc", full_page=False)

    assert external_requests(network_log) == []
    assert js_errors == []
