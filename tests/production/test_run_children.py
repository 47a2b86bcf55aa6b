"""A run's items and materials through their services: one add/update/remove skeleton for both kinds."""

from decimal import Decimal

import pytest

from core.errors import NotFound
from events.models import Event
from production.models import ProductionRunEvent, ProductionRunItem, ProductionRunMaterial
from production.services import (
    Completion,
    ItemChanges,
    ItemDraft,
    MaterialChanges,
    MaterialDraft,
    RunLocked,
    add_item,
    add_material,
    complete_run,
    remove_item,
    remove_material,
    update_item,
    update_material,
)

pytestmark = pytest.mark.django_db


def item_kind(tenant, make_product, make_spool):
    return {
        "name": "item",
        "model": ProductionRunItem,
        "add": lambda run, user: add_item(
            run=run, user=user, draft=ItemDraft(product=make_product(tenant), quantity=2)
        ),
        "update": lambda child, user, **fields: update_item(item=child, user=user, changes=ItemChanges(**fields)),
        "remove": lambda child, user: remove_item(item=child, user=user),
        "change": {"notes": "left plate"},
        "recorded": ["", "left plate"],
    }


def material_kind(tenant, make_product, make_spool):
    return {
        "name": "material",
        "model": ProductionRunMaterial,
        "add": lambda run, user: add_material(
            run=run, user=user, draft=MaterialDraft(spool=make_spool(tenant), estimated_model_g=Decimal("5.00"))
        ),
        "update": lambda child, user, **fields: update_material(
            material=child, user=user, changes=MaterialChanges(**fields)
        ),
        "remove": lambda child, user: remove_material(material=child, user=user),
        "change": {"estimated_model_g": Decimal("6.00")},
        "recorded": ["5.00", "6.00"],
    }


@pytest.fixture(params=[item_kind, material_kind], ids=["item", "material"])
def kind(request, tenant, make_product, make_spool):
    return request.param(tenant, make_product, make_spool)


def history_of(run, action):
    return list(ProductionRunEvent.objects.filter(run=run, action=action))


def run_updates(run):
    return list(Event.objects.filter(resource_id=run.pk, type="run.updated"))


def test_adding_a_child_records_it_by_its_kind_and_one_run_updated_event(tenant, member, make_run, kind):
    run = make_run(tenant)

    child = kind["add"](run, member)

    (entry,) = history_of(run, f"{kind['name']}_added")
    assert entry.changes[kind["name"]] == str(child.pk)
    assert entry.user == member
    (event,) = run_updates(run)
    assert str(child.pk) in {row["id"] for row in event.payload[f"{kind['name']}s"]}


def test_changing_a_child_records_old_and_new(tenant, member, make_run, kind):
    run = make_run(tenant)
    child = kind["add"](run, member)
    (name,) = kind["change"]

    kind["update"](child, member, **kind["change"])

    (entry,) = history_of(run, f"{kind['name']}_changed")
    assert entry.changes == {kind["name"]: str(child.pk), name: kind["recorded"]}
    assert len(run_updates(run)) == 2


def test_a_change_to_the_same_values_records_nothing(tenant, member, make_run, kind):
    run = make_run(tenant)
    child = kind["add"](run, member)
    (name,) = kind["change"]

    kind["update"](child, member, **{name: getattr(child, name)})

    assert history_of(run, f"{kind['name']}_changed") == []
    assert len(run_updates(run)) == 1


def test_removing_a_child_records_what_it_was(tenant, member, make_run, kind):
    run = make_run(tenant)
    child = kind["add"](run, member)
    child_id = child.pk

    kind["remove"](child, member)

    (entry,) = history_of(run, f"{kind['name']}_removed")
    assert entry.changes[kind["name"]] == str(child_id)
    assert not kind["model"].objects.filter(pk=child_id).exists()
    assert len(run_updates(run)) == 2


def test_changing_a_child_removed_meanwhile_is_not_found(tenant, member, make_run, kind):
    run = make_run(tenant)
    child = kind["add"](run, member)
    kind["model"].objects.filter(pk=child.pk).delete()

    with pytest.raises(NotFound):
        kind["update"](child, member, **kind["change"])


def test_a_completed_runs_children_refuse_every_write(tenant, member, make_run, kind):
    run = make_run(tenant)
    child = kind["add"](run, member)
    complete_run(run=run, user=member, completion=Completion(use_estimates=True))
    run.refresh_from_db()

    with pytest.raises(RunLocked):
        kind["add"](run, member)
    with pytest.raises(RunLocked):
        kind["update"](child, member, **kind["change"])
    with pytest.raises(RunLocked):
        kind["remove"](child, member)
    assert kind["model"].objects.filter(pk=child.pk).exists()


def test_a_run_and_its_material_share_one_variance(tenant, member, make_run, make_spool):
    """`Variance` on both models: the run's is its materials' together, by the same rule."""
    run = make_run(tenant, materials=[{"spool": make_spool(tenant), "estimated_model_g": Decimal("100.00")}])
    (material,) = run.materials.all()
    update_material(material=material, user=member, changes=MaterialChanges(actual_model_g=Decimal("110.00")))
    material.refresh_from_db()
    run.refresh_from_db()

    assert material.variance_g == run.variance_g == Decimal("10.00")
    assert material.variance_percent == run.variance_percent == Decimal("10.00")
