"""`python -m bench --quick` runs end to end on a throwaway SQLite file and prints its results table."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
HEADER = "| endpoint | median ms | p95 ms | queries | median CPU ms |"


def table_rows(report):
    """{endpoint: queries} from the Markdown table that follows HEADER."""
    lines = report.splitlines()
    start = lines.index(HEADER) + 2  # skip the header and its |---| line
    rows = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        endpoint, _median, _p95, queries, _cpu = (cell.strip() for cell in line.strip("|").split("|"))
        rows[endpoint] = int(queries)
    return rows


def test_quick_bench_prints_a_results_table_and_writes_it(tmp_path):
    output = tmp_path / "results.md"
    # Its own SQLite file, whatever database this test session uses.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'pf_bench_smoke.sqlite3'}"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert HEADER in completed.stdout
    assert output.read_text().strip() == completed.stdout.strip()
    rows = table_rows(completed.stdout)
    # ten endpoints and the floors of the run list, the run detail, the queue and dispatch
    assert len(rows) == 14
    assert (
        rows["floor: the run list's SQL, page of 20 (bench/floor.py)"]
        == rows["GET /api/v1/production-runs/?page_size=20"]
    )  # the floor runs the same statements
    assert "API over its floor" in completed.stdout
    assert any(name.startswith("POST /api/v1/production-runs/{id}/complete/") for name in rows)
    # Prefetching keeps a list page at a fixed number of queries, whatever its size.
    assert rows["GET /api/v1/production-runs/?page_size=20"] == rows["GET /api/v1/production-runs/?page_size=100"]
    assert "tracemalloc peak" in completed.stdout
    # The queue's floor reads what the queue reads; dispatch's floor is the same service.
    assert rows["floor: the queue's SQL, page of 20 (bench/floor.py)"] == rows["GET /api/v1/queue/"]
    assert "POST /api/v1/printers/{id}/dispatch/" in rows
