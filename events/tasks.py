"""The background tasks (django-tasks, database backend; run by `python manage.py db_worker`).

They run outside any request, so they enter `all_tenants()` (the connecting user, which row
security does not bind) and name the tenant themselves.
"""

from django_tasks import task

from events import webhooks
from tenants.scoping import all_tenants


@task()
def dispatch_events(tenant_id: str) -> int:
    """Hand the tenant's new events to its webhooks (events/webhooks.py `dispatch`)."""
    with all_tenants():
        return len(webhooks.dispatch(tenant_id))


@task()
def deliver(delivery_id: str) -> str | None:
    """One attempt of one delivery (events/webhooks.py `attempt`)."""
    with all_tenants():
        delivery = webhooks.attempt(delivery_id)
    return None if delivery is None else delivery.status
