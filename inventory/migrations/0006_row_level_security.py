"""PostgreSQL shows the application role one tenant's rows only, on every tenant-owned table.

Row-level security keyed on the request's `app.tenant_id` (tenants/row_security.py). Here,
not in `production`, for the reason 0005 gives: both apps' tables exist from here on.
A tenant-owned table added later gets its `TenantRowSecurity` in the migration that
creates it. Nothing happens on other databases (see tenants/operations.py).
"""

from django.db import migrations

from tenants.operations import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0005_same_tenant_references"),
        ("production", "0003_bounded_free_text"),
        ("tenants", "0002_application_role"),
    ]

    operations = [
        TenantRowSecurity("inventory.Material"),
        TenantRowSecurity("inventory.Spool"),
        TenantRowSecurity("inventory.InventoryTransaction"),
        TenantRowSecurity("production.Product"),
        TenantRowSecurity("production.Printer"),
        TenantRowSecurity("production.RunNumberCounter"),
        TenantRowSecurity("production.ProductionRun"),
        TenantRowSecurity("production.ProductionRunItem"),
        TenantRowSecurity("production.ProductionRunMaterial"),
    ]
