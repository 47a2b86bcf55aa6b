"""Forgetting the tenant scope must be hard: walk every routed viewset and every tenant-owned model.

A new viewset on the routers of `config/urls.py` is checked here automatically; it
passes only if it inherits `TenantScopedViewMixin` and its queryset filters on the
request's tenant (a top-level `tenant = <id>` condition, and only that tenant's rows).
"""

import pytest
from django.apps import apps
from django.db.models import UniqueConstraint
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from config.urls import router, runs_router
from events.views import ManagersOnly
from spoolman.models import IntegrationKey
from spoolman.views import IsTenantManager
from tenants.middleware import request_scopes
from tenants.mixins import TenantScopedViewMixin
from tenants.models import Tenant, TenantOwnedModel

REGISTRY = [(basename, viewset) for _, viewset, basename in router.registry + runs_router.registry]
# Permissions that let only admins and owners read (webhooks, integration keys).
MANAGERS_ONLY = (ManagersOnly, IsTenantManager)
TENANT_OWNED = [model for model in apps.get_models() if issubclass(model, TenantOwnedModel)]


def test_the_walk_covers_the_routers():
    """Guard against this file silently checking nothing."""
    basenames = {basename for basename, _ in REGISTRY}
    expected = {"material", "spool", "inventory-transaction", "product", "printer", "production-run"}
    assert expected | {"run-item", "run-material"} <= basenames


@pytest.mark.parametrize(("basename", "viewset"), REGISTRY, ids=[basename for basename, _ in REGISTRY])
def test_every_routed_viewset_inherits_the_tenant_mixin(basename, viewset):
    assert issubclass(viewset, TenantScopedViewMixin), f"{viewset.__name__} ({basename}) is not tenant-scoped"
    # Its `initial` resolves the tenant, so it must precede DRF's views in the MRO, not be shadowed by them.
    assert viewset.__mro__.index(TenantScopedViewMixin) < viewset.__mro__.index(APIView)


@pytest.fixture
def two_tenants_of_everything(tenant, other_tenant, make_run, make_printer, make_webhook):
    """Rows of every tenant-owned model in both tenants (runs bring products, spools, ledger rows, events...)."""
    runs = {}
    for owner in (tenant, other_tenant):
        printer = make_printer(owner)
        make_webhook(owner)
        IntegrationKey.objects.create(tenant=owner, printer=printer, prefix="pfk_test", digest=f"digest-{owner.slug}")
        make_run(owner, status="planned")  # the queue's
        runs[owner.pk] = make_run(owner)
    return runs


def tenant_condition(queryset, tenant):
    """True when the WHERE clause ANDs `<base table>.tenant_id = tenant.pk` at its top level."""
    tenant_field = queryset.model._meta.get_field("tenant")
    base_alias = queryset.query.get_initial_alias()
    where = queryset.query.where
    if where.connector != AND or where.negated:
        return False
    return any(
        isinstance(node, Exact)
        and getattr(node.lhs, "target", None) == tenant_field
        and getattr(node.lhs, "alias", None) == base_alias
        and node.rhs == tenant.pk
        for node in where.children
    )


def scoped_queryset(viewset, user, tenant, run):
    """The list queryset the viewset builds for `user` acting for `tenant`, after DRF's `initial` ran."""
    django_request = APIRequestFactory().get("/", HTTP_X_TENANT=tenant.slug)
    force_authenticate(django_request, user=user)
    view = viewset(action_map={"get": "list"}, args=(), kwargs={"run_id": run.pk}, format_kwarg=None, headers={})
    view.request = view.initialize_request(django_request)
    # As `TenantScopeMiddleware` does around a view: the stack the view enters its tenant scope into.
    with request_scopes(django_request):
        view.initial(view.request)
        return view.get_queryset()


@pytest.mark.parametrize(("basename", "viewset"), REGISTRY, ids=[basename for basename, _ in REGISTRY])
def test_every_routed_viewset_queryset_is_scoped_to_the_request_tenant(
    basename, viewset, tenant, other_tenant, make_member, two_tenants_of_everything
):
    # The least role that may read it: a viewer, or an admin for the admin-only webhooks and keys.
    managers_only = any(permission in viewset.permission_classes for permission in MANAGERS_ONLY)
    reader = make_member(tenant, "admin" if managers_only else "viewer")
    queryset = scoped_queryset(viewset, reader, tenant, two_tenants_of_everything[tenant.pk])
    model = queryset.model

    assert issubclass(model, TenantOwnedModel), f"{viewset.__name__} serves {model.__name__}, not tenant-owned"
    assert tenant_condition(queryset, tenant), f"{viewset.__name__} ({basename}) does not filter on the tenant"
    # And the data agree: only the tenant's rows, while the other tenant has rows too.
    assert model._default_manager.filter(tenant=other_tenant).exists(), f"add {model.__name__} rows to the fixture"
    tenants_seen = set(queryset.values_list("tenant_id", flat=True))
    assert tenants_seen == {tenant.pk}


@pytest.mark.parametrize("model", TENANT_OWNED, ids=[m.__name__ for m in TENANT_OWNED])
def test_tenant_owned_model_has_an_indexed_tenant_foreign_key(model):
    field = model._meta.get_field("tenant")

    assert field.many_to_one and field.related_model is Tenant
    assert field.db_index


@pytest.mark.parametrize("model", TENANT_OWNED, ids=[m.__name__ for m in TENANT_OWNED])
def test_every_unique_constraint_starts_with_the_tenant(model):
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            assert constraint.fields and constraint.fields[0] == "tenant", f"{model.__name__}.{constraint.name}"
    for fields in model._meta.unique_together:
        assert fields[0] == "tenant", f"{model.__name__}.unique_together {fields}"
    single_unique = [f.name for f in model._meta.local_fields if f.unique and not f.primary_key]
    assert single_unique == [], f"{model.__name__}: unique fields must be (tenant, field) constraints"


@pytest.mark.parametrize("app_label", ["inventory", "production"])
def test_every_table_of_the_business_apps_is_tenant_owned(app_label):
    """Child rows (run items, run materials, ledger rows) carry their own tenant column too."""
    models = list(apps.get_app_config(app_label).get_models())

    assert models
    assert [m.__name__ for m in models if not issubclass(m, TenantOwnedModel)] == []
