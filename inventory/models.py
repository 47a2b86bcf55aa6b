import functools
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from core.expressions import ToDecimal
from core.fields import FREE_TEXT_MAX_LENGTH, FreeTextField
from core.integrity import CLIENT_UNIQUE
from core.prepared import OuterColumn, compiled_sql
from tenants.models import TenantOwnedModel, TenantQuerySet, scoped_manager
from tenants.scoping import all_tenants

GRAMS = {"max_digits": 10, "decimal_places": 2}
ZERO = Decimal("0")
HUNDRED = Decimal("100")
DEFAULT_LOW_STOCK_PERCENT = Decimal("20")


class MaterialKind(models.TextChoices):
    # Labels as the trade writes them (Django would title-case the names: "Pla", "Petg").
    PLA = "PLA", "PLA"
    PETG = "PETG", "PETG"
    ABS = "ABS", "ABS"
    ASA = "ASA", "ASA"
    TPU = "TPU", "TPU"
    PA = "PA", "PA (nylon)"
    PC = "PC", "PC"
    OTHER = "OTHER", "Other"


class NumberCounter(TenantOwnedModel):
    """The last `number` handed out per tenant and kind of record; locked while taking the next."""

    kind = models.CharField(max_length=16)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="number_counter_unique_tenant_kind")]

    def __str__(self):
        return f"{self.kind} {self.last_number}"


def next_number(*, tenant_id, kind) -> int:
    """The tenant's next number for `kind` (1, 2, 3...): the counter row is locked until the transaction ends.

    Numbers are never handed out twice, not even after a delete: a printer that remembers
    spool 7 must never find another spool under that number.
    """
    return take_numbers(tenant_id=tenant_id, kind=kind, count=1)


def take_numbers(*, tenant_id, kind, count) -> int:
    """The first of the tenant's next `count` numbers for `kind` (an import numbers its rows at once)."""
    from core.locking import lock_rows

    counters = NumberCounter.objects.filter(tenant_id=tenant_id, kind=kind)
    counters.get_or_create(tenant_id=tenant_id, kind=kind)
    (counter,) = lock_rows(counters)
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return counter.last_number - count + 1


class NumberedModel(TenantOwnedModel):
    """A tenant-owned record with a per-tenant integer `number`, taken from its counter on first save.

    Spoolman's clients name spools and filaments by integer ids (Moonraker asserts an int),
    so every spool and material gets one beside its UUID.
    """

    number_kind = ""
    number_key_field = "number"  # a body or filter may name the record by it (tenants.natural_keys)

    number = models.PositiveIntegerField(
        editable=False, help_text="Per-tenant number (1, 2, 3...), never reused; the id Spoolman clients use."
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.number is None:
            with transaction.atomic():
                self.number = next_number(tenant_id=self.tenant_id, kind=self.number_kind)
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)


def reserving_lines(model):
    """The run material lines that reserve grams now, each with its `reserved_g` (SPEC 8.2).

    Reached through `model`'s reverse relation `run_materials` (production's lines): inventory
    is a floor below production and names its models only by relation.
    """
    return model._meta.get_field("run_materials").related_model.objects.reserving()


def summed(lines, field, outer=None):
    """The sum of `lines`' `reserved_g` per `field` (= the outer row, or `outer`), 0 when none: a subquery."""
    lines = lines.filter(**{field: OuterRef("pk") if outer is None else outer})
    total = lines.order_by().values(field).annotate(total=Sum("reserved_g"))
    return Coalesce(Subquery(total.values("total"), output_field=models.DecimalField(**GRAMS)), ZERO)


