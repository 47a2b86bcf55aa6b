"""`python manage.py seed_demo`: demo tenants, logins and 60 days of print-farm history.

Everything goes through the services the API uses (tenants and members, spools and
their adjustments, runs and their transitions), so the demo ledger balances exactly
like real data. The history is simulated printer by printer, event by event in time
order, from a seeded random generator: the same seed gives the same farm, relative to
the moment the command runs. Backdating uses the services' own time parameters
(`started_at`, `completed_at`, `occurred_at`); run numbers carry the creation day, as
the contract says, so every demo run is numbered with today's date.
"""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from inventory.models import Material, Spool, TransactionType
from inventory.services import Adjustment, SpoolDraft, adjust_spool, create_spool
from production import services as runs
from production.models import Printer, Product, ProductionRun, RunStatus
from tenants.models import Membership, Role, Tenant
from tenants.services import add_member, create_tenant

DEMO_PASSWORD = "printfarm-demo"
STAFF_USERNAME = "staff"
HISTORY_DAYS = 60
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Job:
    """A kind of bed load: products with quantity ranges, printed from one material kind."""

    items: tuple  # (sku, fewest, most)
    kind: str
    weight: int = 1  # how often the farm prints it
    colours: int = 1  # 2: a two-colour print, only on a printer with a multi-material unit


@dataclass(frozen=True)
class PrinterPlan:
    name: str
    model: str
    slicer: str
    grams_per_hour: float
    colours: int = 1


@dataclass(frozen=True)
class TenantPlan:
    slug: str
    name: str
    prefix: str
    timezone: str
    logins: tuple  # (username, role)
    printers: tuple
    materials: dict  # key -> Material fields
    spools: tuple  # (code, material key, initial g, price, supplier, location, bought days ago)
    products: tuple  # (sku, name, unit weight g, material kind or "")
    jobs: tuple
    gap_hours: tuple  # idle time of a printer between two runs
    outcomes: tuple  # a deck of outcomes, reshuffled when used up: every status shows up
    adjustments: tuple = ()  # (days ago, type, fewest g, most g, reason)


def filament(name, brand, kind, color_name, color_hex, density, notes=""):
    return {
        "name": name,
        "brand": brand,
        "kind": kind,
        "color_name": color_name,
        "color_hex": color_hex,
        "density_g_cm3": Decimal(density),
        "notes": notes,
    }


