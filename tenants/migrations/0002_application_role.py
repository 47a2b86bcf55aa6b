"""The role an API request's tenant queries run as, under row-level security (tenants/row_security.py).

Nothing happens on other databases (see tenants/operations.py).
"""

from django.db import migrations

from tenants.operations import ApplicationRole


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
    ]

    operations = [
        ApplicationRole(),
    ]
