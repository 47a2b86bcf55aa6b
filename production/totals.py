"""A run's and a run material's totals from plain values: the one definition of their arithmetic.

The models' properties (`ProductionRunMaterial.actual_total_g`, `ProductionRun.material_cost`, ...)
and the run list's page (production/run_pages.py, which reads `.values()` rows, not instances)
both compute with these, so a total is the same Decimal, rounded the same way, on either path.
"""

from collections.abc import Iterable
from decimal import Decimal

from production.status_codes import RunStatus
from production.variance import CENTS

ZERO = Decimal("0")


def line_estimate(model_g: Decimal | None, flushed_g: Decimal | None, tower_g: Decimal | None) -> Decimal:
    return (model_g or ZERO) + (flushed_g or ZERO) + (tower_g or ZERO)


def line_actual(
    before_g: Decimal | None,
    after_g: Decimal | None,
    model_g: Decimal | None,
    flushed_g: Decimal | None,
    tower_g: Decimal | None,
) -> Decimal | None:
    """Weighings win (before - after); else the sum of the recorded parts; else unknown."""
    if before_g is not None and after_g is not None:
        return before_g - after_g
    parts = [model_g, flushed_g, tower_g]
    if all(part is None for part in parts):
        return None
    return sum((part for part in parts if part is not None), ZERO)


def line_cost(actual_g: Decimal | None, cost_per_gram: Decimal | None) -> Decimal | None:
    if actual_g is None or cost_per_gram is None:
        return None
    return actual_g * cost_per_gram


def run_estimate(estimates: Iterable[Decimal]) -> Decimal:
    return sum(estimates, ZERO)


def run_actual(actuals: list[Decimal | None]) -> Decimal | None:
    """Known only when the run has materials and every one of them is known."""
    if not actuals or any(actual is None for actual in actuals):
        return None
    return sum(actuals, ZERO)  # type: ignore[arg-type]  # no None left


def run_cost(costs: list[Decimal | None]) -> Decimal | None:
    if not costs or any(cost is None for cost in costs):
        return None
    return sum(costs, ZERO).quantize(CENTS)  # type: ignore[arg-type]  # no None left


def cost_per_unit(cost: Decimal | None, status: str, units: int) -> Decimal | None:
    if cost is None or status != RunStatus.COMPLETED or units == 0:
        return None
    return (cost / units).quantize(CENTS)


def items_summary(count: int, first_name: str | None, first_quantity: int | None) -> str:
    """'' without items, the one product and its quantity, else how many products."""
    if not count:
        return ""
    if count == 1:
        return f"{first_name} x{first_quantity}"
    return f"{count} products"
