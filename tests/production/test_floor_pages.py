"""The farm floor in the browser (issue 21.10): the queue as a table with ready and short marks, a
printer's page with its slots and a dispatch button, a slot loaded by typing (or scanning) a code."""

from decimal import Decimal

import pytest

from production.models import ProductionRun
from production.services import RunDraft, create_run
from tests.support.clients import browser_for, post_form
from tests.support.html import page_links, tables

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def floor(tenant, member, make_product, make_printer, make_spool, make_material):
    printer = make_printer(tenant, name="Bambu P1S", slot_count=4)
    red = make_spool(tenant, code="PLA-RED-001")
    blue = make_material(tenant, name="PLA Basic", color_name="Blue", color_hex="#0000FF")
    product = make_product(tenant, sku="AXO-01", name="Axolotl")

    def plan(materials, **fields):
        draft = RunDraft.from_data(
            {"status": "planned", "items": [{"product": product, "quantity": 2}], "materials": materials, **fields}
        )
        return create_run(tenant=tenant, user=member, draft=draft)

    ready = plan([{"spool": red, "estimated_model_g": Decimal("100.00")}], priority="urgent")
    short = plan([{"material": blue, "estimated_model_g": Decimal("50.00")}])
    return printer, red, ready, short


def test_the_queue_is_a_table_with_ready_and_short_marks(member_browser, floor):
    _printer, _red, ready, short = floor

    [table] = tables(member_browser.get("/api/v1/queue/", **HTML))

    assert table["headers"] == [
        "#",
        "Run",
        "Priority",
        "Planned start",
        "Printer",
        "Items",
        "Material lines",
        "Ready",
        "",
    ]
    first, second = table["rows"]
    assert first[:3] == ["1", ready.run_number, "urgent"]
    assert first[6] == "PLA-RED-001: 100.00 g" and first[7] == "ready" and first[8] == "Start..."
    assert second[1] == short.run_number
    assert second[6] == "PLA Basic Blue: 50.00 g, short 50.00 g"
    assert second[7] == "short on 1 line"


def test_a_viewer_reads_the_queue_without_start_links(tenant, make_member, floor):
    [table] = tables(browser_for(make_member(tenant, "viewer")).get("/api/v1/queue/", **HTML))

    assert [row[8] for row in table["rows"]] == ["", ""]


def test_a_printer_page_links_its_slots_queue_and_dispatch(member_browser, floor):
    printer = floor[0]

    links = page_links(member_browser.get(f"/api/v1/printers/{printer.pk}/", **HTML))

    assert links["Slots (load a spool)"].endswith(f"/api/v1/printers/{printer.pk}/slots/")
    assert links["Dispatch..."].endswith(f"/api/v1/printers/{printer.pk}/dispatch/")
    assert links["Queue for this printer"].endswith(f"/api/v1/queue/?printer={printer.pk}")


def test_a_viewer_gets_no_dispatch_or_load(tenant, make_member, floor):
    printer = floor[0]
    viewer = browser_for(make_member(tenant, "viewer"))

    links = page_links(viewer.get(f"/api/v1/printers/{printer.pk}/", **HTML))
    [slots] = tables(viewer.get(f"/api/v1/printers/{printer.pk}/slots/", **HTML))

    assert "Dispatch..." not in links
    assert "Load" not in slots["headers"]


def test_the_printer_list_is_a_table(member_browser, floor):
    [table] = tables(member_browser.get("/api/v1/printers/", **HTML))

    assert table["headers"] == ["Printer", "Model", "State", "Printing", "Slots", "Active"]
    assert table["rows"][0][0] == "Bambu P1S" and table["rows"][0][2] == "idle" and table["rows"][0][4] == "4 slots"


def test_a_slot_is_loaded_by_typing_a_code_in_its_form_then_dispatch_starts_the_ready_run(member_browser, floor):
    printer, _red, ready, _short = floor
    slots_url = f"/api/v1/printers/{printer.pk}/slots/"
    [table] = tables(member_browser.get(slots_url, **HTML))
    assert [row[1] for row in table["rows"]] == ["empty"] * 4
    html = member_browser.get(slots_url, **HTML).content.decode()
    assert f'action="http://testserver{slots_url}2/" method="post" data-method="PUT"' in html

    # What DRF's form script sends: the form's fields, urlencoded, as a PUT.
    loaded = member_browser.put(
        f"{slots_url}2/", "spool=PLA-RED-001", content_type="application/x-www-form-urlencoded", **HTML
    )
    assert loaded.status_code == 200
    [table] = tables(member_browser.get(slots_url, **HTML))
    assert table["rows"][2][1] == "PLA-RED-001" and table["rows"][2][3] == "1000.00 g"

    page = member_browser.get(f"/api/v1/printers/{printer.pk}/dispatch/", **HTML)
    assert "Dispatch to Bambu P1S?" in page.content.decode()
    assert post_form(page) is not None
    answer = member_browser.post(f"/api/v1/printers/{printer.pk}/dispatch/", **HTML)

    assert answer.status_code == 200
    ready.refresh_from_db()
    assert ready.status == "in_progress" and ready.printer_id == printer.pk
    assert page_links(answer)[f"Run {ready.run_number} (started)"].endswith(f"/api/v1/production-runs/{ready.pk}/")


def test_the_spool_list_shows_free_grams_and_where_a_spool_is_loaded(member_browser, floor):
    printer, _red, _ready, _short = floor
    member_browser.put(
        f"/api/v1/printers/{printer.pk}/slots/1/", "spool=PLA-RED-001", content_type="application/x-www-form-urlencoded"
    )

    [table] = tables(member_browser.get("/api/v1/spools/", **HTML))

    assert table["headers"] == [
        "Code",
        "No.",
        "Material",
        "Kind",
        "Remaining",
        "Available",
        "Loaded in",
        "Location",
        "Active",
    ]
    [row] = table["rows"]
    assert row[5] == "900.00 g"  # 100 g reserved by the planned run
    assert row[6] == "Bambu P1S, slot 1"
    assert ProductionRun.objects.count() == 2
