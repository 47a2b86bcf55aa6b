from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.fields import FreeTextField
from core.integrity import CLIENT_UNIQUE
from inventory.models import GRAMS, ZERO, InventoryTransaction, Material, MaterialKind, Spool, TransactionType
from production import totals
from production.choices import PRIORITY_RANK as PRIORITY_RANK
from production.choices import FailureReason as FailureReason
from production.choices import RunPriority as RunPriority
from production.status_codes import (
    INITIAL_STATUS,
    LOCKED_STATUSES,
    PRINTING_STATUSES,
    RESERVING_STATUSES,
    RunStatus,
)
from production.variance import CENTS as CENTS
from production.variance import HUNDRED as HUNDRED
from production.variance import Variance as Variance
from production.variance import percent_of as percent_of
from production.variance import variance_of as variance_of
from tenants.models import TenantOwnedModel, TenantQuerySet, scoped_manager
from tenants.scoping import TenantScopedManager

MAX_UNITS_PER_RUN = 1000
# The most rows one request body may list: checked before any lookup, so a huge body is cheap to refuse.
MAX_ITEMS_PER_BODY = 100
MAX_MATERIALS_PER_BODY = 20
# A printer's filament slots: 1 for a plain extruder, 4 per AMS unit, up to 8 units.
MAX_SLOTS = 32


class Product(TenantOwnedModel):
    # A body or filter may name a product by it instead of its id (tenants.natural_keys).
    natural_key_field = "sku"

    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = FreeTextField()
    unit_weight_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    material_kind = models.CharField(
        max_length=8, choices=MaterialKind.choices, blank=True, help_text="If set, runs may only use spools of it."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sku"], name="product_unique_tenant_sku", violation_error_code=CLIENT_UNIQUE
            ),
            models.CheckConstraint(
                condition=Q(unit_weight_g__isnull=True) | Q(unit_weight_g__gte=0),
                name="product_unit_weight_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"

    # The browsable API's choices (tenants.serializers.TenantRelatedField): the material kind it allows
    # beside its name, and as data for the plan form's script, which marks the spools that fit.
    def choice_label(self):
        return f"{self.sku} {self.name} ({self.material_kind} only)" if self.material_kind else f"{self} (any material)"

    def choice_data(self):
        return {"kind": self.material_kind}


class PrinterQuerySet(TenantQuerySet):
    def with_current_run(self):
        """`current_run`: the id of the printer's in-progress run (null when idle), one subquery."""
        runs = ProductionRun.objects.filter(printer=OuterRef("pk"), status__in=PRINTING_STATUSES).order_by("pk")
        return self.annotate(current_run=Subquery(runs.values("pk")[:1]))


class PrinterState(models.TextChoices):
    IDLE = "idle", "Idle"
    PRINTING = "printing", "Printing"


class Printer(TenantOwnedModel):
    natural_key_field = "name"

    name = models.CharField(max_length=100)
    model = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    notes = FreeTextField()
    slot_count = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SLOTS)],
        help_text=f"Filament slots (1 to {MAX_SLOTS}): 1 for a plain extruder, 4 per AMS unit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_manager(PrinterQuerySet)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="printer_unique_tenant_name", violation_error_code=CLIENT_UNIQUE
            ),
            models.CheckConstraint(
                condition=Q(slot_count__gte=1, slot_count__lte=MAX_SLOTS), name="printer_slot_count_1_to_32"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def state(self):
        """`printing` while it has an in-progress run (read `with_current_run()`), else `idle`."""
        return PrinterState.PRINTING if getattr(self, "current_run", None) is not None else PrinterState.IDLE


class PrinterSlot(TenantOwnedModel):
    """A spool loaded in one filament slot of a printer. An empty slot has no row.

    A spool sits in at most one slot of its tenant, and a slot holds at most one spool: loading a
    spool elsewhere moves its row (production.services.slots).
    """

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="slots")
    slot = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_SLOTS - 1)])
    spool = models.ForeignKey(Spool, on_delete=models.CASCADE, related_name="printer_slots")
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["printer", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "printer", "slot"], name="printer_slot_unique_tenant_slot"),
            models.UniqueConstraint(fields=["tenant", "spool"], name="printer_slot_unique_tenant_spool"),
            models.CheckConstraint(condition=Q(slot__lt=MAX_SLOTS), name="printer_slot_below_max"),
        ]

    def __str__(self):
        return f"{self.printer} slot {self.slot}: {self.spool}"


class RunNumberCounter(TenantOwnedModel):
    """The last run number handed out per tenant and local day; locked while taking the next."""

    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="run_counter_unique_tenant_day")]


