"""A run's children: its items (what it prints) and its materials (the spools it prints from).

Adding, changing and removing either is the same write (`_add`, `_update`, `_remove`): refuse
another tenant's reference, lock the run, refuse a run that is no longer editable, apply the
child's own rules (`ChildKind.save`), record the history row and the `run.updated` event.
An item and a material differ only in what `ChildKind` says about them.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import transaction

from core.changes import UNSET, Unset, sent
from core.errors import NotFound
from inventory.models import ZERO, Spool
from production.models import Product, ProductionRun, ProductionRunItem, ProductionRunMaterial, RunEventAction
from production.services import history
from production.services.rules import (
    check_assignable,
    check_kinds,
    check_outcomes,
    check_total_units,
    check_weighings,
    ensure_editable,
    lock_named_spools,
    lock_run,
    run_items,
    run_materials,
)
from tenants.contracts import ensure_same_tenant

# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemDraft:
    product: Product
    quantity: int
    successful_quantity: int | None = None
    failed_quantity: int | None = None
    bed_position: str = ""
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class MaterialDraft:
    spool: Spool
    estimated_model_g: Decimal
    estimated_flushed_g: Decimal = ZERO
    estimated_tower_g: Decimal = ZERO
    spool_weight_before_g: Decimal | None = None
    spool_weight_after_g: Decimal | None = None
    actual_model_g: Decimal | None = None
    actual_flushed_g: Decimal | None = None
    actual_tower_g: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class ItemChanges:
    """A PUT/PATCH of a run item: only the fields not `UNSET` change."""

    product: Product | Unset = UNSET
    quantity: int | Unset = UNSET
    successful_quantity: int | Unset | None = UNSET
    failed_quantity: int | Unset | None = UNSET
    bed_position: str | Unset = UNSET
    notes: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class MaterialChanges:
    """A PUT/PATCH of a run material: only the fields not `UNSET` change."""

    spool: Spool | Unset = UNSET
    estimated_model_g: Decimal | Unset = UNSET
    estimated_flushed_g: Decimal | Unset = UNSET
    estimated_tower_g: Decimal | Unset = UNSET
    spool_weight_before_g: Decimal | Unset | None = UNSET
    spool_weight_after_g: Decimal | Unset | None = UNSET
    actual_model_g: Decimal | Unset | None = UNSET
    actual_flushed_g: Decimal | Unset | None = UNSET
    actual_tower_g: Decimal | Unset | None = UNSET


# The fields a child's history row lists when it is added or removed.
ITEM_FIELDS = tuple(field.name for field in fields(ItemChanges))
MATERIAL_FIELDS = tuple(field.name for field in fields(MaterialChanges))
# A change of these is a new assignment of filament: stock and spool rules apply again.
REASSESSED_FIELDS = frozenset({"spool", "estimated_model_g", "estimated_flushed_g", "estimated_tower_g"})


# --- the rules of each kind of child -------------------------------------------------------


def _save_item(run: ProductionRun, item: ProductionRunItem, changed: Collection[str]) -> None:
    check_outcomes(item)
    others = [other for other in run_items(run) if other.pk != item.pk]
    check_total_units([*others, item])
    check_kinds([item], run_materials(run))
    item.save()


def _save_material(run: ProductionRun, material: ProductionRunMaterial, changed: Collection[str]) -> None:
    # Stock and spool rules apply to a new assignment, not to recording actuals later.
    if REASSESSED_FIELDS.intersection(changed):
        lock_named_spools({material.spool_id})
        others = [other for other in run_materials(run) if other.pk != material.pk]
        check_assignable(material, other_spool_ids={other.spool_id for other in others})
        check_kinds(run_items(run), [material])
        material.cost_per_gram = material.spool.cost_per_gram
    check_weighings(material)
    material.save()


Child = TypeVar("Child", ProductionRunItem, ProductionRunMaterial)


@dataclass(frozen=True, kw_only=True)
class ChildKind(Generic[Child]):
    """What the add/update/remove skeleton needs to know about one kind of child."""

    model: type[Child]
    name: str  # the history's key for the child's id: "item", "material"
    reference: str  # the tenant-owned record a child names: its tenant must be the run's
    related: tuple[str, ...]  # what its rules read, joined when it is reloaded under the run's lock
    fields: tuple[str, ...]
    added: RunEventAction
    changed: RunEventAction
    removed: RunEventAction
    # Apply the kind's rules to a child whose `changed` fields are new, then save it.
    save: Callable[[ProductionRun, Child, Collection[str]], None]


ITEM = ChildKind(
    model=ProductionRunItem,
    name="item",
    reference="product",
    related=("product",),
    fields=ITEM_FIELDS,
    added=RunEventAction.ITEM_ADDED,
    changed=RunEventAction.ITEM_CHANGED,
    removed=RunEventAction.ITEM_REMOVED,
    save=_save_item,
)
MATERIAL = ChildKind(
    model=ProductionRunMaterial,
    name="material",
    reference="spool",
    related=("spool__material",),
    fields=MATERIAL_FIELDS,
    added=RunEventAction.MATERIAL_ADDED,
    changed=RunEventAction.MATERIAL_CHANGED,
    removed=RunEventAction.MATERIAL_REMOVED,
    save=_save_material,
)


# --- the one skeleton ------------------------------------------------------------------------


def _add(kind: ChildKind[Child], *, run: ProductionRun, user, draft: Any) -> Child:
    ensure_same_tenant(run.tenant_id, getattr(draft, kind.reference))
    with transaction.atomic():
        run = lock_run(run)
        ensure_editable(run)
        child = kind.model(tenant_id=run.tenant_id, run=run, **vars(draft))
        kind.save(run, child, kind.fields)
        history.record(run, kind.added, user, **{kind.name: child.pk}, **history.created(child, kind.fields))
        history.run_event(run, "run.updated", user)
    return child


def _update(kind: ChildKind[Child], *, child: Child, user, changes: Any) -> Child:
    new_values = sent(changes)
    ensure_same_tenant(child.tenant_id, new_values.get(kind.reference))
    with transaction.atomic():
        run = lock_run(child.run)
        ensure_editable(run)
        child = _reload(child, kind.model.objects.select_related(*kind.related))
        changed = history.diff(child, new_values)
        for name, value in new_values.items():
            setattr(child, name, value)
        kind.save(run, child, changed.keys())
        if changed:
            history.record(run, kind.changed, user, **{kind.name: child.pk}, **changed)
            history.run_event(run, "run.updated", user)
    return child


def _remove(kind: ChildKind[Child], *, child: Child, user) -> None:
    with transaction.atomic():
        run = lock_run(child.run)
        ensure_editable(run)
        history.record(run, kind.removed, user, **{kind.name: child.pk}, **history.removed(child, kind.fields))
        child.delete()
        history.run_event(run, "run.updated", user)


def _reload(child: Child, queryset) -> Child:
    """`child` as stored now, read under its run's lock.

    The caller found `child` before taking that lock: editing that copy would write back
    fields another request changed meanwhile, or re-insert a row it removed.
    """
    fresh = queryset.filter(pk=child.pk).first()
    if fresh is None:
        raise NotFound(f"This {child._meta.verbose_name} was removed by another request.")
    return fresh


# --- the services ----------------------------------------------------------------------------


def add_item(*, run: ProductionRun, user, draft: ItemDraft) -> ProductionRunItem:
    return _add(ITEM, run=run, user=user, draft=draft)


def update_item(*, item: ProductionRunItem, user, changes: ItemChanges) -> ProductionRunItem:
    return _update(ITEM, child=item, user=user, changes=changes)


def remove_item(*, item: ProductionRunItem, user) -> None:
    _remove(ITEM, child=item, user=user)


def add_material(*, run: ProductionRun, user, draft: MaterialDraft) -> ProductionRunMaterial:
    return _add(MATERIAL, run=run, user=user, draft=draft)


def update_material(*, material: ProductionRunMaterial, user, changes: MaterialChanges) -> ProductionRunMaterial:
    return _update(MATERIAL, child=material, user=user, changes=changes)


def remove_material(*, material: ProductionRunMaterial, user) -> None:
    _remove(MATERIAL, child=material, user=user)