class MaterialQuerySet(TenantQuerySet):
    def with_reservations(self):
        """`reserved_g`: what planned and in-progress runs hold on this material (lines naming only the
        material, and lines on its active spools); `available_g`: its active spools' grams less that."""
        lines = reserving_lines(self.model)
        stock = (
            Spool.objects.filter(material=OuterRef("pk"), is_active=True)
            .order_by()
            .values("material")
            .annotate(total=Sum("current_weight_g"))
            .values("total")
        )
        return self.annotate(
            reserved_g=summed(lines.filter(spool__isnull=True), "material")
            + summed(lines.filter(spool__is_active=True), "spool__material"),
            available_g=Coalesce(Subquery(stock, output_field=models.DecimalField(**GRAMS)), ZERO) - F("reserved_g"),
        )


# Bounds of a record's extra fields (Spoolman's keys are at most 64 characters).
MAX_EXTRA_FIELDS = 100
MAX_EXTRA_KEY_LENGTH = 64


def validate_extra(value):
    """Spoolman's extra fields: a JSON object of {key: JSON text} (each value a string holding JSON), bounded."""
    if not isinstance(value, dict) or not all(
        isinstance(key, str)
        and 0 < len(key) <= MAX_EXTRA_KEY_LENGTH
        and isinstance(text, str)
        and len(text) <= FREE_TEXT_MAX_LENGTH
        for key, text in value.items()
    ):
        raise ValidationError(
            f"extra is an object of {{key: JSON text}}: keys of 1 to {MAX_EXTRA_KEY_LENGTH} characters, "
            f"texts of at most {FREE_TEXT_MAX_LENGTH}.",
            code="invalid_extra",
        )
    if len(value) > MAX_EXTRA_FIELDS:
        raise ValidationError(f"extra holds at most {MAX_EXTRA_FIELDS} fields.", code="invalid_extra")


def extra_field():
    # A default in the table too (as for the other columns Spoolman brought): rows written outside Django
    # (a raw INSERT, a restore) get none, not an error.
    return models.JSONField(
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),
        blank=True,
        validators=[validate_extra],
        help_text="Extra fields: {key: JSON text}.",
    )


class Vendor(NumberedModel):
    """A filament maker (Spoolman's vendor). Names may repeat within a tenant: a body names one by its
    name only when exactly one vendor has it (inventory.services.vendor_by_name)."""

    number_kind = "vendor"

    name = models.CharField(max_length=64, blank=True)
    comment = models.CharField(max_length=1024, blank=True)
    empty_spool_weight_g = models.DecimalField(
        **GRAMS,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="The weight of an empty spool of this vendor, in grams.",
    )
    external_id = models.CharField(max_length=256, blank=True)
    extra = extra_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "name"], name="vendor_tenant_name")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="vendor_unique_tenant_number"),
            models.CheckConstraint(
                condition=Q(empty_spool_weight_g__isnull=True) | Q(empty_spool_weight_g__gte=0),
                name="vendor_empty_weight_not_negative",
            ),
        ]

    def __str__(self):
        return self.choice_label()

    def choice_label(self):
        return f"#{self.number} {self.name}" if self.number is not None else self.name


