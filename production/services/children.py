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
from django.db.models import QuerySet

from core.changes import UNSET, Unset, sent
from core.errors import NotFound
from inventory.models import ZERO, Material, Spool
from production.models import Product, ProductionRun, ProductionRunItem, ProductionRunMaterial, RunHistoryAction
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
from tenants.contracts import Actor, ensure_same_tenant

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
    """A filament line: its `spool`, or (on a planned run) only a catalogue `material` to take a spool of at start."""

    estimated_model_g: Decimal
    spool: Spool | None = None
    material: Material | None = None
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

    spool: Spool | Unset | None = UNSET
    material: Material | Unset | None = UNSET
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
REASSESSED_FIELDS = frozenset({"spool", "material", "estimated_model_g", "estimated_flushed_g", "estimated_tower_g"})


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
        if material.spool_id is not None:
            lock_named_spools({material.spool_id})
        others = [other for other in run_materials(run) if other.pk != material.pk]
        check_assignable(
            material, other_spool_ids={other.spool_id for other in others if other.spool_id}, run_status=run.status
        )
        check_kinds(run_items(run), [material])
        material.cost_per_gram = material.spool.cost_per_gram if material.spool is not None else None
    check_weighings(material)
    material.save()


Child = TypeVar("Child", ProductionRunItem, ProductionRunMaterial)


@dataclass(frozen=True, kw_only=True)
class ChildKind(Generic[Child]):
    """What the add/update/remove skeleton needs to know about one kind of child."""

    model: type[Child]
    name: str  # the history's key for the child's id: "item", "material"
    references: tuple[str, ...]  # the tenant-owned records a child names: their tenant must be the run's
    related: tuple[str, ...]  # what its rules read, joined when it is reloaded under the run's lock
    fields: tuple[str, ...]
    added: RunHistoryAction
    changed: RunHistoryAction
    removed: RunHistoryAction
    # Apply the kind's rules to a child whose `changed` fields are new, then save it.
    save: Callable[[ProductionRun, Child, Collection[str]], None]
    # The child's changes as its history row keys them (none may be `name`, the child's id).
    history_keys: Callable[[dict[str, Any]], dict[str, Any]] = dict


ITEM = ChildKind(
    model=ProductionRunItem,
    name="item",
    references=("product",),
    related=("product",),
    fields=ITEM_FIELDS,
    added=RunHistoryAction.ITEM_ADDED,
    changed=RunHistoryAction.ITEM_CHANGED,
    removed=RunHistoryAction.ITEM_REMOVED,
    save=_save_item,
)
MATERIAL = ChildKind(
    model=ProductionRunMaterial,
    name="material",
    references=("spool", "material"),
    related=("spool__material", "material"),
    fields=MATERIAL_FIELDS,
    added=RunHistoryAction.MATERIAL_ADDED,
    changed=RunHistoryAction.MATERIAL_CHANGED,
    removed=RunHistoryAction.MATERIAL_REMOVED,
    save=_save_material,
    # `material` is the line's id there: the line's catalogue material is `catalogue_material`.
    history_keys=lambda changes: {
        ("catalogue_material" if name == "material" else name): value for name, value in changes.items()
    },
)


# --- the one skeleton ------------------------------------------------------------------------


def _add(kind: ChildKind[Child], *, run: ProductionRun, user: Actor, draft: Any) -> Child:
    ensure_same_tenant(run.tenant_id, *(getattr(draft, name) for name in kind.references))
    with transaction.atomic():
        run = lock_run(run)
        ensure_editable(run)
        child = kind.model(tenant_id=run.tenant_id, run=run, **vars(draft))
        kind.save(run, child, kind.fields)
        history.record(
            run, kind.added, user, **{kind.name: child.pk}, **kind.history_keys(history.created(child, kind.fields))
        )
        history.run_event(run, "run.updated", user)
    return child


def _update(kind: ChildKind[Child], *, child: Child, user: Actor, changes: Any) -> Child:
    new_values = sent(changes)
    ensure_same_tenant(child.tenant_id, *(new_values.get(name) for name in kind.references))
    with transaction.atomic():
        run = lock_run(child.run)
        ensure_editable(run)
        child = _reload(child, kind.model.objects.select_related(*kind.related))
        changed = history.diff(child, new_values)
        for name, value in new_values.items():
            setattr(child, name, value)
        kind.save(run, child, changed.keys())
        if changed:
            history.record(run, kind.changed, user, **{kind.name: child.pk}, **kind.history_keys(changed))
            history.run_event(run, "run.updated", user)
    return child


def _remove(kind: ChildKind[Child], *, child: Child, user: Actor) -> None:
    with transaction.atomic():
        run = lock_run(child.run)
        ensure_editable(run)
        history.record(
            run, kind.removed, user, **{kind.name: child.pk}, **kind.history_keys(history.removed(child, kind.fields))
        )
        child.delete()
        history.run_event(run, "run.updated", user)


def _reload(child: Child, queryset: "QuerySet[Child]") -> Child:
    """`child` as stored now, read under its run's lock.

    The caller found `child` before taking that lock: editing that copy would write back
    fields another request changed meanwhile, or re-insert a row it removed.
    """
    fresh = queryset.filter(pk=child.pk).first()
    if fresh is None:
        raise NotFound(f"This {child._meta.verbose_name} was removed by another request.")
    return fresh


# --- the services ----------------------------------------------------------------------------


def add_item(*, run: ProductionRun, user: Actor, draft: ItemDraft) -> ProductionRunItem:
    return _add(ITEM, run=run, user=user, draft=draft)


def update_item(*, item: ProductionRunItem, user: Actor, changes: ItemChanges) -> ProductionRunItem:
    return _update(ITEM, child=item, user=user, changes=changes)


def remove_item(*, item: ProductionRunItem, user: Actor) -> None:
    _remove(ITEM, child=item, user=user)


def add_material(*, run: ProductionRun, user: Actor, draft: MaterialDraft) -> ProductionRunMaterial:
    return _add(MATERIAL, run=run, user=user, draft=draft)


def update_material(*, material: ProductionRunMaterial, user: Actor, changes: MaterialChanges) -> ProductionRunMaterial:
    return _update(MATERIAL, child=material, user=user, changes=changes)


def remove_material(*, material: ProductionRunMaterial, user: Actor) -> None:
    _remove(MATERIAL, child=material, user=user)
