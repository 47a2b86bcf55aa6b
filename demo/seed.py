"""The demo farms built from the catalogue: tenants, logins and 60 days of print-farm history.

The history is simulated printer by printer, event by event in time order, from a seeded
random generator: the same seed gives the same farm, relative to the moment it is built.
Every write goes through demo/writes.py, that is through the services the API uses
(tenants and members, spools and their adjustments, runs and their transitions), so the
demo ledger balances exactly like real data. Backdating uses the services' own time
parameters (`started_at`, `completed_at`, `occurred_at`, a run's `created_at`): each run is
created on the day it started, so its number carries that day, as the contract says.
"""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from demo import writes
from demo.catalog import CANCEL_NOTES, DEMO_PASSWORD, FAILURES, QUALITY_NOTES, STAFF_USERNAME, TEMPERATURES
from inventory.models import Spool, TransactionType
from production.models import ProductionRun, RunStatus
from tenants.models import Role

HISTORY_DAYS = 60
CENTS = Decimal("0.01")


def grams(value):
    return Decimal(str(round(value, 2))).quantize(CENTS)


@dataclass(order=True)
class Event:
    at: object
    order: int
    action: object = field(compare=False)


@dataclass
class PrinterState:
    printer: object
    plan: object
    idle_since: object = None
    last_failed: ProductionRun | None = None
    busy: bool = False  # an in-progress run is on it


