"""Printer integration keys: what a printer's Moonraker, OctoPrint or Home Assistant authenticates with."""

import hashlib

from django.conf import settings
from django.db import models

from production.models import Printer
from tenants.models import TenantOwnedModel

KEY_PREFIX = "pfk_"


def key_digest(secret: str) -> str:
    """The stored form of a key: its SHA-256 (the secret is 256 random bits, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class IntegrationKey(TenantOwnedModel):
    """A secret that lets one printer read its tenant's spools and materials and report filament use.

    Only the digest is stored; the secret is answered once, on creation. A revoked key
    stays (who created it, when it was revoked) and authenticates nothing.
    """

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="integration_keys")
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
        constraints = [models.UniqueConstraint(fields=["tenant", "digest"], name="integration_key_unique_digest")]

    def __str__(self):
        return f"{self.prefix}... ({self.printer_id})"

    @property
    def is_active(self):
        return self.revoked_at is None
