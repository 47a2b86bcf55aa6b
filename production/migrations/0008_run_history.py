# The run's history is named for what it is (`RunHistoryEntry`, `run.history`), apart from the
# events outbox. RenameModel renames the table and keeps its rows, its row-level security
# policy and its same-tenant reference (they belong to the table, not to its name).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0007_product_material_kind_labels"),
    ]

    operations = [
        migrations.RenameModel(old_name="ProductionRunEvent", new_name="RunHistoryEntry"),
        migrations.AlterModelOptions(
            name="runhistoryentry",
            options={"ordering": ["-occurred_at", "-id"], "verbose_name_plural": "run history entries"},
        ),
        migrations.AlterField(
            model_name="runhistoryentry",
            name="run",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE, related_name="history", to="production.productionrun"
            ),
        ),
        migrations.RenameIndex(
            model_name="runhistoryentry",
            new_name="run_history_tenant_run_time",
            old_name="run_event_tenant_run_occurred",
        ),
    ]
