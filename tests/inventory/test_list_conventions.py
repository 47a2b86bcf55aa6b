"""The list conventions of section 3 on every catalog and inventory list: pagination, ordering, strict filters."""

from decimal import Decimal

import pytest

from inventory.models import Material, Spool
from inventory.services import Movement, record_movements
from production.models import Printer, Product


def bulk_materials(tenant, n):
    # bulk_create skips save(), which numbers a row: these rows bring their own numbers.
    Material.objects.bulk_create(
        Material(tenant=tenant, number=i + 1, name=f"Material {i:03d}", kind="PLA") for i in range(n)
    )


def bulk_spools(tenant, n):
    material = Material.objects.create(tenant=tenant, name="PLA", kind="PLA")
    Spool.objects.bulk_create(
        Spool(tenant=tenant, number=i + 1, code=f"SP-{i:03d}", material=material, initial_weight_g=Decimal("1000"))
        for i in range(n)
    )


def bulk_ledger(tenant, n):
    """One spool with `n` ledger rows, written through the ledger service."""
    material = Material.objects.create(tenant=tenant, name="PLA", kind="PLA")
    spool = Spool.objects.create(tenant=tenant, code="LEDGER", material=material, initial_weight_g=Decimal("1000"))
    record_movements(
        movements=[Movement(spool_id=spool.pk, type="adjustment", change_g=Decimal(i + 1)) for i in range(n)],
        user=None,
    )


def bulk_products(tenant, n):
    Product.objects.bulk_create(Product(tenant=tenant, sku=f"SKU-{i:03d}", name=f"Product {i}") for i in range(n))


def bulk_printers(tenant, n):
    Printer.objects.bulk_create(Printer(tenant=tenant, name=f"Printer {i:03d}") for i in range(n))


ENDPOINTS = {
    "/api/v1/materials/": bulk_materials,
    "/api/v1/spools/": bulk_spools,
    "/api/v1/inventory-transactions/": bulk_ledger,
    "/api/v1/products/": bulk_products,
    "/api/v1/printers/": bulk_printers,
}

# A valid ordering per list, with the field it sorts by and whether it is descending.
ORDERINGS = {
    "/api/v1/materials/": ("-name", "name", True),
    "/api/v1/spools/": ("-code", "code", True),
    "/api/v1/inventory-transactions/": ("-weight_change_g", "weight_change_g", True),
    "/api/v1/products/": ("-sku", "sku", True),
    "/api/v1/printers/": ("-name", "name", True),
}

endpoints = pytest.mark.parametrize("url", list(ENDPOINTS))


@endpoints
def test_list_has_pagination_envelope_with_default_page_size_20(api, tenant, url):
    ENDPOINTS[url](tenant, 25)

    first = api.get(url)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]

    second = api.get(body["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None
    ids = {row["id"] for row in body["results"]} | {row["id"] for row in second["results"]}
    assert len(ids) == 25


@endpoints
def test_page_size_is_honoured_and_capped_at_100(api, tenant, url):
    ENDPOINTS[url](tenant, 101)

    assert len(api.get(url, {"page_size": 7}).json()["results"]) == 7
    capped = api.get(url, {"page_size": 500}).json()
    assert capped["count"] == 101
    assert len(capped["results"]) == 100


@endpoints
@pytest.mark.parametrize("page_size", ["0", "-5", "abc", "1.5"])
def test_bad_page_size_is_400_naming_page_size(api, url, page_size):
    response = api.get(url, {"page_size": page_size})

    assert response.status_code == 400
    assert "page_size" in response.json()


@endpoints
def test_ordering_by_a_listed_field(api, tenant, url):
    ENDPOINTS[url](tenant, 5)
    ordering, field, descending = ORDERINGS[url]

    rows = api.get(url, {"ordering": ordering}).json()["results"]

    values = [Decimal(row[field]) if field.endswith("_g") else row[field] for row in rows]
    assert len(values) == 5
    assert values == sorted(values, reverse=descending)


@endpoints
@pytest.mark.parametrize("ordering", ["bogus", "-tenant", "password"])
def test_invalid_ordering_is_400_naming_ordering(api, url, ordering):
    response = api.get(url, {"ordering": ordering})

    assert response.status_code == 400
    assert "ordering" in response.json()


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/spools/", "is_active"),
        ("/api/v1/spools/", "low_stock"),
        ("/api/v1/products/", "is_active"),
        ("/api/v1/printers/", "is_active"),
    ],
)
@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_non_boolean_value_for_boolean_filter_is_400(api, url, parameter, value):
    response = api.get(url, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize(("url", "make"), [("/api/v1/products/", bulk_products), ("/api/v1/printers/", bulk_printers)])
def test_is_active_filter_on_products_and_printers(api, tenant, url, make):
    make(tenant, 3)
    model = Product if "products" in url else Printer
    retired = model.objects.for_tenant(tenant).first()
    retired.is_active = False
    retired.save()

    inactive = api.get(url, {"is_active": "false"}).json()["results"]
    active = api.get(url, {"is_active": "true"}).json()["results"]

    assert [row["id"] for row in inactive] == [str(retired.pk)]
    assert len(active) == 2
    assert str(retired.pk) not in {row["id"] for row in active}
