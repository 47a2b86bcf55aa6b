"""PostgreSQL refuses a reference from one tenant's row to another tenant's row.

Every foreign key between tenant-owned tables gets a composite twin
`(tenant_id, x_id) -> x (tenant_id, id)`; each target gets the `UNIQUE (tenant_id, id)`
it points at. Here, not in `production`, because this app's 0002 is the first migration
both apps' tables exist at. Nothing happens on other databases (see tenants/operations.py).
"""

from django.db import migrations

from tenants.operations import SameTenantReference, TenantKey


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_bounded_free_text"),
        ("production", "0003_bounded_free_text"),
    ]

    operations = [
        TenantKey("inventory.Material"),
        TenantKey("inventory.Spool"),
        TenantKey("inventory.InventoryTransaction"),
        TenantKey("production.Product"),
        TenantKey("production.Printer"),
        TenantKey("production.ProductionRun"),
        TenantKey("production.ProductionRunMaterial"),
        SameTenantReference("inventory.Spool", "material"),
        SameTenantReference("inventory.InventoryTransaction", "spool"),
        SameTenantReference("inventory.InventoryTransaction", "production_run"),
        SameTenantReference("inventory.InventoryTransaction", "production_run_material"),
        SameTenantReference("inventory.InventoryTransaction", "reversal_of"),
        SameTenantReference("production.ProductionRun", "printer"),
        SameTenantReference("production.ProductionRun", "original_run"),
        SameTenantReference("production.ProductionRunItem", "run"),
        SameTenantReference("production.ProductionRunItem", "product"),
        SameTenantReference("production.ProductionRunMaterial", "run"),
        SameTenantReference("production.ProductionRunMaterial", "spool"),
    ]
