"""The browsable API as a person uses it: forms with rows, typed input kept, action pages, confirmations, links.

Every request here is what a browser sends: a logged-in session, `Accept: text/html`, and the
HTML form's own encoding (multipart, fields named `items[0]product`).
"""

import re
from decimal import Decimal
from html import unescape

import pytest

from inventory.models import InventoryTransaction
from production.models import ProductionRun
from production.services import Completion, complete_run
from tests.support.clients import post_form
from tests.support.html import options, page_links

HTML = {"HTTP_ACCEPT": "text/html"}
RUNS = "/api/v1/production-runs/"


def _estimates():
    return Completion.from_data({"use_estimates": True})


def input_value(form, name):
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', form, re.S)
    return None if match is None else unescape(match.group(1))


def cell_errors(form, name):
    """The error messages shown in the table cell of the input or select named `name`."""
    start = form.index(f'name="{name}"')
    cell = form[form.rindex("<td", 0, start) : form.index("</td>", start)]
    return re.findall(r'class="help-block">([^<]*)<', cell)


# --- the run form: rows of items and materials --------------------------------------------


def test_run_form_has_rows_choosing_the_tenants_products_and_spools_by_name(
    member_browser, tenant, other_tenant, make_product, make_spool, make_material, make_printer
):
    product = make_product(tenant, sku="AXO-01", name="Axolotl")
    spool = make_spool(tenant, make_material(tenant, name="Galaxy PLA", color_name="Black"), code="PLA-BLK-001")
    printer = make_printer(tenant, name="Prusa A")
    foreign_product, foreign_spool = make_product(other_tenant), make_spool(other_tenant)

    form = post_form(member_browser.get(RUNS, **HTML))

    assert "Lists are not currently supported" not in form
    assert options(form, "items[0]product") == {"": "--------", str(product.pk): "AXO-01 Axolotl (any material)"}
    assert options(form, "materials[0]spool") == {
        "": "--------",
        str(spool.pk): "PLA-BLK-001 - Galaxy PLA Black (1000.00 g)",
    }
    assert options(form, "printer")[str(printer.pk)] == "Prusa A"
    assert str(foreign_product.pk) not in form and str(foreign_spool.pk) not in form
    # Only what a plan needs; and a row template for the "Add a row" button.
    assert 'name="items[0]quantity"' in form and 'name="items[0]successful_quantity"' not in form
    assert 'name="materials[0]estimated_model_g"' in form and 'name="materials[0]actual_model_g"' not in form
    assert 'name="items[__index__]product"' in form


def test_the_row_script_is_a_static_file(member_browser):
    html = member_browser.get(RUNS, **HTML).content.decode()

    assert '<script src="/static/core/form-rows.js"></script>' in html
    assert member_browser.get("/static/core/form-rows.js").status_code == 200


def test_a_run_planned_with_two_products_and_two_spools_in_the_form(member_browser, tenant, make_product, make_spool):
    mug, cup = make_product(tenant), make_product(tenant)
    red, blue = make_spool(tenant), make_spool(tenant)

    response = member_browser.post(
        RUNS,
        {
            "notes": "Order 1042",
            "items[0]product": str(mug.pk),
            "items[0]quantity": "8",
            "items[1]product": str(cup.pk),
            "items[1]quantity": "4",
            # A row the person added and left blank is no row.
            "items[2]product": "",
            "items[2]quantity": "",
            "materials[0]spool": str(red.pk),
            "materials[0]estimated_model_g": "110.50",
            "materials[3]spool": str(blue.pk),
            "materials[3]estimated_model_g": "40",
        },
        **HTML,
    )

    assert response.status_code == 201, response.content
    run = ProductionRun.objects.get()
    assert sorted((item.product.sku, item.quantity) for item in run.items.all()) == [(mug.sku, 8), (cup.sku, 4)]
    assert sorted((m.spool.code, m.estimated_model_g) for m in run.materials.all()) == [
        (red.code, Decimal("110.50")),
        (blue.code, Decimal("40.00")),
    ]


