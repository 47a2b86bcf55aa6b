"""Tenancy fails closed: a tenant-owned model refuses a query outside a tenant scope.

The test bodies run in the `all_tenants()` escape hatch (tests/conftest.py); what must work
without it runs here in a fresh context (`unscoped`), as a new thread or process would.
"""

import contextvars

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.core.management import call_command
from django.test import AsyncClient, Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction, Material, Spool
from production.models import Printer, Product, ProductionRun
from spoolman.models import ExtraField, ImportedRecord, Setting
from spoolman.services import KeyDraft, create_key
from tenants.models import Membership, TenantOwnedModel, TenantQuerySet
from tenants.scoping import TenantScopeError, active_tenant_id, all_tenants, tenant_scope
from tests.conftest import PASSWORD
from tests.support.bambu import make_bambu_rows
from tests.support.floor import load_first_spool

TENANT_OWNED = [model for model in apps.get_models() if issubclass(model, TenantOwnedModel)]
LISTS = {
    "materials": Material,
    "spools": Spool,
    "inventory-transactions": InventoryTransaction,
    "products": Product,
    "printers": Printer,
    "production-runs": ProductionRun,
}


def unscoped(function, *args, **kwargs):
    """Call `function` with no tenant scope at all, not even the test body's escape hatch."""
    return contextvars.Context().run(function, *args, **kwargs)


@pytest.fixture
def both_tenants_data(tenant, other_tenant, make_run, make_printer, make_delivery):
    """Rows of every tenant-owned model in both tenants (a run brings products, spools, ledger rows, events...)."""
    runs = {}
    for owner in (tenant, other_tenant):
        runs[owner.pk] = make_run(owner, printer=make_printer(owner, name=f"Printer of {owner.slug}"))
        make_delivery(owner)
        create_key(tenant=owner, user=None, draft=KeyDraft(printer=runs[owner.pk].printer))
        load_first_spool(runs[owner.pk])
        make_bambu_rows(runs[owner.pk])
        ExtraField.objects.create(tenant=owner, entity_type="spool", key="shelf", name="Shelf", field_type="text")
        Setting.objects.create(tenant=owner, key="currency", value='"EUR"', last_updated=timezone.now())
        ImportedRecord.objects.create(
            tenant=owner, source="http://spoolman.local", entity_type="spool", source_id=1, object_id=owner.pk
        )
    return runs


def test_every_business_model_is_covered():
    """Guard: the parametrized tests below walk these."""
    names = {model.__name__ for model in TENANT_OWNED}
    assert {"Material", "Spool", "InventoryTransaction", "Product", "Printer", "ProductionRun"} <= names
    assert {"ProductionRunItem", "ProductionRunMaterial", "RunNumberCounter"} <= names


@pytest.mark.parametrize("model", TENANT_OWNED, ids=[m.__name__ for m in TENANT_OWNED])
def test_an_unscoped_query_on_a_tenant_owned_model_raises(model, both_tenants_data):
    for manager in model._meta.managers:  # `objects`, and `all_objects` for runs
        for query in (manager.all, manager.exists, manager.count, lambda m=manager: m.filter(pk=None)):
            with pytest.raises(TenantScopeError, match=model.__name__):
                unscoped(query)


def test_an_unscoped_related_manager_raises(both_tenants_data, tenant):
    run = both_tenants_data[tenant.pk]

    with pytest.raises(TenantScopeError):
        unscoped(lambda: list(run.items.all()))


@pytest.mark.parametrize("model", TENANT_OWNED, ids=[m.__name__ for m in TENANT_OWNED])
def test_a_tenant_scope_sees_only_that_tenants_rows(model, both_tenants_data, tenant, other_tenant):
    other_row = model._default_manager.filter(tenant=other_tenant).first()
    assert other_row is not None or model.__name__ == "RunNumberCounter" or pytest.fail("add rows to the fixture")

    def in_scope():
        with tenant_scope(tenant):
            rows = list(model._default_manager.all())
            other_visible = other_row is not None and model._default_manager.filter(pk=other_row.pk).exists()
            return rows, other_visible

    rows, other_visible = unscoped(in_scope)

    assert rows and {row.tenant_id for row in rows} == {tenant.pk}
    assert not other_visible


def test_the_escape_hatch_sees_every_tenant(both_tenants_data, tenant, other_tenant):
    def in_hatch():
        with all_tenants():
            return set(Spool.objects.values_list("tenant_id", flat=True))

    assert unscoped(in_hatch) == {tenant.pk, other_tenant.pk}


def test_all_objects_lifts_soft_delete_not_the_tenant_scope(both_tenants_data, tenant):
    run = both_tenants_data[tenant.pk]
    ProductionRun.objects.filter(pk=run.pk).update(deleted_at=run.started_at)

    def in_scope():
        with tenant_scope(tenant):
            return list(ProductionRun.objects.all()), list(ProductionRun.all_objects.all())

    active, every = unscoped(in_scope)

    assert active == [] and every == [run]


