"""The benchmark itself: database, data set, measurements, report."""

import os
import platform
import sys
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import django
from django.test.utils import override_settings
from django.utils import timezone

from bench import dataset, measure
from bench.database import analyze, database_version, prepare_database
from demo import writes
from production.models import ProductionRun, RunStatus

RUNS = "/api/v1/production-runs/"
FLOOR_LIST = "floor: the run list's SQL, page of 20 (bench/floor.py)"
FLOOR_DETAIL = "floor: a run's SQL (bench/floor.py)"
FLOOR_QUEUE = "floor: the queue's SQL, page of 20 (bench/floor.py)"
FLOOR_DISPATCH = "floor: the dispatch service in a bare view (bench/floor.py)"
QUEUE = "GET /api/v1/queue/"
DISPATCH = "POST /api/v1/printers/{id}/dispatch/"
QUEUED_RUNS = 60  # planned runs waiting: a busy farm's day or two
# The API's rows that have a floor: (API row, floor row).
FLOOR_PAIRS = [
    (f"GET {RUNS}?page_size=20", FLOOR_LIST),
    (f"GET {RUNS}{{id}}/", FLOOR_DETAIL),
    (QUEUE, FLOOR_QUEUE),
    (DISPATCH, FLOOR_DISPATCH),
]


def run(args):
    vendor = prepare_database()
    size = replace(dataset.QUICK_SIZE if args.quick else dataset.Size(), runs=args.runs)
    print(f"Building the data set ({size.tenants} tenants x {size.runs} runs) in {vendor}...", file=sys.stderr)
    started = time.perf_counter()
    tenants = dataset.build(size)
    build_s = time.perf_counter() - started
    spools_checked = dataset.check_ledger()
    analyze()
    print(
        f"Built in {build_s:.1f} s; ledger invariant holds for {spools_checked} spools. Measuring...", file=sys.stderr
    )

    data = tenants[0]  # the measured tenant; the others make every query filter by tenant for real
    load = os.getloadavg()[0]  # other work on the machine skews the timings: say how much there was
    timings, peak_bytes = measure_endpoints(data, args.repeat)
    concurrency = measure.concurrent_completions(data, args.threads) if vendor == "postgresql" else None

    report = format_report(
        size=size,
        args=args,
        build_s=build_s,
        load=load,
        timings=timings,
        peak_bytes=peak_bytes,
        rss_bytes=measure.max_rss_bytes(),
        concurrency=concurrency,
    )
    print(report)
    output = args.output or (None if args.quick else Path(__file__).parent / f"results-{vendor}.md")
    if output:
        output.write_text(report)
        print(f"Written to {output}", file=sys.stderr)
    # A lost update under concurrency is a correctness failure, not a slow figure.
    return 1 if concurrency is not None and not concurrency.spool_exact else 0


def measure_endpoints(data, repeat):
    client = measure.api_client(data.user, data.tenant)
    runs = ProductionRun.objects.for_tenant(data.tenant)
    completed = runs.filter(status=RunStatus.COMPLETED).first()
    today = timezone.localdate()
    window = {
        "status": "completed",
        "start_date": (today - timedelta(days=120)).isoformat(),
        "end_date": (today - timedelta(days=30)).isoformat(),
    }

    # Fresh spools for the writes, so that they never run short whatever the data set did to the others.
    material = data.materials[0]
    products = data.printable(material.kind)[:3]
    write_spools = [
        writes.buy_spool(
            tenant=data.tenant,
            user=data.user,
            data={
                "code": f"BENCH-WRITE-{n}",
                "material": material,
                "initial_weight_g": Decimal(1000 + 20 * (repeat + 3)),
                "purchase_price": Decimal("24.50"),
            },
        )
        for n in (1, 2)
    ]
    new_run = {
        "slicer_software": "OrcaSlicer 2.2",
        "items": [{"product": str(product.pk), "quantity": 4} for product in products],
        "materials": [
            {"spool": str(spool.pk), "estimated_model_g": "10.00", "estimated_flushed_g": "1.00"}
            for spool in write_spools
        ],
    }
    to_complete = [
        writes.start_run(
            tenant=data.tenant,
            user=data.user,
            data={
                "items": [{"product": product, "quantity": 4} for product in products],
                "materials": [{"spool": spool, "estimated_model_g": Decimal("10.00")} for spool in write_spools],
            },
        )
        for _ in range(repeat + 3)  # the timed calls, the warm-up calls and the captured call
    ]

    dispatchers = set_up_floor(data, products, calls=2 * (repeat + 3))

    def dispatch_next(prefix):
        def send():
            printer = dispatchers.pop()
            return client.post(f"{prefix}{printer.pk}/dispatch/")

        return send

    def complete_next():
        run = to_complete.pop()
        return client.post(f"{RUNS}{run.pk}/complete/", {"use_estimates": True, "quality_rating": 4}, format="json")

    requests = [
        (f"GET {RUNS}?page_size=20", lambda: client.get(RUNS, {"page_size": 20}), 200),
        (f"GET {RUNS}?page_size=100", lambda: client.get(RUNS, {"page_size": 100}), 200),
        (
            f"GET {RUNS}?status=completed&start_date=…&end_date=… (90 days)",
            lambda: client.get(RUNS, window),
            200,
        ),
        (f"GET {RUNS}{{id}}/", lambda: client.get(f"{RUNS}{completed.pk}/"), 200),
        ("GET /api/v1/spools/", lambda: client.get("/api/v1/spools/"), 200),
        ("GET /api/v1/inventory-transactions/", lambda: client.get("/api/v1/inventory-transactions/"), 200),
        (f"POST {RUNS} (3 items, 2 materials)", lambda: client.post(RUNS, new_run, format="json"), 201),
        (f"POST {RUNS}{{id}}/complete/", complete_next, 200),
        (QUEUE, lambda: client.get("/api/v1/queue/"), 200),
        (DISPATCH, dispatch_next("/api/v1/printers/"), 200),
    ]
    timings = [
        measure.time_request(name, send, repeat=repeat, expected_status=status) for name, send, status in requests
    ]
    # The floor of the run list and detail: the same SQL in bare Django views (bench/floor.py).
    with override_settings(ROOT_URLCONF="bench.floor"):
        floors = [
            measure.time_request(name, send, repeat=repeat)
            for name, send in [
                (FLOOR_LIST, lambda: client.get("/floor/production-runs/")),
                (FLOOR_DETAIL, lambda: client.get(f"/floor/production-runs/{completed.pk}/")),
                (FLOOR_QUEUE, lambda: client.get("/floor/queue/")),
                (FLOOR_DISPATCH, dispatch_next("/floor/printers/")),
            ]
        ]
    timings += floors
    peak_bytes = measure.traced_peak_bytes(lambda: client.get(RUNS, {"page_size": 100}))
    return timings, peak_bytes


