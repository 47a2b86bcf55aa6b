"""An operator's day in Chromium (issue 21), with no JSON typed and no UUID read: everything is chosen
by its label and reached by a link. Plan two runs for the queue (the form marking the spools that do
not fit; the second by material only), load spools into a printer's slots by typing their codes,
dispatch, weigh a spool in as a member, complete the run with real weights, dispatch the second run,
read the first run's ledger rows in a table, print a label sheet and read every code on it (the PDF's
text with pdftotext, the SVG's), open the reports from the API root, and export CSV. Each step's
screenshot is `artifacts/e2e/day-*.png`."""

import csv
import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import InventoryTransaction, Material, Spool, Vendor
from inventory.services import SpoolDraft, create_spool
from production.models import Printer, Product, ProductionRun
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
        vendor=Vendor.objects.for_tenant(farm.tenant).get(name="Prusa Polymers"),
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
    Printer.objects.create(tenant=farm.tenant, name="Bambu P1S", model="P1S", slot_count=4)
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

    # 1. Plan the first run for the queue, urgent: the axolotl may only be PLA, so the PETG spool is marked.
    page.goto("/api/v1/production-runs/")
    form = page.locator("#post-object-form")
    form.locator("select[name=status]").select_option("planned")
    form.locator("select[name=priority]").select_option("urgent")
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
    expect(response_info(page)).to_contain_text('"status": "planned"')
    screenshot(page, "day-02-first-run-planned")

    # 2. Plan the second run by material only: a cup in black PLA, whichever spool of it is loaded.
    page.goto("/api/v1/production-runs/")
    form = page.locator("#post-object-form")
    form.locator("select[name=status]").select_option("planned")
    form.locator('select[name="items[0]product"]').select_option(label="CUP-02 Cup (any material)")
    form.locator('input[name="items[0]quantity"]').fill("2")
    form.locator('input[name="materials[0]estimated_model_g"]').fill("1200")
    # More than any spool holds: every spool is marked short.
    expect(form.locator('select[name="materials[0]spool"] option', has_text=LONG_CODE)).to_contain_text(
        "only 1000.00 g free"
    )
    form.locator('input[name="materials[0]estimated_model_g"]').fill("60.00")
    black = Material.objects.get(color_name="Galaxy Black")
    form.locator('select[name="materials[0]material"]').select_option(
        label=f"#{black.number} Prusament PLA (PLA) · Galaxy Black · Prusa Polymers"
    )
    screenshot(page, "day-03-plan-second-run-by-material")
    post(page)
    expect(response_info(page)).to_contain_text("HTTP 201 Created")

    # The queue reads as a table: the urgent run first, both waiting for a printer.
    page.goto("/api/v1/queue/")
    queue = page.locator("#list-table table")
    expect(queue.locator("tbody tr")).to_have_count(2)
    expect(queue.locator("tbody tr").first).to_contain_text("urgent")
    expect(queue).to_contain_text("Axolotl x6")
    expect(queue).to_contain_text("Prusament PLA Galaxy Black: 60.00 g")
    screenshot(page, "day-04-queue")

    # 3. Load the two spools into the printer's slots, typing their codes as a scanner would.
    page.locator("#page-links").get_by_role("link", name="Printers (load slots, dispatch)").click()
    page.locator("#list-table").get_by_role("link", name="Bambu P1S").click()
    follow(page, "Slots (load a spool)")
    for slot, code in ((0, "PLA-RED-001"), (1, LONG_CODE)):
        page.wait_for_load_state("load")  # DRF's form script sends the slot's form as a PUT once loaded
        field = page.get_by_label(f"Spool for slot {slot}")
        field.fill(code)
        field.press("Enter")
        expect(response_info(page)).to_contain_text(f'"code": "{code}"')
        follow(page, "All slots")
    slots = page.locator("#list-table table")
    expect(slots.locator("tbody tr").nth(0)).to_contain_text("PLA-RED-001")
    expect(slots.locator("tbody tr").nth(1)).to_contain_text(LONG_CODE)
    screenshot(page, "day-05-slots-loaded")

    # 4. Dispatch: the urgent run starts on the printer.
    follow(page, "Printer Bambu P1S")
    follow(page, "Dispatch...")
    expect(page.locator("#confirmation")).to_contain_text("Dispatch to Bambu P1S?")
    screenshot(page, "day-06-dispatch-confirmation")
    post(page)
    expect(response_info(page)).to_contain_text('"status": "in_progress"')
    expect(response_info(page)).to_contain_text("Axolotl x6")
    screenshot(page, "day-07-dispatched")
    first_run = ProductionRun.objects.get(items__product__sku="AXO-01")
    assert first_run.status == "in_progress" and first_run.printer.name == "Bambu P1S"

    # 5. A weigh-in, as a member: the black spool on the scale weighs 1150.40 g with its 200 g reel.
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

    # 6. Complete the first run with the red spool's real weights, from its row in the run list.
    page.goto("/api/v1/production-runs/")
    page.locator("#list-table tr", has_text="Axolotl x6").get_by_role("link").first.click()
    follow(page, "Complete...")
    # Filled once the completion page has loaded, and checked before sending: CI once sent this form
    # without the weights (a fill that did not land), which only the server's 400 showed.
    page.wait_for_url("**/complete/")
    page.wait_for_load_state("load")
    form = page.locator("#post-object-form")
    index = form_row_of(form, "PLA-RED-001")
    for name, grams in (("spool_weight_before_g", "1000.00"), ("spool_weight_after_g", "884.60")):
        field = form.locator(f'input[name="materials[{index}]{name}"]')
        field.fill(grams)
        expect(field).to_have_value(grams)
    screenshot(page, "day-07-complete-form")
    post(page)
    expect(response_info(page)).to_contain_text('"status": "completed"')
    screenshot(page, "day-08-run-completed")
    run_page = page.url

    # 7. The printer is free: dispatching again starts the cup, fed by the loaded black spool.
    page.goto("/api/v1/printers/")
    page.locator("#list-table").get_by_role("link", name="Bambu P1S").click()
    follow(page, "Dispatch...")
    post(page)
    expect(response_info(page)).to_contain_text("Cup x2")
    expect(response_info(page)).to_contain_text(f'"spool_code": "{LONG_CODE}"')
    screenshot(page, "day-08b-second-dispatch")

    # 8. The first run's ledger rows, as a table with signed grams.
    page.goto(run_page)
    follow(page, "Ledger rows")
    ledger = page.locator("#list-table table")
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(ledger).to_contain_text("usage")
    expect(ledger).to_contain_text("-115.40 g")
    expect(ledger).to_contain_text("884.60 g")
    screenshot(page, "day-09-ledger-table")

    # 9. A label sheet of the active spools: every code printed whole, in the PDF and in the SVG.
    page.goto("/api/v1/spools/?is_active=true")
    expect(page.locator("#list-table")).to_contain_text("Bambu P1S, slot 1")
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

    # 10. The reports, from the API root: the index, then usage by material as a table with its form.
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

    # 11. The run list as CSV, from the format menu.
    page.goto("/api/v1/production-runs/")
    page.locator(".format-selection .dropdown-toggle").click()
    with page.expect_download() as download:
        page.locator("a.format-option", has_text="csv").click()
    path = ARTIFACTS / "day-14-runs.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert sorted(row["status"] for row in rows) == ["completed", "in_progress"]  # the cup prints now
    assert {row["run_number"] for row in rows} == set(ProductionRun.objects.values_list("run_number", flat=True))
    assert js_errors == [] and csp_violations == []