DEMO = TenantPlan(
    slug="demo",
    name="Demo Print Farm",
    prefix="DEMO",
    timezone="Europe/Berlin",
    logins=(
        ("demo-owner", Role.OWNER),
        ("demo-admin", Role.ADMIN),
        ("demo-member", Role.MEMBER),
        ("demo-viewer", Role.VIEWER),
        ("multi-tenant", Role.MEMBER),
    ),
    printers=(
        PrinterPlan("Prusa MK4 #1", "Original Prusa MK4S", "PrusaSlicer 2.8", grams_per_hour=14),
        PrinterPlan("Bambu X1C", "Bambu Lab X1 Carbon + AMS", "Bambu Studio 1.10", grams_per_hour=22, colours=2),
    ),
    materials={
        "pla-white": filament("PLA Basic", "Bambu Lab", "PLA", "Jade White", "#FFFFFF", "1.24"),
        "pla-black": filament("PLA Basic", "Bambu Lab", "PLA", "Black", "#000000", "1.24"),
        "pla-galaxy": filament("Prusament PLA", "Prusa Polymers", "PLA", "Galaxy Black", "#2B2B2E", "1.24"),
        "pla-red": filament("Prusament PLA", "Prusa Polymers", "PLA", "Lipstick Red", "#C4112F", "1.24"),
        "pla-grey": filament("PLA Matte", "Bambu Lab", "PLA", "Ash Grey", "#9B9EA0", "1.22"),
        "petg-orange": filament("Prusament PETG", "Prusa Polymers", "PETG", "Prusa Orange", "#FA6831", "1.27"),
        "petg-blue": filament("PETG HF", "Bambu Lab", "PETG", "Blue", "#0A2CA5", "1.26"),
        "petg-black": filament("PolyLite PETG", "Polymaker", "PETG", "Black", "#1A1A1A", "1.25"),
        "tpu-black": filament("TPU 95A HF", "Bambu Lab", "TPU", "Black", "#101010", "1.22"),
        "asa-grey": filament(
            "PolyLite ASA", "Polymaker", "ASA", "Grey", "#8E9089", "1.07", "Being evaluated for outdoor brackets."
        ),
    },
    spools=(
        ("PLA-WHT-001", "pla-white", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 74),
        ("PLA-BLK-001", "pla-black", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 74),
        ("PLA-GBK-001", "pla-galaxy", 1000, "29.99", "Prusa Research", "Rack A2", 70),
        ("PLA-RED-001", "pla-red", 1000, "29.99", "Prusa Research", "Rack A2", 70),
        ("PLA-GRY-001", "pla-grey", 1000, "22.99", "Bambu Lab EU store", "Rack A3", 66),
        ("PETG-ORG-001", "petg-orange", 1000, "29.99", "Prusa Research", "Dry box 1", 70),
        ("PETG-BLU-001", "petg-blue", 1000, "21.99", "Bambu Lab EU store", "Dry box 1", 62),
        ("TPU-BLK-001", "tpu-black", 1000, "41.99", "Bambu Lab EU store", "Dry box 2", 62),
        ("PLA-WHT-002", "pla-white", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 38),
        ("PETG-BLK-001", "petg-black", 1000, "24.50", "Polymaker via Amazon", "Dry box 1", 27),
        ("PLA-BLK-002", "pla-black", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 12),
        ("ASA-GRY-001", "asa-grey", 1000, "27.90", "Polymaker via Amazon", "Dry box 2", 3),
    ),
    products=(
        ("AXO-01", "Axolotl (articulated)", "18.50", "PLA"),
        ("DRG-02", "Crystal dragon", "64.00", ""),
        ("VAS-03", "Spiral vase", "38.00", "PLA"),
        ("PHS-04", "Phone stand", "42.00", ""),
        ("KEY-05", "Keychain tag", "2.80", ""),
        ("HOOK-06", "Cable hook", "6.20", "PETG"),
        ("BRK-07", "Shelf bracket", "55.00", "PETG"),
        ("PLN-08", "Self-watering planter", "120.00", "PETG"),
        ("GSK-09", "Flexible gasket ring", "3.40", "TPU"),
    ),
    jobs=(
        Job((("AXO-01", 4, 9),), "PLA", weight=4),
        Job((("DRG-02", 1, 3),), "PLA", weight=2),
        Job((("VAS-03", 1, 3),), "PLA"),
        Job((("AXO-01", 2, 4), ("KEY-05", 10, 20), ("PHS-04", 1, 2)), "PLA", weight=2),
        Job((("PHS-04", 2, 4),), "PLA"),
        Job((("KEY-05", 20, 40),), "PLA", weight=2, colours=2),
        Job((("DRG-02", 1, 2),), "PLA", colours=2),
        Job((("HOOK-06", 15, 30),), "PETG", weight=2),
        Job((("BRK-07", 2, 4),), "PETG", weight=2),
        Job((("PLN-08", 1, 2),), "PETG"),
        Job((("GSK-09", 20, 50),), "TPU"),
    ),
    gap_hours=(24, 60),
    outcomes=("completed",) * 13 + ("failed",) * 3 + ("cancelled",) * 2,
    adjustments=(
        (41, TransactionType.COUNT, 4, 18, "Monthly stock count: weighed on the scale"),
        (23, TransactionType.WASTE, 25, 60, "Tangled strand cut off after a jam"),
        (9, TransactionType.COUNT, 3, 12, "Monthly stock count: weighed on the scale"),
    ),
)

