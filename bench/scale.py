"""The 1M-run scale benchmark: `make bench-scale`, or `python -m bench.scale [--runs N] [--big N] [--repeat N]`.

PostgreSQL only (the filler is loaded with COPY). In its own throwaway database (the name must
contain `bench`; `make bench-scale` uses pf_bench_scale):

1. The measured tenant: 2,000 runs (3 items, 2 materials each, the ledger behind them) built
   through the services like `make bench`'s data set.
2. Filler runs (one item each, a third completed) loaded with COPY into other tenants until
   the database holds 10,000 runs; the measured tenant's list, detail, create and
   `complete/` are timed.
3. More filler to `--runs` (default 1,000,000): one big tenant of `--big` runs (default
   200,000) and small tenants of 2,000 runs each for the rest; the same four timings again,
   then the big tenant's first page against a deep page (page numbers and `?cursor=`).

It prints one Markdown table: CPU and wall time per request at both sizes with their ratio
(target: at most 1.2x), and the deep page against the first one (target: at most 1.5x).
"""

import argparse
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

FILLER_BATCH = 50_000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="runs in the database at the end (1,000,000)")
    parser.add_argument("--big", type=int, default=200_000, help="runs of the big tenant (200,000)")
    parser.add_argument("--small", type=int, default=2_000, help="runs of each small filler tenant (2,000)")
    parser.add_argument("--measured", type=int, default=2_000, help="runs of the measured tenant (2,000)")
    parser.add_argument("--baseline", type=int, default=10_000, help="runs in the database at the first size")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per endpoint (30)")
    args = parser.parse_args(argv)
    if not args.measured < args.baseline < args.big + args.baseline <= args.runs:
        parser.error("need measured < baseline and baseline + big <= runs")
    return args


def main(argv=None):
    args = parse_args(argv)
    from bench.__main__ import configure_environment

    configure_environment()
    import django

    django.setup()
    from tenants.scoping import all_tenants

    with all_tenants():
        return run(args)


