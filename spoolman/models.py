"""Integration keys (what Moonraker, OctoPrint, Home Assistant or Spoolman's own tools authenticate with),
and the tenant's Spoolman catalogue: extra field definitions and settings."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from production.models import Printer
from tenants.models import Role, TenantOwnedModel

KEY_PREFIX = "pfk_"


def key_digest(secret: str) -> str:
    """The stored form of a key: its SHA-256 (the secret is 256 random bits, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyScope(models.TextChoices):
    PRINTER = "printer", "Printer: read, report use and weighings"
    MANAGE = "manage", "Manage: Spoolman's whole API, with its creator's role"


class IntegrationKey(TenantOwnedModel):
    """A secret for the Spoolman-compatible API under `/spoolman/<key>/api/v1/`.

    A `printer` key belongs to one printer: it reads its tenant's spools, filaments and
    vendors and reports use and weighings, attributed to its printer. A `manage` key (made
    by an admin or owner; a printer is optional) is Spoolman's whole API for its tenant and
    acts as its creator, with the role the creator holds in the tenant at each request: a
    creator who is no longer a member leaves the key authenticating nothing.

    Only the digest is stored; the secret is answered once, on creation. A revoked key
    stays (who created it, when it was revoked) and authenticates nothing.
    """

    scope = models.CharField(max_length=10, choices=KeyScope.choices, default=KeyScope.PRINTER)
    printer = models.ForeignKey(
        Printer, on_delete=models.CASCADE, null=True, blank=True, related_name="integration_keys"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What it is for, e.g. `moonraker`.")
    # The first characters of the secret, to tell keys apart in lists; never enough to use one.
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "printer"], name="integration_key_tenant_printer"),
            # The key's lookup, before its tenant is known (spoolman.services.authenticate).
            models.Index(fields=["digest"], name="integration_key_digest"),
        ]
        # Unique per tenant like every constraint of a tenant-owned table; a secret of 256 random
        # bits does not repeat across tenants either.
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="integration_key_unique_digest"),
            models.CheckConstraint(condition=Q(scope__in=KeyScope.values), name="integration_key_known_scope"),
            models.CheckConstraint(
                condition=Q(scope=KeyScope.MANAGE) | Q(printer__isnull=False),
                name="integration_key_printer_has_printer",
            ),
        ]

    def __str__(self):
        return f"{self.prefix}... ({self.scope}, {self.printer_id or 'no printer'})"

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def is_manage(self) -> bool:
        return self.scope == KeyScope.MANAGE

    @property
    def role(self) -> Role | None:
        """What the key may do, as a member of its tenant: its creator's current role, for a manage key
        read by spoolman.services.authenticate (its `creator_role` annotation); else None (a printer
        key has its printer's rights, not a member's)."""
        creator_role = getattr(self, "creator_role", None)
        return Role(creator_role) if self.is_manage and creator_role else None
