"""Spool and material import and export for the admin (django-import-export).

An import is previewed first: every row runs through the same code as the real import, spools
through `inventory.services` (a new spool writes its purchase ledger row, a changed one is
updated under its row lock), inside a transaction that is rolled back. Only the confirmed
import writes, through the same services again, so the ledger stays exact. A row the services
refuse (another tenant's material, a changed initial weight) is shown as that row's error, and
nothing of the file is written until every row is valid.

Columns: a spool's `tenant` is the tenant's slug and its `material` the material's name in
that tenant, or its per-tenant number (`7` or `#7`: two materials may share a name), or its
id; spools are matched by tenant and `code`, so importing an exported file again updates them.
`current_weight_g` is exported only: weights change through the ledger (adjustments, runs), never by a file.
"""

import re
import uuid
from dataclasses import fields as fields_of

from django.core.exceptions import ValidationError
from import_export import fields, instance_loaders, resources, widgets

from core.api.exports import FORMULA_START, NUMBER
from core.errors import DomainError
from inventory import services
from inventory.models import InventoryTransaction, Material, Spool
from inventory.progress import Progress
from tenants.models import Tenant

# New spools are written in batches of this many rows (`services.create_spools`: a fixed number of
# statements a batch), so a file of 10,000 spools is 20 batches, not 200,000 statements.
IMPORT_BATCH_SIZE = 500

SPOOL_FIELDS = (
    "code",
    "material",
    "initial_weight_g",
    "empty_spool_weight_g",
    "purchase_price",
    "purchased_at",
    "supplier",
    "location",
    "is_active",
    "rfid_uid",
)


class CachedLookups:
    """Lookups remembered for one import (`forget()` at its start): a file names few tenants and materials."""

    def forget(self):
        self.known = {}

    def remembered(self, key, lookup):
        known = self.__dict__.setdefault("known", {})
        if key not in known:
            known[key] = lookup()
        return known[key]


class TenantWidget(CachedLookups, widgets.ForeignKeyWidget):
    """A tenant by its slug."""

    def __init__(self):
        super().__init__(Tenant, field="slug")

    def clean(self, value, row=None, **kwargs):
        if not value:
            raise ValueError("Name the tenant by its slug.")
        tenant = self.remembered(value, lambda: Tenant.objects.filter(slug=value).first())
        if tenant is None:
            raise ValueError(f"No tenant {value!r}.")
        return tenant


# A material named by its per-tenant number: `7` or `#7` (the number choice lists and the admin show).
MATERIAL_NUMBER = re.compile(r"^#?(\d{1,9})$")


class MaterialWidget(CachedLookups, widgets.ForeignKeyWidget):
    """A material of the row's tenant, by its number (`7`, `#7`), its id, or its name when that is unique there."""

    def __init__(self):
        super().__init__(Material, field="name")
        self.tenants = TenantWidget()

    def forget(self):
        super().forget()
        self.tenants.forget()

    def clean(self, value, row=None, **kwargs):
        if not value:
            raise ValueError("Name the spool's material.")
        tenant = self.tenants.clean((row or {}).get("tenant"))
        return self.remembered((tenant.pk, value), lambda: self.lookup(tenant, value))

    def lookup(self, tenant, value):
        materials = Material.objects.for_tenant(tenant)
        try:
            return materials.get(pk=uuid.UUID(str(value)))
        except (ValueError, Material.DoesNotExist):
            pass
        number = MATERIAL_NUMBER.match(str(value).strip())
        if number is not None:
            by_number = materials.filter(number=int(number.group(1))).first()
            if by_number is not None:
                return by_number
        matches = list(materials.filter(name=value).order_by("number"))
        if not matches:
            raise ValueError(f"Tenant {tenant.slug} has no material {value!r}.")
        if len(matches) > 1:
            numbers = ", ".join(f"#{match.number} ({match.choice_label()})" for match in matches)
            raise ValueError(
                f"Tenant {tenant.slug} has several materials named {value!r}: give its number instead, "
                f"one of {numbers}."
            )
        return matches[0]


def refused(error):
    """A service's refusal as the row's validation error (the preview shows it beside the row)."""
    return ValidationError(str(error.detail))