class Material(NumberedModel):
    number_kind = "material"
    # The admin's and browsable API's choice lists name a material with its vendor (`choice_label`).
    choice_related = ("vendor",)

    name = models.CharField(max_length=100, blank=True)
    # Spoolman's filament vendor; a vendor's delete leaves its materials without one (as Spoolman does).
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="materials")
    kind = models.CharField(max_length=8, choices=MaterialKind.choices)
    # Spoolman's free-text `material` ("PLA+", "Silk PLA"); `kind` is our choice of it.
    material_name = models.CharField(max_length=64, blank=True, default="", db_default="")
    color_name = models.CharField(max_length=50, blank=True)
    # `#RRGGBB` through our API; Spoolman's clients may also send an alpha channel (`#RRGGBBAA`), kept.
    color_hex = models.CharField(
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use the form #RRGGBB.", code="invalid_color")],
    )
    diameter_mm = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.75"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    density_g_cm3 = models.DecimalField(
        max_digits=5, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(Decimal("0.001"))]
    )
    notes = FreeTextField()
    # Spoolman's filament fields, stored as it sends them (with defaults in the table too, as `extra_field`).
    price = models.DecimalField(
        **GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)], help_text="The price of a full spool."
    )
    weight_g = models.DecimalField(
        **GRAMS,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="The net filament weight of a full spool, in grams.",
    )
    spool_weight_g = models.DecimalField(
        **GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)], help_text="The weight of an empty spool."
    )
    article_number = models.CharField(max_length=64, blank=True, default="", db_default="")
    settings_extruder_temp = models.PositiveIntegerField(null=True, blank=True, help_text="Extruder temperature, °C.")
    settings_bed_temp = models.PositiveIntegerField(null=True, blank=True, help_text="Bed temperature, °C.")
    multi_color_hexes = models.CharField(max_length=128, blank=True, default="", db_default="")
    multi_color_direction = models.CharField(max_length=16, blank=True, default="", db_default="")
    external_id = models.CharField(max_length=256, blank=True, default="", db_default="")
    extra = extra_field()
    # When Spoolman's API deleted it while spools removed there (`Spool.removed_at`) still named it
    # (inventory.services.remove_material): kept for their ledger, gone from Spoolman's API (404),
    # still shown by ours (as such spools are).
    removed_at = models.DateTimeField(null=True, blank=True)
    # The low-stock rule (`Spool.is_low_stock`): below `low_stock_threshold_g` grams when set,
    # else below `low_stock_threshold_percent` of the spool's initial weight.
    low_stock_threshold_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_LOW_STOCK_PERCENT,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
        help_text="A spool is low on stock below this share of its initial weight (default 20 %), "
        "unless low_stock_threshold_g is set.",
    )
    low_stock_threshold_g = models.DecimalField(
        **GRAMS,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="If set, a spool is low on stock below this many grams, whatever its initial weight "
        "(it wins over the percentage).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(MaterialQuerySet)

    # Not columns: what `MaterialQuerySet.with_reservations` annotates (or a new material is given).
    reserved_g: Decimal
    available_g: Decimal

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "name"], name="material_tenant_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(low_stock_threshold_percent__gte=0, low_stock_threshold_percent__lte=100),
                name="material_low_stock_percent_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(low_stock_threshold_g__isnull=True) | Q(low_stock_threshold_g__gte=0),
                name="material_low_stock_grams_not_negative",
            ),
            models.CheckConstraint(condition=Q(diameter_mm__gt=0), name="material_diameter_positive"),
            models.CheckConstraint(
                condition=Q(density_g_cm3__isnull=True) | Q(density_g_cm3__gt=0), name="material_density_positive"
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="material_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(weight_g__isnull=True) | Q(weight_g__gte=0), name="material_weight_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(spool_weight_g__isnull=True) | Q(spool_weight_g__gte=0),
                name="material_spool_weight_not_negative",
            ),
            models.UniqueConstraint(fields=["tenant", "number"], name="material_unique_tenant_number"),
        ]

    def __str__(self):
        # The admin's choices (autocomplete, filters) name it as the API's choice lists do.
        return self.choice_label()

    def choice_label(self):
        """How choice lists and report legends name it: names repeat (two "PLA Basic"), so with its
        number, kind, colour and vendor: `#3 PLA Basic (PLA) · Red · Acme` (read it with `vendor` joined)."""
        number = f"#{self.number} " if self.number is not None else ""
        return " · ".join(
            part for part in (f"{number}{self.name} ({self.kind})", self.color_name, self.vendor_name) if part
        )

    @property
    def vendor_name(self) -> str:
        """The vendor's name, "" without one (the REST API's `brand`)."""
        return self.vendor.name if self.vendor_id is not None else ""

    def choice_data(self):
        """The plan form's script marks a material of a kind the chosen products do not allow."""
        return {"kind": self.kind}

    def low_stock_threshold_for(self, initial_weight_g):
        """The weight below which a spool of this material with `initial_weight_g` is low on stock."""
        if self.low_stock_threshold_g is not None:
            return self.low_stock_threshold_g
        return initial_weight_g * self.low_stock_threshold_percent / HUNDRED


