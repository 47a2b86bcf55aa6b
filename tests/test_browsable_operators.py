"""The browsable API as a farm works in it (issue 21): links only to what the role may do, yes/no
filters, help text as HTML, label files from the pages."""

from decimal import Decimal

import pytest

from production.services import Completion, complete_run
from tests.support.clients import browser_for, post_form
from tests.support.html import help_texts, options, page_links, tables

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}
RUNS = "/api/v1/production-runs/"


@pytest.fixture
def completed_run(tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    return run


# --- dead ends: only the actions the role may take -----------------------------------------------


def test_a_member_sees_no_reopen_link_and_an_admin_sees_who_may_reopen(member_browser, manager_browser, completed_run):
    member_links = page_links(member_browser.get(f"{RUNS}{completed_run.pk}/", **HTML))
    admin_links = page_links(manager_browser.get(f"{RUNS}{completed_run.pk}/", **HTML))

    assert not any(label.startswith("Reopen") for label in member_links)
    assert admin_links["Reopen... (admins and owners)"].endswith(f"{RUNS}{completed_run.pk}/reopen/")


def test_a_viewer_sees_no_action_link_on_a_run_or_a_spool(tenant, make_member, make_run):
    viewer = browser_for(make_member(tenant, "viewer"))
    run = make_run(tenant)
    spool = run.materials.get().spool

    run_links = page_links(viewer.get(f"{RUNS}{run.pk}/", **HTML))
    spool_links = page_links(viewer.get(f"/api/v1/spools/{spool.pk}/", **HTML))

    assert not [label for label in run_links if label.endswith("...")]
    assert not [label for label in spool_links if "..." in label]
    assert "Ledger rows" in run_links and "Label (PDF)" in spool_links


def test_a_member_may_weigh_in_but_not_adjust_from_the_spool_page(member_browser, manager_browser, tenant, make_spool):
    spool = make_spool(tenant)

    member_links = page_links(member_browser.get(f"/api/v1/spools/{spool.pk}/", **HTML))
    admin_links = page_links(manager_browser.get(f"/api/v1/spools/{spool.pk}/", **HTML))

    assert member_links["Weigh in..."].endswith(f"/api/v1/spools/{spool.pk}/measure/")
    assert not any(label.startswith("Adjust") for label in member_links)
    assert admin_links["Adjust... (admins and owners)"].endswith(f"/api/v1/spools/{spool.pk}/adjust/")


@pytest.mark.parametrize(
    ("role", "path", "reason"),
    [
        ("member", "reopen/", "Only admins and owners may do this; your role is member."),
        ("viewer", "complete/", "Your role (viewer) may only read."),
    ],
)
def test_an_action_page_opened_without_the_role_says_why_it_has_no_form(
    tenant, make_member, completed_run, role, path, reason
):
    browser = browser_for(make_member(tenant, role))

    response = browser.get(f"{RUNS}{completed_run.pk}/{path}", **HTML)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="action-refusal"' in html and reason in html
    assert 'id="confirmation"' not in html


def test_an_admin_gets_the_form_and_no_refusal(manager_browser, completed_run):
    html = manager_browser.get(f"{RUNS}{completed_run.pk}/reopen/", **HTML).content.decode()

    assert 'id="action-refusal"' not in html and 'id="confirmation"' in html


# --- small ones: label files, yes/no filters, help text ------------------------------------------


def test_the_spool_page_links_its_label_as_svg_and_pdf(member_browser, tenant, make_spool):
    spool = make_spool(tenant)

    links = page_links(member_browser.get(f"/api/v1/spools/{spool.pk}/", **HTML))
    pdf = member_browser.get(links["Label (PDF)"])

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert member_browser.get(links["Label (SVG)"])["Content-Type"] == "image/svg+xml"


def test_the_spool_list_links_the_label_sheet_of_its_filtered_spools(member_browser, tenant, make_spool):
    make_spool(tenant, code="ON-1")
    make_spool(tenant, code="OFF-1", is_active=False)

    links = page_links(member_browser.get("/api/v1/spools/", {"is_active": "true", "page": "1"}, **HTML))
    sheet = member_browser.get(links["Label sheet of this list (PDF)"])

    assert "page=" not in links["Label sheet of this list (PDF)"]
    assert sheet["Content-Type"] == "application/pdf"
    assert b"(ON-1) Tj" in sheet.content and b"(OFF-1) Tj" not in sheet.content
    assert b"ON-1" in member_browser.get(links["Label sheet of this list (SVG)"]).content


@pytest.mark.parametrize(("url", "name"), [("/api/v1/spools/", "low_stock"), ("/api/v1/spools/", "is_active")])
def test_boolean_filters_are_a_yes_no_choice(member_browser, url, name):
    html = member_browser.get(url, **HTML).content.decode()

    assert options(html, name) == {"": "Any", "true": "Yes", "false": "No"}


def test_a_chosen_boolean_filter_is_selected_again(member_browser):
    html = member_browser.get("/api/v1/spools/", {"low_stock": "true"}, **HTML).content.decode()

    assert '<option value="true" selected>Yes</option>' in html


def test_help_text_shows_code_not_backticks(member_browser):
    texts = help_texts(member_browser.get("/api/v1/spools/", **HTML))

    assert any("<code>low_stock_threshold_g</code>" in text for text in texts)
    assert texts and not [text for text in texts if "`" in text]


def test_help_text_of_a_form_field_shows_its_code(manager_browser, tenant, make_printer):
    printer = make_printer(tenant)

    texts = help_texts(manager_browser.get(f"/api/v1/printers/{printer.pk}/integration-keys/", **HTML))

    assert "What it is for, e.g. <code>moonraker</code>." in texts
    assert not [text for text in texts if "`" in text]


# --- lists as tables above the JSON -----------------------------------------------------------------


def test_the_spool_list_is_a_table_with_swatch_and_remaining_bar(member_browser, tenant, make_spool, make_material):
    red = make_material(tenant, name="Prusament PLA", color_name="Lipstick Red", color_hex="#C4112F")
    spool = make_spool(tenant, material=red, code="PLA-RED-001", location="Shelf A")

    response = member_browser.get("/api/v1/spools/", **HTML)

    [table] = tables(response)
    assert table["headers"][:5] == ["Code", "No.", "Material", "Kind", "Remaining"]
    [row] = table["rows"]
    assert row[:5] == [
        "PLA-RED-001",
        str(spool.number),
        "Prusament PLA Lipstick Red",
        "PLA",
        "1000.00 g of 1000.00 g (100.00 %)",
    ]
    assert row[-2:] == ["Shelf A", "yes"]
    html = response.content.decode()
    assert 'class="swatch" style="background: #C4112F"' in html
    assert 'class="bar-fill" style="width: 100%"' in html
    assert f'href="http://testserver/api/v1/spools/{spool.pk}/"' in html


def test_the_run_list_is_a_table_with_status_printer_items_and_totals(member_browser, tenant, make_run, make_printer):
    run = make_run(tenant, printer=make_printer(tenant, name="Prusa A"))
    complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    run.refresh_from_db()

    [table] = tables(member_browser.get(RUNS, **HTML))

    assert table["headers"] == [
        "Run",
        "Status",
        "Printer",
        "Items",
        "Estimated",
        "Actual",
        "Variance",
        "Started",
        "Ended",
    ]
    [row] = table["rows"]
    assert row[:7] == [run.run_number, "completed", "Prusa A", run.items_summary, "100.00 g", "100.00 g", "0.00 g"]


def test_the_ledger_is_a_table_with_signed_grams_and_links(member_browser, tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    spool = run.materials.get().spool

    response = member_browser.get(
        "/api/v1/inventory-transactions/", {"spool": str(spool.pk), "ordering": "occurred_at"}, **HTML
    )

    [table] = tables(response)
    assert table["headers"] == ["Occurred", "Spool", "Type", "Change", "After", "Run", "Printer", "By", "Description"]
    assert [row[1:6] for row in table["rows"]] == [
        [spool.code, "purchase", "+1000.00 g", "1000.00 g", ""],
        [spool.code, "usage", "-100.00 g", "900.00 g", run.run_number],
    ]
    html = response.content.decode()
    assert f'href="http://testserver{RUNS}{run.pk}/"' in html
    assert 'class="numeric negative"' in html and 'class="numeric positive"' in html


@pytest.mark.parametrize("url", ["/api/v1/spools/", RUNS, "/api/v1/inventory-transactions/", "/api/v1/reports/usage/"])
def test_clients_get_the_json_unchanged(api, member_browser, tenant, make_run, url):
    make_run(tenant)

    plain = api.get(url)
    by_format = api.get(url, {"format": "json"})
    by_accept = api.get(url, HTTP_ACCEPT="application/json")

    assert plain["Content-Type"] == "application/json"
    assert plain.content == by_format.content == by_accept.content
    assert b"<table" not in plain.content
    assert "list-table" in member_browser.get(url, **HTML).content.decode()


def test_a_detail_page_has_no_list_table(member_browser, tenant, make_spool):
    spool = make_spool(tenant)

    assert tables(member_browser.get(f"/api/v1/spools/{spool.pk}/", **HTML)) == []


# --- same names, told apart ---------------------------------------------------------------------------


def test_material_choices_name_number_kind_colour_and_brand(member_browser, tenant, make_material):
    red = make_material(tenant, name="PLA Basic", color_name="Red", brand="Acme")
    blue = make_material(tenant, name="PLA Basic", color_name="Blue", brand="Bolt")

    html = member_browser.get("/api/v1/spools/", **HTML).content.decode()
    form = post_form(member_browser.get("/api/v1/spools/", **HTML))

    expected = {
        str(red.pk): f"#{red.number} PLA Basic (PLA) · Red · Acme",
        str(blue.pk): f"#{blue.number} PLA Basic (PLA) · Blue · Bolt",
    }
    assert {value: text for value, text in options(form, "material").items() if value} == expected
    filter_form = html[html.index('id="filtersModal"') :]
    assert {value: text for value, text in options(filter_form, "material").items() if value} == expected


# --- the plan form guides -----------------------------------------------------------------------------


def test_the_plan_form_names_each_products_material_kind(member_browser, make_product, tenant):
    axolotl = make_product(tenant, sku="AXO-01", name="Axolotl", material_kind="PLA")
    cup = make_product(tenant, sku="CUP-02", name="Cup")

    form = post_form(member_browser.get(RUNS, **HTML))

    assert options(form, "items[0]product") == {
        "": "--------",
        str(axolotl.pk): "AXO-01 Axolotl (PLA only)",
        str(cup.pk): "CUP-02 Cup (any material)",
    }
    assert f'value="{axolotl.pk}" data-kind="PLA"' in form


def test_the_plan_forms_spools_carry_their_kind_and_free_grams_for_its_script(
    member_browser, tenant, make_spool, make_material
):
    petg = make_spool(tenant, make_material(tenant, kind="PETG"), code="PETG-1", initial_weight_g=Decimal("750.00"))

    html = member_browser.get(RUNS, **HTML).content.decode()

    assert f'value="{petg.pk}" data-available-g="750.00" data-kind="PETG"' in post_form(
        member_browser.get(RUNS, **HTML)
    )
    assert '<script src="/static/core/plan-form.js"></script>' in html
