"""A query compiled once per process (core.prepared, tenants.scoping.ScopedQuery) answers what its queryset
would, reads afresh at every run, and fails closed like the managers it is built from."""

import contextvars

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.transaction import TransactionManagementError

from core.prepared import Slot
from events.models import Webhook
from inventory.models import Spool
from tenants.scoping import TENANT_SLOT, ScopedQuery, TenantScopeError, all_tenants, tenant_scope

NUMBER = Slot("number", Spool._meta.get_field("number"))


def loaded_spools():
    """Spools with their material and vendor, and whether their tenant has active webhooks."""
    return Spool.objects.select_related("material__vendor").annotate(
        webhooks_active=Exists(Webhook.objects.filter(tenant_id=OuterRef("tenant_id"), is_active=True))
    )


def spool_of_number():
    return loaded_spools().filter(number=NUMBER)


@pytest.fixture
def spools(tenant, other_tenant, make_spool, make_webhook):
    make_webhook(tenant)
    return {owner.pk: make_spool(owner, location=f"Shelf of {owner.slug}") for owner in (tenant, other_tenant)}


def test_a_run_answers_what_the_queryset_answers(tenant, spools):
    query = ScopedQuery(spool_of_number)

    with tenant_scope(tenant):
        (prepared,) = query.run(number=1)
        expected = loaded_spools().get(number=1)

    assert prepared.pk == expected.pk == spools[tenant.pk].pk
    assert prepared.__dict__.keys() == expected.__dict__.keys()
    fields = [field.attname for field in Spool._meta.concrete_fields]
    assert [getattr(prepared, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert prepared.material.vendor.name == expected.material.vendor.name
    assert prepared.webhooks_active is expected.webhooks_active is True
    assert prepared._state.db == expected._state.db and not prepared._state.adding


def test_every_manager_of_the_query_filters_by_the_scopes_tenant(tenant, other_tenant, spools):
    query = ScopedQuery(spool_of_number)

    with tenant_scope(other_tenant):
        (spool,) = query.run(number=1)
    with tenant_scope(tenant):
        assert query.run(number=2) == []

    assert spool.pk == spools[other_tenant.pk].pk
    assert spool.webhooks_active is False  # the subquery's webhooks are its tenant's: the other has one
    # The spool's manager and the webhooks' (in the subquery) each filter by the slot.
    with tenant_scope(tenant):
        prepared = query.prepared[Spool.objects.db, TENANT_SLOT]
    assert sum(isinstance(param, Slot) and param.name == TENANT_SLOT.name for param in prepared.params) == 2


def test_each_run_reads_the_rows_as_they_are_now(tenant, spools):
    query = ScopedQuery(spool_of_number)
    with tenant_scope(tenant):
        assert query.run(number=1)[0].location == f"Shelf of {tenant.slug}"
        Spool.objects.filter(pk=spools[tenant.pk].pk).update(location="Moved")
        assert query.run(number=1)[0].location == "Moved"


def test_a_scoped_query_refuses_to_run_outside_a_scope(spools):
    query = ScopedQuery(spool_of_number)

    with pytest.raises(TenantScopeError, match="Spool queried outside a tenant scope"):
        contextvars.Context().run(query.run, number=1)


def test_in_the_escape_hatch_a_scoped_query_reads_every_tenant_as_the_managers_do(tenant, spools):
    query = ScopedQuery(lambda: loaded_spools().filter(number=NUMBER).order_by("number"))

    with all_tenants():
        assert {spool.pk for spool in query.run(number=1)} == {spool.pk for spool in spools.values()}
    with tenant_scope(tenant):
        assert [spool.pk for spool in query.run(number=1)] == [spools[tenant.pk].pk]


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_refuses_to_run_outside_a_transaction(tenant, spools):
    query = ScopedQuery(lambda: spool_of_number().select_for_update(of=("self",)))
    with tenant_scope(tenant), transaction.atomic():
        assert query.run(number=1)[0].pk == spools[tenant.pk].pk

    with tenant_scope(tenant):
        if query.prepared[Spool.objects.db, TENANT_SLOT].for_update:
            with pytest.raises(TransactionManagementError):
                query.run(number=1)
        else:  # SQLite locks no row: as the ORM, it runs anywhere
            assert query.run(number=1)[0].pk == spools[tenant.pk].pk
