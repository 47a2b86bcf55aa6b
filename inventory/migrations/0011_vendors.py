"""Vendors become records (Spoolman's vendor): a material's `brand` text becomes a reference to one.

Each tenant gets one vendor per distinct non-empty brand of its materials, numbered 1, 2, 3...
in the order the brand first appeared (its first material's creation, then number), and its
materials point at it; `brand` is then dropped. Reversed, `brand` is the vendor's name again.

The vendor table gets its tenant key, row-level security and the materials' same-tenant
reference (PostgreSQL only; tenants/operations.py). Not atomic, as 0008: PostgreSQL refuses to
ALTER a table in the transaction that updated its rows while deferred foreign-key checks are
pending; each step is its own transaction.
"""

import uuid
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models, transaction

import inventory.models
from tenants.operations import SameTenantReference, TenantKey, TenantRowSecurity

HELP = "Per-tenant number (1, 2, 3...), never reused; the id Spoolman clients use."


def vendors_from_brands(apps, schema_editor):
    Material = apps.get_model("inventory", "Material")
    Vendor = apps.get_model("inventory", "Vendor")
    Counter = apps.get_model("inventory", "NumberCounter")
    with transaction.atomic():
        first_seen = {}  # (tenant, brand): (created_at, number) of its first material
        for tenant_id, brand, created_at, number in (
            Material._base_manager.exclude(brand="")
            .order_by("tenant_id", "created_at", "number")
            .values_list("tenant_id", "brand", "created_at", "number")
        ):
            first_seen.setdefault((tenant_id, brand), (created_at, number))
        last = {
            tenant_id: number
            for tenant_id, number in Counter._base_manager.filter(kind="vendor").values_list("tenant_id", "last_number")
        }
        for (tenant_id, brand), (created_at, _) in sorted(
            first_seen.items(), key=lambda item: (str(item[0][0]), item[1], item[0][1])
        ):
            last[tenant_id] = last.get(tenant_id, 0) + 1
            # A brand longer than a vendor's name (100 > 64 characters) keeps its first 64.
            vendor = Vendor._base_manager.create(tenant_id=tenant_id, number=last[tenant_id], name=brand[:64])
            Vendor._base_manager.filter(pk=vendor.pk).update(created_at=created_at)
            Material._base_manager.filter(tenant_id=tenant_id, brand=brand).update(vendor=vendor)
        for tenant_id, number in last.items():
            Counter._base_manager.update_or_create(tenant_id=tenant_id, kind="vendor", defaults={"last_number": number})


def brands_from_vendors(apps, schema_editor):
    Material = apps.get_model("inventory", "Material")
    with transaction.atomic():
        for material in Material._base_manager.filter(vendor__isnull=False).select_related("vendor"):
            Material._base_manager.filter(pk=material.pk).update(brand=material.vendor.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inventory", "0010_spool_rfid_uid"),
        ("tenants", "0002_application_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="Vendor",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("number", models.PositiveIntegerField(editable=False, help_text=HELP)),
                ("name", models.CharField(blank=True, max_length=64)),
                ("comment", models.CharField(blank=True, max_length=1024)),
                (
                    "empty_spool_weight_g",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="The weight of an empty spool of this vendor, in grams.",
                        max_digits=10,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                ("external_id", models.CharField(blank=True, max_length=256)),
                (
                    "extra",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        db_default=models.Value({}, output_field=models.JSONField()),
                        help_text="Extra fields: {key: JSON text}.",
                        validators=[inventory.models.validate_extra],
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.tenant"
                    ),
                ),
            ],
            options={"ordering": ["name", "id"]},
        ),
        migrations.AddIndex(
            model_name="vendor",
            index=models.Index(fields=["tenant", "name"], name="vendor_tenant_name"),
        ),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.UniqueConstraint(fields=("tenant", "number"), name="vendor_unique_tenant_number"),
        ),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.CheckConstraint(
                condition=models.Q(("empty_spool_weight_g__isnull", True), ("empty_spool_weight_g__gte", 0), _connector="OR"),
                name="vendor_empty_weight_not_negative",
            ),
        ),
        TenantKey("inventory.Vendor"),
        TenantRowSecurity("inventory.Vendor"),
        migrations.AddField(
            model_name="material",
            name="vendor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="materials",
                to="inventory.vendor",
            ),
        ),
        SameTenantReference("inventory.Material", "vendor"),
        migrations.RunPython(vendors_from_brands, brands_from_vendors),
        migrations.RemoveField(model_name="material", name="brand"),
    ]