def spool_low_stock_threshold():
    """`Material.low_stock_threshold_for` in SQL: a spool queryset's low-stock weight."""
    return Coalesce(
        F("material__low_stock_threshold_g"),
        ToDecimal(F("initial_weight_g") * F("material__low_stock_threshold_percent")) / HUNDRED,
        output_field=models.DecimalField(),
    )


# What `SpoolQuerySet.for_floor` reads with a spool beside its columns (its API representation's
# `reserved_g`, `available_g` and `loaded_in`).
SPOOL_FLOOR_ANNOTATIONS = ("reserved_g", "loaded_printer_id", "loaded_printer_name", "loaded_slot")


def as_new_on_the_floor(spool):
    """A spool just bought: in no plan and in no slot (what `for_floor` would read for it)."""
    spool.reserved_g = ZERO
    spool.loaded_printer_id = spool.loaded_printer_name = spool.loaded_slot = None
    return spool


# What an RFID identity's characters may be once normalized (`normalize_rfid_uid`): hex, as printers report it.
RFID_UID_PATTERN = r"^[0-9A-F]{8,64}$"


def normalize_rfid_uid(value: str) -> str:
    """An RFID identity as stored and compared: upper case, without the `:`, `-` or spaces people type."""
    return value.replace(":", "").replace("-", "").replace(" ", "").upper()


def validate_rfid_uid(value):
    if not re.match(RFID_UID_PATTERN, value) or not value.strip("0"):
        raise ValidationError(
            "An RFID identity is 8 to 64 hexadecimal digits (e.g. a Bambu Lab spool's tray UUID), not all zeros.",
            code="invalid_rfid_uid",
        )


def spool_reserved_g(model, spool, **same_tenant):
    """The grams planned and in-progress runs hold on the spool `spool` names (`OuterRef` or `OuterColumn`)."""
    return summed(reserving_lines(model).filter(**same_tenant), "spool", spool)


def spool_slot(model, spool, **same_tenant):
    """Where the spool `spool` names is loaded: `loaded_printer_id`, `loaded_printer_name`, `loaded_slot`
    (null when nowhere). Subqueries, not a join: the spool row can still be locked `FOR UPDATE` with them."""
    slots = model._meta.get_field("printer_slots").related_model.objects.filter(spool=spool, **same_tenant)
    return {
        "loaded_printer_id": Subquery(slots.values("printer_id")[:1], output_field=models.UUIDField()),
        "loaded_printer_name": Subquery(slots.values("printer__name")[:1]),
        "loaded_slot": Subquery(slots.values("slot")[:1]),
    }


@functools.cache
def floor_columns(model, using):
    """`for_floor`'s annotations, compiled once per process and database: {name: RawSQL}.

    Compiled outside any request, so in `all_tenants()` (the subqueries are not run here): each
    is confined to the outer spool row's tenant by the `tenant` it is correlated to, as the
    request's scope would confine it (and PostgreSQL's row security again when it runs). The
    expressions themselves are kept: the ORM copies them into each queryset with the identity
    it hashes them by, which costs as much to work out again as their SQL is to compile.
    """
    spool, tenant = OuterColumn(model, "id"), OuterColumn(model, "tenant")
    with all_tenants():
        expressions = {
            "reserved_g": spool_reserved_g(model, spool, tenant=tenant),
            **spool_slot(model, spool, tenant=tenant),
        }
        compiled = {name: compiled_sql(model, expression, using) for name, expression in expressions.items()}
    columns = {name: RawSQL(sql, params, output_field=field) for name, (sql, params, field) in compiled.items()}
    for column in columns.values():
        column.identity  # noqa: B018  (worked out now, kept in the copies each queryset makes)
    return columns