def test_an_untouched_run_form_is_refused_not_an_empty_run(member_browser, tenant, make_product):
    make_product(tenant)

    response = member_browser.post(
        RUNS, {"notes": "", "started_at": "", "items[0]product": "", "items[0]quantity": ""}, **HTML
    )

    assert response.status_code == 400
    assert not ProductionRun.objects.exists()
    assert "Add at least one item" in post_form(response)


def test_a_json_body_without_items_still_plans_a_run(api):
    """The contract: `items` and `materials` are optional in a JSON body (added later through their endpoints)."""
    assert api.post(RUNS, {"notes": "to be filled"}).status_code == 201


def test_a_400_keeps_what_was_typed_and_shows_each_error_beside_its_field(
    member_browser, tenant, make_product, make_spool
):
    product, spool = make_product(tenant), make_spool(tenant)

    response = member_browser.post(
        RUNS,
        {
            "notes": "Order 77",
            "items[0]product": str(product.pk),
            "items[0]quantity": "0",
            "items[1]quantity": "3",
            "materials[0]spool": str(spool.pk),
            "materials[0]estimated_model_g": "-5",
        },
        **HTML,
    )

    assert response.status_code == 400
    form = post_form(response)
    assert "Order 77" in form
    assert options(form, "items[0]product")  # still the choices, with the typed one selected:
    assert re.search(rf'<option value="{product.pk}"[^>]* selected>', form)
    assert input_value(form, "items[0]quantity") == "0"
    assert cell_errors(form, "items[0]quantity") == ["Ensure this value is greater than or equal to 1."]
    assert input_value(form, "items[1]quantity") == "3"
    assert cell_errors(form, "items[1]product") == ["This field is required."]
    assert input_value(form, "materials[0]estimated_model_g") == "-5"
    assert cell_errors(form, "materials[0]estimated_model_g")
    assert not ProductionRun.objects.exists()


# --- complete/ and fail/ --------------------------------------------------------------------


def test_complete_page_answers_get_with_the_run_and_a_row_per_item_and_material(
    member_browser, tenant, make_run, make_product
):
    run = make_run(tenant, items=[{"product": make_product(tenant, sku="AXO-01", name="Axolotl"), "quantity": 6}])
    item, material = run.items.get(), run.materials.get()

    response = member_browser.get(f"{RUNS}{run.pk}/complete/", **HTML)

    assert response.status_code == 200
    assert run.run_number in response.content.decode()  # the run the form acts on
    form = post_form(response)
    assert input_value(form, "items[0]id") == str(item.pk)
    assert "AXO-01 Axolotl x6" in form
    assert input_value(form, "materials[0]id") == str(material.pk)
    assert f"{material.spool.code}: estimated 100.00 g, spool now 1000.00 g" in form
    assert 'name="materials[0]spool_weight_before_g"' in form and 'name="materials[0]spool_weight_after_g"' in form
    assert "Add a row" not in form  # a completion names the run's own rows


def test_a_run_completed_in_the_form_with_real_weights(member_browser, tenant, make_run):
    run = make_run(tenant)
    item, material = run.items.get(), run.materials.get()

    response = member_browser.post(
        f"{RUNS}{run.pk}/complete/",
        {
            "quality_rating": "4",
            "items[0]id": str(item.pk),
            "items[0]successful_quantity": "9",
            "items[0]failed_quantity": "1",
            "materials[0]id": str(material.pk),
            "materials[0]spool_weight_before_g": "1000.00",
            "materials[0]spool_weight_after_g": "871.35",
        },
        **HTML,
    )

    assert response.status_code == 200, response.content
    run.refresh_from_db()
    material.refresh_from_db()
    assert run.status == "completed"
    assert material.actual_total_g == Decimal("128.65")
    assert material.spool.current_weight_g == Decimal("871.35")
    assert (run.items.get().successful_quantity, run.items.get().failed_quantity) == (9, 1)


def test_rows_left_blank_in_the_completion_form_are_not_named(member_browser, tenant, make_run):
    run = make_run(tenant)
    item, material = run.items.get(), run.materials.get()

    response = member_browser.post(
        f"{RUNS}{run.pk}/complete/",
        {
            "use_estimates": "true",
            "items[0]id": str(item.pk),
            "items[0]successful_quantity": "",
            "materials[0]id": str(material.pk),
            "materials[0]actual_model_g": "",
        },
        **HTML,
    )

    assert response.status_code == 200, response.content
    assert run.items.get().successful_quantity == 10  # not named: the whole quantity succeeded
    assert run.materials.get().actual_total_g == Decimal("100.00")  # the estimate


