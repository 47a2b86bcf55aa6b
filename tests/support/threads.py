"""Real concurrency for the PostgreSQL tests: threads released together by a barrier."""

import threading

from django.db import connection, transaction

from tenants.scoping import all_tenants

TIMEOUT_S = 120


def run_together(count, work):
    """Run `work(i)` in `count` threads released at once; return what each returned, re-raising any error.

    Each thread has its own database connection (Django opens one per thread) and closes it,
    so that none is left open for the test database's teardown.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=TIMEOUT_S)
            with all_tenants():  # a new thread starts with no tenant scope, unlike the test body
                results[i] = work(i)
        except BaseException as exc:  # any failure in a thread must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if errors:
        raise errors[0]
    return results


class RowHeldByAnotherTransaction:
    """Another connection holds `FOR UPDATE` on `row` from entering this context until leaving it."""

    def __init__(self, row):
        self.row = row
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.hold)

    def hold(self):
        try:
            with all_tenants(), transaction.atomic():  # a new thread starts with no tenant scope
                type(self.row).objects.select_for_update().get(pk=self.row.pk)
                self.locked.set()
                self.release.wait(TIMEOUT_S)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(TIMEOUT_S), "the other transaction did not get the lock"
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(TIMEOUT_S)
