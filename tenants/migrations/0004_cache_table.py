"""`migrate` also creates the shared cache's table (the token endpoint's throttle counters).

Without it, a deployment (or a benchmark) that runs only `migrate` answers the first
`POST auth/token/` with a 500. `createcachetable` is idempotent and does nothing for a
cache that is not a database table (`REDIS_URL`), so running it here and again by hand
is harmless; migrating backwards leaves the table.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_application_role")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