MAKER_LAB = TenantPlan(
    slug="maker-lab",
    name="Maker Lab",
    prefix="LAB",
    timezone="America/Chicago",
    logins=(("lab-owner", Role.OWNER), ("multi-tenant", Role.ADMIN)),
    printers=(PrinterPlan("Voron 2.4", "Voron 2.4 R2 350", "OrcaSlicer 2.1", grams_per_hour=25),),
    materials={
        "pla-white": filament("PLA+", "eSun", "PLA", "Cool White", "#F4F4F4", "1.23"),
        "pla-green": filament("PolyTerra PLA", "Polymaker", "PLA", "Forest Green", "#2E6B3A", "1.31"),
    },
    spools=(
        ("PLA-WHT-001", "pla-white", 1000, "17.99", "eSun via Amazon", "Shelf 1", 65),
        ("PLA-GRN-001", "pla-green", 1000, "19.99", "Polymaker via Amazon", "Shelf 1", 65),
        ("PLA-WHT-002", "pla-white", 1000, "17.99", "eSun via Amazon", "Shelf 1", 20),
    ),
    products=(
        ("TOK-01", "Board game token set", "4.10", "PLA"),
        ("CLIP-02", "Bag clip", "7.80", ""),
        ("LAMP-03", "Lamp shade", "95.00", "PLA"),
    ),
    jobs=(
        Job((("TOK-01", 20, 40),), "PLA", weight=2),
        Job((("CLIP-02", 10, 20),), "PLA"),
        Job((("LAMP-03", 1, 2),), "PLA"),
    ),
    gap_hours=(90, 130),
    outcomes=("completed",) * 5 + ("failed", "cancelled"),
)

PLANS = (DEMO, MAKER_LAB)

TEMPERATURES = {"PLA": (60, 215), "PETG": (80, 240), "TPU": (40, 225), "ASA": (100, 260)}
FAILURES = {  # reason: (note, share of the print done when it failed)
    "adhesion": ("First layer lifted at a corner; bed needs a wash.", (0.02, 0.08)),
    "spaghetti": ("A part was knocked loose mid-print: spaghetti.", (0.2, 0.7)),
    "nozzle_clog": ("Under-extrusion, then nothing: partial clog in the hotend.", (0.3, 0.8)),
    "layer_shift": ("Layer shift at about half height; belt tension checked.", (0.3, 0.7)),
    "warping": ("Corners warped off the bed on the large parts.", (0.1, 0.4)),
    "power_loss": ("Power cut in the workshop; the print could not resume.", (0.2, 0.9)),
}
QUALITY_NOTES = {
    3: ("Visible stringing between the parts.", "Z-seam blobs on the curved side."),
    4: ("Slight elephant foot, trimmed.", "A little stringing, cleaned with a heat gun."),
    5: ("",),
}
CANCEL_NOTES = (
    "Order cancelled by the customer.",
    "Replanned on the other printer.",
    "Wrong colour loaded; cancelled before the first layer.",
)


def grams(value):
    return Decimal(str(round(value, 2))).quantize(CENTS)


@dataclass(order=True)
class Event:
    at: object
    order: int
    action: object = field(compare=False)


@dataclass
class PrinterState:
    printer: Printer
    plan: PrinterPlan
    idle_since: object = None
    last_failed: ProductionRun | None = None
    busy: bool = False  # an in-progress run is on it


