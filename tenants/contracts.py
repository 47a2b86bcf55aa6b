"""The tenant guard every service of tenant-owned data calls before it writes.

(The "not sent" marker of the changes dataclasses, `UNSET`, is in core/changes.py.)
"""

from core.errors import ForeignTenant


def ensure_same_tenant(tenant, *records) -> None:
    """Refuse any of `records` (None is skipped) that belongs to a tenant other than `tenant`.

    Services call it on every reference they are handed, before they write anything: a run of
    one tenant pointing at another tenant's spool would move that tenant's stock.
    """
    tenant_id = getattr(tenant, "pk", tenant)
    for record in records:
        if record is not None and record.tenant_id != tenant_id:
            raise ForeignTenant(f"The {record._meta.verbose_name} {record.pk} belongs to another tenant.")