class FarmSimulation:
    """One tenant's farm, simulated in time order: purchases, runs, outcomes, stock counts."""

    def __init__(self, plan, *, seed, now, progress=None):
        self.plan = plan
        self.progress = progress  # called with the share of the history simulated so far (0-1)
        self.rng = random.Random(f"{seed}-{plan.slug}")
        self.now = now
        self.events = []
        self.order = itertools.count()
        self.spool_free_at = {}  # spool id -> when its current run ends (None: still printing)
        self.last_start = self.now - timedelta(days=HISTORY_DAYS)  # the latest start of a run created so far
        self.deck = []

    # --- setup -------------------------------------------------------------------------

    def seed(self):
        plan = self.plan
        self.tenant, users = writes.open_tenant(
            slug=plan.slug,
            name=plan.name,
            run_prefix=plan.prefix,
            timezone=plan.timezone,
            logins=plan.logins,
            password=DEMO_PASSWORD,
        )
        self.owner = users[0]
        self.writers = [user for user, (_, role) in zip(users, plan.logins, strict=True) if role != Role.VIEWER]
        self.materials = {
            key: writes.add_material(tenant=self.tenant, fields=fields) for key, fields in plan.materials.items()
        }
        self.products = {
            product.sku: writes.add_product(
                tenant=self.tenant,
                fields={
                    "sku": product.sku,
                    "name": product.name,
                    "unit_weight_g": Decimal(product.unit_weight_g),
                    "material_kind": product.material_kind,
                },
            )
            for product in plan.products
        }
        self.printers = [
            PrinterState(
                writes.add_printer(
                    tenant=self.tenant, fields={"name": p.name, "model": p.model, "slot_count": p.slot_count}
                ),
                p,
            )
            for p in plan.printers
        ]
        start = self.now - timedelta(days=HISTORY_DAYS)
        for spool in plan.spools:
            self.schedule(
                self.now - timedelta(days=spool.bought_days_ago, hours=self.rng.uniform(0, 8)), self.buy, spool
            )
        for days_ago, *adjustment in plan.adjustments:
            self.schedule(self.now - timedelta(days=days_ago, hours=self.rng.uniform(0, 8)), self.adjust, adjustment)
        for state in self.printers:
            self.schedule(self.working_hours(start + timedelta(hours=self.rng.uniform(0, 12))), self.start_run, state)
        first = min(event.at for event in self.events)
        while self.events:
            event = heapq.heappop(self.events)
            if self.progress is not None:
                self.progress(min(max((event.at - first) / (self.now - first), 0.0), 1.0))
            event.action(event.at)
        self.finish_history()
        self.set_up_floor()
        if self.progress is not None:
            self.progress(1.0)
        return self.tenant

    def schedule(self, at, handler, *args):
        heapq.heappush(self.events, Event(at, next(self.order), lambda moment: handler(moment, *args)))

    def buy(self, at, spool):
        writes.buy_spool(
            tenant=self.tenant,
            user=self.owner,
            data={
                "code": spool.code,
                "material": self.materials[spool.material],
                "initial_weight_g": Decimal(spool.initial_g),
                "empty_spool_weight_g": Decimal("250.00"),
                "purchase_price": Decimal(spool.price),
                "purchased_at": timezone.localtime(at, self.tenant.zone).date(),
                "supplier": spool.supplier,
                "location": spool.location,
            },
            occurred_at=at,
        )

    def adjust(self, at, adjustment):
        type, fewest, most, reason = adjustment
        candidates = [spool for spool in self.free_spools(at) if spool.current_weight_g > 100]
        if not candidates:
            return
        spool = self.rng.choice(candidates)
        loss = grams(self.rng.uniform(fewest, most))
        if type == TransactionType.COUNT:
            change = {"new_weight_g": spool.current_weight_g - loss}
        else:
            change = {"delta_g": -loss}
        writes.correct_spool(spool=spool, user=self.owner, type=type, reason=reason, occurred_at=at, **change)

    # --- runs --------------------------------------------------------------------------

    def free_spools(self, at):
        spools = Spool.objects.for_tenant(self.tenant).with_material().filter(is_active=True)
        return [spool for spool in spools if self.is_free(spool, at)]

    def is_free(self, spool, at):
        if spool.pk not in self.spool_free_at:
            return True
        free_at = self.spool_free_at[spool.pk]
        return free_at is not None and free_at <= at

    def plan_run(self, state, at):
        """Items and spools for the next bed load of this printer, or None when nothing fits the stock."""
        if state.last_failed is not None and self.rng.random() < 0.6:
            failed = state.last_failed
            items = [(item.product, item.quantity) for item in failed.items.all()]
            kind = failed.materials.first().spool.material.kind
            colours = failed.materials.count()
            original = failed
        else:
            jobs = [job for job in self.plan.jobs if job.colours <= state.plan.colours]
            job = self.rng.choices(jobs, weights=[job.weight for job in jobs])[0]
            items = [(self.products[sku], self.rng.randint(fewest, most)) for sku, fewest, most in job.items]
            kind, colours, original = job.kind, job.colours, None
        state.last_failed = None
        model_g = sum(product.unit_weight_g * quantity for product, quantity in items) * Decimal(
            str(self.rng.uniform(1.0, 1.08))
        )
        shares = [Decimal("1")] if colours == 1 else [Decimal("0.7"), Decimal("0.3")]
        estimates = []
        for share in shares:
            flushed = grams(self.rng.uniform(8, 35)) if colours > 1 else Decimal("0.00")
            tower = grams(self.rng.uniform(4, 12)) if colours > 1 else Decimal("0.00")
            estimates.append((grams(model_g * share), flushed, tower))
        spools = self.pick_spools(kind, [sum(estimate) for estimate in estimates], at)
        if spools is None:
            return None
        materials = [
            {"spool": spool, "estimated_model_g": model, "estimated_flushed_g": flushed, "estimated_tower_g": tower}
            for spool, (model, flushed, tower) in zip(spools, estimates, strict=True)
        ]
        return items, materials, kind, original

    def pick_spools(self, kind, needs, at):
        """Open spools first: the emptiest spool of the kind that still holds the need with a margin."""
        chosen = []
        candidates = sorted(
            (spool for spool in self.free_spools(at) if spool.material.kind == kind),
            key=lambda spool: (spool.current_weight_g, spool.code),
        )
        for need in sorted(needs, reverse=True):
            fitting = [s for s in candidates if s not in chosen and s.current_weight_g >= need * Decimal("1.2") + 20]
            if not fitting:
                return None
            chosen.append(fitting[0])
        # The biggest need went first; give each material its spool in the estimates' order.
        order = sorted(range(len(needs)), key=lambda i: needs[i], reverse=True)
        by_need = dict(zip(order, chosen, strict=True))
        return [by_need[i] for i in range(len(needs))]

    def working_hours(self, at):
        """People start prints between 7:00 and 19:00 local time; later ideas wait for the morning."""
        local = timezone.localtime(at, self.tenant.zone)
        if 7 <= local.hour < 19:
            return at
        morning = local.replace(hour=7, minute=0, second=0, microsecond=0)
        if local.hour >= 19:
            morning += timedelta(days=1)
        return morning + timedelta(minutes=self.rng.uniform(0, 90))

    def start_run(self, at, state, still_printing=False):
        if at >= self.now:
            return
        planned = None
        for _ in range(3):
            planned = self.plan_run(state, at)
            if planned is not None:
                break
        if planned is None:
            self.schedule(self.working_hours(at + timedelta(hours=12)), self.start_run, state)
            return
        items, materials, kind, original = planned
        self.last_start = at
        estimated_g = sum(m["estimated_model_g"] + m["estimated_flushed_g"] + m["estimated_tower_g"] for m in materials)
        hours = float(estimated_g) / state.plan.grams_per_hour + 0.25
        bed, nozzle = TEMPERATURES[kind]
        positions = ("left", "centre", "right", "back")
        run = writes.start_run(
            tenant=self.tenant,
            user=self.rng.choice(self.writers),
            data={
                "printer": state.printer,
                "started_at": at,
                "estimated_print_time_hours": Decimal(str(round(hours, 2))),
                "slicer_software": state.plan.slicer,
                "bed_temperature_c": bed,
                "nozzle_temperature_c": nozzle,
                "original_run": original,
                "notes": f"Order #{self.rng.randint(1040, 1999)}" if self.rng.random() < 0.5 else "",
                "items": [
                    {"product": product, "quantity": quantity, "bed_position": positions[i] if len(items) > 1 else ""}
                    for i, (product, quantity) in enumerate(items)
                ],
                "materials": materials,
            },
        )
        outcome, ends_at, failure_reason = (None, self.now, "") if still_printing else self.outcome(at, hours)
        if ends_at >= self.now:
            # Still on the printer: the run stays in progress and holds its spools.
            state.busy = True
            for material in materials:
                self.spool_free_at[material["spool"].pk] = None
            return
        for material in materials:
            self.spool_free_at[material["spool"].pk] = ends_at
        self.schedule(ends_at, self.end_run, state, run, outcome, hours, failure_reason)

    def outcome(self, at, hours):
        if not self.deck:
            self.deck = list(self.plan.outcomes)
            self.rng.shuffle(self.deck)
        outcome = self.deck.pop()
        if outcome == RunStatus.COMPLETED:
            return outcome, at + timedelta(hours=hours * self.rng.uniform(0.95, 1.12)), ""
        if outcome == RunStatus.FAILED:
            reason = self.rng.choice(sorted(FAILURES))
            _, (low, high) = FAILURES[reason]
            return outcome, at + timedelta(hours=hours * self.rng.uniform(low, high)), reason
        return outcome, at + timedelta(minutes=self.rng.uniform(5, 30)), ""

    def end_run(self, at, state, run, outcome, hours, failure_reason):
        writer = self.rng.choice(self.writers)
        if outcome == RunStatus.COMPLETED:
            writes.complete_run(run=run, user=writer, data=self.completion(run, at))
        elif outcome == RunStatus.FAILED:
            writes.fail_run(run=run, user=writer, data=self.failure(run, at, hours, failure_reason))
            state.last_failed = run
        else:
            writes.cancel_run(run=run, user=writer, notes=self.rng.choice(CANCEL_NOTES))
        state.idle_since = at
        next_start = self.working_hours(at + timedelta(hours=self.rng.uniform(*self.plan.gap_hours)))
        self.schedule(next_start, self.start_run, state)

    def completion(self, run, at):
        """What came off the printer: actual grams (parts, weighings or estimates) and a few failed parts."""
        data = {"completed_at": at}
        outcomes = []
        for item in run.items.all():
            if item.quantity >= 4 and self.rng.random() < 0.25:
                failed = self.rng.randint(1, item.quantity // 4)
                outcomes.append(
                    {"id": item.pk, "successful_quantity": item.quantity - failed, "failed_quantity": failed}
                )
        data["items"] = outcomes
        style = self.rng.choices(["parts", "weighing", "estimates"], weights=[5, 3, 2])[0]
        if style == "estimates":
            data["use_estimates"] = True
        else:
            data["materials"] = []
            for material in run.materials.select_related("spool"):
                model = grams(float(material.estimated_model_g) * self.rng.gauss(1.02, 0.035))
                flushed = grams(float(material.estimated_flushed_g) * self.rng.gauss(1.05, 0.08))
                tower = grams(float(material.estimated_tower_g) * self.rng.gauss(1.0, 0.05))
                if style == "parts":
                    parts = {"actual_model_g": model, "actual_flushed_g": flushed, "actual_tower_g": tower}
                    data["materials"].append({"id": material.pk, **parts})
                else:
                    before = material.spool.current_weight_g + material.spool.empty_spool_weight_g
                    data["materials"].append(
                        {
                            "id": material.pk,
                            "spool_weight_before_g": before,
                            "spool_weight_after_g": before - (model + flushed + tower),
                        }
                    )
        rating = self.rng.choices([5, 4, 3], weights=[5, 4, 1])[0]
        data["quality_rating"] = rating
        data["quality_notes"] = self.rng.choice(QUALITY_NOTES[rating])
        return data

    def failure(self, run, at, hours, reason):
        """Filament already laid down when the print stopped is written off as waste."""
        done = (at - run.started_at).total_seconds() / 3600 / hours
        materials = [
            {
                "id": material.pk,
                "actual_model_g": grams(float(material.estimated_model_g) * done),
                "actual_flushed_g": grams(float(material.estimated_flushed_g) * done),
                "actual_tower_g": Decimal("0.00"),
            }
            for material in run.materials.all()
        ]
        return {"failure_reason": reason, "completed_at": at, "notes": FAILURES[reason][0], "materials": materials}

    def finish_history(self):
        """Every idle printer gets one print that is still running now.

        A run's number counts its day's runs in the order they are created, so these runs are
        created in the order of their starts, each after every run the history created before it:
        otherwise two of them on today's date (or one before another printer's last run) would be
        numbered out of the order of their times."""
        starts = []
        for state in self.printers:
            if state.busy:
                continue
            start = self.now - timedelta(hours=self.rng.uniform(1, 4))
            if state.idle_since is not None:
                start = max(start, state.idle_since + timedelta(minutes=20))
            starts.append((min(start, self.now - timedelta(minutes=1)), state))
        for start, state in sorted(starts, key=lambda pair: pair[0]):
            self.start_run(max(start, self.last_start + timedelta(seconds=1)), state, still_printing=True)

    # --- the floor now ---------------------------------------------------------------------

    def set_up_floor(self):
        """Each printing printer has its run's spools loaded; an idle AMS printer (if the plan has one) holds
        the fullest other spools; the queue gets its planned runs (some ready on the idle printer, some
        naming only a material, one over-booking its spool)."""
        runs = ProductionRun.objects.for_tenant(self.tenant).filter(status=RunStatus.IN_PROGRESS)
        loaded = set()
        for run in runs.select_related("printer").prefetch_related("materials__spool"):
            for slot, line in enumerate(list(run.materials.all())[: run.printer.slot_count]):
                writes.load_spool(printer=run.printer, slot=slot, spool=line.spool, user=self.owner)
                loaded.add(line.spool_id)
        floor = self.plan.floor
        idle_spools = []
        if floor.idle_printer is not None:
            plan = floor.idle_printer
            printer = writes.add_printer(
                tenant=self.tenant, fields={"name": plan.name, "model": plan.model, "slot_count": plan.slot_count}
            )
            spools = Spool.objects.for_tenant(self.tenant).filter(is_active=True).exclude(pk__in=loaded)
            for slot, spool in enumerate(
                spools.with_material().order_by("-current_weight_g", "code")[: plan.slot_count]
            ):
                writes.load_spool(printer=printer, slot=slot, spool=spool, user=self.owner)
                idle_spools.append(spool)
        for priority, hours, filament in floor.queue:
            self.plan_queued(priority, hours, filament, idle_spools)

    def plan_queued(self, priority, hours, filament, idle_spools):
        jobs = [job for job in self.plan.jobs if job.colours == 1]
        usable = [spool for spool in idle_spools if spool.material.kind in {job.kind for job in jobs}]
        if filament == "spool" and not usable:
            filament = "material"
        if filament == "spool":
            spool = usable[self.tenant_runs_planned().count() % len(usable)]
            jobs = [job for job in jobs if job.kind == spool.material.kind]
        job = self.rng.choices(jobs, weights=[job.weight for job in jobs])[0]
        items = [(self.products[sku], self.rng.randint(fewest, most)) for sku, fewest, most in job.items]
        model_g = grams(sum(product.unit_weight_g * quantity for product, quantity in items))
        kind_materials = [material for material in self.materials.values() if material.kind == job.kind]
        if filament == "spool":
            line = {"spool": spool, "estimated_model_g": min(model_g, grams(spool.current_weight_g / 2))}
        elif filament == "over" and (spool := self.lightest_spool(job.kind)) is not None:
            line = {"spool": spool, "estimated_model_g": spool.current_weight_g + grams(150)}
        else:
            line = {"material": self.rng.choice(kind_materials), "estimated_model_g": model_g}
        writes.plan_run(
            tenant=self.tenant,
            user=self.rng.choice(self.writers),
            data={
                "priority": priority,
                "planned_start": None if hours is None else self.now + timedelta(hours=hours),
                "slicer_software": "Bambu Studio 1.10",
                "notes": f"Order #{self.rng.randint(2000, 2999)}",
                "items": [{"product": product, "quantity": quantity} for product, quantity in items],
                "materials": [line],
            },
        )

    def lightest_spool(self, kind):
        stock = Spool.objects.for_tenant(self.tenant).filter(material__kind=kind, is_active=True)
        return stock.order_by("current_weight_g", "code").first()

    def tenant_runs_planned(self):
        return ProductionRun.objects.for_tenant(self.tenant).filter(status=RunStatus.PLANNED)


def seed_farm(plan, *, seed, now, progress=None):
    """One tenant of the catalogue with its history up to `now`; returns the tenant.

    `progress`, if given, is called as the history is written with the share done so far (0 to 1)."""
    return FarmSimulation(plan, seed=seed, now=now, progress=progress).seed()


def ensure_staff_user():
    if not get_user_model().objects.filter(username=STAFF_USERNAME).exists():
        writes.add_superuser(username=STAFF_USERNAME, password=DEMO_PASSWORD)
