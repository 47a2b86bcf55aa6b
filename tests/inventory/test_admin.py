"""Django admin for inventory: changelists, the spool's ledger inline, an immutable ledger, spool creation."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool
from tests.support.clients import browser_for


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    return browser_for(user)


@pytest.fixture
def spool(tenant, make_spool):
    spool = make_spool(tenant, code="ADMIN-SPOOL-1", location="Rack 7")
    adjust_spool(
        spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-12.34"), reason="Tangled end")
    )
    return spool


@pytest.mark.parametrize("model", ["material", "spool", "inventorytransaction"])
def test_changelists_load(staff, spool, model):
    response = staff.get(f"/admin/inventory/{model}/")

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_spool_changelist_shows_columns_and_searches(staff, spool, tenant, other_tenant, make_spool):
    make_spool(other_tenant, code="OTHER-SPOOL")

    response = staff.get("/admin/inventory/spool/", {"q": "ADMIN-SPOOL"})
    assert [row.code for row in response.context["cl"].result_list] == ["ADMIN-SPOOL-1"]
    content = response.content.decode()
    assert "Rack 7" in content
    assert "98.77" in content  # remaining %: 987.66 / 1000

    by_tenant = staff.get("/admin/inventory/spool/", {"tenant__id__exact": str(other_tenant.pk)})
    assert [row.code for row in by_tenant.context["cl"].result_list] == ["OTHER-SPOOL"]


def test_spool_change_page_shows_its_ledger_inline(staff, spool):
    response = staff.get(f"/admin/inventory/spool/{spool.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Tangled end" in content
    assert "Initial weight on purchase" in content
    assert "-12.34" in content
    (ledger_inline,) = [
        formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is InventoryTransaction
    ]
    assert len(ledger_inline.formset.queryset) == 2
    assert not ledger_inline.has_add_permission
    assert not ledger_inline.has_change_permission
    assert not ledger_inline.formset.can_delete


def test_ledger_has_no_add_change_or_delete_permission(staff, spool):
    row = spool.transactions.order_by("sequence").last()

    assert staff.get("/admin/inventory/inventorytransaction/add/").status_code == 403
    assert staff.post("/admin/inventory/inventorytransaction/add/", {}).status_code == 403
    assert staff.get(f"/admin/inventory/inventorytransaction/{row.pk}/delete/").status_code == 403
    # Its change page is a read-only view: a POST changes nothing.
    page = staff.get(f"/admin/inventory/inventorytransaction/{row.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    staff.post(f"/admin/inventory/inventorytransaction/{row.pk}/change/", {"description": "rewritten"})
    row.refresh_from_db()
    assert row.description == "Tangled end"


def test_ledger_changelist_offers_no_bulk_delete(staff, spool):
    response = staff.get("/admin/inventory/inventorytransaction/")

    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()
    assert staff.get("/admin/inventory/spool/").content.decode().count("delete_selected") >= 1


def spool_form(tenant, material, **overrides):
    return {
        "tenant": str(tenant.pk),
        "code": "ADMIN-NEW-1",
        "material": str(material.pk),
        "initial_weight_g": "850.00",
        "empty_spool_weight_g": "",
        "purchase_price": "20.00",
        "purchased_at": "",
        "supplier": "",
        "location": "Rack 1",
        "is_active": "on",
        "transactions-TOTAL_FORMS": "0",
        "transactions-INITIAL_FORMS": "0",
        "transactions-MIN_NUM_FORMS": "0",
        "transactions-MAX_NUM_FORMS": "0",
        **overrides,
    }


def test_adding_a_spool_in_admin_writes_its_purchase_row(staff, tenant, make_material):
    material = make_material(tenant)

    response = staff.post("/admin/inventory/spool/add/", spool_form(tenant, material))

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    spool = Spool.objects.get(code="ADMIN-NEW-1")
    assert spool.tenant == tenant
    assert spool.current_weight_g == Decimal("850.00")
    (row,) = spool.transactions.all()
    assert (row.type, row.weight_before_g, row.weight_change_g, row.weight_after_g) == (
        "purchase",
        Decimal("0.00"),
        Decimal("850.00"),
        Decimal("850.00"),
    )
    assert row.tenant == tenant
    assert row.user.username == "root"


def test_admin_refuses_a_spool_whose_material_is_another_tenants(staff, tenant, other_tenant, make_material):
    foreign = make_material(other_tenant)

    response = staff.post("/admin/inventory/spool/add/", spool_form(tenant, foreign))

    assert response.status_code == 200
    assert "material" in response.context["adminform"].form.errors
    assert not Spool.objects.exists()
    assert not InventoryTransaction.objects.exists()


def test_admin_cannot_change_a_spools_weights(staff, spool):
    response = staff.post(
        f"/admin/inventory/spool/{spool.pk}/change/",
        spool_form(
            spool.tenant,
            spool.material,
            code=spool.code,
            initial_weight_g="1.00",
            current_weight_g="1.00",
            location="Rack 9",
            **{"transactions-TOTAL_FORMS": "2", "transactions-INITIAL_FORMS": "2"},
            **{f"transactions-{i}-id": str(row.pk) for i, row in enumerate(spool.transactions.order_by("-sequence"))},
            **{f"transactions-{i}-spool": str(spool.pk) for i in range(2)},
        ),
    )

    assert response.status_code == 302
    spool.refresh_from_db()
    assert spool.location == "Rack 9"
    assert spool.initial_weight_g == Decimal("1000.00")
    assert spool.current_weight_g == Decimal("987.66")
    assert spool.transactions.count() == 2


def test_admin_cannot_move_a_material_to_another_tenant(staff, tenant, other_tenant, make_spool):
    material = make_spool(tenant).material

    response = staff.post(
        f"/admin/inventory/material/{material.pk}/change/",
        {
            "tenant": str(other_tenant.pk),
            "name": "Moved",
            "kind": "PLA",
            "diameter_mm": "1.75",
            "color_hex": "",
            "low_stock_threshold_percent": "20",
        },
    )

    assert response.status_code == 302
    material.refresh_from_db()
    assert material.name == "Moved"
    # Its spools stay in `tenant`, so the material must too.
    assert material.tenant == tenant
