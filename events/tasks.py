"""The background tasks (django-tasks, database backend; run by `python manage.py db_worker`).

They run outside any request, so they enter `all_tenants()` (the connecting user, which row
security does not bind) and name the tenant themselves. The work is in events/webhooks.py;
what it leaves to do next (the deliveries, a recheck, a retry) is enqueued here, once its
transaction commits, so the import runs one way: tasks -> webhooks.
"""

from django.db import transaction
from django_tasks import task

from events import webhooks
from tenants.scoping import all_tenants


@task()
def dispatch_events(tenant_id: str) -> int:
    """Hand the tenant's new events to its webhooks (events/webhooks.py `dispatch`)."""
    with all_tenants():
        dispatched = webhooks.dispatch(tenant_id)
    ids = [str(delivery.pk) for delivery in dispatched.deliveries]
    transaction.on_commit(lambda: [deliver.enqueue(delivery_id) for delivery_id in ids])
    if dispatched.recheck_at is not None:
        recheck_at = dispatched.recheck_at
        transaction.on_commit(lambda: dispatch_events.using(run_after=recheck_at).enqueue(str(tenant_id)))
    return len(ids)


@task()
def deliver(delivery_id: str) -> str | None:
    """One attempt of one delivery (events/webhooks.py `attempt`)."""
    with all_tenants():
        attempted = webhooks.attempt(delivery_id)
    if attempted.retry_at is not None:
        retry_at = attempted.retry_at
        transaction.on_commit(lambda: deliver.using(run_after=retry_at).enqueue(str(delivery_id)))
    return None if attempted.delivery is None else attempted.delivery.status
