"""Every write of the demo seed and of the benchmark, in one place.

The history is built only through the services the API uses, so its ledger balances like
real data. These functions are the one spot that knows the services' signatures: the seed
(demo/seed.py) and the benchmark (bench/) call them with plain dicts of model instances,
which become the services' input dataclasses here. Printers have no service (the API writes
them with a plain save), so they are created here the same way.
"""

from django.contrib.auth import get_user_model

from inventory import services as inventory
from production import services as production
from production.models import Printer
from tenants import services as tenancy


def open_tenant(*, slug, name, run_prefix, timezone="UTC", logins=(), password=None):
    """A tenant and its members; returns the tenant and the users in the order of `logins` ((username, role))."""
    tenant, _ = tenancy.create_tenant(slug=slug, name=name, run_prefix=run_prefix, timezone=timezone)
    users = [
        tenancy.add_member(tenant=tenant, username=username, role=role, password=password)[0].user
        for username, role in logins
    ]
    return tenant, users


def add_superuser(*, username, password):
    """A staff login for the admin; users outside any tenant have no service either."""
    return get_user_model().objects.create_superuser(username, email="", password=password)


def add_material(*, tenant, fields):
    return inventory.create_material(tenant=tenant, user=None, fields=inventory.MaterialFields(**fields))


def add_product(*, tenant, fields):
    return production.create_product(tenant=tenant, user=None, fields=production.ProductFields(**fields))


def add_printer(*, tenant, fields):
    return Printer.objects.create(tenant=tenant, **fields)


def buy_spool(*, tenant, user, data, occurred_at=None):
    """A new spool and its purchase row; `data` holds the spool's fields (`material` an instance)."""
    return inventory.create_spool(tenant=tenant, user=user, draft=inventory.SpoolDraft(**data), occurred_at=occurred_at)


def correct_spool(*, spool, user, type, reason, occurred_at=None, new_weight_g=None, delta_g=None):
    """A stock count (`new_weight_g`) or a loss (`delta_g`) written to the ledger."""
    adjustment = inventory.Adjustment(
        type=type, reason=reason, new_weight_g=new_weight_g, delta_g=delta_g, occurred_at=occurred_at
    )
    return inventory.adjust_spool(spool=spool, user=user, adjustment=adjustment)


def start_run(*, tenant, user, data):
    """A run in progress, created (and numbered) on the day it started; `data` holds its fields, `items` and
    `materials` (model instances, not ids)."""
    return production.create_run(
        tenant=tenant, user=user, draft=production.RunDraft.from_data(data), created_at=data.get("started_at")
    )


def complete_run(*, run, user, data):
    return production.complete_run(run=run, user=user, completion=production.Completion.from_data(data))


def fail_run(*, run, user, data):
    return production.fail_run(run=run, user=user, failure=production.Failure.from_data(data))


def cancel_run(*, run, user, notes=None):
    """Cancel a run; `notes`, when given, are written on it afterwards (a cancelled run still takes notes)."""
    run = production.cancel_run(run=run, user=user)
    if notes is not None:
        run = production.update_run(run=run, user=user, changes=production.RunChanges(notes=notes))
    return run
