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


# --- Spoolman's catalogue: extra field definitions and settings (spoolman.catalogue writes them) ------


class EntityType(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    FILAMENT = "filament", "Filament (a material)"
    SPOOL = "spool", "Spool"


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    INTEGER = "integer", "Integer"
    INTEGER_RANGE = "integer_range", "Integer range"
    FLOAT = "float", "Float"
    FLOAT_RANGE = "float_range", "Float range"
    DATETIME = "datetime", "Date and time"
    BOOLEAN = "boolean", "Boolean"
    CHOICE = "choice", "Choice"


class ExtraField(TenantOwnedModel):
    """A Spoolman extra field of a tenant's vendors, filaments or spools: its definition.

    The values live on the entities (`extra`, a dict of key to JSON text). `default_value` is
    JSON text too (a default of the field's type); `choices` and `multi_choice` are set for a
    `choice` field only, as Spoolman has them. `unit` is blank where Spoolman's is null.
    """

    entity_type = models.CharField(max_length=16, choices=EntityType.choices)
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=128)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    unit = models.CharField(max_length=16, blank=True)
    # JSON text, or null for none (as Spoolman has it: "" would be neither).
    default_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    choices = models.JSONField(null=True, blank=True)
    multi_choice = models.BooleanField(null=True, blank=True)
    order = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity_type", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entity_type", "key"], name="extra_field_unique_tenant_key"),
            models.CheckConstraint(condition=Q(entity_type__in=EntityType.values), name="extra_field_known_entity"),
            models.CheckConstraint(condition=Q(field_type__in=FieldType.values), name="extra_field_known_type"),
        ]

    def __str__(self):
        return f"{self.entity_type}.{self.key} ({self.field_type})"


class Setting(TenantOwnedModel):
    """A Spoolman setting the tenant has set (JSON text of its type); one not set has its default
    (spoolman.catalogue.SETTINGS, Spoolman's registry)."""

    key = models.CharField(max_length=64)
    value = models.TextField()
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="setting_unique_tenant_key")]

    def __str__(self):
        return self.key


# --- imports from a Spoolman server (spoolman.importer) ---------------------------------------


class ImportedRecord(TenantOwnedModel):
    """A row of a Spoolman server that `import_spoolman` copied into the tenant: where it came from and
    what it became, so that the next import of the same source skips it (a second run changes nothing).

    `source` names the server (its URL, without credentials or a key's secret: spoolman.importer's
    `source_name`), `source_id` is Spoolman's id there, `object_id` the vendor's, material's or
    spool's id here (not a foreign key: it names one of three tables; a row deleted here after its
    import stays deleted, the import does not bring it back).
    """

    source = models.CharField(max_length=255)
    entity_type = models.CharField(max_length=16, choices=EntityType.choices)
    source_id = models.PositiveIntegerField()
    object_id = models.UUIDField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "entity_type", "source_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "entity_type", "source_id"], name="imported_record_unique_source_id"
            ),
            models.CheckConstraint(condition=Q(entity_type__in=EntityType.values), name="imported_record_known_entity"),
        ]

    def __str__(self):
        return f"{self.source} {self.entity_type} {self.source_id}"
