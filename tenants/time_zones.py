"""The tenant's time zone, active wherever a request or a page acts for one tenant.

Times are stored in UTC. Once a request's tenant is known (`TenantScopedViewMixin`
enters `tenant_time_zone` into the request's scope stack, next to the tenant scope), Django's
current time zone is the tenant's until the response is rendered, so:

- DRF's `DateTimeField` writes times in the tenant's zone with its offset
  (`2026-03-01T14:05:00+01:00`), and reads a datetime sent without an offset as wall-clock
  time there;
- the browsable API's date-time inputs show and take the tenant's wall-clock time;
- `timezone.localdate()` (a CSV file's date, report defaults) is the tenant's day.

The admin's pages about one tenant's row (a spool, a run) use the same hook
(tenants.admin.TenantOwnedAdmin).
"""

from django.utils import timezone


def tenant_time_zone(tenant):
    """A context in which Django's current time zone is `tenant`'s."""
    return timezone.override(tenant.zone)