def set_up_floor(data, products, *, calls):
    """The queue the queue and dispatch rows read: `QUEUED_RUNS` planned runs (more when there are more calls),
    half naming only a material, and `calls` idle printers, each with a spool of that material loaded; at
    least one run that fits for each call, so every dispatch starts a run."""
    material = data.materials[0]
    printers = []
    for n in range(calls):
        printer = writes.add_printer(tenant=data.tenant, fields={"name": f"BENCH-AMS-{n}", "slot_count": 4})
        spool = writes.buy_spool(
            tenant=data.tenant,
            user=data.user,
            data={"code": f"BENCH-LOADED-{n}", "material": material, "initial_weight_g": Decimal("1000.00")},
        )
        writes.load_spool(printer=printer, slot=0, spool=spool)
        printers.append(printer)
    waiting = writes.buy_spool(
        tenant=data.tenant,
        user=data.user,
        data={"code": "BENCH-UNLOADED", "material": material, "initial_weight_g": Decimal("1000.00")},
    )
    for n in range(max(QUEUED_RUNS, 2 * calls)):  # the even ones fit
        line = {"material": material, "estimated_model_g": Decimal("40.00")}
        if n % 2:  # a spool no bench printer holds: the run waits for it
            line = {"spool": waiting, "estimated_model_g": Decimal("40.00")}
        writes.plan_run(
            tenant=data.tenant,
            user=data.user,
            data={
                "priority": ("urgent", "high", "normal", "low")[n % 4],
                "items": [{"product": products[n % len(products)], "quantity": 2}],
                "materials": [line],
            },
        )
    return printers


def mib(n_bytes):
    return f"{n_bytes / 2**20:.1f} MiB"


def format_report(*, size, args, build_s, load, timings, peak_bytes, rss_bytes, concurrency):
    lines = [
        f"## Benchmark on {database_version()}",
        "",
        f"- Machine: {os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, DEBUG={os.environ.get('DEBUG')}; 1-minute load average {load:.1f} "
        "when measuring started",
        f"- Data: {size.tenants} tenants, each {size.spools} spools, {size.products} products, {size.runs} runs "
        f"(3 items + 2 materials; 50 % completed, 10 % failed, 10 % cancelled), built through the services "
        f"in {build_s:.1f} s",
        f"- {args.repeat} timed requests per endpoint after 2 warm-ups, in-process APIClient with a knox token; "
        "queries = one request's count, authentication included; CPU = this process's CPU time "
        "(the database server's excluded)",
        "",
        "| endpoint | median ms | p95 ms | queries | median CPU ms |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.name} | {t.median_ms:.1f} | {t.p95_ms:.1f} | {t.queries} | {t.median_cpu_ms:.1f} |" for t in timings
    ]
    by_name = {t.name: t for t in timings}
    lines += [
        "",
        "| API over its floor (CPU per request; target at most 1.5x) | ratio |",
        "|---|---:|",
    ]
    lines += [
        f"| {api} | {by_name[api].median_cpu_ms / by_name[floor].median_cpu_ms:.2f}x |"
        for api, floor in FLOOR_PAIRS
        if api in by_name and floor in by_name
    ]
    if concurrency is None:
        contention = "PostgreSQL only"
    else:
        contention = (
            f"{concurrency.wall_ms:.0f} ms wall, {concurrency.succeeded}/{concurrency.threads} succeeded, "
            f"spool {'exact' if concurrency.spool_exact else 'WRONG'}"
        )
    lines += [
        "",
        "| memory and concurrency | value |",
        "|---|---|",
        f"| tracemalloc peak, GET {RUNS}?page_size=100 | {mib(peak_bytes)} |",
        f"| process peak RSS at the end (getrusage ru_maxrss) | {mib(rss_bytes)} |",
        f"| {args.threads} threads completing {args.threads} runs on one spool | {contention} |",
        "",
    ]
    return "\n".join(lines)
