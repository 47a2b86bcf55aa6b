"""Soak: a live uWSGI + PostgreSQL under a mixed, retried load, then the ledger audited.

    make soak                                  # 2 minutes
    .venv/bin/python -m bench.soak --seconds 20

It builds a throwaway PostgreSQL database (its name must contain `soak`), loads it
through the public contract only (management commands, then REST), serves the app
with uWSGI (config/uwsgi.ini, production settings, DEBUG=0) and drives it from several client
processes for a bounded time with reads, run creates, completions, failures,
reopenings, spool adjustments and retried requests (the same `Idempotency-Key`
sent twice, and completions sent again without a key). Then it checks, straight
from the tables, that every spool's ledger chains and sums to its weight, that no
run material was charged twice, that every replay answered what the original did,
and that no request got a 5xx. It exits non-zero when any check fails.
"""

import argparse
import collections
import itertools
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pf_soak"
TENANTS = ("soak-a", "soak-b", "soak-c")
PASSWORD = "soak-password-0123"
SPOOLS_PER_TENANT = 8
PRODUCTS_PER_TENANT = 4
REQUEST_TIMEOUT_S = 60


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the load runs (default 120)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="uWSGI worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the request mix")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or args.workers < 1:
        parser.error("--seconds must be positive, --clients and --workers at least 1")
    return args


# --- the server ------------------------------------------------------------------------------------


def server_environment(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "soak-only-secret-key-not-for-any-deployment-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        # 4xx answers are part of the mix (409s of retried completions): log only errors.
        "LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore::UserWarning",  # WhiteNoise: no collected static files; the API serves none
        "TOKEN_THROTTLE_RATE": "1000/min",
    }


