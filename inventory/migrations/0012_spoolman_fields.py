"""Materials and spools store Spoolman's filament and spool fields; spools keep their use dates.

`first_used`/`last_used` are the moments of a spool's first and last use row (printer_use,
usage, waste), kept from here on by inventory.services.record_movements and backfilled
here from the ledger. A material's name may be blank (Spoolman's filaments may be nameless).
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models
from django.db.models import Max, Min, OuterRef, Subquery

import inventory.models

USE_TYPES = ("printer_use", "usage", "waste")


def use_dates_from_the_ledger(apps, schema_editor):
    Spool = apps.get_model("inventory", "Spool")
    InventoryTransaction = apps.get_model("inventory", "InventoryTransaction")
    uses = InventoryTransaction._base_manager.filter(spool=OuterRef("pk"), type__in=USE_TYPES).order_by()
    Spool._base_manager.filter(
        pk__in=InventoryTransaction._base_manager.filter(type__in=USE_TYPES).values("spool_id")
    ).update(
        first_used=Subquery(uses.values("spool").annotate(at=Min("occurred_at")).values("at")[:1]),
        last_used=Subquery(uses.values("spool").annotate(at=Max("occurred_at")).values("at")[:1]),
    )


def grams(help_text):
    return models.DecimalField(
        blank=True,
        decimal_places=2,
        help_text=help_text,
        max_digits=10,
        null=True,
        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
    )


def extra():
    return models.JSONField(
        blank=True,
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        help_text="Extra fields: {key: JSON text}.",
        validators=[inventory.models.validate_extra],
    )


def text(max_length, **kwargs):
    """Text with a default in the table too: rows written outside Django (a raw INSERT, a restore) get ""."""
    return models.CharField(blank=True, max_length=max_length, default="", db_default="", **kwargs)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0011_vendors"),
    ]

    operations = [
        migrations.AlterField(
            model_name="material",
            name="name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="material", name="material_name", field=text(64)
        ),
        migrations.AddField(model_name="material", name="price", field=grams("The price of a full spool.")),
        migrations.AddField(
            model_name="material", name="weight_g", field=grams("The net filament weight of a full spool, in grams.")
        ),
        migrations.AddField(model_name="material", name="spool_weight_g", field=grams("The weight of an empty spool.")),
        migrations.AddField(
            model_name="material", name="article_number", field=text(64)
        ),
        migrations.AddField(
            model_name="material",
            name="settings_extruder_temp",
            field=models.PositiveIntegerField(blank=True, help_text="Extruder temperature, °C.", null=True),
        ),
        migrations.AddField(
            model_name="material",
            name="settings_bed_temp",
            field=models.PositiveIntegerField(blank=True, help_text="Bed temperature, °C.", null=True),
        ),
        migrations.AddField(
            model_name="material", name="multi_color_hexes", field=text(128)
        ),
        migrations.AddField(
            model_name="material", name="multi_color_direction", field=text(16)
        ),
        migrations.AddField(
            model_name="material", name="external_id", field=text(256)
        ),
        migrations.AddField(model_name="material", name="extra", field=extra()),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.CheckConstraint(
                condition=models.Q(("price__isnull", True), ("price__gte", 0), _connector="OR"),
                name="material_price_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.CheckConstraint(
                condition=models.Q(("weight_g__isnull", True), ("weight_g__gte", 0), _connector="OR"),
                name="material_weight_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.CheckConstraint(
                condition=models.Q(("spool_weight_g__isnull", True), ("spool_weight_g__gte", 0), _connector="OR"),
                name="material_spool_weight_not_negative",
            ),
        ),
        migrations.AddField(
            model_name="spool",
            name="lot_nr",
            field=text(64, verbose_name="lot number"),
        ),
        migrations.AddField(model_name="spool", name="comment", field=text(1024)),
        migrations.AddField(model_name="spool", name="extra", field=extra()),
        migrations.AddField(model_name="spool", name="first_used", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="spool", name="last_used", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(use_dates_from_the_ledger, migrations.RunPython.noop),
    ]
