"""An operator's day in Chromium (issue 21), with no JSON typed and no UUID read: everything is chosen
by its label and reached by a link. Plan two runs (the form marking the spools that do not fit),
weigh a spool in as a member, complete a run with real weights, read its ledger rows in a table,
print a label sheet and read every code on it (the PDF's text with pdftotext, the SVG's), open the
reports from the API root, and export CSV. Each step's screenshot is `artifacts/e2e/day-*.png`."""

import csv
import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import InventoryTransaction, Material, Spool
from inventory.services import SpoolDraft, create_spool
from production.models import Product, ProductionRun
from tests.e2e.conftest import ARTIFACTS, screenshot
from tests.e2e.test_operator_flow import follow, form_row_of, log_in, post, response_info
from tests.support.documents import pdf_text, svg_label_codes, unwrapped

# A code as long as the field allows, so the sheet must shrink and wrap it to print it whole.
LONG_CODE = ("PLA-BLK-" + "0123456789" * 5)[: Spool._meta.get_field("code").max_length - 3] + "-02"


@pytest.fixture
def shop(farm):
    """Beside the farm's red PLA spool and PLA-only axolotl: a black PLA spool with a long code and its
    empty reel's weight, a PETG spool, and a cup that may be printed in anything."""
    black = Material.objects.create(
        tenant=farm.tenant,
        name="Prusament PLA",
        brand="Prusa Polymers",
        kind="PLA",
        color_name="Galaxy Black",
        color_hex="#111111",
    )
    petg = Material.objects.create(tenant=farm.tenant, name="Prusament PETG", kind="PETG", color_hex="#1E90FF")
    long_spool = create_spool(
        tenant=farm.tenant,
        user=farm.member,
        draft=SpoolDraft(
            code=LONG_CODE, material=black, initial_weight_g=Decimal("1000.00"), empty_spool_weight_g=Decimal("200.00")
        ),
    )
    petg_spool = create_spool(
        tenant=farm.tenant,
        user=farm.member,
        draft=SpoolDraft(code="PETG-BLU-001", material=petg, initial_weight_g=Decimal("1000.00")),
    )
    Product.objects.create(tenant=farm.tenant, sku="CUP-02", name="Cup", unit_weight_g=Decimal("30.00"))
    return long_spool, petg_spool


def spool_option(code, grams="1000.00"):
    """How the plan form names a spool of the fixture."""
    names = {
        "PLA-RED-001": "Prusament PLA Lipstick Red",
        LONG_CODE: "Prusament PLA Galaxy Black",
        "PETG-BLU-001": "Prusament PETG ",
    }
    return f"{code} - {names[code]} ({grams} g)"


