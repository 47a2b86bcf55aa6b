"""A small farm whose report figures are computed by hand (see each test's comments).

Tenant zone Europe/Berlin (UTC+1 in March 2026). Cost per gram at assignment:
S1 PLA 25.00 / 1000 g = 0.0250, S2 PLA 20.00 / 1000 g = 0.0200, S3 PETG 15.00 / 500 g = 0.0300,
S4 PETG without a price. Products A (unit 10 g) and B (unit 20 g); printer P1.

- R1 on P1: A x3 (2 ok, 1 failed) + B x1; S1 est 100 / actual 112, S3 est 50 / actual 45
  (weighed 545 -> 500). Completed 2026-03-02 10:00 local. Cost 2.80 + 1.35 = 4.15.
- R2 without printer: A x4; S2 est 80 / actual 84. Completed 2026-03-03 00:30 local, which is
  still 2026-03-02 in UTC. Cost 1.68.
- R3 on P1: B x3; S4 est 60; failed 2026-03-05 12:00 local with 30 g used: waste, unpriced.
- R4 on P1: A x2; S1 est 20. Completed 2026-03-04 with 25 g, reopened (the 25 g reversed),
  completed again 2026-03-10 12:00 local with 22 g. Cost 0.55.
- Manual waste of 10 g on S2, 2026-03-06 12:00 local. Cost 0.20.
- The other tenant has a completed run in the same days: it never shows.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest

from inventory.services import Adjustment, adjust_spool
from production.services import (
    Completion,
    Failure,
    ItemOutcome,
    MaterialActuals,
    complete_run,
    fail_run,
    reopen_run,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def local(day, hour=12, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def material_of(run, spool):
    return run.materials.get(spool=spool)


@dataclass
class Farm:
    pla: object
    petg: object
    spools: dict
    a: object
    b: object
    p1: object
    runs: dict


@pytest.fixture
def farm(tenant, other_tenant, member, make_material, make_spool, make_product, make_printer, make_run):
    tenant.timezone = "Europe/Berlin"
    tenant.save()
    pla = make_material(tenant, name="PLA Basic", kind="PLA")
    petg = make_material(tenant, name="PETG HF", kind="PETG")
    s1 = make_spool(tenant, pla, code="S1", purchase_price=Decimal("25.00"))
    s2 = make_spool(tenant, pla, code="S2", purchase_price=Decimal("20.00"))
    s3 = make_spool(tenant, petg, code="S3", initial_weight_g=Decimal("500.00"), purchase_price=Decimal("15.00"))
    s4 = make_spool(tenant, petg, code="S4", purchase_price=None)
    a = make_product(tenant, sku="A", name="Axolotl", unit_weight_g=Decimal("10"))
    b = make_product(tenant, sku="B", name="Bracket", unit_weight_g=Decimal("20"))
    p1 = make_printer(tenant, name="P1")

    r1 = make_run(
        tenant,
        user=member,
        printer=p1,
        started_at=local(2, 6),
        items=[{"product": a, "quantity": 3}, {"product": b, "quantity": 1}],
        materials=[
            {"spool": s1, "estimated_model_g": Decimal("100")},
            {"spool": s3, "estimated_model_g": Decimal("50")},
        ],
    )
    item_a = r1.items.get(product=a)
    complete_run(
        run=r1,
        user=member,
        completion=Completion(
            completed_at=local(2, 10),
            items=(ItemOutcome(id=item_a.pk, successful_quantity=2, failed_quantity=1),),
            materials=(
                MaterialActuals(id=material_of(r1, s1).pk, actual_model_g=Decimal("112")),
                MaterialActuals(
                    id=material_of(r1, s3).pk,
                    spool_weight_before_g=Decimal("545"),
                    spool_weight_after_g=Decimal("500"),
                ),
            ),
        ),
    )
    r2 = make_run(
        tenant,
        user=member,
        started_at=local(2, 20),
        items=[{"product": a, "quantity": 4}],
        materials=[{"spool": s2, "estimated_model_g": Decimal("80")}],
    )
    complete_run(
        run=r2,
        user=member,
        completion=Completion(
            completed_at=local(3, 0, 30),
            materials=(MaterialActuals(id=material_of(r2, s2).pk, actual_model_g=Decimal("84")),),
        ),
    )
    r3 = make_run(
        tenant,
        user=member,
        printer=p1,
        started_at=local(5, 8),
        items=[{"product": b, "quantity": 3}],
        materials=[{"spool": s4, "estimated_model_g": Decimal("60")}],
    )
    fail_run(
        run=r3,
        user=member,
        failure=Failure(
            failure_reason="spaghetti",
            completed_at=local(5, 12),
            materials=(MaterialActuals(id=material_of(r3, s4).pk, actual_model_g=Decimal("30")),),
        ),
    )
    r4 = make_run(
        tenant,
        user=member,
        printer=p1,
        started_at=local(4, 8),
        items=[{"product": a, "quantity": 2}],
        materials=[{"spool": s1, "estimated_model_g": Decimal("20")}],
    )
    complete_run(
        run=r4,
        user=member,
        completion=Completion(
            completed_at=local(4, 12),
            materials=(MaterialActuals(id=material_of(r4, s1).pk, actual_model_g=Decimal("25")),),
        ),
    )
    reopen_run(run=r4, user=member)
    complete_run(
        run=r4,
        user=member,
        completion=Completion(
            completed_at=local(10, 12),
            materials=(MaterialActuals(id=material_of(r4, s1).pk, actual_model_g=Decimal("22")),),
        ),
    )
    adjust_spool(
        spool=s2,
        user=member,
        adjustment=Adjustment(type="waste", delta_g=Decimal("-10"), reason="Tangled", occurred_at=local(6)),
    )

    # The other tenant: same days, same shapes, other figures.
    foreign = make_run(
        other_tenant,
        started_at=local(2, 6),
        items=[{"product": make_product(other_tenant, sku="A", name="Axolotl"), "quantity": 5}],
        materials=[{"spool": make_spool(other_tenant, code="FOREIGN"), "estimated_model_g": Decimal("70")}],
    )
    complete_run(run=foreign, user=None, completion=Completion(completed_at=local(2, 9), use_estimates=True))

    return Farm(
        pla=pla,
        petg=petg,
        spools={"S1": s1, "S2": s2, "S3": s3, "S4": s4},
        a=a,
        b=b,
        p1=p1,
        runs={"R1": r1, "R2": r2, "R3": r3, "R4": r4},
    )