class SpreadsheetSafeResource(resources.ModelResource):
    """Exported text a spreadsheet would run as a formula gets a leading `'`, as the API's CSV does.

    An import reports its rows to the admin's progress bar (`inventory.progress`) when the form sent a key.
    """

    def before_import(self, dataset, **kwargs):
        # Each resource has its own copies of the fields' widgets: start their lookups afresh.
        for field in self.fields.values():
            if isinstance(field.widget, CachedLookups):
                field.widget.forget()
        self.progress = Progress(kwargs.get("progress_key"), len(dataset))
        self.rows_done = 0

    def after_import_row(self, row, row_result, **kwargs):
        self.rows_done += 1
        self.progress.advance(self.rows_done)

    def after_import(self, dataset, result, **kwargs):
        self.progress.finish()

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
            return "'" + value
        return value


class SpoolInstanceLoader(instance_loaders.ModelInstanceLoader):
    """The file's existing spools, read once (by tenant and code, a chunk of codes a query), not a query a row.

    A code that a row of the file already creates is that row's error: the batch would write it twice.
    """

    CHUNK = 1000

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.existing, self.new_keys = {}, set()
        rows = dataset.dict if dataset is not None else []
        slugs = {row.get("tenant") for row in rows if row.get("tenant")}
        codes = sorted({str(row.get("code")) for row in rows if row.get("code")})
        for start in range(0, len(codes), self.CHUNK):
            spools = self.get_queryset().filter(tenant__slug__in=slugs, code__in=codes[start : start + self.CHUNK])
            self.existing.update({(spool.tenant_id, spool.code): spool for spool in spools})

    def get_instance(self, row):
        tenant = self.resource.fields["tenant"].clean(row)
        key = (tenant.pk, self.resource.fields["code"].clean(row))
        if key in self.existing:
            return self.existing[key]
        if key in self.new_keys:
            raise ValidationError({"code": f"An earlier row of the file creates spool {key[1]!r} already."})
        self.new_keys.add(key)
        return None


class SpoolResource(SpreadsheetSafeResource):
    tenant = fields.Field(attribute="tenant", column_name="tenant", widget=TenantWidget())
    material = fields.Field(attribute="material", column_name="material", widget=MaterialWidget())
    current_weight_g = fields.Field(attribute="current_weight_g", column_name="current_weight_g", readonly=True)

    class Meta:
        model = Spool
        fields = ("tenant", *SPOOL_FIELDS, "current_weight_g")
        export_order = ("tenant", "code", "material", "initial_weight_g", "current_weight_g")
        import_id_fields = ("tenant", "code")
        instance_loader_class = SpoolInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        # Rows are validated one by one, and saved a batch at a time (`bulk_create`, `bulk_update`).
        use_bulk = True
        batch_size = IMPORT_BATCH_SIZE

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.user = kwargs.get("user")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The fields' own validators; the table's constraints are the database's and the services' (checking
        each in Python costs a query per constraint and row, and a spool is matched by its tenant and code).
        The tenant and the material were read from the database by their widgets: not looked up again."""
        errors = dict(import_validation_errors or {})
        try:
            exclude = [*errors.keys(), "tenant", "material"]
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """A batch of new spools through `services.create_spools`: their purchase rows and events, per tenant."""
        if not self.create_instances:
            return
        try:
            by_tenant = {}
            for instance in self.create_instances:
                by_tenant.setdefault(instance.tenant_id, []).append(instance)
            for instances in by_tenant.values():
                drafts = [
                    services.SpoolDraft(**{name: getattr(instance, name) for name in SPOOL_FIELDS}, id=instance.pk)
                    for instance in instances
                ]
                created = services.create_spools(
                    tenant=instances[0].tenant, user=getattr(self, "user", None), drafts=drafts
                )
                for instance, spool in zip(instances, created, strict=True):
                    instance.number, instance.current_weight_g = spool.number, spool.current_weight_g
                    instance.ledger_version, instance._state.adding = spool.ledger_version, False
        except DomainError as error:
            self.handle_import_error(result, refused(error), raise_errors)
        except Exception as error:  # as django-import-export's own bulk_create: the import's error, not a row's
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """Changed spools one by one through `services.update_spool` (each under its row lock)."""
        try:
            for instance in self.update_instances:
                self.do_instance_save(instance, is_create=False)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.update_instances.clear()

    def do_instance_save(self, instance, is_create):
        """Through the services: a purchase row for a new spool, the changed fields of another."""
        try:
            if is_create:
                draft = services.SpoolDraft(**{name: getattr(instance, name) for name in SPOOL_FIELDS}, id=instance.pk)
                created = services.create_spool(tenant=instance.tenant, user=getattr(self, "user", None), draft=draft)
                instance.current_weight_g, instance.ledger_version = created.current_weight_g, created.ledger_version
                instance._state.adding = False
                return
            stored = Spool.objects.select_related("material").get(pk=instance.pk)
            changed = {
                name: getattr(instance, name)
                for name in SPOOL_FIELDS
                if getattr(instance, name) != getattr(stored, name)
            }
            services.update_spool(
                spool=stored, user=getattr(self, "user", None), changes=services.SpoolChanges(**changed)
            )
        except DomainError as error:
            raise refused(error) from error


# A row's columns that go to the services as they are; its vendor goes by name (`brand`).
MATERIAL_FIELDS = tuple(
    field.name for field in fields_of(services.MaterialFields) if field.name not in ("vendor", "vendor_name")
)


class BrandField(fields.Field):
    """The material's vendor by name (`brand`, as before vendors were records): exported as the vendor's name;
    imported, the tenant's one vendor of that name, a new vendor when none has it (the services resolve it)."""

    def __init__(self):
        super().__init__(attribute="vendor_name", column_name="brand")

    def save(self, instance, row, is_m2m=False, **kwargs):
        instance.imported_brand = self.clean(row, **kwargs) or ""

    def get_value(self, instance):
        # What the row says, once imported (so a change of vendor alone is not skipped as unchanged).
        imported = getattr(instance, "imported_brand", None)
        return imported if imported is not None else instance.vendor_name


