"""Shared fixtures: tenants, members of each role, API clients, and catalog factories."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from events.models import Event, Webhook, WebhookDelivery
from events.webhooks import new_secret
from inventory.models import Material, Vendor
from inventory.services import SpoolDraft, create_spool
from production.models import Printer, Product
from production.services import RunDraft, create_run
from tenants.models import Membership, Tenant
from tenants.scoping import all_tenants
from tests.support.clients import browser_for

PASSWORD = "correct-horse-battery-staple"

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent connections"
)


@pytest.fixture
def make_tenant(db):
    def make(slug="acme", *, name=None, run_prefix=None, timezone="UTC"):
        return Tenant.objects.create(
            slug=slug, name=name or slug.title(), run_prefix=run_prefix or slug.upper()[:10], timezone=timezone
        )

    return make


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("acme", run_prefix="ACME")


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("globex", run_prefix="GLX")


@pytest.fixture
def make_member(db):
    def make(tenant, role="member", username=None):
        user = get_user_model().objects.create_user(username or f"{role}-{tenant.slug}", password=PASSWORD)
        Membership.objects.create(tenant=tenant, user=user, role=role)
        return user

    return make


def client_for(user, tenant=None):
    client = APIClient()
    client.force_authenticate(user)
    if tenant is not None:
        client.credentials(HTTP_X_TENANT=tenant.slug)
    return client


@pytest.fixture
def member(tenant, make_member):
    return make_member(tenant, "member")


@pytest.fixture
def api(member, tenant):
    """A member of `tenant`, acting for it."""
    return client_for(member, tenant)


@pytest.fixture
def owner_api(tenant, make_member):
    return client_for(make_member(tenant, "owner"), tenant)


@pytest.fixture
def manager_api(tenant, make_member):
    """An `admin` of `tenant` (named so to stay clear of pytest-django's `admin_client`)."""
    return client_for(make_member(tenant, "admin"), tenant)


@pytest.fixture
def viewer_api(tenant, make_member):
    return client_for(make_member(tenant, "viewer"), tenant)


@pytest.fixture
def other_api(other_tenant, make_member):
    """A member of the other tenant."""
    return client_for(make_member(other_tenant, "member", "member-globex"), other_tenant)


@pytest.fixture
def make_vendor(db):
    def make(tenant, **fields):
        return Vendor.objects.create(tenant=tenant, **{"name": "Acme", **fields})

    return make


@pytest.fixture
def make_material(db):
    def make(tenant, **fields):
        """A material; `brand` names its vendor (the tenant's first of that name, made when it has none)."""
        defaults = {"name": "PLA Basic", "brand": "Acme", "kind": "PLA", "color_name": "Red", "color_hex": "#FF0000"}
        data = {**defaults, **fields}
        brand = data.pop("brand")
        if brand and "vendor" not in data:
            vendors = Vendor.objects.for_tenant(tenant).filter(name=brand).order_by("number")
            data["vendor"] = vendors.first() or Vendor.objects.create(tenant=tenant, name=brand)
        return Material.objects.create(tenant=tenant, **data)

    return make


@pytest.fixture
def make_spool(db, make_material):
    counter = iter(range(1, 10_000))

    def make(tenant, material=None, *, user=None, **fields):
        data = {
            "code": f"SP-{next(counter):03d}",
            "material": material or make_material(tenant),
            "initial_weight_g": Decimal("1000.00"),
            "purchase_price": Decimal("25.00"),
            **fields,
        }
        return create_spool(tenant=tenant, user=user, draft=SpoolDraft(**data))

    return make


@pytest.fixture
def make_product(db):
    counter = iter(range(1, 10_000))

    def make(tenant, **fields):
        n = next(counter)
        defaults = {"sku": f"SKU-{n:03d}", "name": f"Product {n}", "unit_weight_g": Decimal("12.50")}
        return Product.objects.create(tenant=tenant, **{**defaults, **fields})

    return make


@pytest.fixture
def make_printer(db):
    counter = iter(range(1, 10_000))

    def make(tenant, **fields):
        return Printer.objects.create(tenant=tenant, **{"name": f"Printer {next(counter)}", **fields})

    return make


@pytest.fixture
def make_webhook(db):
    """A webhook row as the service stores one (no URL resolution: tests/events drive the service)."""

    def make(tenant, *, url="https://hooks.example.com/printfarm", event_types=("*",), **fields):
        return Webhook.objects.create(
            tenant=tenant, url=url, event_types=list(event_types), secret=new_secret(), **fields
        )

    return make


@pytest.fixture
def make_delivery(make_webhook):
    """A webhook of `tenant` with a delivery of the tenant's first event (the tenant must have one)."""

    def make(tenant):
        event = Event.objects.filter(tenant=tenant).order_by("id").first()
        return WebhookDelivery.objects.create(tenant=tenant, webhook=make_webhook(tenant), event=event)

    return make


@pytest.fixture
def make_run(db, make_product, make_spool):
    """A run through the service, by default with one item (10 units) and one material (100 g estimated)."""

    def make(tenant, *, user=None, items=None, materials=None, **fields):
        if items is None:
            items = [{"product": make_product(tenant), "quantity": 10}]
        if materials is None:
            materials = [{"spool": make_spool(tenant), "estimated_model_g": Decimal("100.00")}]
        return create_run(
            tenant=tenant, user=user, draft=RunDraft.from_data({**fields, "items": items, "materials": materials})
        )

    return make


@pytest.fixture(autouse=True)
def fresh_throttles(settings):
    """Throttle counters live in the shared cache (a database table); each test starts with none.

    A key prefix of its own hides other tests' counters without touching the database,
    which a test without database access may not do.
    """
    settings.CACHES = {alias: {**config, "KEY_PREFIX": uuid.uuid4().hex} for alias, config in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def unscoped_test_body():
    """Test bodies and fixtures span tenants, so they run in the escape hatch.

    API requests made inside still scope themselves to their tenant (the request's
    `tenant_scope` overrides this one until the response is rendered). Code run in another
    thread starts with no scope and needs its own `all_tenants()`.
    """
    with all_tenants():
        yield


@pytest.fixture
def member_browser(member):
    """A member's logged-in browser session (the browsable API's HTML pages)."""
    return browser_for(member)


@pytest.fixture
def manager_browser(tenant, make_member):
    """A tenant admin's logged-in browser session."""
    return browser_for(make_member(tenant, "admin"))