class FarmSimulation:
    """One tenant's farm, simulated in time order: purchases, runs, outcomes, stock counts."""

    def __init__(self, plan, *, seed, now):
        self.plan = plan
        self.rng = random.Random(f"{seed}-{plan.slug}")
        self.now = now
        self.events = []
        self.order = itertools.count()
        self.spool_free_at = {}  # spool id -> when its current run ends (None: still printing)
        self.deck = []

    # --- setup -------------------------------------------------------------------------

    def seed(self):
        plan = self.plan
        self.tenant, _ = create_tenant(slug=plan.slug, name=plan.name, run_prefix=plan.prefix, timezone=plan.timezone)
        users = [
            add_member(tenant=self.tenant, username=username, role=role, password=DEMO_PASSWORD)[0].user
            for username, role in plan.logins
        ]
        self.owner = users[0]
        self.writers = [user for user, (_, role) in zip(users, plan.logins, strict=True) if role != Role.VIEWER]
        self.materials = {
            key: Material.objects.create(tenant=self.tenant, **fields) for key, fields in plan.materials.items()
        }
        self.products = {
            sku: Product.objects.create(
                tenant=self.tenant, sku=sku, name=name, unit_weight_g=Decimal(weight), material_kind=kind
            )
            for sku, name, weight, kind in plan.products
        }
        self.printers = [
            PrinterState(Printer.objects.create(tenant=self.tenant, name=p.name, model=p.model), p)
            for p in plan.printers
        ]
        start = self.now - timedelta(days=HISTORY_DAYS)
        for spool in plan.spools:
            self.schedule(self.now - timedelta(days=spool[-1], hours=self.rng.uniform(0, 8)), self.buy, spool)
        for days_ago, *adjustment in plan.adjustments:
            self.schedule(self.now - timedelta(days=days_ago, hours=self.rng.uniform(0, 8)), self.adjust, adjustment)
        for state in self.printers:
            self.schedule(self.working_hours(start + timedelta(hours=self.rng.uniform(0, 12))), self.start_run, state)
        while self.events:
            event = heapq.heappop(self.events)
            event.action(event.at)
        for state in self.printers:
            self.finish_history(state)
        return self.tenant

    def schedule(self, at, handler, *args):
        heapq.heappush(self.events, Event(at, next(self.order), lambda moment: handler(moment, *args)))

    def buy(self, at, spool):
        code, material, initial, price, supplier, location, _ = spool
        create_spool(
            tenant=self.tenant,
            user=self.owner,
            draft=SpoolDraft(
                code=code,
                material=self.materials[material],
                initial_weight_g=Decimal(initial),
                empty_spool_weight_g=Decimal("250.00"),
                purchase_price=Decimal(price),
                purchased_at=timezone.localtime(at, self.tenant.zone).date(),
                supplier=supplier,
                location=location,
            ),
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
            adjustment = Adjustment(
                type=type, new_weight_g=spool.current_weight_g - loss, reason=reason, occurred_at=at
            )
        else:
            adjustment = Adjustment(type=type, delta_g=-loss, reason=reason, occurred_at=at)
        adjust_spool(spool=spool, user=self.owner, adjustment=adjustment)

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
        estimated_g = sum(m["estimated_model_g"] + m["estimated_flushed_g"] + m["estimated_tower_g"] for m in materials)
        hours = float(estimated_g) / state.plan.grams_per_hour + 0.25
        bed, nozzle = TEMPERATURES[kind]
        positions = ("left", "centre", "right", "back")
        run = runs.create_run(
            tenant=self.tenant,
            user=self.rng.choice(self.writers),
            draft=runs.RunDraft.from_data(
                {
                    "printer": state.printer,
                    "started_at": at,
                    "estimated_print_time_hours": Decimal(str(round(hours, 2))),
                    "slicer_software": state.plan.slicer,
                    "bed_temperature_c": bed,
                    "nozzle_temperature_c": nozzle,
                    "original_run": original,
                    "notes": f"Order #{self.rng.randint(1040, 1999)}" if self.rng.random() < 0.5 else "",
                    "items": [
                        {
                            "product": product,
                            "quantity": quantity,
                            "bed_position": positions[i] if len(items) > 1 else "",
                        }
                        for i, (product, quantity) in enumerate(items)
                    ],
                    "materials": materials,
                }
            ),
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
            runs.complete_run(run=run, user=writer, completion=self.completion(run, at))
        elif outcome == RunStatus.FAILED:
            runs.fail_run(run=run, user=writer, failure=self.failure(run, at, hours, failure_reason))
            state.last_failed = run
        else:
            runs.cancel_run(run=run, user=writer)
            runs.update_run(run=run, user=writer, changes=runs.RunChanges(notes=self.rng.choice(CANCEL_NOTES)))
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
        return runs.Completion.from_data(data)

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
        return runs.Failure.from_data(
            {"failure_reason": reason, "completed_at": at, "notes": FAILURES[reason][0], "materials": materials}
        )

    def finish_history(self, state):
        """Every idle printer gets one print that is still running now."""
        if state.busy:
            return
        start = self.now - timedelta(hours=self.rng.uniform(1, 4))
        if state.idle_since is not None:
            start = max(start, state.idle_since + timedelta(minutes=20))
        self.start_run(min(start, self.now - timedelta(minutes=1)), state, still_printing=True)


def ensure_staff_user():
    User = get_user_model()
    if User.objects.filter(username=STAFF_USERNAME).exists():
        return
    User.objects.create_superuser(STAFF_USERNAME, email="", password=DEMO_PASSWORD)


class Command(BaseCommand):
    help = (
        "Fill the database with demo tenants, logins for every role and 60 days of production history. "
        "Does nothing when the demo tenant already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="seed only when the database has no tenant")
        parser.add_argument("--seed", type=int, default=2024, help="random seed of the simulated history")
        parser.add_argument("--print-password", action="store_true", help="print the demo password and exit")

    def handle(self, *args, if_empty, seed, print_password, **options):
        if print_password:
            self.stdout.write(DEMO_PASSWORD)
            return
        if if_empty and Tenant.objects.exists():
            self.stdout.write("The database already has tenants; seed_demo --if-empty changed nothing.")
            self.print_logins()
            return
        if Tenant.objects.filter(slug=DEMO.slug).exists():
            self.stdout.write(f"The demo tenant {DEMO.slug!r} already exists; nothing changed.")
            self.print_logins()
            return
        now = timezone.now()
        with transaction.atomic():
            for plan in PLANS:
                if Tenant.objects.filter(slug=plan.slug).exists():
                    self.stdout.write(f"Tenant {plan.slug!r} already exists; left as it is.")
                    continue
                tenant = FarmSimulation(plan, seed=seed, now=now).seed()
                self.print_summary(tenant)
            ensure_staff_user()
        self.print_logins()

    def print_summary(self, tenant):
        statuses = ProductionRun.objects.for_tenant(tenant).values_list("status", flat=True)
        counts = {status: 0 for status in RunStatus.values}
        for status in statuses:
            counts[status] += 1
        spools = Spool.objects.for_tenant(tenant).count()
        printers = Printer.objects.for_tenant(tenant).count()
        runs_line = ", ".join(f"{count} {status}" for status, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {tenant.name} ({tenant.slug}): {printers} printers, {spools} spools, ")
            + f"{sum(counts.values())} runs ({runs_line})."
        )

    def print_logins(self):
        usernames = list(dict.fromkeys([name for plan in PLANS for name, _ in plan.logins] + [STAFF_USERNAME]))
        users = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
        if not users:
            return
        memberships = Membership.objects.filter(user__in=users.values()).select_related("user", "tenant")
        roles = {}
        for membership in memberships.order_by("tenant__slug"):
            roles.setdefault(membership.user.username, []).append(f"{membership.role} of {membership.tenant.slug}")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username in usernames:
            if username not in users:
                continue
            if username == STAFF_USERNAME:
                what = "staff superuser, for /admin/"
            else:
                what = ", ".join(roles.get(username, [])) or "no tenant"
                if len(roles.get(username, [])) > 1:
                    what += " (choose with X-Tenant or ?tenant=)"
            self.stdout.write(f"  {username:<14} {what}")