class MaterialResource(SpreadsheetSafeResource):
    """Materials by id: a row without one is a new material; a row with one updates it (in its tenant)."""

    tenant = fields.Field(attribute="tenant", column_name="tenant", widget=TenantWidget())
    brand = BrandField()

    class Meta:
        model = Material
        fields = (
            "id",
            "tenant",
            "name",
            "brand",
            "kind",
            "material_name",
            "color_name",
            "color_hex",
            "multi_color_hexes",
            "multi_color_direction",
            "diameter_mm",
            "density_g_cm3",
            "weight_g",
            "spool_weight_g",
            "price",
            "article_number",
            "settings_extruder_temp",
            "settings_bed_temp",
            "external_id",
            "low_stock_threshold_percent",
            "low_stock_threshold_g",
            "notes",
        )
        import_id_fields = ("id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.user = kwargs.get("user")

    def before_import_row(self, row, **kwargs):
        if not row.get("id"):
            row["id"] = str(uuid.uuid4())

    def do_instance_save(self, instance, is_create):
        """Through the services, which record the `material.created` / `material.updated` event."""
        values = {name: getattr(instance, name) for name in MATERIAL_FIELDS}
        brand = getattr(instance, "imported_brand", None)
        user = getattr(self, "user", None)
        try:
            if is_create:
                created = services.create_material(
                    tenant=instance.tenant, user=user, fields=services.MaterialFields(**values, vendor_name=brand)
                )
                instance.pk, instance._state.adding = created.pk, False
                return
            stored = Material.objects.select_related("vendor").get(pk=instance.pk)
            changed = {name: value for name, value in values.items() if value != getattr(stored, name)}
            if brand is not None and brand != stored.vendor_name:
                changed["vendor_name"] = brand
            services.update_material(material=stored, user=user, changes=services.MaterialFieldChanges(**changed))
        except DomainError as error:
            # A brand that is too long or that several vendors share: the row's error, beside it in the preview.
            raise refused(error) from error

    def import_instance(self, instance, row, **kwargs):
        stored_tenant = None if instance._state.adding else instance.tenant_id
        super().import_instance(instance, row, **kwargs)
        if stored_tenant is not None and instance.tenant_id != stored_tenant:
            raise ValidationError({"tenant": "A material stays in its tenant: its spools and runs are there."})


class LedgerResource(SpreadsheetSafeResource):
    """The ledger, export only."""

    tenant = fields.Field(attribute="tenant__slug", column_name="tenant")
    spool = fields.Field(attribute="spool__code", column_name="spool")
    production_run = fields.Field(attribute="production_run__run_number", column_name="production_run")
    user = fields.Field(attribute="user__username", column_name="user")

    class Meta:
        model = InventoryTransaction
        fields = (
            "occurred_at",
            "tenant",
            "spool",
            "sequence",
            "type",
            "weight_before_g",
            "weight_change_g",
            "weight_after_g",
            "production_run",
            "user",
            "description",
        )
        export_order = fields
