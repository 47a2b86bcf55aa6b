"""Benchmark harness: `make bench`, or `python -m bench [--runs N] [--repeat N] [--quick]`.

It builds its own throwaway database (see bench/README.md), fills it through the
services, times the main endpoints in-process with DRF's APIClient, and prints a
Markdown table that it also writes to `bench/results-<vendor>.md`.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:////tmp/pf_bench.sqlite3"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="production runs per tenant (default 2000; 60 with --quick)")
    parser.add_argument("--repeat", type=int, help="timed requests per endpoint (default 30; 5 with --quick)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent completions on PostgreSQL (default 8)")
    parser.add_argument("--quick", action="store_true", help="small data set and few repetitions: a smoke run")
    parser.add_argument(
        "--output", type=Path, help="where to write the table (default bench/results-<vendor>.md; --quick writes none)"
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (60 if args.quick else 2000)
    args.repeat = args.repeat or (5 if args.quick else 30)
    if args.runs < 1 or args.repeat < 1 or args.threads < 2:
        parser.error("--runs and --repeat must be at least 1, --threads at least 2")
    return args


def configure_environment():
    """Before Django starts: the bench database, and the production configuration (DEBUG off)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-any-deployment-0123456789abcdef")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # WhiteNoise with DEBUG off warns about uncollected static files; the API serves none.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)


def main(argv=None):
    args = parse_args(argv)
    configure_environment()
    import django

    django.setup()
    from bench.run import run
    from tenants.scoping import all_tenants

    # The harness builds and checks every tenant's data; its API requests still scope themselves.
    with all_tenants():
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
