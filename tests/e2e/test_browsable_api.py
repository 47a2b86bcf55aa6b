"""The browsable API in a real browser: a run created, completed, and the spool's weight dropping."""

import json

import pytest
from playwright.sync_api import expect

from production.models import ProductionRun
from tenants.services import add_member, create_tenant
from tests.e2e.conftest import PASSWORD, screenshot


def log_in(page, username, next_url="/api/v1/"):
    page.goto(f"/api-auth/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def post_raw_json(page, body):
    """Send `body` through the page's "Raw data" POST form, as a person would paste it."""
    page.locator("a[name=raw-tab]").first.click()
    form = page.locator("#post-generic-content-form")
    form.locator("select[name=_content_type]").select_option("application/json")
    form.locator("textarea[name=_content]").fill(json.dumps(body, indent=2))
    return form


def response_info(page):
    return page.locator(".response-info")


@pytest.mark.e2e
def test_member_creates_a_run_completes_it_and_sees_the_spool_weight_drop(page, farm, js_errors):
    log_in(page, farm.member.username)
    expect(page.locator("#active-tenant")).to_have_text("Acme Prints")
    screenshot(page, "api-01-root-after-login")

    page.goto(f"/api/v1/spools/{farm.spool.pk}/")
    expect(response_info(page)).to_contain_text('"current_weight_g": "1000.00"')
    screenshot(page, "api-02-spool-before")

    page.goto("/api/v1/production-runs/")
    form = post_raw_json(
        page,
        {
            "notes": "Order #1042",
            "items": [{"product": str(farm.product.pk), "quantity": 6}],
            "materials": [{"spool": str(farm.spool.pk), "estimated_model_g": "118.40"}],
        },
    )
    screenshot(page, "api-03-new-run-raw-form")
    form.get_by_role("button", name="POST").click()
    expect(response_info(page)).to_contain_text("HTTP 201 Created")
    expect(response_info(page)).to_contain_text('"status": "in_progress"')
    screenshot(page, "api-04-run-created")

    run = ProductionRun.objects.get(tenant=farm.tenant)
    material = run.materials.get()
    assert run.items.get().product == farm.product

    page.goto(f"/api/v1/production-runs/{run.pk}/complete/")
    form = post_raw_json(
        page,
        {"quality_rating": 5, "materials": [{"id": str(material.pk), "actual_model_g": "121.30"}]},
    )
    screenshot(page, "api-05-complete-raw-form")
    form.get_by_role("button", name="POST").click()
    expect(response_info(page)).to_contain_text("HTTP 200 OK")
    expect(response_info(page)).to_contain_text('"status": "completed"')
    expect(response_info(page)).to_contain_text('"actual_total_g": "121.30"')
    screenshot(page, "api-06-run-completed")

    page.goto(f"/api/v1/spools/{farm.spool.pk}/")
    expect(response_info(page)).to_contain_text('"current_weight_g": "878.70"')
    screenshot(page, "api-07-spool-after")
    assert js_errors == []


@pytest.mark.e2e
def test_user_of_two_tenants_switches_tenant_and_the_choice_follows_the_links(page, farm, js_errors):
    other, _ = create_tenant(slug="globex", name="Globex Farm", run_prefix="GLX")
    add_member(tenant=other, username=farm.member.username, role="owner")

    log_in(page, farm.member.username)
    switch = page.locator("#tenant-switch")
    expect(switch).to_contain_text("No tenant chosen")
    screenshot(page, "tenant-01-root-no-choice")

    switch.get_by_role("link", name="Globex Farm").click()
    expect(page.locator("#active-tenant")).to_have_text("Globex Farm")
    expect(response_info(page)).to_contain_text('"slug": "globex"')
    screenshot(page, "tenant-02-chose-globex")

    # The API root's links carry no ?tenant=: the session keeps the choice.
    page.goto("/api/v1/")
    page.get_by_role("link", name="http://127.0.0.1", exact=False).filter(has_text="/spools/").click()
    expect(response_info(page)).to_contain_text("HTTP 200 OK")
    expect(page.locator("#active-tenant")).to_have_text("Globex Farm")

    switch.get_by_role("link", name="Acme Prints").click()
    expect(page.locator("#active-tenant")).to_have_text("Acme Prints")
    expect(response_info(page)).to_contain_text("PLA-RED-001")
    screenshot(page, "tenant-03-switched-in-place")
    assert js_errors == []
