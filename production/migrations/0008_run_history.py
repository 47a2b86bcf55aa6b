# The run's history is named for what it is (`RunHistoryEntry`, `run.history`), apart from the
# events outbox. RenameModel renames the table and keeps its rows, its row-level security
# policy and its same-tenant reference (they belong to the table, not to its name).

from django.db import migrations, models

from tenants.operations import constraint_name

OLD_TABLE, NEW_TABLE = "production_productionrunevent", "production_runhistoryentry"


def _rename_same_tenant_reference(schema_editor, table, before, after):
    """The same-tenant key on `run` is named after its table (tenants.operations): it follows the rename."""
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    old, new = constraint_name(schema_editor, before, "run_id"), constraint_name(schema_editor, after, "run_id")
    schema_editor.execute(f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(old)} TO {quote(new)}")


def forwards(apps, schema_editor):
    _rename_same_tenant_reference(schema_editor, NEW_TABLE, OLD_TABLE, NEW_TABLE)


def backwards(apps, schema_editor):
    _rename_same_tenant_reference(schema_editor, OLD_TABLE, NEW_TABLE, OLD_TABLE)


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
        migrations.RunPython(forwards, backwards),
    ]
