"""Services refuse references to another tenant's records before they write anything (issue 8)."""

from decimal import Decimal

import pytest

from core.errors import ErrorCode, ForeignTenant
from inventory.models import InventoryTransaction, Spool
from inventory.services import SpoolChanges, SpoolDraft, create_spool, update_spool
from production.models import (
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryEntry,
    RunNumberCounter,
)
from production.services import (
    ItemChanges,
    ItemDraft,
    MaterialChanges,
    MaterialDraft,
    RunChanges,
    RunDraft,
    add_item,
    add_material,
    create_run,
    update_item,
    update_material,
    update_run,
)


def db_state():
    """Every row a refused call must leave as it was."""
    return {
        "runs": list(ProductionRun.all_objects.values_list("pk", "printer_id", "original_run_id", "updated_at")),
        "items": list(ProductionRunItem.objects.values_list("pk", "product_id", "quantity")),
        "materials": list(ProductionRunMaterial.objects.values_list("pk", "spool_id", "estimated_model_g")),
        "events": RunHistoryEntry.objects.count(),
        "ledger": InventoryTransaction.objects.count(),
        "counters": list(RunNumberCounter.objects.values_list("pk", "last_number")),
        "spools": list(Spool.objects.values_list("pk", "material_id", "current_weight_g", "updated_at")),
    }


@pytest.fixture
def foreign(other_tenant, make_product, make_spool, make_printer, make_run, make_material):
    """One record of each referenced kind, all of the other tenant."""
    return {
        "product": make_product(other_tenant),
        "spool": make_spool(other_tenant),
        "printer": make_printer(other_tenant),
        "original_run": make_run(other_tenant),
        "material": make_material(other_tenant),
    }


@pytest.fixture
def own(tenant, make_product, make_spool, make_run):
    run = make_run(tenant)
    return {
        "product": make_product(tenant),
        "spool": make_spool(tenant),
        "run": run,
        "item": run.items.get(),
        "material": run.materials.get(),
    }


def refused(call):
    before = db_state()
    with pytest.raises(ForeignTenant) as raised:
        call()
    assert raised.value.code == ErrorCode.FOREIGN_TENANT
    assert raised.value.status_code == 400
    assert db_state() == before


@pytest.mark.parametrize("reference", ["product", "spool", "printer", "original_run"])
def test_create_run_refuses_a_foreign_reference(tenant, member, own, foreign, reference):
    draft = RunDraft(
        printer=foreign["printer"] if reference == "printer" else None,
        original_run=foreign["original_run"] if reference == "original_run" else None,
        items=(ItemDraft(product=foreign["product"] if reference == "product" else own["product"], quantity=1),),
        materials=(
            MaterialDraft(
                spool=foreign["spool"] if reference == "spool" else own["spool"], estimated_model_g=Decimal("1")
            ),
        ),
    )

    refused(lambda: create_run(tenant=tenant, user=member, draft=draft))


@pytest.mark.parametrize("reference", ["printer", "original_run"])
def test_update_run_refuses_a_foreign_reference(member, own, foreign, reference):
    refused(lambda: update_run(run=own["run"], user=member, changes=RunChanges(**{reference: foreign[reference]})))


def test_add_item_refuses_a_foreign_product(member, own, foreign):
    draft = ItemDraft(product=foreign["product"], quantity=1)

    refused(lambda: add_item(run=own["run"], user=member, draft=draft))


def test_update_item_refuses_a_foreign_product(member, own, foreign):
    changes = ItemChanges(product=foreign["product"])

    refused(lambda: update_item(item=own["item"], user=member, changes=changes))


def test_add_material_refuses_a_foreign_spool(member, own, foreign):
    draft = MaterialDraft(spool=foreign["spool"], estimated_model_g=Decimal("1"))

    refused(lambda: add_material(run=own["run"], user=member, draft=draft))


def test_update_material_refuses_a_foreign_spool(member, own, foreign):
    changes = MaterialChanges(spool=foreign["spool"])

    refused(lambda: update_material(material=own["material"], user=member, changes=changes))


def test_create_spool_refuses_a_foreign_material(tenant, member, foreign):
    draft = SpoolDraft(code="SP-FOREIGN", material=foreign["material"], initial_weight_g=Decimal("1000"))

    refused(lambda: create_spool(tenant=tenant, user=member, draft=draft))


def test_update_spool_refuses_a_foreign_material(own, foreign):
    refused(lambda: update_spool(spool=own["spool"], changes=SpoolChanges(material=foreign["material"])))


def test_own_references_are_accepted(tenant, member, own, make_printer):
    printer = make_printer(tenant)

    run = update_run(run=own["run"], user=member, changes=RunChanges(printer=printer))

    assert run.printer == printer