class SpoolQuerySet(TenantQuerySet):
    def with_material(self):
        return self.select_related("material")

    def with_reservations(self):
        """`reserved_g`: the grams planned and in-progress runs hold on the spool, in SQL (one subquery,
        no extra query); `Spool.available_g` is the current weight less that (negative when over-booked)."""
        return self.annotate(reserved_g=spool_reserved_g(self.model, OuterRef("pk")))

    def with_slot(self):
        """`loaded_printer_id`, `loaded_printer_name`, `loaded_slot`: where the spool is loaded (null when
        nowhere)."""
        return self.annotate(**spool_slot(self.model, OuterRef("pk")))

    def available_below(self, threshold):
        """Spools whose available grams (current less reserved) are below `threshold` (an expression)."""
        return (
            self.with_reservations()
            .alias(available=F("current_weight_g") - F("reserved_g"))
            .filter(available__lt=threshold)
        )

    def for_floor(self):
        """What the spool endpoints show: material, reservations and slot.

        `with_reservations()` and `with_slot()` from their SQL compiled once (`floor_columns`):
        resolving and compiling those four correlated subqueries cost about 1.5 ms of CPU on each
        request of the spool endpoints. Their SQL names the outer spool table by its name, so such a
        queryset is read as itself, never nested in another query (nest the two methods instead).
        """
        return self.with_material().annotate(**floor_columns(self.model, self.db))

    def low_stock(self):
        """Spools below their material's threshold (`Material.low_stock_threshold_for`)."""
        return self.filter(current_weight_g__lt=spool_low_stock_threshold())