def test_a_refusal_of_the_service_keeps_the_typed_form_and_says_why(member_browser, tenant, make_run):
    run = make_run(tenant)
    material = run.materials.get()

    response = member_browser.post(
        f"{RUNS}{run.pk}/complete/",
        {
            "notes": "weighed twice",
            "materials[0]id": str(material.pk),
            "materials[0]spool_weight_before_g": "900",
            "materials[0]spool_weight_after_g": "950",
        },
        **HTML,
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="refusal"[^>]*>[^<]*exceeds the weight before', html)
    form = post_form(response)
    assert input_value(form, "materials[0]spool_weight_after_g") == "950.00"
    assert "weighed twice" in form
    run.refresh_from_db()
    assert run.status == "in_progress"


def test_fail_page_offers_the_reasons_and_a_row_per_material(member_browser, tenant, make_run):
    run = make_run(tenant)

    response = member_browser.get(f"{RUNS}{run.pk}/fail/", **HTML)

    assert response.status_code == 200
    form = post_form(response)
    assert options(form, "failure_reason")["spaghetti"] == "Spaghetti"
    assert input_value(form, "materials[0]id") == str(run.materials.get().pk)
    assert 'name="items[0]id"' not in form


def test_a_run_failed_in_the_form_writes_its_waste(member_browser, tenant, make_run):
    run = make_run(tenant)
    material = run.materials.get()

    response = member_browser.post(
        f"{RUNS}{run.pk}/fail/",
        {"failure_reason": "spaghetti", "materials[0]id": str(material.pk), "materials[0]actual_model_g": "35.5"},
        **HTML,
    )

    assert response.status_code == 200, response.content
    assert InventoryTransaction.objects.get(production_run=run, type="waste").weight_change_g == Decimal("-35.50")


# --- action pages, confirmations -------------------------------------------------------------


@pytest.mark.parametrize("action", ["complete", "fail", "cancel", "reopen"])
def test_run_action_pages_answer_get_with_their_form(manager_browser, tenant, make_run, action):
    run = make_run(tenant)
    if action == "reopen":
        complete_run(run=run, user=None, completion=_estimates())

    response = manager_browser.get(f"{RUNS}{run.pk}/{action}/", **HTML)

    assert response.status_code == 200
    assert post_form(response) is not None


def test_adjust_page_answers_get_with_its_form(manager_browser, tenant, make_spool):
    spool = make_spool(tenant)

    response = manager_browser.get(f"/api/v1/spools/{spool.pk}/adjust/", **HTML)

    assert response.status_code == 200
    assert spool.code in response.content.decode()
    assert 'name="new_weight_g"' in post_form(response)


@pytest.mark.parametrize("action", ["complete", "fail", "cancel", "reopen"])
def test_a_json_get_of_an_action_stays_405(manager_api, tenant, make_run, action):
    run = make_run(tenant)

    response = manager_api.get(f"{RUNS}{run.pk}/{action}/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("action", ["cancel", "reopen"])
def test_cancel_and_reopen_pages_ask_for_confirmation_and_change_nothing(manager_browser, tenant, make_run, action):
    run = make_run(tenant)
    if action == "reopen":
        complete_run(run=run, user=None, completion=_estimates())
    status = ProductionRun.objects.get(pk=run.pk).status

    html = manager_browser.get(f"{RUNS}{run.pk}/{action}/", **HTML).content.decode()

    confirmation = re.search(r'id="confirmation"[^>]*>([^<]*)<', html).group(1)
    assert confirmation.startswith(f"{action.capitalize()} run {run.run_number}?")
    assert ProductionRun.objects.get(pk=run.pk).status == status


def test_the_confirmation_is_not_offered_to_a_member_who_may_not_reopen(member_browser, tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=_estimates())

    response = member_browser.get(f"{RUNS}{run.pk}/reopen/", **HTML)

    assert response.status_code == 200
    assert 'id="confirmation"' not in response.content.decode()
    assert post_form(response) is None


def test_delete_asks_for_confirmation(manager_browser, tenant, make_run):
    run = make_run(tenant)

    html = manager_browser.get(f"{RUNS}{run.pk}/", **HTML).content.decode()

    # DRF's DELETE button opens a modal asking "Are you sure"; only its form sends the DELETE.
    assert 'data-toggle="modal" data-target="#deleteModal">DELETE</button>' in html
    modal = html[html.index('id="deleteModal"') :]
    assert "Are you sure you want to delete this" in modal
    assert 'data-method="DELETE"' in modal


# --- links --------------------------------------------------------------------------------------


def test_run_page_links_its_actions_ledger_rows_spools_and_printer(member_browser, tenant, make_run, make_printer):
    run = make_run(tenant, printer=make_printer(tenant, name="Prusa A"))
    spool = run.materials.get().spool

    links = page_links(member_browser.get(f"{RUNS}{run.pk}/", **HTML))

    assert links["Ledger rows"].endswith(f"/api/v1/inventory-transactions/?production_run={run.pk}")
    assert links[f"Spool {spool.code}"].endswith(f"/api/v1/spools/{spool.pk}/")
    assert links["Printer Prusa A"].endswith(f"/api/v1/printers/{run.printer_id}/")
    assert links["Complete..."].endswith(f"{RUNS}{run.pk}/complete/")
    assert "Reopen..." not in links  # not a transition of an in-progress run
    assert links["History"].endswith(f"{RUNS}{run.pk}/history/")


def test_the_runs_ledger_link_lists_its_rows(member_browser, tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=_estimates())
    links = page_links(member_browser.get(f"{RUNS}{run.pk}/", **HTML))

    rows = member_browser.get(links["Ledger rows"]).json()["results"]

    assert [(row["type"], row["weight_change_g"]) for row in rows] == [("usage", "-100.00")]
    assert not any(label.startswith("Reopen") for label in page_links(member_browser.get(f"{RUNS}{run.pk}/", **HTML)))


def test_spool_page_links_its_history(member_browser, tenant, make_spool):
    spool = make_spool(tenant)

    links = page_links(member_browser.get(f"/api/v1/spools/{spool.pk}/", **HTML))

    assert links["History (ledger rows)"].endswith(f"/api/v1/inventory-transactions/?spool={spool.pk}")
    assert links["Runs that used it"].endswith(f"{RUNS}?spool={spool.pk}")
    assert [row["type"] for row in member_browser.get(links["History (ledger rows)"]).json()["results"]] == ["purchase"]


def test_ledger_row_page_links_its_spool_and_run(member_browser, tenant, make_run):
    run = make_run(tenant)
    complete_run(run=run, user=None, completion=_estimates())
    row = InventoryTransaction.objects.get(production_run=run)

    links = page_links(member_browser.get(f"/api/v1/inventory-transactions/{row.pk}/", **HTML))

    assert links[f"Spool {row.spool.code}"].endswith(f"/api/v1/spools/{row.spool_id}/")
    assert links[f"Run {run.run_number}"].endswith(f"{RUNS}{run.pk}/")


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/materials/",
        "/api/v1/spools/",
        "/api/v1/inventory-transactions/",
        "/api/v1/products/",
        "/api/v1/printers/",
        RUNS,
    ],
)
def test_every_filter_of_a_list_has_a_human_label(member_browser, url):
    html = member_browser.get(url, **HTML).content.decode()

    assert "[invalid name]" not in html
    assert 'id="filtersModal"' in html


def test_every_filterset_names_its_filters():
    from config.urls import router, runs_router

    for _, viewset, _ in [*router.registry, *runs_router.registry]:
        filterset = getattr(viewset, "filterset_class", None)
        for name, filter_ in filterset.base_filters.items() if filterset else ():
            assert filter_.label and filter_.label != "[invalid name]", (viewset.__name__, name)


def test_the_run_filters_read_as_words(member_browser):
    html = member_browser.get(RUNS, **HTML).content.decode()

    for label in ("Started on or after", "Started on or before", "Product", "Spool", "Printer", "Reprint"):
        assert f">{label}" in html, label
