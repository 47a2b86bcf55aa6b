"""A realistic data set, written through the services so the ledger is what production would hold."""

import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from inventory.models import Material, Spool
from inventory.services import SpoolDraft, create_spool
from production.models import FailureReason, Printer, Product
from production.services import Completion, Failure, RunDraft, cancel_run, complete_run, create_run, fail_run
from tenants.services import add_member, create_tenant

MATERIALS = [
    ("PLA Basic", "PLA", "Black", "#000000"),
    ("PLA Basic", "PLA", "White", "#FFFFFF"),
    ("PLA Matte", "PLA", "Red", "#C0392B"),
    ("PETG HF", "PETG", "Blue", "#2E86C1"),
    ("PETG HF", "PETG", "Orange", "#E67E22"),
    ("ASA", "ASA", "Grey", "#7F8C8D"),
]
CENTS = Decimal("0.01")
SPOOL_G = Decimal("1000.00")
MAX_ESTIMATE_G = 17  # model (at most 15 g) + flushed (at most 2 g) per material, see run_data
RUNS_PER_BATCH = 100


@dataclass
class Size:
    tenants: int = 2
    spools: int = 50
    products: int = 30
    printers: int = 6
    runs: int = 2000  # per tenant


QUICK_SIZE = Size(spools=10, products=10, printers=2, runs=60)


@dataclass
class TenantData:
    tenant: object
    user: object
    products: list = field(default_factory=list)
    printers: list = field(default_factory=list)


def grams(value):
    return Decimal(value).quantize(CENTS)


def build(size, *, seed=2024):
    """`size.tenants` tenants, each with its catalog, spools and runs; returns one TenantData each."""
    rng = random.Random(seed)
    return [build_tenant(number, size, rng) for number in range(1, size.tenants + 1)]


def build_tenant(number, size, rng):
    tenant, _ = create_tenant(slug=f"bench-{number}", name=f"Bench farm {number}", run_prefix=f"BN{number}")
    membership, _ = add_member(tenant=tenant, username=f"bench-member-{number}", role="member")
    data = TenantData(tenant=tenant, user=membership.user)
    materials = [
        Material.objects.create(tenant=tenant, name=name, brand="Bench", kind=kind, color_name=color, color_hex=hex_)
        for name, kind, color, hex_ in MATERIALS
    ]
    weight = spool_weight(size)
    for n in range(size.spools):
        material = materials[n % len(materials)]
        create_spool(
            tenant=tenant,
            user=data.user,
            draft=SpoolDraft(
                **{
                    "code": f"{material.kind}-{material.color_name.upper()}-{n + 1:03d}",
                    "material": material,
                    "initial_weight_g": weight,
                    "purchase_price": grams(Decimal(rng.choice(["19.99", "24.50", "29.90"])) * weight / SPOOL_G),
                    "location": f"Rack {n % 4 + 1}",
                }
            ),
        )
    data.products = [
        Product.objects.create(
            tenant=tenant, sku=f"SKU-{n:04d}", name=f"Product {n}", unit_weight_g=grams(rng.uniform(3, 40))
        )
        for n in range(1, size.products + 1)
    ]
    data.printers = [
        Printer.objects.create(tenant=tenant, name=f"Printer {n}", model="Bambu Lab P1S")
        for n in range(1, size.printers + 1)
    ]
    add_runs(data, size.runs, rng)
    return data


def spool_weight(size):
    """1 kg spools, or bigger ones when the runs would otherwise empty them (with a 2x margin)."""
    deductions = size.runs // 2 * 2  # half the runs complete, two materials each
    needed = deductions * MAX_ESTIMATE_G * 1.15 / size.spools  # actuals reach 115 % of the model estimate
    return max(SPOOL_G, Decimal(math.ceil(needed * 2 / 1000) * 1000))


def add_runs(data, count, rng):
    """`count` runs over the last year, oldest first: 50 % completed, 10 % failed, 10 % cancelled, 30 % in progress.

    Batches share a transaction only to save commits; every run still goes through the services.
    """
    tenant, user = data.tenant, data.user
    now = timezone.now()
    step = timedelta(days=365) / count
    for batch_start in range(0, count, RUNS_PER_BATCH):
        with transaction.atomic():
            # Fresh weights each batch: create_run checks the estimate against the spool it is given.
            spools = list(Spool.objects.for_tenant(tenant).with_material())
            for i in range(batch_start, min(count, batch_start + RUNS_PER_BATCH)):
                started_at = now - timedelta(days=365) + step * i
                run = create_run(
                    tenant=tenant, user=user, draft=RunDraft.from_data(run_data(rng, data, spools, started_at))
                )
                finish_run(run, user, rng, outcome=i % 10, ended_at=min(now, started_at + step / 2))


def run_data(rng, data, spools, started_at=None):
    """One bed load: 3 products and 2 spools, as a service (model instances) payload."""
    items = [{"product": product, "quantity": rng.randint(1, 20)} for product in rng.sample(data.products, 3)]
    materials = [
        {
            "spool": spool,
            "estimated_model_g": grams(rng.uniform(4, 15)),
            "estimated_flushed_g": grams(rng.uniform(0, 2)),
        }
        for spool in rng.sample(spools, 2)
    ]
    fields = {"printer": rng.choice(data.printers), "slicer_software": "OrcaSlicer 2.2", "notes": "bench load"}
    if started_at is not None:
        fields["started_at"] = started_at
    return {**fields, "items": items, "materials": materials}


def finish_run(run, user, rng, *, outcome, ended_at):
    if outcome < 5:
        actuals = [
            {
                "id": pk,
                "actual_model_g": grams(model_g * Decimal(rng.uniform(0.9, 1.15))),
                "actual_flushed_g": flushed_g,
            }
            for pk, model_g, flushed_g in run.materials.values_list("pk", "estimated_model_g", "estimated_flushed_g")
        ]
        data = {"completed_at": ended_at, "materials": actuals, "quality_rating": rng.randint(3, 5)}
        complete_run(run=run, user=user, completion=Completion.from_data(data))
    elif outcome == 5:
        fail_run(
            run=run,
            user=user,
            failure=Failure.from_data({"completed_at": ended_at, "failure_reason": rng.choice(FailureReason.values)}),
        )
    elif outcome == 6:
        cancel_run(run=run, user=user)


def check_ledger():
    """Every spool's weight equals the sum of its ledger rows; returns how many spools were checked."""
    spools = Spool.objects.annotate(ledger_g=Sum("transactions__weight_change_g"))
    wrong = [spool.code for spool in spools if spool.ledger_g != spool.current_weight_g]
    if wrong:
        raise AssertionError(f"Ledger invariant broken for spools {', '.join(wrong)}")
    return spools.count()
