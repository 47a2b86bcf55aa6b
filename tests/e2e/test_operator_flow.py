"""An operator's day in the browsable API, in a browser only (no typed JSON): plan a run with two
products and two spools, complete it with real weights, read its ledger rows, reopen it after the
confirmation, and export the spool list as CSV. Each step's screenshot is `artifacts/e2e/flow-*.png`."""

import csv
import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Material
from inventory.services import SpoolDraft, create_spool
from production.models import Product, ProductionRun
from tenants.services import add_member
from tests.e2e.conftest import ARTIFACTS, PASSWORD, screenshot


def log_in(page, username):
    page.goto("/api-auth/login/?next=/api/v1/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def response_info(page):
    return page.locator(".response-info")


def post(page):
    page.locator("#post-object-form").get_by_role("button", name="POST").click()


def follow(page, link):
    page.locator("#page-links").get_by_role("link", name=link, exact=True).click()


@pytest.fixture
def second_product_and_spool(farm):
    cup = Product.objects.create(tenant=farm.tenant, sku="CUP-02", name="Cup", unit_weight_g=Decimal("30.00"))
    black = Material.objects.create(
        tenant=farm.tenant, name="Prusament PLA", kind="PLA", color_name="Galaxy Black", color_hex="#111111"
    )
    spool = create_spool(
        tenant=farm.tenant,
        user=farm.member,
        draft=SpoolDraft(code="PLA-BLK-002", material=black, initial_weight_g=Decimal("1000.00")),
    )
    return cup, spool


@pytest.mark.e2e
def test_operator_plans_completes_reads_the_ledger_reopens_and_exports(
    page, farm, second_product_and_spool, js_errors, csp_violations
):
    _cup, black_spool = second_product_and_spool
    add_member(tenant=farm.tenant, username="boss", role="owner", password=PASSWORD)
    log_in(page, "boss")
    expect(page.locator("#active-tenant")).to_have_text("Acme Prints")

    # 1. Plan: two item rows and two material rows, chosen by name; the second of each added with the button.
    page.goto("/api/v1/production-runs/")
    form = page.locator("#post-object-form")
    form.locator("textarea[name=notes], input[name=notes]").first.fill("Order 1042")
    form.locator('select[name="items[0]product"]').select_option(label="AXO-01 Axolotl (PLA only)")
    form.locator('input[name="items[0]quantity"]').fill("6")
    form.locator('fieldset[data-rows="items"] .form-row-add').click()
    form.locator('select[name="items[1]product"]').select_option(label="CUP-02 Cup (any material)")
    form.locator('input[name="items[1]quantity"]').fill("2")
    form.locator('select[name="materials[0]spool"]').select_option(
        label="PLA-RED-001 - Prusament PLA Lipstick Red (1000.00 g)"
    )
    form.locator('input[name="materials[0]estimated_model_g"]').fill("110.00")
    form.locator('fieldset[data-rows="materials"] .form-row-add').click()
    form.locator('select[name="materials[1]spool"]').select_option(
        label="PLA-BLK-002 - Prusament PLA Galaxy Black (1000.00 g)"
    )
    form.locator('input[name="materials[1]estimated_model_g"]').fill("60.00")
    screenshot(page, "flow-01-plan-run-form")
    post(page)
    expect(response_info(page)).to_contain_text("HTTP 201 Created")
    expect(response_info(page)).to_contain_text("2 products")
    screenshot(page, "flow-02-run-planned")
    run = ProductionRun.objects.get(tenant=farm.tenant)
    assert run.items.count() == 2 and run.materials.count() == 2

    # 2. Complete with the spools' real weights, before and after the print.
    follow(page, "Complete...")
    form = page.locator("#post-object-form")
    expect(form).to_contain_text("AXO-01 Axolotl x6")
    expect(form).to_contain_text("PLA-BLK-002: estimated 60.00 g")
    weights = {"PLA-RED-001": ("1000.00", "884.60"), "PLA-BLK-002": ("1000.00", "938.25")}
    for code, (before, after) in weights.items():
        index = form_row_of(form, code)
        form.locator(f'input[name="materials[{index}]spool_weight_before_g"]').fill(before)
        form.locator(f'input[name="materials[{index}]spool_weight_after_g"]').fill(after)
    form.locator('input[name="quality_rating"]').fill("5")
    screenshot(page, "flow-03-complete-form")
    post(page)
    expect(response_info(page)).to_contain_text("HTTP 200 OK")
    expect(response_info(page)).to_contain_text('"status": "completed"')
    expect(response_info(page)).to_contain_text('"actual_total_g": "177.15"')
    screenshot(page, "flow-04-run-completed")

    # 3. Its ledger rows.
    follow(page, "Ledger rows")
    expect(response_info(page)).to_contain_text('"count": 2')
    expect(response_info(page)).to_contain_text('"weight_change_g": "-115.40"')
    expect(response_info(page)).to_contain_text('"weight_change_g": "-61.75"')
    screenshot(page, "flow-05-ledger-rows")

    # 4. Reopen, after its confirmation.
    page.goto(f"/api/v1/production-runs/{run.pk}/")
    follow(page, "Reopen... (admins and owners)")
    expect(page.locator("#confirmation")).to_contain_text(f"Reopen run {run.run_number}?")
    screenshot(page, "flow-06-reopen-confirmation")
    run.refresh_from_db()
    assert run.status == "completed"  # the page alone changed nothing
    post(page)
    expect(response_info(page)).to_contain_text('"status": "in_progress"')
    screenshot(page, "flow-07-run-reopened")
    for spool in (farm.spool, black_spool):
        spool.refresh_from_db()
        assert spool.current_weight_g == Decimal("1000.00")

    # 5. The spool list as a CSV file, from the format menu.
    page.goto("/api/v1/spools/")
    page.locator(".format-selection .dropdown-toggle").click()
    screenshot(page, "flow-08-spool-list-format-menu")
    with page.expect_download() as download:
        page.locator("a.format-option", has_text="csv").click()
    path = ARTIFACTS / "flow-09-spools.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert {row["code"]: row["current_weight_g"] for row in rows} == {
        "PLA-BLK-002": "1000.00",
        "PLA-RED-001": "1000.00",
    }
    assert js_errors == [] and csp_violations == []


def form_row_of(form, spool_code):
    """The index of the completion form's material row whose label names `spool_code`."""
    row = form.locator("fieldset[data-rows=materials] tr.form-row", has_text=f"{spool_code}:")
    name = row.locator('input[type="hidden"]').get_attribute("name")
    return int(name.split("[", 1)[1].split("]", 1)[0])
