"""Spools and materials get a per-tenant `number` (Spoolman's integer ids); printers report use.

Existing rows are numbered per tenant in the order they were created (then by id), and each
tenant's counter starts after its highest number. The number columns become NOT NULL after
that backfill. Not atomic: PostgreSQL refuses to ALTER a table in the transaction that
updated its rows while deferred foreign-key checks are pending; each step is its own
transaction, and the backfill is idempotent if a step fails half-way.

The counter table gets row-level security, and the ledger's new `printer` reference its
same-tenant foreign key (PostgreSQL only; tenants/operations.py).
"""

import django.db.models.deletion
import uuid
from decimal import Decimal
from django.db import migrations, models, transaction


from tenants.operations import SameTenantReference, TenantRowSecurity

HELP = "Per-tenant number (1, 2, 3...), never reused; the id Spoolman clients use."


def number_existing_rows(apps, schema_editor):
    Counter = apps.get_model("inventory", "NumberCounter")
    for kind, model_name in (("material", "Material"), ("spool", "Spool")):
        model = apps.get_model("inventory", model_name)
        last = {}
        with transaction.atomic():
            for row in model._base_manager.filter(number__isnull=False).order_by("tenant_id", "number"):
                last[row.tenant_id] = row.number
            for row in model._base_manager.filter(number__isnull=True).order_by("tenant_id", "created_at", "id"):
                last[row.tenant_id] = last.get(row.tenant_id, 0) + 1
                model._base_manager.filter(pk=row.pk).update(number=last[row.tenant_id])
            for tenant_id, number in last.items():
                Counter._base_manager.update_or_create(
                    tenant_id=tenant_id, kind=kind, defaults={"last_number": number}
                )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('inventory', '0007_material_low_stock_threshold'),
        ('production', '0006_run_event_row_security'),
        ('tenants', '0002_application_role'),
    ]

    operations = [
        migrations.CreateModel(
            name='NumberCounter',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(max_length=16)),
                ('last_number', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='inventorytransaction',
            name='excess_g',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=10),
        ),
        migrations.AddField(
            model_name='inventorytransaction',
            name='printer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reported_use', to='production.printer'),
        ),
        migrations.AddField(
            model_name='inventorytransaction',
            name='source',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='material',
            name='number',
            field=models.PositiveIntegerField(editable=False, help_text='Per-tenant number (1, 2, 3...), never reused; the id Spoolman clients use.', null=True),
        ),
        migrations.AddField(
            model_name='spool',
            name='number',
            field=models.PositiveIntegerField(editable=False, help_text='Per-tenant number (1, 2, 3...), never reused; the id Spoolman clients use.', null=True),
        ),
        migrations.AddField(
            model_name='spool',
            name='unbooked_use_g',
            field=models.DecimalField(decimal_places=6, default=Decimal('0'), editable=False, max_digits=12),
        ),
        migrations.AlterField(
            model_name='inventorytransaction',
            name='type',
            field=models.CharField(choices=[('purchase', 'Purchase'), ('usage', 'Usage'), ('waste', 'Waste'), ('adjustment', 'Adjustment'), ('count', 'Count'), ('reversal', 'Reversal'), ('printer_use', 'Printer Use')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='material',
            constraint=models.UniqueConstraint(fields=('tenant', 'number'), name='material_unique_tenant_number'),
        ),
        migrations.AddConstraint(
            model_name='spool',
            constraint=models.UniqueConstraint(fields=('tenant', 'number'), name='spool_unique_tenant_number'),
        ),
        migrations.AddField(
            model_name='numbercounter',
            name='tenant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant'),
        ),
        migrations.AddConstraint(
            model_name='numbercounter',
            constraint=models.UniqueConstraint(fields=('tenant', 'kind'), name='number_counter_unique_tenant_kind'),
        ),
        migrations.RunPython(number_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='material',
            name='number',
            field=models.PositiveIntegerField(editable=False, help_text=HELP),
        ),
        migrations.AlterField(
            model_name='spool',
            name='number',
            field=models.PositiveIntegerField(editable=False, help_text=HELP),
        ),
        TenantRowSecurity("inventory.NumberCounter"),
        SameTenantReference("inventory.InventoryTransaction", "printer"),
    ]
