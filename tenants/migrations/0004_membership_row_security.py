"""Memberships carry a tenant_id: the tenant policy, and a read policy for a user's own rows.

The own-rows policy is what resolving a request's tenant reads through (tenants/row_security.py).
"""

from django.db import migrations

from tenants.operations import OwnRowsPolicy, TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_cache_table")]

    operations = [
        TenantRowSecurity("tenants.Membership"),
        OwnRowsPolicy("tenants.Membership"),
    ]