def recreate_database(database_url):
    name = database_url.rsplit("/", 1)[-1]
    # Everything in it is dropped: refuse a name that does not say it is a throwaway soak database.
    if "soak" not in name:
        raise SystemExit(f"Refusing to soak in {name!r}: it is dropped first. Use a name containing 'soak'.")
    maintenance_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env, check=True, capture_output=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env, port, workers):
    """The deployment's server (README "Deploying"): uWSGI with config/uwsgi.ini."""
    uwsgi = Path(sys.executable).with_name("uwsgi")
    server = subprocess.Popen(
        [str(uwsgi), "--ini", "config/uwsgi.ini", "--http-socket", f"127.0.0.1:{port}", "--processes", str(workers)],
        cwd=PROJECT_DIR,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("uWSGI did not become ready within 60 s")


# --- the client --------------------------------------------------------------------------------------


class Client:
    """One tenant's API client over HTTP; records every status it gets and the time each request took."""

    def __init__(self, base, slug):
        self.base, self.slug = base, slug
        self.token = None
        self.statuses = collections.Counter()
        self.latencies = []
        self.failures = []

    def call(self, method, path, body=None, *, key=None, label=None):
        headers = {"Content-Type": "application/json", "X-Tenant": self.slug}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                status, raw, replayed = response.status, response.read(), response.headers.get("Idempotent-Replayed")
        except urllib.error.HTTPError as error:
            status, raw, replayed = error.code, error.read(), error.headers.get("Idempotent-Replayed")
        except (OSError, urllib.error.URLError) as error:  # no answer at all: as bad as a 5xx
            self.statuses[(label or method, "no answer")] += 1
            self.failures.append(f"{method} {path} -> no answer: {error!r}")
            return None, None, None
        self.latencies.append(time.perf_counter() - started)
        self.statuses[(label or method, status)] += 1
        if status >= 500:
            self.failures.append(f"{method} {path} -> {status}: {raw[:300]!r}")
        payload = json.loads(raw) if raw and raw.lstrip()[:1] in (b"{", b"[") else None
        return status, payload, replayed

    def login(self, username):
        status, payload, _ = self.call("POST", "/auth/token/", {"username": username, "password": PASSWORD})
        if status != 200:
            raise SystemExit(f"login of {username} failed: {status} {payload}")
        self.token = payload["token"]


def setup_tenant(base, slug):
    """Materials, spools and products of one tenant, through the REST API."""
    client = Client(base, slug)
    client.login(f"{slug}-owner")
    _, material, _ = client.call("POST", "/materials/", {"name": "PLA", "brand": "Soak", "kind": "PLA"})
    for n in range(SPOOLS_PER_TENANT):
        body = {"code": f"{slug}-S{n}", "material": material["id"], "initial_weight_g": "100000.00"}
        client.call("POST", "/spools/", body)
    for n in range(PRODUCTS_PER_TENANT):
        client.call("POST", "/products/", {"sku": f"{slug}-P{n}", "name": f"Part {n}", "unit_weight_g": "5.00"})


def drive(base, slug, seconds, seed, results):
    """One client process: a random mix of reads and writes against one tenant until the time is up."""
    rng = random.Random(seed)
    client = Client(base, slug)
    client.login(f"{slug}-owner")
    spools = [s["id"] for s in client.call("GET", "/spools/?page_size=100")[1]["results"]]
    products = [p["id"] for p in client.call("GET", "/products/?page_size=100")[1]["results"]]
    if not spools or not products:
        raise SystemExit(f"{slug}: no spools or products to work with")
    runs = {"in_progress": [], "completed": []}
    replays = {"sent": 0, "matched": 0, "mismatched": []}

    def create_run():
        body = {
            "items": [{"product": rng.choice(products), "quantity": rng.randint(1, 5)}],
            "materials": [
                {"spool": spool, "estimated_model_g": f"{rng.randint(1, 30)}.00"} for spool in rng.sample(spools, 2)
            ],
        }
        key = str(uuid.uuid4())
        status, run, _ = client.call("POST", "/production-runs/", body, key=key, label="create")
        if status == 201:
            runs["in_progress"].append(run["id"])
            if rng.random() < 0.3:  # the client never saw the answer: it retries with the same key
                check_replay(("POST", "/production-runs/", body, key, "create"), status, run)

    def check_replay(request, status, payload):
        method, path, body, key, label = request
        replays["sent"] += 1
        again, again_payload, replayed = client.call(method, path, body, key=key, label=f"{label} (retry)")
        if (again, again_payload, replayed) == (status, payload, "true"):
            replays["matched"] += 1
        else:
            replays["mismatched"].append(f"{label}: {status} then {again} (replayed={replayed})")

    def complete():
        if not runs["in_progress"]:
            return create_run()
        run = runs["in_progress"].pop(rng.randrange(len(runs["in_progress"])))
        path, body, key = f"/production-runs/{run}/complete/", {"use_estimates": True}, str(uuid.uuid4())
        status, payload, _ = client.call("POST", path, body, key=key, label="complete")
        if status == 200:
            runs["completed"].append(run)
            if rng.random() < 0.3:
                check_replay(("POST", path, body, key, "complete"), status, payload)
            elif rng.random() < 0.3:  # a retry without a key: the run is already completed
                again, _, _ = client.call("POST", path, body, label="complete (retry, no key)")
                if again != 409:
                    replays["mismatched"].append(f"complete retried without a key answered {again}, not 409")

    def fail():
        if not runs["in_progress"]:
            return create_run()
        run = runs["in_progress"].pop(rng.randrange(len(runs["in_progress"])))
        client.call("POST", f"/production-runs/{run}/fail/", {"failure_reason": "spaghetti"}, label="fail")

    def reopen():
        if not runs["completed"]:
            return complete()
        run = runs["completed"].pop(rng.randrange(len(runs["completed"])))
        status, _, _ = client.call("POST", f"/production-runs/{run}/reopen/", label="reopen")
        if status == 200:
            runs["in_progress"].append(run)

    def adjust():
        body = {"type": "waste", "delta_g": f"-{rng.randint(1, 5)}.00", "reason": "soak"}
        client.call("POST", f"/spools/{rng.choice(spools)}/adjust/", body, key=str(uuid.uuid4()), label="adjust")

    def read():
        path = rng.choice(
            ["/spools/", "/production-runs/", "/inventory-transactions/", "/production-runs/?status=completed"]
        )
        client.call("GET", path, label="GET " + path.split("?")[0])

    operations = [(read, 40), (create_run, 20), (complete, 15), (fail, 5), (reopen, 8), (adjust, 12)]
    population, weights = zip(*operations, strict=True)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            rng.choices(population, weights)[0]()
    except Exception as error:  # a client bug or an answer of the wrong shape: report it, never hang the soak
        client.failures.append(f"client stopped: {error!r}")
    results.put(
        {
            "statuses": {f"{label} {status}": n for (label, status), n in client.statuses.items()},
            "latencies": client.latencies,
            "failures": client.failures,
            "replays": replays,
        }
    )


# --- the audit -------------------------------------------------------------------------------------------


def audit(database_url):
    """Problems found in the tables themselves: ledger chains, weights, double charges."""
    problems = []
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT spool_id, sequence, weight_before_g, weight_change_g, weight_after_g "
            "FROM inventory_inventorytransaction ORDER BY spool_id, sequence"
        ).fetchall()
        weights = dict(connection.execute("SELECT id, current_weight_g FROM inventory_spool").fetchall())
        for spool_id, chain in itertools.groupby(rows, key=lambda row: row[0]):
            chain = list(chain)
            if [row[1] for row in chain] != list(range(1, len(chain) + 1)):
                problems.append(f"spool {spool_id}: ledger positions are not 1..{len(chain)}")
            for previous, row in itertools.pairwise(chain):
                if row[2] != previous[4]:
                    problems.append(f"spool {spool_id}: row {row[1]} starts at {row[2]}, not {previous[4]}")
            if any(row[2] + row[3] != row[4] for row in chain):
                problems.append(f"spool {spool_id}: a row does not balance")
            if sum(row[3] for row in chain) != weights.get(spool_id):
                problems.append(
                    f"spool {spool_id}: ledger sums to {sum(r[3] for r in chain)}, weight {weights[spool_id]}"
                )
        charged_twice = connection.execute(
            "SELECT production_run_material_id, count(*) FROM inventory_inventorytransaction AS charge "
            "WHERE type IN ('usage', 'waste') AND production_run_material_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM inventory_inventorytransaction AS r WHERE r.reversal_of_id = charge.id) "
            "GROUP BY production_run_material_id HAVING count(*) > 1"
        ).fetchall()
        problems += [f"run material {material} is charged {n} times" for material, n in charged_twice]
        completed_uncharged = connection.execute(
            "SELECT count(*) FROM production_productionrun AS run WHERE run.status = 'completed' AND EXISTS "
            "(SELECT 1 FROM production_productionrunmaterial AS m WHERE m.run_id = run.id AND NOT EXISTS "
            "(SELECT 1 FROM inventory_inventorytransaction AS t WHERE t.production_run_material_id = m.id "
            "AND t.type = 'usage' AND NOT EXISTS "
            "(SELECT 1 FROM inventory_inventorytransaction AS r WHERE r.reversal_of_id = t.id)))"
        ).fetchone()[0]
        if completed_uncharged:
            problems.append(f"{completed_uncharged} completed runs have a material without its usage row")
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM inventory_inventorytransaction), "
            "(SELECT count(*) FROM production_productionrun), "
            "(SELECT count(*) FROM production_productionrun WHERE status = 'completed')"
        ).fetchone()
    return problems, dict(zip(("ledger rows", "runs", "completed runs"), counts, strict=True))


