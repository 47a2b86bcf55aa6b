"""Integration keys for tests of the Spoolman-compatible API: a manage key of a creator of a given role."""

from spoolman import services
from spoolman.models import KeyScope
from tenants.models import Membership
from tests.support.clients import SpoolmanClient


def manage_client(tenant, make_member, role="admin", *, username=None):
    """A client of a manage key (no printer) whose creator holds `role` in `tenant` (made as an admin, then
    given the role: only admins and owners issue manage keys)."""
    creator = make_member(tenant, "admin", username or f"{role}-key-{tenant.slug}")
    issued = services.create_key(
        tenant=tenant, user=creator, draft=services.KeyDraft(scope=KeyScope.MANAGE, name="spoolman-ui")
    )
    Membership.objects.filter(tenant=tenant, user=creator).update(role=role)
    return SpoolmanClient(issued.secret)
