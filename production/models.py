from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.fields import FreeTextField
from core.integrity import CLIENT_UNIQUE
from inventory.models import GRAMS, ZERO, MaterialKind, Spool
from production.status_codes import INITIAL_STATUS, LOCKED_STATUSES, RunStatus
from tenants.models import TenantOwnedModel, TenantQuerySet, scoped_manager
from tenants.scoping import TenantScopedManager

HUNDRED = Decimal("100")
CENTS = Decimal("0.01")
MAX_UNITS_PER_RUN = 1000
# The most rows one request body may list: checked before any lookup, so a huge body is cheap to refuse.
MAX_ITEMS_PER_BODY = 100
MAX_MATERIALS_PER_BODY = 20


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


class Printer(TenantOwnedModel):
    natural_key_field = "name"

    name = models.CharField(max_length=100)
    model = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    notes = FreeTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="printer_unique_tenant_name", violation_error_code=CLIENT_UNIQUE
            )
        ]

    def __str__(self):
        return self.name


class FailureReason(models.TextChoices):
    ADHESION = "adhesion"
    SPAGHETTI = "spaghetti"
    NOZZLE_CLOG = "nozzle_clog"
    LAYER_SHIFT = "layer_shift"
    FILAMENT_RUNOUT = "filament_runout"
    WARPING = "warping"
    POWER_LOSS = "power_loss"
    OTHER = "other"


class RunNumberCounter(TenantOwnedModel):
    """The last run number handed out per tenant and local day; locked while taking the next."""

    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="run_counter_unique_tenant_day")]


class Totals(Protocol):
    """A row whose filament has an estimate and, once known, an actual use: a run, one of its materials."""

    @property
    def estimated_total_g(self) -> Decimal: ...

    @property
    def actual_total_g(self) -> Decimal | None: ...


def variance_of(row: Totals) -> Decimal | None:
    actual = row.actual_total_g
    return None if actual is None else actual - row.estimated_total_g


def percent_of(variance: Decimal | None, estimate: Decimal) -> Decimal | None:
    if variance is None or not estimate:
        return None
    return (variance / estimate * HUNDRED).quantize(CENTS)


class Variance:
    """How far the actual use ran from the estimate: one definition for a run and for each of its materials."""

    @property
    def variance_g(self: Totals) -> Decimal | None:
        return variance_of(self)

    @property
    def variance_percent(self: Totals) -> Decimal | None:
        return percent_of(variance_of(self), self.estimated_total_g)


class ProductionRunQuerySet(TenantQuerySet):
    def with_details(self):
        """Everything the run serializer reads, in a fixed number of queries."""
        return self.select_related("printer", "created_by", "original_run").prefetch_related(
            models.Prefetch("items", queryset=ProductionRunItem.objects.select_related("product")),
            models.Prefetch("materials", queryset=ProductionRunMaterial.objects.select_related("spool__material")),
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
    started_at = models.DateTimeField(default=timezone.now)
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
        return sum((m.estimated_total_g for m in self.children("materials")), ZERO)

    @property
    def actual_total_g(self):
        actuals = [m.actual_total_g for m in self.children("materials")]
        if not actuals or any(a is None for a in actuals):
            return None
        return sum(actuals, ZERO)

    @property
    def material_cost(self):
        costs = [m.actual_cost for m in self.children("materials")]
        if not costs or any(c is None for c in costs):
            return None
        return sum(costs, ZERO).quantize(CENTS)

    @property
    def successful_units(self):
        return sum(item.successful_quantity or 0 for item in self.children("items"))

    @property
    def cost_per_successful_unit(self):
        cost = self.material_cost
        units = self.successful_units
        if cost is None or self.status != RunStatus.COMPLETED or units == 0:
            return None
        return (cost / units).quantize(CENTS)

    @property
    def items_summary(self):
        items = self.children("items")
        if not items:
            return ""
        if len(items) == 1:
            return f"{items[0].product.name} x{items[0].quantity}"
        return f"{len(items)} products"


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


class ProductionRunMaterial(Variance, TenantOwnedModel):
    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="materials")
    spool = models.ForeignKey(Spool, on_delete=models.PROTECT, related_name="run_materials")
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
        ]
        indexes = [models.Index(fields=["tenant", "spool"], name="run_material_tenant_spool")]

    def __str__(self):
        return f"{self.spool} on {self.run_id}"

    @property
    def estimated_total_g(self):
        return (self.estimated_model_g or ZERO) + (self.estimated_flushed_g or ZERO) + (self.estimated_tower_g or ZERO)

    @property
    def actual_total_g(self):
        """Weighings win (before - after); else the sum of the recorded parts; else unknown."""
        if self.spool_weight_before_g is not None and self.spool_weight_after_g is not None:
            return self.spool_weight_before_g - self.spool_weight_after_g
        parts = [self.actual_model_g, self.actual_flushed_g, self.actual_tower_g]
        if all(part is None for part in parts):
            return None
        return sum((part for part in parts if part is not None), ZERO)

    @property
    def actual_cost(self):
        actual = self.actual_total_g
        if actual is None or self.cost_per_gram is None:
            return None
        return actual * self.cost_per_gram


class RunEventAction(models.TextChoices):
    CREATED = "created"
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


class ProductionRunEvent(TenantOwnedModel):
    """Who changed a run, when, and what: one row per state change, written by the service that made it.

    `changes` maps each changed field to `[old, new]` (for a create, the run's items and materials;
    for an item or material, its id and fields). Rows are never edited.
    """

    run = models.ForeignKey(ProductionRun, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=RunEventAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["tenant", "run", "-occurred_at"], name="run_event_tenant_run_occurred")]

    def __str__(self):
        return f"{self.action} {self.run_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
