"""How far a run's (or one of its materials') actual use ran from its estimate: one definition for both."""

from decimal import Decimal
from typing import Protocol

HUNDRED = Decimal("100")
CENTS = Decimal("0.01")


class Totals(Protocol):
    """A row whose filament has an estimate and, once known, an actual use: a run, one of its materials."""

    @property
    def estimated_total_g(self) -> Decimal: ...

    @property
    def actual_total_g(self) -> Decimal | None: ...


def variance_of(row: Totals) -> Decimal | None:
    return difference(row.actual_total_g, row.estimated_total_g)


def difference(actual: Decimal | None, estimate: Decimal) -> Decimal | None:
    """The actual use less the estimate; unknown while the actual use is."""
    return None if actual is None else actual - estimate


def percent_of(variance: Decimal | None, estimate: Decimal) -> Decimal | None:
    if variance is None or not estimate:
        return None
    return (variance / estimate * HUNDRED).quantize(CENTS)


class Variance:
    """How far the actual use ran from the estimate: one definition for a run and for each of its materials."""

    @property
    def variance_g(self: Totals) -> Decimal | None:
        return variance_of(self)

    @property
    def variance_percent(self: Totals) -> Decimal | None:
        return percent_of(variance_of(self), self.estimated_total_g)