class ProductionRunQuerySet(TenantQuerySet):
    def with_details(self):
        """Everything the run serializer reads, in a fixed number of queries."""
        return self.select_related("printer", "created_by", "original_run").prefetch_related(
            models.Prefetch("items", queryset=ProductionRunItem.objects.select_related("product")),
            models.Prefetch(
                "materials", queryset=ProductionRunMaterial.objects.select_related("spool__material", "material")
            ),
        )


class ActiveRunManager(TenantScopedManager.from_queryset(ProductionRunQuerySet)):
    """Hides soft-deleted runs; `ProductionRun.all_objects` is the explicit way to see them.

    Both managers are tenant-scoped: `all_objects` lifts the soft-delete filter, not the
    tenant scope (that is `tenants.scoping.all_tenants()`, which the admin runs in).
    """

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class ProductionRun(Variance, TenantOwnedModel):
    run_number = models.CharField(max_length=32, editable=False)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=INITIAL_STATUS)
    printer = models.ForeignKey(Printer, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    # Null while the run is planned (see the constraint): it starts when `start/` or a dispatch says so.
    started_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    priority = models.CharField(max_length=8, choices=RunPriority.choices, default=RunPriority.NORMAL)
    planned_start = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True, editable=False)
    estimated_print_time_hours = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    slicer_software = models.CharField(max_length=100, blank=True)
    bed_temperature_c = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(200)])
    nozzle_temperature_c = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(500)])
    quality_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    quality_notes = FreeTextField()
    failure_reason = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    notes = FreeTextField()
    original_run = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reprints")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = ActiveRunManager()
    all_objects = scoped_manager(ProductionRunQuerySet)

    class Meta:
        ordering = ["-started_at", "-run_number"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run_number"], name="run_unique_tenant_number"),
            models.CheckConstraint(
                condition=Q(quality_rating__isnull=True) | Q(quality_rating__gte=1, quality_rating__lte=5),
                name="run_quality_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=F("started_at")),
                name="run_completed_after_start",
            ),
            # A planned run has not started; one that printed has. A run cancelled while planned never started.
            models.CheckConstraint(
                condition=(~Q(status=RunStatus.PLANNED) | Q(started_at__isnull=True))
                & (Q(status__in=[RunStatus.PLANNED, RunStatus.CANCELLED]) | Q(started_at__isnull=False)),
                name="run_started_unless_planned",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-started_at"], name="run_tenant_started"),
            models.Index(fields=["tenant", "status", "-started_at"], name="run_tenant_status_started"),
            models.Index(fields=["tenant", "printer", "-started_at"], name="run_tenant_printer_started"),
        ]

    def __str__(self):
        return self.run_number

    @property
    def is_locked(self):
        return self.status in LOCKED_STATUSES

    @property
    def is_reprint(self):
        return self.original_run_id is not None

    # Totals are computed from the (prefetched) items and materials: one source of truth.
    def children(self, name):
        """The run's `items` or `materials`: the prefetched rows as they are, else a query.

        The same rows as `self.items.all()`, without a related manager and a queryset clone
        built for each total (a page of runs reads them about ten times a run).
        """
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get(name)
        return list(prefetched if prefetched is not None else getattr(self, name).all())

    @property
    def estimated_total_g(self):
        return totals.run_estimate(m.estimated_total_g for m in self.children("materials"))

    @property
    def actual_total_g(self):
        return totals.run_actual([m.actual_total_g for m in self.children("materials")])

    @property
    def material_cost(self):
        return totals.run_cost([m.actual_cost for m in self.children("materials")])

    @property
    def successful_units(self):
        return sum(item.successful_quantity or 0 for item in self.children("items"))

    @property
    def cost_per_successful_unit(self):
        return totals.cost_per_unit(self.material_cost, self.status, self.successful_units)

    @property
    def items_summary(self):
        items = self.children("items")
        if len(items) != 1:
            return totals.items_summary(len(items), None, None)
        return totals.items_summary(1, items[0].product.name, items[0].quantity)


class ProductionRunItem(TenantOwnedModel):
    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="run_items")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS_PER_RUN)])
    successful_quantity = models.PositiveIntegerField(null=True, blank=True)
    failed_quantity = models.PositiveIntegerField(null=True, blank=True)
    bed_position = models.CharField(max_length=50, blank=True)
    notes = FreeTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="run_item_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity__gte=Coalesce(F("successful_quantity"), 0) + Coalesce(F("failed_quantity"), 0)),
                name="run_item_outcomes_within_quantity",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "product"], name="run_item_tenant_product")]

    def __str__(self):
        return f"{self.product} x{self.quantity}"


