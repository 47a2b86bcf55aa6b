"""The admin dashboard in a real browser: staff follow its link from the admin index and see the
charts, drawn on the server as SVG, with nothing refused by the Content-Security-Policy."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from production.services import Completion, RunDraft, complete_run, create_run
from production.status_codes import RunStatus
from tests.e2e.conftest import PASSWORD, external_requests, screenshot


@pytest.mark.e2e
def test_staff_open_the_dashboard_from_the_admin_index(
    page, farm, js_errors, csp_violations, network_log, django_user_model
):
    django_user_model.objects.create_superuser("staff", password=PASSWORD)
    draft = {
        "items": [{"product": farm.product, "quantity": 4}],
        "materials": [{"spool": farm.spool, "estimated_model_g": Decimal("180.00")}],
    }
    run = create_run(tenant=farm.tenant, user=farm.member, draft=RunDraft.from_data(draft))
    complete_run(run=run, user=farm.member, completion=Completion(use_estimates=True))
    create_run(tenant=farm.tenant, user=farm.member, draft=RunDraft.from_data(draft))

    page.goto("/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_role("link", name="Dashboard", exact=True).click()

    expect(page.locator(".active-tenant")).to_have_text("Acme Prints")
    runs = page.locator("#runs-by-status svg.chart")
    expect(runs).to_be_visible()
    expect(runs.locator("rect")).to_have_count(len(RunStatus))  # a bar per status, planned included
    usage = page.locator("#usage-per-day svg.chart")
    expect(usage).to_be_visible()
    expect(usage.locator('rect[fill="#C4112F"]').first).to_be_visible()
    expect(page.locator("#variance svg.chart")).to_contain_text("Axolotl")
    expect(page.locator("#low-stock")).to_contain_text("No spool is below")
    screenshot(page, "dashboard")

    assert js_errors == []
    assert csp_violations == []
    assert external_requests(network_log) == []