def run(args):
    from dataclasses import replace

    from django.db import connection

    from bench import dataset
    from bench.database import analyze, database_version, prepare_database

    if prepare_database() != "postgresql":
        print("bench.scale needs PostgreSQL (DATABASE_URL=postgres://.../pf_bench_scale)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    measured = dataset.build(replace(dataset.Size(), tenants=1, runs=args.measured))[0]
    print(f"Measured tenant built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    filler = Filler(seed=7)
    filler.load(tenant_count=1, runs_each=args.baseline - args.measured, prefix="base")
    analyze()
    small = measure_tenant(measured, args.repeat, "10k")

    started = time.perf_counter()
    big_tenant, big_user = filler.load(tenant_count=1, runs_each=args.big, prefix="big")[0]
    rest = args.runs - args.baseline - args.big
    filler.load(tenant_count=rest // args.small, runs_each=args.small, prefix="small")
    if rest % args.small:
        filler.load(tenant_count=1, runs_each=rest % args.small, prefix="tail")
    load_s = time.perf_counter() - started
    analyze()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM production_productionrun")
        total = cursor.fetchone()[0]
    large = measure_tenant(measured, args.repeat, "1m")
    deep = measure_deep_pages(big_tenant, big_user, args.repeat)

    print(report(args, total, load_s, small, large, deep, database_version()))
    return 0


class Filler:
    """Tenants with a printer, a product and N runs of one item each, loaded with COPY."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.count = 0

    def load(self, *, tenant_count, runs_each, prefix):
        from django.contrib.auth import get_user_model
        from django.db import connection, transaction

        from production.models import Printer, Product
        from tenants.models import Membership, Tenant

        made = []
        for _ in range(tenant_count):
            self.count += 1
            slug = f"{prefix}-{self.count}"
            tenant = Tenant.objects.create(slug=slug, name=slug, run_prefix=f"F{self.count}"[:10])
            user = get_user_model().objects.create_user(f"user-{slug}")
            Membership.objects.create(tenant=tenant, user=user, role="owner")
            printer = Printer.objects.create(tenant=tenant, name="P1")
            product = Product.objects.create(tenant=tenant, sku="SKU-1", name="Widget", unit_weight_g=Decimal("10"))
            made.append((tenant, user))
            for start in range(0, runs_each, FILLER_BATCH):
                with transaction.atomic(), connection.cursor() as cursor:
                    self.copy_runs(
                        cursor, tenant, user, printer, product, range(start, min(runs_each, start + FILLER_BATCH))
                    )
        return made

    def copy_runs(self, cursor, tenant, user, printer, product, numbers):
        from django.utils import timezone

        now = timezone.now()
        runs, items = [], []
        for n in numbers:
            run_id = uuid.uuid4()
            started = now - timedelta(minutes=n * 7 + self.rng.randrange(5))
            done = n % 3 == 0
            runs.append(
                (
                    run_id, f"F-{n:07d}", "completed" if done else "cancelled", started,
                    started + timedelta(hours=2) if done else None, Decimal("2.00") if done else None,
                    "", "", "", "", started, started, tenant.pk, printer.pk, user.pk,
                )
            )  # fmt: skip
            items.append((uuid.uuid4(), 4, 4 if done else None, None, "", "", started, product.pk, run_id, tenant.pk))
        raw = cursor.cursor
        with raw.copy(
            "COPY production_productionrun (id, run_number, status, started_at, completed_at, duration_hours, "
            "slicer_software, quality_notes, failure_reason, notes, created_at, updated_at, tenant_id, printer_id, "
            "created_by_id) FROM STDIN"
        ) as copy:
            for row in runs:
                copy.write_row(row)
        with raw.copy(
            "COPY production_productionrunitem (id, quantity, successful_quantity, failed_quantity, bed_position, "
            "notes, created_at, product_id, run_id, tenant_id) FROM STDIN"
        ) as copy:
            for row in items:
                copy.write_row(row)


def measure_tenant(data, repeat, label):
    """List, detail, create and complete/ of the measured tenant's runs."""
    from bench import measure
    from bench.run import RUNS
    from demo import writes
    from production.models import ProductionRun, RunStatus

    client = measure.api_client(data.user, data.tenant)
    runs = ProductionRun.objects.for_tenant(data.tenant)
    completed = runs.filter(status=RunStatus.COMPLETED).order_by("started_at").first()
    material = data.materials[0]
    products = data.printable(material.kind)[:3]
    spools = [
        writes.buy_spool(
            tenant=data.tenant,
            user=data.user,
            data={
                "code": f"SCALE-{label}-{n}",
                "material": material,
                "initial_weight_g": Decimal(1000 + 40 * (repeat + 3)),
                "purchase_price": Decimal("24.50"),
            },
        )
        for n in (1, 2)
    ]
    body = {
        "items": [{"product": str(product.pk), "quantity": 4} for product in products],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "10.00"} for spool in spools],
    }
    to_complete = [
        writes.start_run(
            tenant=data.tenant,
            user=data.user,
            data={
                "items": [{"product": product, "quantity": 4} for product in products],
                "materials": [{"spool": spool, "estimated_model_g": Decimal("10.00")} for spool in spools],
            },
        )
        for _ in range(repeat + 3)
    ]

    def complete_next():
        run = to_complete.pop()
        return client.post(f"{RUNS}{run.pk}/complete/", {"use_estimates": True}, format="json")

    requests = [
        ("GET production-runs, page of 20", lambda: client.get(RUNS), 200),
        ("GET a run", lambda: client.get(f"{RUNS}{completed.pk}/"), 200),
        ("POST a run (3 items, 2 materials)", lambda: client.post(RUNS, body, format="json"), 201),
        ("POST complete/", complete_next, 200),
    ]
    return [measure.time_request(name, send, repeat=repeat, expected_status=status) for name, send, status in requests]


def measure_deep_pages(tenant, user, repeat):
    """The big tenant's first page against a page 90 % of the way down, by page number and by cursor."""
    from bench import measure
    from bench.run import RUNS
    from core.api.pagination import cursor_after
    from production.models import ProductionRun

    client = measure.api_client(user, tenant)
    runs = ProductionRun.objects.for_tenant(tenant)
    total = runs.count()
    deep_page = int(total * 0.9) // 20
    boundary = runs.order_by("-started_at", "-run_number", "id")[deep_page * 20 - 1]
    token = cursor_after(runs, boundary)
    requests = [
        ("page 1 (?page=1)", lambda: client.get(RUNS)),
        (f"page {deep_page} (?page={deep_page})", lambda: client.get(RUNS, {"page": deep_page})),
        ("cursor, first page (?cursor=)", lambda: client.get(RUNS, {"cursor": ""})),
        (f"cursor at row {deep_page * 20:,} (?cursor=...)", lambda: client.get(RUNS, {"cursor": token})),
    ]
    return [measure.time_request(name, send, repeat=repeat) for name, send in requests]


def report(args, total, load_s, small, large, deep, version):
    lines = [
        f"## Scale benchmark on {version}",
        "",
        f"- Machine: {os.cpu_count()} CPU cores; `python -m bench.scale --runs {args.runs} --big {args.big}` "
        f"({args.repeat} timed requests each, in-process APIClient with a knox token)",
        f"- Database: {total:,} runs at the end; filler loaded with COPY in {load_s:.0f} s. Measured tenant: "
        f"{args.measured:,} runs built through the services.",
        "",
        f"| measured tenant ({args.measured:,} runs) | CPU ms at {args.baseline:,} runs | CPU ms at {total:,} | "
        "CPU ratio | wall ms at 10k / 1M | wall ratio | queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for before, after in zip(small, large, strict=True):
        lines.append(
            f"| {before.name} | {before.median_cpu_ms:.1f} | {after.median_cpu_ms:.1f} | "
            f"{after.median_cpu_ms / before.median_cpu_ms:.2f}x | {before.median_ms:.1f} / {after.median_ms:.1f} | "
            f"{after.median_ms / before.median_ms:.2f}x | {before.queries} / {after.queries} |"
        )
    first_page, deep_numbered, cursor_first, cursor_deep = deep
    lines += [
        "",
        f"| big tenant ({args.big:,} runs), page of 20 | wall ms | CPU ms | queries |",
        "|---|---:|---:|---:|",
        *(f"| {t.name} | {t.median_ms:.1f} | {t.median_cpu_ms:.1f} | {t.queries} |" for t in deep),
        "",
        f"- deep cursor page / first page (wall, target 1.5x): {cursor_deep.median_ms / first_page.median_ms:.2f}x "
        f"of page 1, {cursor_deep.median_ms / cursor_first.median_ms:.2f}x of the first cursor page; "
        f"deep page number / page 1: {deep_numbered.median_ms / first_page.median_ms:.2f}x",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
