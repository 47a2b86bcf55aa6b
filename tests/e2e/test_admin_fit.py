"""Every admin list fits a 1366 px screen beside the admin's menu and filters, the tenant column in view."""

from decimal import Decimal

import pytest

from production.models import Printer
from production.services import Completion, RunDraft, complete_run, create_run
from tests.e2e.conftest import PASSWORD, screenshot

LISTS = [
    "inventory/spool",
    "inventory/material",
    "inventory/inventorytransaction",
    "production/productionrun",
    "production/product",
    "production/printer",
    "production/productionrunitem",
    "production/productionrunmaterial",
    "production/runnumbercounter",
]
FITS = """() => {
  const table = document.querySelector('#result_list');
  const box = document.querySelector('#changelist .results');
  const tenant = document.querySelector('#result_list th.column-tenant_slug');
  return {
    overflow: Math.round(table.getBoundingClientRect().right - box.getBoundingClientRect().right),
    tenantVisible: tenant !== null && tenant.getBoundingClientRect().right <= document.documentElement.clientWidth,
  };
}"""


@pytest.mark.e2e
def test_admin_lists_fit_a_1366_pixel_screen(page, farm, django_user_model):
    django_user_model.objects.create_superuser("staff", password=PASSWORD)
    printer = Printer.objects.create(tenant=farm.tenant, name="Prusa MK4 #1", model="Original Prusa MK4")
    draft = {
        "printer": printer,
        "items": [{"product": farm.product, "quantity": 4}],
        "materials": [{"spool": farm.spool, "estimated_model_g": Decimal("180.00")}],
    }
    run = create_run(tenant=farm.tenant, user=farm.member, draft=RunDraft.from_data(draft))
    complete_run(run=run, user=farm.member, completion=Completion(use_estimates=True))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    measured = {}
    for path in LISTS:
        page.goto(f"/admin/{path}/")
        measured[path] = page.evaluate(FITS)
        if path == "inventory/spool":
            screenshot(page, "admin-spools-1366", full_page=False)

    assert {path: figures for path, figures in measured.items() if figures["overflow"] > 0} == {}
    assert [path for path, figures in measured.items() if not figures["tenantVisible"]] == []