class RunMaterialQuerySet(TenantQuerySet):
    def with_reserved(self):
        """Each line annotated with `reserved_g`: its estimate less what its printer already reported
        against it (`printer_use` rows), never below 0 (SPEC 8.2), whatever its run's status."""
        reported = (
            InventoryTransaction.objects.filter(
                production_run_material=OuterRef("pk"), type=TransactionType.PRINTER_USE
            )
            .order_by()
            .values("production_run_material")
            .annotate(total=Sum("weight_change_g"))  # negative: what was taken
            .values("total")
        )
        estimate = F("estimated_model_g") + F("estimated_flushed_g") + F("estimated_tower_g")
        return self.annotate(
            reserved_g=Greatest(
                estimate + Coalesce(Subquery(reported, output_field=models.DecimalField(**GRAMS)), ZERO),
                ZERO,
                output_field=models.DecimalField(**GRAMS),
            )
        )

    def reserving(self):
        """The lines that hold grams now: those of planned and in-progress runs that are not deleted,
        with their `reserved_g`. Spools and materials sum them (inventory.models.SpoolQuerySet)."""
        return self.filter(run__status__in=RESERVING_STATUSES, run__deleted_at__isnull=True).with_reserved()


class ProductionRunMaterial(Variance, TenantOwnedModel):
    """One filament line of a run: its spool, or (while the run is planned) only a catalogue material
    that start or dispatch gives a spool of; the estimates, and the actuals once the run ends."""

    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="materials")
    spool = models.ForeignKey(Spool, on_delete=models.PROTECT, related_name="run_materials", null=True, blank=True)
    material = models.ForeignKey(
        Material,
        on_delete=models.PROTECT,
        related_name="run_materials",
        null=True,
        blank=True,
        help_text="A planned line may name only this; it is given a spool of it at start.",
    )
    estimated_model_g = models.DecimalField(**GRAMS, validators=[MinValueValidator(ZERO)])
    estimated_flushed_g = models.DecimalField(**GRAMS, default=ZERO, validators=[MinValueValidator(ZERO)])
    estimated_tower_g = models.DecimalField(**GRAMS, default=ZERO, validators=[MinValueValidator(ZERO)])
    spool_weight_before_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    spool_weight_after_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    actual_model_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    actual_flushed_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    actual_tower_g = models.DecimalField(**GRAMS, null=True, blank=True, validators=[MinValueValidator(ZERO)])
    # The spool's price / initial weight at assignment: up to 99999999.99 / 0.01 = 9999999999.0000.
    cost_per_gram = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(RunMaterialQuerySet)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "run", "spool"], name="run_material_unique_spool", violation_error_code=CLIENT_UNIQUE
            ),
            models.CheckConstraint(
                condition=Q(estimated_model_g__gte=0, estimated_flushed_g__gte=0, estimated_tower_g__gte=0),
                name="run_material_estimates_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(spool__isnull=False) | Q(material__isnull=False), name="run_material_spool_or_material"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "spool"], name="run_material_tenant_spool"),
            models.Index(fields=["tenant", "material"], name="run_material_tenant_material"),
        ]

    def __str__(self):
        return f"{self.spool or self.material} on {self.run_id}"

    @property
    def line_material(self):
        """The catalogue material the line prints: its spool's, else the one it names."""
        return self.spool.material if self.spool_id is not None else self.material

    @property
    def label(self):
        """How messages name the line: its spool's code, else its material."""
        if self.spool_id is not None:
            return self.spool.code
        return f"{self.material.name} (material {self.material.number})"

    @property
    def estimated_total_g(self):
        return totals.line_estimate(self.estimated_model_g, self.estimated_flushed_g, self.estimated_tower_g)

    @property
    def actual_total_g(self):
        """Weighings win (before - after); else the sum of the recorded parts; else unknown."""
        return totals.line_actual(
            self.spool_weight_before_g,
            self.spool_weight_after_g,
            self.actual_model_g,
            self.actual_flushed_g,
            self.actual_tower_g,
        )

    @property
    def actual_cost(self):
        return totals.line_cost(self.actual_total_g, self.cost_per_gram)


class RunHistoryAction(models.TextChoices):
    CREATED = "created"
    STARTED = "started"
    UPDATED = "updated"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    DELETED = "deleted"
    RESTORED = "restored"
    ITEM_ADDED = "item_added"
    ITEM_CHANGED = "item_changed"
    ITEM_REMOVED = "item_removed"
    MATERIAL_ADDED = "material_added"
    MATERIAL_CHANGED = "material_changed"
    MATERIAL_REMOVED = "material_removed"


class RunHistoryEntry(TenantOwnedModel):
    """Who changed a run, when, and what: one row per state change, written by the service that made it.

    `changes` maps each changed field to `[old, new]` (for a create, the run's items and materials;
    for an item or material, its id and fields). Rows are never edited.
    """

    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=20, choices=RunHistoryAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "run history entries"
        indexes = [models.Index(fields=["tenant", "run", "-occurred_at"], name="run_history_tenant_run_time")]

    def __str__(self):
        return f"{self.action} {self.run_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
