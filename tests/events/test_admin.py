"""Staff see the events, webhooks and deliveries of every tenant, read-only, never a webhook's secret."""

import pytest
from django.apps import apps

from events.models import Event
from inventory.models import Material
from production.models import Product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["event", "webhook", "webhookdelivery"])
def test_staff_list_every_tenants_rows(admin_client, tenant, other_tenant, make_run, make_delivery, model):
    for owner in (tenant, other_tenant):
        make_run(owner)
        make_delivery(owner)

    response = admin_client.get(f"/admin/events/{model}/")

    rows = apps.get_model("events", model).objects.all()
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows.count()
    assert {row.tenant_id for row in rows} == {tenant.pk, other_tenant.pk}


def test_a_webhooks_page_does_not_show_its_secret(admin_client, tenant, make_webhook):
    hook = make_webhook(tenant)

    response = admin_client.get(f"/admin/events/webhook/{hook.pk}/change/")

    assert response.status_code == 200
    assert hook.secret not in response.content.decode()
    assert hook.url in response.content.decode()


def admin_form(admin_client, url):
    """The admin form's initial data at `url`, as a browser would post it back."""
    form = admin_client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None and not (isinstance(value, bool) and not value):
            data[name] = value.pk if hasattr(value, "pk") else value
    return data


def test_a_material_added_in_the_admin_records_its_event(admin_client, tenant):
    data = {**admin_form(admin_client, "/admin/inventory/material/add/"), "tenant": tenant.pk}
    data.update(name="Admin PLA", kind="PLA", diameter_mm="1.75", low_stock_threshold_percent="20")

    response = admin_client.post("/admin/inventory/material/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    material = Material.objects.get(name="Admin PLA")
    event = Event.objects.get(type="material.created")
    assert (event.resource_id, event.payload["name"], event.payload["number"]) == (material.pk, "Admin PLA", 1)


def test_a_material_changed_in_the_admin_records_its_event(admin_client, tenant, make_material):
    material = make_material(tenant, name="Old name")
    url = f"/admin/inventory/material/{material.pk}/change/"

    response = admin_client.post(url, {**admin_form(admin_client, url), "name": "New name"})

    assert response.status_code == 302
    event = Event.objects.get(type="material.updated")
    assert event.payload["name"] == "New name"


def test_a_product_deleted_in_the_admin_records_its_event(admin_client, tenant, make_product):
    product = make_product(tenant)

    response = admin_client.post(f"/admin/production/product/{product.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert Event.objects.get(type="product.deleted").payload["sku"] == product.sku
