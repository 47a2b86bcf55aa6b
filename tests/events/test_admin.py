"""Staff see the events, webhooks and deliveries of every tenant, read-only, never a webhook's secret."""

import pytest
from django.apps import apps

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
