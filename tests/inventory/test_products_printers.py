"""Products and printers (they live in `production`): CRUD, validation, filters and protected deletes."""

from decimal import Decimal

import pytest

from production.models import Printer, Product

PRODUCTS = "/api/v1/products/"
PRINTERS = "/api/v1/printers/"


# Products


def test_member_creates_product(api, tenant):
    response = api.post(
        PRODUCTS,
        {
            "sku": "AXO-01",
            "name": "Axolotl",
            "description": "Articulated",
            "unit_weight_g": "12.5",
            "material_kind": "PLA",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["sku"], body["name"], body["material_kind"]) == ("AXO-01", "Axolotl", "PLA")
    assert body["unit_weight_g"] == "12.50"
    assert body["is_active"] is True
    assert Product.objects.get(pk=body["id"]).tenant == tenant


def test_product_optional_fields_may_be_empty(api):
    response = api.post(PRODUCTS, {"sku": "BARE", "name": "Bare"})

    assert response.status_code == 201
    assert response.json()["unit_weight_g"] is None
    assert response.json()["material_kind"] == ""


def test_product_detail_put_and_patch(api, tenant, make_product):
    product = make_product(tenant, sku="OLD", name="Old")
    url = f"{PRODUCTS}{product.pk}/"

    assert api.get(url).json()["sku"] == "OLD"
    assert api.put(url, {"sku": "NEW", "name": "New", "unit_weight_g": "3"}).status_code == 200
    assert api.patch(url, {"is_active": False}).status_code == 200

    product.refresh_from_db()
    assert (product.sku, product.name, product.unit_weight_g, product.is_active) == ("NEW", "New", Decimal("3"), False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_weight_g", "-0.01"),
        ("unit_weight_g", "heavy"),
        ("material_kind", "WOOD"),
        ("sku", ""),
        ("name", ""),
    ],
)
def test_invalid_product_is_400_on_the_field_and_nothing_written(api, field, value):
    response = api.post(PRODUCTS, {"sku": "S-1", "name": "Thing", field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()


def test_duplicate_sku_in_one_tenant_is_400_on_sku(api, tenant, make_product):
    make_product(tenant, sku="AXO-01")

    response = api.post(PRODUCTS, {"sku": "AXO-01", "name": "Another"})

    assert response.status_code == 400
    assert "sku" in response.json()
    assert Product.objects.count() == 1


def test_renaming_product_to_an_existing_sku_is_400(api, tenant, make_product):
    make_product(tenant, sku="TAKEN")
    product = make_product(tenant, sku="FREE")

    response = api.patch(f"{PRODUCTS}{product.pk}/", {"sku": "TAKEN"})

    assert response.status_code == 400
    assert "sku" in response.json()


def test_two_tenants_may_share_a_sku(other_api, tenant, make_product):
    make_product(tenant, sku="AXO-01")

    response = other_api.post(PRODUCTS, {"sku": "AXO-01", "name": "Their axolotl"})

    assert response.status_code == 201
    assert Product.objects.filter(sku="AXO-01").count() == 2


def test_filter_products_by_material_kind_and_search(api, tenant, make_product):
    make_product(tenant, sku="AXO-01", name="Axolotl", material_kind="PLA")
    make_product(tenant, sku="VASE-01", name="Vase", material_kind="PETG")

    assert [row["sku"] for row in api.get(PRODUCTS, {"material_kind": "PETG"}).json()["results"]] == ["VASE-01"]
    assert [row["sku"] for row in api.get(PRODUCTS, {"search": "axol"}).json()["results"]] == ["AXO-01"]
    assert [row["sku"] for row in api.get(PRODUCTS, {"ordering": "-sku"}).json()["results"]] == ["VASE-01", "AXO-01"]


def test_admin_deletes_unused_product(manager_api, tenant, make_product):
    product = make_product(tenant)

    assert manager_api.delete(f"{PRODUCTS}{product.pk}/").status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()


def test_deleting_product_used_by_a_run_is_409_protected(owner_api, tenant, make_product, make_run):
    product = make_product(tenant)
    make_run(tenant, items=[{"product": product, "quantity": 3}])

    response = owner_api.delete(f"{PRODUCTS}{product.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert "run" in response.json()["detail"]
    assert Product.objects.filter(pk=product.pk).exists()


# Printers


def test_member_creates_printer(api, tenant):
    response = api.post(PRINTERS, {"name": "X1C #1", "model": "Bambu X1C", "notes": "Left rack"})

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["model"], body["notes"], body["is_active"]) == ("X1C #1", "Bambu X1C", "Left rack", True)
    assert Printer.objects.get(pk=body["id"]).tenant == tenant


def test_printer_detail_put_and_patch(api, tenant, make_printer):
    printer = make_printer(tenant, name="Old")
    url = f"{PRINTERS}{printer.pk}/"

    assert api.get(url).json()["name"] == "Old"
    assert api.put(url, {"name": "MK4", "model": "Prusa MK4"}).status_code == 200
    assert api.patch(url, {"is_active": False}).status_code == 200

    printer.refresh_from_db()
    assert (printer.name, printer.model, printer.is_active) == ("MK4", "Prusa MK4", False)


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("name", "x" * 101), ("is_active", "sometimes")])
def test_invalid_printer_is_400_on_the_field_and_nothing_written(api, field, value):
    response = api.post(PRINTERS, {"name": "P1", field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert not Printer.objects.exists()


def test_duplicate_printer_name_in_one_tenant_is_400_on_name(api, tenant, make_printer):
    make_printer(tenant, name="X1C #1")

    response = api.post(PRINTERS, {"name": "X1C #1"})

    assert response.status_code == 400
    assert "name" in response.json()
    assert Printer.objects.count() == 1


def test_two_tenants_may_share_a_printer_name(other_api, tenant, make_printer):
    make_printer(tenant, name="X1C #1")

    response = other_api.post(PRINTERS, {"name": "X1C #1"})

    assert response.status_code == 201


def test_search_and_order_printers(api, tenant, make_printer):
    make_printer(tenant, name="A1", model="Bambu A1 mini")
    make_printer(tenant, name="MK4", model="Prusa MK4")

    assert [row["name"] for row in api.get(PRINTERS, {"search": "prusa"}).json()["results"]] == ["MK4"]
    assert [row["name"] for row in api.get(PRINTERS, {"ordering": "-name"}).json()["results"]] == ["MK4", "A1"]


def test_admin_deletes_unused_printer(manager_api, tenant, make_printer):
    printer = make_printer(tenant)

    assert manager_api.delete(f"{PRINTERS}{printer.pk}/").status_code == 204
    assert not Printer.objects.filter(pk=printer.pk).exists()


def test_deleting_printer_used_by_a_run_is_409_protected(manager_api, tenant, make_printer, make_run):
    printer = make_printer(tenant)
    make_run(tenant, printer=printer)

    response = manager_api.delete(f"{PRINTERS}{printer.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert Printer.objects.filter(pk=printer.pk).exists()
