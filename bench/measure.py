"""Timings, query counts, memory and the concurrency figure, all in-process."""

import gc
import math
import resource
import statistics
import threading
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction, Material
from inventory.services import SpoolDraft, create_spool
from production.services import RunDraft, create_run


@dataclass
class Timing:
    name: str
    samples_ms: list
    cpu_samples_ms: list
    queries: int

    @property
    def median_ms(self):
        return statistics.median(self.samples_ms)

    @property
    def median_cpu_ms(self):
        """This process's CPU time: unlike wall time, hardly inflated when other work shares the cores."""
        return statistics.median(self.cpu_samples_ms)

    @property
    def p95_ms(self):
        """Nearest-rank 95th percentile: the smallest sample that 95 % of the samples do not exceed."""
        ordered = sorted(self.samples_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def api_client(user, tenant):
    """A REST client as production sees it: a knox token, the tenant header, HTTPS from the proxy."""
    _, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_TENANT=tenant.slug, HTTP_X_FORWARDED_PROTO="https")
    return client


def checked(response, expected_status, name):
    if response.status_code != expected_status:
        raise AssertionError(
            f"{name}: expected {expected_status}, got {response.status_code}: {response.content[:500]}"
        )
    return response


def time_request(name, send, *, repeat, expected_status=200, warmup=2):
    """Median/p95 over `repeat` calls of `send()`; the query count comes from one more, captured, call.

    Capturing is kept out of the timed calls so that it does not add to the figures.
    """
    for _ in range(warmup):
        checked(send(), expected_status, name)
    gc.collect()  # start each endpoint without the previous one's garbage
    samples, cpu_samples = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = send()
        samples.append((time.perf_counter() - started) * 1000)
        cpu_samples.append((time.process_time() - cpu_started) * 1000)
        checked(response, expected_status, name)
    with CaptureQueriesContext(connection) as queries:
        checked(send(), expected_status, name)
    return Timing(name, samples, cpu_samples, len(queries))


def traced_peak_bytes(send):
    """The peak of Python allocations (tracemalloc) while one request is handled and rendered."""
    gc.collect()
    tracemalloc.start()
    try:
        send()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def max_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


@dataclass
class Concurrency:
    threads: int
    wall_ms: float
    succeeded: int
    spool_exact: bool


def concurrent_completions(data, threads):
    """`threads` threads complete `threads` different runs, all drawing on one fresh spool, at once.

    Each thread has its own database connection (Django's are per thread); a barrier
    releases them together so the spool's row lock is really contended.
    """
    spool = create_spool(
        tenant=data.tenant,
        user=data.user,
        draft=SpoolDraft(
            **{
                "code": "BENCH-CONCURRENT",
                "material": Material.objects.for_tenant(data.tenant).first(),
                "initial_weight_g": Decimal(1000),
            }
        ),
    )
    runs = [
        create_run(
            tenant=data.tenant,
            user=data.user,
            draft=RunDraft.from_data(
                {
                    "items": [{"product": data.products[0], "quantity": 5}],
                    "materials": [{"spool": spool, "estimated_model_g": Decimal("10.00")}],
                }
            ),
        )
        for _ in range(threads)
    ]
    bodies = [
        {"materials": [{"id": str(run.materials.get().pk), "actual_model_g": f"{Decimal(10) + Decimal(n) / 100:.2f}"}]}
        for n, run in enumerate(runs)
    ]
    clients = [api_client(data.user, data.tenant) for _ in runs]
    barrier = threading.Barrier(threads)
    outcomes = [None] * threads

    def complete(n):
        try:
            barrier.wait()
            started = time.perf_counter()
            try:
                response = clients[n].post(f"/api/v1/production-runs/{runs[n].pk}/complete/", bodies[n], format="json")
                status = response.status_code
            except Exception as exc:  # a server error is a result to report, not a crash of the harness
                status = repr(exc)
            outcomes[n] = (started, time.perf_counter(), status)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=complete, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    done = [n for n, (_, _, status) in enumerate(outcomes) if status == 200]
    wall_ms = (max(end for _, end, _ in outcomes) - min(start for start, _, _ in outcomes)) * 1000
    spool.refresh_from_db()
    expected = Decimal(1000) - sum(Decimal(bodies[n]["materials"][0]["actual_model_g"]) for n in done)
    ledger = InventoryTransaction.objects.filter(spool=spool).aggregate(total=Sum("weight_change_g"))["total"]
    return Concurrency(threads, wall_ms, len(done), spool.current_weight_g == expected == ledger)