def main(argv=None):
    args = parse_args(argv)
    database_url = os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = server_environment(database_url)
    recreate_database(database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "createcachetable")
    for slug in TENANTS:
        manage(env, "create_tenant", slug, "--name", slug.title(), "--prefix", slug.replace("-", "").upper()[:10])
        manage(env, "add_member", slug, f"{slug}-owner", "--role", "owner", "--password", PASSWORD)
    port = free_port()
    server = start_server(env, port, args.workers)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for slug in TENANTS:
            setup_tenant(base, slug)
        results = multiprocessing.Queue()
        clients = [
            multiprocessing.Process(
                target=drive, args=(base, TENANTS[n % len(TENANTS)], args.seconds, args.seed + n, results)
            )
            for n in range(args.clients)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        reports = [results.get(timeout=args.seconds + 300) for _ in clients]
        elapsed = time.monotonic() - started
        for client in clients:
            client.join(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = collections.Counter()
    latencies, failures = [], []
    replays = {"sent": 0, "matched": 0, "mismatched": []}
    for report in reports:
        statuses.update(report["statuses"])
        latencies += report["latencies"]
        failures += report["failures"]
        for name in ("sent", "matched"):
            replays[name] += report["replays"][name]
        replays["mismatched"] += report["replays"]["mismatched"]
    problems, counts = audit(database_url)
    problems += failures[:20]
    problems += replays["mismatched"][:20]

    latencies.sort()
    print(
        f"soak: {len(latencies)} requests in {elapsed:.0f} s ({len(latencies) / elapsed:.0f}/s) from {args.clients} "
        f"client processes against uWSGI with {args.workers} workers on PostgreSQL"
    )
    print(
        f"latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms"
    )
    print("responses: " + ", ".join(f"{label}: {n}" for label, n in sorted(statuses.items())))
    print(
        f"replays: {replays['matched']}/{replays['sent']} answered as the original; "
        + ", ".join(f"{name}: {n}" for name, n in counts.items())
    )
    print(f"5xx: {len(failures)}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("soak passed: every ledger chain balances, no run material charged twice, no 5xx, every replay matched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