@pytest.fixture
def scoping_forgotten(monkeypatch):
    """The visible per-view filter removed: only the request's scope keeps tenants apart."""
    monkeypatch.setattr(TenantQuerySet, "for_tenant", lambda queryset, tenant: queryset)


@pytest.mark.parametrize("name", LISTS)
def test_a_request_is_scoped_even_when_its_viewset_forgets_to_filter(
    name, api, tenant, other_tenant, both_tenants_data, scoping_forgotten
):
    model = LISTS[name]
    assert model.objects.filter(tenant=other_tenant).exists()

    response = unscoped(api.get, f"/api/v1/{name}/", {"page_size": 100})

    assert response.status_code == 200, response.content
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(pk) for pk in model.objects.filter(tenant=tenant).values_list("pk", flat=True)}


def test_a_run_of_another_tenant_is_a_404_even_when_the_viewset_forgets(
    api, other_tenant, both_tenants_data, scoping_forgotten
):
    other_run = both_tenants_data[other_tenant.pk]

    assert unscoped(api.get, f"/api/v1/production-runs/{other_run.pk}/").status_code == 404
    assert unscoped(api.get, f"/api/v1/production-runs/{other_run.pk}/items/").status_code == 404


def test_the_browsable_list_renders_its_filter_forms_inside_the_scope(
    member, tenant, other_tenant, both_tenants_data, scoping_forgotten
):
    """The renderer queries the filter form's printers, products and spools after the view returned."""
    browser = Client()
    browser.force_login(member)

    response = unscoped(browser.get, "/api/v1/production-runs/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="printer"' in page and 'name="spool"' in page
    assert "Printer of acme" in page
    assert "Printer of globex" not in page
    other_spool = both_tenants_data[other_tenant.pk].materials.get().spool
    assert str(other_spool.pk) not in page


def test_the_scope_ends_with_the_request(api, both_tenants_data):
    def request_then_query():
        response = api.get("/api/v1/spools/")
        scope_after = active_tenant_id()
        try:
            Spool.objects.count()
        except TenantScopeError:
            return response.status_code, scope_after, "refused"
        return response.status_code, scope_after, "ran"

    assert unscoped(request_then_query) == (200, None, "refused")


def test_token_and_me_need_no_tenant(member):
    def log_in_and_ask():
        token = APIClient().post("/api/v1/auth/token/", {"username": member.username, "password": PASSWORD})
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        return token.status_code, client.get("/api/v1/me/").status_code

    assert unscoped(log_in_and_ask) == (200, 200)


def test_the_admin_shows_staff_every_tenant(admin_client, both_tenants_data, tenant, other_tenant):
    response = unscoped(admin_client.get, "/admin/production/productionrun/")

    assert response.status_code == 200
    page = response.content.decode()
    for owner in (tenant, other_tenant):
        assert both_tenants_data[owner.pk].run_number in page
    run = both_tenants_data[other_tenant.pk]
    assert unscoped(admin_client.get, f"/admin/production/productionrun/{run.pk}/change/").status_code == 200


def test_staff_on_the_api_act_for_one_tenant_only(
    admin_client, admin_user, tenant, both_tenants_data, scoping_forgotten
):
    """The hatch is the admin's views', not the staff user's: their API requests are scoped."""
    Membership.objects.create(tenant=tenant, user=admin_user, role="owner")

    response = unscoped(admin_client.get, "/api/v1/printers/", {"tenant": tenant.slug})

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Printer of acme"]


def test_tenant_commands_run_without_a_scope(db):
    """`seed_demo` is run the same way by tests/test_seed_demo.py: its class-scoped fixture precedes the hatch."""
    unscoped(call_command, "create_tenant", "initech", name="Initech", prefix="INI")
    unscoped(call_command, "add_member", "initech", "peter", role="member")

    assert Membership.objects.filter(tenant__slug="initech", user__username="peter").exists()


def test_an_asgi_request_is_scoped_and_its_scope_ends(member, tenant, both_tenants_data, scoping_forgotten):
    """Under ASGI the view runs in a copied context; the scope still reaches rendering and is undone."""
    _, token = AuthToken.objects.create(member)
    headers = {"Authorization": f"Token {token}", "X-Tenant": tenant.slug, "Accept": "text/html"}

    def request_then_scope():
        response = async_to_sync(AsyncClient().get)("/api/v1/printers/", headers=headers)
        return response, active_tenant_id()

    response, scope_after = unscoped(request_then_scope)

    assert response.status_code == 200
    assert "Printer of acme" in response.content.decode()
    assert "Printer of globex" not in response.content.decode()
    assert scope_after is None
