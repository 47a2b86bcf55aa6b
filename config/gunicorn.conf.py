"""gunicorn settings for `/metrics` across workers: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

With several workers each process keeps its own HTTP and database figures; prometheus_client's
multiprocess mode has every worker write them to files in `PROMETHEUS_MULTIPROC_DIR` (an empty
directory, emptied before each start), which a scrape of any worker merges. A worker that
exits has its live gauges dropped here.
"""

import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = 30


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
