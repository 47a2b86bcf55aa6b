"""A run's history rows may only point at a run of their own tenant (PostgreSQL; see tenants/operations.py)."""

from django.db import migrations

from tenants.operations import SameTenantReference


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0004_run_events"),
        ("inventory", "0005_same_tenant_references"),  # the runs' UNIQUE (tenant_id, id)
    ]

    operations = [SameTenantReference("production.ProductionRunEvent", "run")]
