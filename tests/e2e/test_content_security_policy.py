"""Every page works under the Content-Security-Policy header: nothing refused, the UI rendered."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, REDOC_RENDER_TIMEOUT_MS, screenshot


def policy(response):
    header = response.headers.get("content-security-policy", "")
    # django-csp writes the directives in no fixed order: compare them by name.
    directives = dict(directive.strip().partition(" ")[::2] for directive in header.split(";") if directive.strip())
    # A nonce is added only to a page whose template used it (ReDoc's).
    assert re.fullmatch(r"'self'( 'nonce-[^']+')?", directives.get("script-src", "")), header
    assert directives.get("default-src") == "'self'", header
    return header


@pytest.mark.e2e
def test_swagger_ui_runs_under_the_policy(page, csp_violations, js_errors, db):
    policy(page.goto("/api/v1/docs/"))

    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/v1/auth/token/").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-01-swagger-ui")

    assert csp_violations == []
    assert js_errors == []


@pytest.mark.e2e
def test_redoc_runs_under_the_policy(page, csp_violations, js_errors, db):
    policy(page.goto("/api/v1/redoc/"))

    expect(page.get_by_role("heading", name=re.compile("Print-farm production API"))).to_be_visible(
        timeout=REDOC_RENDER_TIMEOUT_MS
    )
    expect(page.locator(".menu-content")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-02-redoc", full_page=False)

    # Nothing refused: the bundle this server serves (core/api/docs.py) no longer asks cdn.redoc.ly for its logo.
    assert csp_violations == []
    assert js_errors == []


@pytest.mark.e2e
def test_browsable_api_runs_under_the_policy(page, farm, csp_violations, js_errors):
    policy(page.goto("/api-auth/login/?next=/api/v1/spools/"))
    page.fill("#id_username", farm.member.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".response-info")).to_contain_text("PLA-RED-001")
    # jQuery and bootstrap run: the raw-data tab switches the form, the options dropdown opens.
    page.locator("a[name=raw-tab]").first.click()
    expect(page.locator("#post-generic-content-form textarea[name=_content]")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-03-browsable-api")
    # Logging out needs no inline script either.
    page.locator(".dropdown-toggle", has_text=farm.member.username).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    assert csp_violations == []
    assert js_errors == []


@pytest.mark.e2e
def test_admin_runs_under_the_policy(page, farm, csp_violations, js_errors, django_user_model):
    django_user_model.objects.create_superuser("staff", password=PASSWORD)
    policy(page.goto("/admin/"))
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.get_by_role("link", name="Spools", exact=True).click()
    page.get_by_role("link", name="PLA-RED-001").click()
    expect(page.locator("#spool_form")).to_be_visible()
    # The admin's scripts run: the tenant field is an autocomplete widget (select2).
    expect(page.locator(".select2-container").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-04-admin")

    assert csp_violations == []
    assert js_errors == []