@pytest.mark.e2e
def test_an_operators_day_in_the_browser(page, farm, shop, js_errors, csp_violations):
    long_spool, _petg_spool = shop
    log_in(page, farm.member.username)
    expect(page.locator("#active-tenant")).to_have_text("Acme Prints")

    # 1. Plan the first run: the axolotl may only be PLA, so the PETG spool is marked and cannot be chosen.
    page.goto("/api/v1/production-runs/")
    form = page.locator("#post-object-form")
    form.locator('select[name="items[0]product"]').select_option(label="AXO-01 Axolotl (PLA only)")
    form.locator('input[name="items[0]quantity"]').fill("6")
    petg_option = form.locator('select[name="materials[0]spool"] option', has_text="PETG-BLU-001")
    expect(petg_option).to_contain_text("does not fit: not PLA")
    expect(petg_option).to_be_disabled()
    form.locator('select[name="materials[0]spool"]').select_option(label=spool_option("PLA-RED-001"))
    form.locator('input[name="materials[0]estimated_model_g"]').fill("110.00")
    screenshot(page, "day-01-plan-first-run")
    post(page)
    expect(response_info(page)).to_contain_text("HTTP 201 Created")
    screenshot(page, "day-02-first-run-planned")

    # 2. Plan the second run: a cup in any material, from the long-coded black spool.
    page.goto("/api/v1/production-runs/")
    form = page.locator("#post-object-form")
    form.locator('select[name="items[0]product"]').select_option(label="CUP-02 Cup (any material)")
    form.locator('input[name="items[0]quantity"]').fill("2")
    form.locator('input[name="materials[0]estimated_model_g"]').fill("1200")
    # More than any spool holds: every spool is marked short.
    expect(form.locator('select[name="materials[0]spool"] option', has_text=LONG_CODE)).to_contain_text(
        "only 1000.00 g free"
    )
    form.locator('input[name="materials[0]estimated_model_g"]').fill("60.00")
    form.locator('select[name="materials[0]spool"]').select_option(label=spool_option(LONG_CODE))
    screenshot(page, "day-03-plan-second-run")
    post(page)
    expect(response_info(page)).to_contain_text("HTTP 201 Created")

    # The run list reads as a table: both runs, in progress, with their items.
    page.goto("/api/v1/production-runs/")
    table = page.locator("#list-table table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Axolotl x6")
    expect(table).to_contain_text("Cup x2")
    screenshot(page, "day-04-runs-table")

    # 3. A weigh-in, as a member: the black spool on the scale weighs 1150.40 g with its 200 g reel.
    page.goto("/api/v1/spools/")
    page.locator("#list-table").get_by_role("link", name=LONG_CODE).click()
    follow(page, "Weigh in...")
    page.locator('#post-object-form input[name="gross_weight_g"]').fill("1150.40")
    screenshot(page, "day-05-weigh-in-form")
    post(page)
    expect(response_info(page)).to_contain_text('"current_weight_g": "950.40"')
    screenshot(page, "day-06-weighed-in")
    row = InventoryTransaction.objects.filter(spool=long_spool).latest("sequence")
    assert (row.type, row.description, row.weight_change_g, row.user) == (
        "adjustment",
        "weigh-in",
        Decimal("-49.60"),
        farm.member,
    )

    # 4. Complete the first run with the red spool's real weights, from its row in the run list.
    page.goto("/api/v1/production-runs/")
    page.locator("#list-table tr", has_text="Axolotl x6").get_by_role("link").first.click()
    follow(page, "Complete...")
    form = page.locator("#post-object-form")
    index = form_row_of(form, "PLA-RED-001")
    form.locator(f'input[name="materials[{index}]spool_weight_before_g"]').fill("1000.00")
    form.locator(f'input[name="materials[{index}]spool_weight_after_g"]').fill("884.60")
    screenshot(page, "day-07-complete-form")
    post(page)
    expect(response_info(page)).to_contain_text('"status": "completed"')
    screenshot(page, "day-08-run-completed")

    # 5. Its ledger rows, as a table with signed grams.
    follow(page, "Ledger rows")
    ledger = page.locator("#list-table table")
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(ledger).to_contain_text("usage")
    expect(ledger).to_contain_text("-115.40 g")
    expect(ledger).to_contain_text("884.60 g")
    screenshot(page, "day-09-ledger-table")

    # 6. A label sheet of the active spools: every code printed whole, in the PDF and in the SVG.
    page.goto("/api/v1/spools/?is_active=true")
    screenshot(page, "day-10-spools-table")
    sheet_link = page.locator("#page-links").get_by_role("link", name="Label sheet of this list (PDF)")
    pdf = page.request.get(sheet_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    (ARTIFACTS / "day-11-labels.pdf").write_bytes(pdf.body())
    printed = unwrapped(pdf_text(pdf.body()))
    codes = ["PLA-RED-001", LONG_CODE, "PETG-BLU-001"]
    assert all(code in printed for code in codes), printed
    svg_link = page.locator("#page-links").get_by_role("link", name="Label sheet of this list (SVG)")
    svg = page.request.get(svg_link.get_attribute("href"))
    assert sorted(svg_label_codes(svg.body())) == sorted(codes)
    page.goto(svg_link.get_attribute("href"))
    screenshot(page, "day-11-label-sheet", full_page=False)

    # 7. The reports, from the API root: the index, then usage by material as a table with its form.
    page.goto("/api/v1/")
    page.locator(".response-info a", has_text="/api/v1/reports/").click()
    expect(page.locator("#list-table")).to_contain_text("Cost per unit")
    screenshot(page, "day-12-reports-index")
    page.locator("#list-table").get_by_role("link", name="Usage").click()
    page.locator("#report-filters select[name=group_by]").select_option("material")
    page.locator("#report-filters").get_by_role("button", name="Show").click()
    usage = page.locator("#list-table table")
    red = Material.objects.get(color_name="Lipstick Red")
    expect(usage).to_contain_text(f"#{red.number} Prusament PLA (PLA) · Lipstick Red · Prusa Polymers")
    expect(usage).to_contain_text("115.40")
    screenshot(page, "day-13-usage-report")

    # 8. The run list as CSV, from the format menu.
    page.goto("/api/v1/production-runs/")
    page.locator(".format-selection .dropdown-toggle").click()
    with page.expect_download() as download:
        page.locator("a.format-option", has_text="csv").click()
    path = ARTIFACTS / "day-14-runs.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert sorted(row["status"] for row in rows) == ["completed", "in_progress"]
    assert {row["run_number"] for row in rows} == set(ProductionRun.objects.values_list("run_number", flat=True))
    assert js_errors == [] and csp_violations == []
