"""Admin polish (issue 12.10): kind labels as written, colour swatches, the tenant first, developer
notes kept off operator pages, and a superuser told why a spool with history stays."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from drf_spectacular.generators import SchemaGenerator

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool
from tests.support.clients import browser_for


@pytest.fixture
def staff(db):
    return browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))


def test_kind_filters_read_as_the_trade_writes_them(staff, tenant, make_spool):
    make_spool(tenant)
    page = staff.get("/admin/inventory/spool/").content.decode()
    filters = re.findall(r'<a href="\?material__kind__exact=\w+">([^<]+)</a>', page)

    assert filters[:3] == ["PLA", "PETG", "ABS"]
    assert "Pla" not in filters


def test_materials_and_spools_show_their_colour(staff, tenant, make_material, make_spool):
    red = make_material(tenant, name="Galaxy Red", color_name="Red", color_hex="#C4112F")
    make_spool(tenant, red, code="RED-1")

    for url in ("/admin/inventory/material/", "/admin/inventory/spool/"):
        page = staff.get(url).content.decode()
        assert re.search(r'class="swatch" style="[^"]*background:#C4112F"', page), url


def test_the_spool_list_keeps_the_tenant_in_eight_columns(staff, tenant, make_spool):
    make_spool(tenant, code="ANY-1")
    response = staff.get("/admin/inventory/spool/")

    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', response.content.decode())
    assert headers == ["code", "number", "material_swatch", "weight", "stock", "location", "is_active", "tenant_slug"]
    assert "1000.00 g (100 %)" in response.content.decode()


def test_a_change_form_names_the_tenant_first(staff, tenant, make_spool):
    spool = make_spool(tenant, code="ANY-1")
    page = staff.get(f"/admin/inventory/spool/{spool.pk}/change/").content.decode()

    rows = re.findall(r'<div class="form-row field-(\w+)', page)
    assert rows[0] == "tenant"
    assert "ledger_version" not in rows


def test_a_superuser_is_told_why_a_spool_with_history_stays(staff, tenant, make_spool, member):
    spool = make_spool(tenant, code="USED-1")
    adjust_spool(spool=spool, user=member, adjustment=Adjustment(type="waste", delta_g=Decimal("-5.00")))

    page = staff.get(f"/admin/inventory/spool/{spool.pk}/delete/").content.decode()
    assert "This spool cannot be deleted" in page
    assert "Spool USED-1 cannot be deleted: it has 1 ledger row besides its purchase." in page
    assert "Is active" in page
    assert "protected related objects" not in page

    staff.post(f"/admin/inventory/spool/{spool.pk}/delete/", {"post": "yes"})
    assert Spool.objects.filter(pk=spool.pk).exists()


def test_the_bulk_delete_says_the_same(staff, tenant, make_spool, make_run):
    spool = make_spool(tenant, code="IN-RUN-1")
    make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")}])

    page = staff.post(
        "/admin/inventory/spool/", {"action": "delete_selected", "_selected_action": [str(spool.pk)]}
    ).content.decode()

    assert "1 production run using it" in page
    assert Spool.objects.filter(pk=spool.pk).exists()


def test_a_spool_with_only_its_purchase_is_deleted_through_the_service(staff, tenant, make_spool):
    spool = make_spool(tenant, code="MISTAKE-1")

    page = staff.get(f"/admin/inventory/spool/{spool.pk}/delete/").content.decode()
    assert "MISTAKE-1 (and its purchase row)" in page
    response = staff.post(f"/admin/inventory/spool/{spool.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Spool.objects.filter(pk=spool.pk).exists()
    assert not InventoryTransaction.objects.filter(spool_id=spool.pk).exists()


def test_no_operation_description_carries_developer_notes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    notes = re.compile(r"queryset|\.py\b|`production\.services`|mixin|Base of", re.IGNORECASE)

    leaking = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and notes.search(operation.get("description", ""))
    ]
    assert leaking == []
