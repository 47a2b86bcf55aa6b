"""Django admin in a real browser: staff open a run and see its items and materials inline."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from production.services import RunDraft, create_run
from tests.e2e.conftest import PASSWORD, screenshot


@pytest.mark.e2e
def test_staff_open_a_run_and_see_its_items_and_materials_inline(page, farm, js_errors, django_user_model):
    django_user_model.objects.create_superuser("staff", password=PASSWORD)
    run = create_run(
        tenant=farm.tenant,
        user=farm.member,
        draft=RunDraft.from_data(
            {
                "items": [{"product": farm.product, "quantity": 6, "bed_position": "left"}],
                "materials": [{"spool": farm.spool, "estimated_model_g": Decimal("118.40")}],
            }
        ),
    )

    page.goto("/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    screenshot(page, "admin-01-login")
    page.click("input[type=submit]")

    page.get_by_role("link", name="Production runs", exact=True).click()
    expect(page.get_by_role("link", name=run.run_number)).to_be_visible()
    screenshot(page, "admin-02-run-list")

    page.get_by_role("link", name=run.run_number).click()
    items, materials = page.locator("#items-group"), page.locator("#materials-group")
    expect(items).to_contain_text("AXO-01 Axolotl")
    expect(items).to_contain_text("left")
    expect(materials).to_contain_text("PLA-RED-001")
    expect(materials).to_contain_text("118.40")
    screenshot(page, "admin-03-run-with-inlines")
    assert js_errors == []