class Spool(NumberedModel):
    # A body or filter may name a spool by it (or its `number`) instead of its id
    # (tenants.natural_keys). Materials have none: their names are not unique per tenant.
    natural_key_field = "code"
    number_kind = "spool"

    code = models.CharField(max_length=50)
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="spools")
    initial_weight_g = models.DecimalField(**GRAMS, validators=[MinValueValidator(Decimal("0.01"))])
    # Written only by inventory.services.record_movements, together with a ledger row.
    current_weight_g = models.DecimalField(**GRAMS, default=ZERO, editable=False)
    # How many ledger rows the spool has; each row stores its position, unique per spool.
    ledger_version = models.PositiveIntegerField(default=0, editable=False)
    # Printer-reported use below a cent, not booked yet: carried into the next report, so many small
    # reports add up to what was printed instead of each being rounded (spoolman.services.report_use).
    unbooked_use_g = models.DecimalField(max_digits=12, decimal_places=6, default=ZERO, editable=False)
    # Printer-reported use beyond what the spool held (the ledger books it to 0 g, each row's
    # `excess_g` the rest): Spoolman shows it in `used_weight` (past the initial weight). Kept by the
    # use's own UPDATE (spoolman.services.report_use); a weighing or a PATCH of its weights resets it.
    overused_g = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, db_default=ZERO, editable=False)
    empty_spool_weight_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    purchase_price = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    purchased_at = models.DateField(null=True, blank=True)
    supplier = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    # The spool's RFID tag identity (a Bambu Lab spool's `tray_uuid`): a printer that reports it in a tray
    # has this spool loaded there (bambu/). Optional; unique per tenant when set.
    rfid_uid = models.CharField(
        "RFID UID",
        max_length=64,
        blank=True,
        # In the table too: rows written outside Django (a raw INSERT, a restore) get no tag, not an error.
        default="",
        db_default="",
        validators=[validate_rfid_uid],
        help_text="The spool's RFID tag identity (Bambu Lab: the tray UUID), hexadecimal; optional.",
    )
    # Spoolman's spool fields, stored as it sends them.
    lot_nr = models.CharField("lot number", max_length=64, blank=True, default="", db_default="")
    comment = models.CharField(max_length=1024, blank=True, default="", db_default="")
    extra = extra_field()
    # The moments of its first and last use row (printer_use, usage, waste): kept by
    # inventory.services.record_movements, settable through Spoolman's API.
    first_used = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    # When Spoolman's API deleted it while it had history (inventory.services.remove_spool): archived,
    # its ledger kept, and gone from Spoolman's lists and lookups (404), as a deleted spool is there.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(SpoolQuerySet)

    # Not columns: what `SpoolQuerySet.for_floor` annotates (`SPOOL_FLOOR_ANNOTATIONS`, or
    # `as_new_on_the_floor` sets).
    reserved_g: Decimal
    loaded_printer_id: uuid.UUID | None
    loaded_printer_name: str | None
    loaded_slot: int | None

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="spool_unique_tenant_code", violation_error_code=CLIENT_UNIQUE
            ),
            models.UniqueConstraint(fields=["tenant", "number"], name="spool_unique_tenant_number"),
            models.UniqueConstraint(
                fields=["tenant", "rfid_uid"],
                condition=~Q(rfid_uid=""),
                name="spool_unique_tenant_rfid_uid",
                violation_error_code=CLIENT_UNIQUE,
            ),
            # 0: not known. Spoolman registers a spool whose filament states no weight without one; our
            # own API and forms still ask for a positive weight (the field's validator).
            models.CheckConstraint(condition=Q(initial_weight_g__gte=0), name="spool_initial_weight_not_negative"),
            models.CheckConstraint(condition=Q(current_weight_g__gte=0), name="spool_current_weight_not_negative"),
            models.CheckConstraint(
                condition=Q(empty_spool_weight_g__isnull=True) | Q(empty_spool_weight_g__gte=0),
                name="spool_empty_weight_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(purchase_price__isnull=True) | Q(purchase_price__gte=0),
                name="spool_price_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "material"], name="spool_tenant_material")]

    def __str__(self):
        return self.code

    def clean_fields(self, exclude=None):
        # The admin's form and the CSV import validate the stored form: "04:a3:..." is "04A3...".
        self.rfid_uid = normalize_rfid_uid(self.rfid_uid or "")
        super().clean_fields(exclude=exclude)

    # The browsable API's choices (tenants.serializers.TenantRelatedField) name a spool by its code,
    # material and colour, and what it holds now.
    choice_related = ("material",)

    def choice_label(self):
        return f"{self.code} - {self.material.name} {self.material.color_name} ({self.current_weight_g} g)"

    def choice_data(self):
        """What the plan form's script needs to mark a spool that does not fit: its kind and its free grams
        (what it holds less what planned runs reserve, where a queryset gives `available_g`)."""
        available = getattr(self, "available_g", None)
        return {
            "kind": self.material.kind,
            "available-g": str(self.current_weight_g if available is None else available),
        }

    @property
    def available_g(self):
        """Current weight less what runs reserve (read `with_reservations()`; AttributeError without it)."""
        return self.current_weight_g - self.reserved_g

    @property
    def remaining_percent(self):
        return remaining_percent(self.current_weight_g, self.initial_weight_g)

    @property
    def low_stock_threshold_g(self):
        return self.material.low_stock_threshold_for(self.initial_weight_g)

    @property
    def is_low_stock(self):
        return self.current_weight_g < self.low_stock_threshold_g

    @property
    def cost_per_gram(self):
        return cost_per_gram(self.purchase_price, self.initial_weight_g)


def remaining_percent(current_weight_g, initial_weight_g):
    """How much of a spool is left, in percent of what it held (0 when that is not known)."""
    if not initial_weight_g:  # not known (a spool registered through Spoolman without a weight)
        return Decimal("0.00")
    return (current_weight_g / initial_weight_g * 100).quantize(Decimal("0.01"))


def cost_per_gram(purchase_price, initial_weight_g):
    """A spool's price per gram bought; None without a price or a weight."""
    if purchase_price is None or not initial_weight_g:
        return None
    return (purchase_price / initial_weight_g).quantize(Decimal("0.0001"))


class TransactionType(models.TextChoices):
    PURCHASE = "purchase"
    USAGE = "usage"
    WASTE = "waste"
    ADJUSTMENT = "adjustment"
    COUNT = "count"
    REVERSAL = "reversal"
    # Filament a printer reported through the Spoolman-compatible API (spoolman.services).
    PRINTER_USE = "printer_use"


CONSUMPTION_TYPES = (TransactionType.USAGE, TransactionType.WASTE, TransactionType.PRINTER_USE)
# The types of a manual correction (`inventory.services.adjust_spool`).
ADJUSTMENT_TYPES = (TransactionType.ADJUSTMENT, TransactionType.COUNT, TransactionType.WASTE)


class InventoryTransactionQuerySet(TenantQuerySet):
    def with_references(self):
        reversal = InventoryTransaction.objects.filter(reversal_of=OuterRef("pk")).values("pk")[:1]
        return self.select_related("spool", "user", "production_run", "printer").annotate(
            reversed_by_id=Subquery(reversal)
        )

    def consumption(self):
        """Usage and waste rows that no reversal has undone: filament really consumed.

        A reopened run's rows are undone by its reversals, so its grams count only once it
        ends again (at its new end), not twice and not in the period it was first ended.
        """
        reversal = InventoryTransaction.objects.filter(reversal_of=OuterRef("pk"))
        return self.filter(type__in=CONSUMPTION_TYPES).exclude(Exists(reversal))

    def unreversed_consumption_of(self, run):
        """The run's usage and waste rows that no reversal has undone yet: what it holds of the stock."""
        return self.filter(
            production_run=run,
            type__in=[TransactionType.USAGE, TransactionType.WASTE],
            reversals__isnull=True,
        )


class InventoryTransaction(TenantOwnedModel):
    """One immutable ledger row: a change of one spool's weight."""

    spool = models.ForeignKey(Spool, on_delete=models.PROTECT, related_name="transactions")
    sequence = models.PositiveIntegerField(editable=False)
    type = models.CharField(max_length=12, choices=TransactionType.choices)
    weight_before_g = models.DecimalField(**GRAMS)
    weight_change_g = models.DecimalField(**GRAMS)
    weight_after_g = models.DecimalField(**GRAMS)
    production_run = models.ForeignKey(
        "production.ProductionRun", on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    production_run_material = models.ForeignKey(
        "production.ProductionRunMaterial",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    # At most one reversal per row (see the constraint); a plain FK keeps that unique per tenant.
    reversal_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    # A `printer_use` row: the printer that reported it, the client that sent it, and the grams it
    # reported beyond what the spool held (booked anyway: the spool went to zero).
    printer = models.ForeignKey(
        "production.Printer", on_delete=models.PROTECT, null=True, blank=True, related_name="reported_use"
    )
    source = models.CharField(max_length=100, blank=True)
    excess_g = models.DecimalField(**GRAMS, default=ZERO)

    objects = scoped_manager(InventoryTransactionQuerySet)

    class Meta:
        ordering = ["-occurred_at", "-sequence"]
        constraints = [
            # Two writers claiming the same place in a spool's chain is a lost update: refuse it.
            models.UniqueConstraint(fields=["tenant", "spool", "sequence"], name="ledger_unique_spool_sequence"),
            models.UniqueConstraint(fields=["tenant", "reversal_of"], name="ledger_unique_reversal"),
            # Rounded to the cent because SQLite adds decimals as binary floats (988.53 - 0.20 != 988.33).
            models.CheckConstraint(
                condition=Q(weight_after_g=Round(F("weight_before_g") + F("weight_change_g"), 2)),
                name="ledger_row_balances",
            ),
            models.CheckConstraint(condition=Q(weight_after_g__gte=0), name="ledger_after_not_negative"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="ledger_tenant_occurred"),
            models.Index(fields=["tenant", "production_run"], name="ledger_tenant_run"),
        ]

    def __str__(self):
        return f"{self.spool} {self.type} {self.weight_change_g:+} g"
