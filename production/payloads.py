"""Production's records as the API shows them: the one place that renders them.

The services call these for their events' payloads (built in the write's transaction, from
rows the service already loaded); the views answer with the same. A service itself never
renders: it returns its domain objects.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet

from production.models import Product, ProductionRun, ProductionRunItem, ProductionRunMaterial
from production.serializers import ProductionRunSerializer, ProductSerializer

# Where `run_payload` keeps the run as it rendered it, for the answer to the same write.
_WRITTEN = "_payload_after_write"
_PREFETCHED = "_prefetched_objects_cache"
Child = TypeVar("Child", ProductionRunItem, ProductionRunMaterial)


def product_payload(product: Product) -> dict[str, Any]:
    return ProductSerializer(product).data


def run_payload(
    run: ProductionRun,
    *,
    items: Sequence[ProductionRunItem] | None = None,
    materials: Sequence[ProductionRunMaterial] | None = None,
) -> dict[str, Any]:
    """The run as the API shows it (ProductionRunSerializer) right after a write: its event's payload.

    `items`/`materials` are the run's rows if the caller has them loaded (with their products,
    spools and materials), else they are read here (two queries). They are the run's
    prefetched children while it is serialized, so the totals come from them. The printer and
    the creator come from the run as the service's lock read them.

    The payload is kept on `run`: the write's answer (`run_answer`) is the same, not read again.
    """
    if items is None:
        items = list(run.items.select_related("product"))
    if materials is None:
        materials = list(run.materials.select_related("spool__material"))
    # Django's prefetch cache, which the model's totals (ProductionRun.children) read: set by hand.
    before = getattr(run, _PREFETCHED, None)
    setattr(
        run,
        _PREFETCHED,
        {
            **(before or {}),
            "items": _as_prefetched(ProductionRunItem, run, items),
            "materials": _as_prefetched(ProductionRunMaterial, run, materials),
        },
    )
    try:
        payload = ProductionRunSerializer(run).data
    finally:
        # The caller's run reads its children afresh again, as it did before.
        if before is None:
            delattr(run, _PREFETCHED)
        else:
            setattr(run, _PREFETCHED, before)
    setattr(run, _WRITTEN, payload)
    return payload


def run_answer(run: ProductionRun, *, context: dict[str, Any]) -> dict[str, Any]:
    """What a run write answers with: the payload its event carried, else the run read afresh with its details."""
    payload = getattr(run, _WRITTEN, None)
    if payload is not None:
        return payload
    run = ProductionRun.objects.for_tenant(run.tenant_id).with_details().get(pk=run.pk)
    return ProductionRunSerializer(run, context=context).data


def _as_prefetched(model: type[Child], run: ProductionRun, rows: Sequence[Child]) -> "QuerySet[Child]":
    """`rows` as Django's prefetch stores a run's children: a queryset evaluated already, in Meta order."""
    queryset = model.objects.filter(run_id=run.pk)
    queryset._result_cache = sorted(rows, key=lambda row: (row.created_at, str(row.pk)))
    queryset._prefetch_done = True  # type: ignore[attr-defined]  # Django's own, not in its stubs
    return queryset
