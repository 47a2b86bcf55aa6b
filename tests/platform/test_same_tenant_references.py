"""PostgreSQL itself refuses a row of one tenant referencing another tenant's row.

Each reference between tenant-owned tables has a composite foreign key
`(tenant_id, x_id) -> x (tenant_id, id)` (tenants/operations.py), checked here by writing
raw SQL that bypasses every application check.
"""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from spoolman.services import KeyDraft, create_key
from tenants.models import Tenant, TenantOwnedModel
from tenants.operations import constraint_name
from tests.conftest import postgres_only
from tests.support.bambu import make_bambu_rows

pytestmark = postgres_only

REFERENCES = [
    (model, field)
    for model in apps.get_models()
    if issubclass(model, TenantOwnedModel)
    for field in model._meta.concrete_fields
    if field.is_relation and field.name != "tenant" and issubclass(field.related_model, TenantOwnedModel)
]
IDS = [f"{model.__name__}.{field.name}" for model, field in REFERENCES]


def test_the_walk_covers_the_references_of_the_spec():
    assert {
        "Spool.material",
        "InventoryTransaction.spool",
        "InventoryTransaction.production_run",
        "InventoryTransaction.production_run_material",
        "InventoryTransaction.reversal_of",
        "ProductionRun.printer",
        "ProductionRun.original_run",
        "ProductionRunItem.run",
        "ProductionRunItem.product",
        "ProductionRunMaterial.run",
        "ProductionRunMaterial.spool",
    } <= set(IDS)


@pytest.fixture
def both_tenants_data(tenant, other_tenant, make_run, make_printer, make_delivery):
    """Rows of every tenant-owned table in both tenants, each run with a printer, item, material and ledger rows
    (and events), a webhook with a delivery, and a printer's integration key."""
    runs = {owner.pk: make_run(owner, printer=make_printer(owner)) for owner in (tenant, other_tenant)}
    for owner in (tenant, other_tenant):
        make_delivery(owner)
    for run in runs.values():
        create_key(tenant=run.tenant, user=None, draft=KeyDraft(printer=run.printer))
        make_bambu_rows(run)
    return runs


def point(model, field, row_pk, target_pk):
    """Raw UPDATE of one reference, checked at once (the constraints are deferred to commit otherwise)."""
    table, column = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(field.column)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [target_pk, row_pk])


def violated_constraint(error):
    return error.__cause__.diag.constraint_name


@pytest.mark.parametrize(("model", "field"), REFERENCES, ids=IDS)
def test_a_reference_to_another_tenants_row_is_refused(model, field, tenant, other_tenant, both_tenants_data):
    row = model._default_manager.filter(tenant=tenant).first()
    foreign_target = field.related_model._default_manager.filter(tenant=other_tenant).first()
    assert row is not None and foreign_target is not None, "add rows of both models to the fixture"

    with pytest.raises(IntegrityError) as refused:
        point(model, field, row.pk, foreign_target.pk)

    with connection.schema_editor() as editor:
        expected = constraint_name(editor, model._meta.db_table, field.column)
    assert violated_constraint(refused.value) == expected


@pytest.mark.parametrize(("model", "field"), REFERENCES, ids=IDS)
def test_a_reference_inside_the_tenant_is_accepted(model, field, tenant, both_tenants_data):
    row = model._default_manager.filter(tenant=tenant).first()
    own_target = getattr(row, field.attname) or field.related_model._default_manager.filter(tenant=tenant).first().pk

    point(model, field, row.pk, own_target)

    row.refresh_from_db()
    assert getattr(row, field.attname) == own_target


def test_a_raw_insert_across_tenants_is_refused(tenant, other_tenant, make_material):
    foreign_material = make_material(other_tenant)

    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "INSERT INTO inventory_spool (id, tenant_id, number, code, material_id, initial_weight_g,"
            " current_weight_g, ledger_version, unbooked_use_g, supplier, location, is_active, created_at, updated_at)"
            " VALUES (gen_random_uuid(), %s, 9999, 'RAW-1', %s, 1000, 0, 0, 0, '', '', true, now(), now())",
            [tenant.pk, foreign_material.pk],
        )

    assert violated_constraint(refused.value).endswith("_same_tenant")


@pytest.mark.parametrize(("model", "field"), REFERENCES, ids=IDS)
def test_every_reference_has_its_composite_foreign_key(model, field, db):
    """A new reference between tenant-owned tables needs `SameTenantReference` in its migration."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [model._meta.db_table],
        )
        definitions = {row[0] for row in cursor.fetchall()}

    target = field.related_model._meta.db_table
    expected = (
        f"FOREIGN KEY (tenant_id, {field.column}) REFERENCES {target}(tenant_id, id) DEFERRABLE INITIALLY DEFERRED"
    )
    assert expected in definitions


def test_deleting_a_tenant_with_all_its_data_still_works(tenant, other_tenant, both_tenants_data):
    """Rows go in any order: the composite keys, like Django's, are checked at commit."""
    owned = [model for model in apps.get_models() if issubclass(model, TenantOwnedModel)]
    kept = {model: model._default_manager.filter(tenant=other_tenant).count() for model in owned}

    with transaction.atomic(), connection.cursor() as cursor:
        for model in sorted(owned, key=lambda m: m._meta.db_table):  # parents before children on purpose
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %s", [tenant.pk])
        tenant.memberships.all().delete()
        Tenant.objects.filter(pk=tenant.pk).delete()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert {model: model._default_manager.filter(tenant=other_tenant).count() for model in owned} == kept
    assert all(model._default_manager.filter(tenant_id=tenant.pk).count() == 0 for model in owned)
