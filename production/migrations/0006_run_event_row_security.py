"""A run's history rows are visible to their own tenant only (PostgreSQL row-level security; see tenants/operations.py)."""

from django.db import migrations

from tenants.operations import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0005_run_event_same_tenant"),
        ("tenants", "0002_application_role"),
    ]

    operations = [TenantRowSecurity("production.ProductionRunEvent")]
