"""A run's choices beside its states (production/status_codes.py): its priority in the queue, why it failed."""

from django.db import models


class RunPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Dispatch order: the higher rank first (a Case over `priority` in production.selectors).
PRIORITY_RANK = {RunPriority.URGENT: 3, RunPriority.HIGH: 2, RunPriority.NORMAL: 1, RunPriority.LOW: 0}


class FailureReason(models.TextChoices):
    ADHESION = "adhesion"
    SPAGHETTI = "spaghetti"
    NOZZLE_CLOG = "nozzle_clog"
    LAYER_SHIFT = "layer_shift"
    FILAMENT_RUNOUT = "filament_runout"
    WARPING = "warping"
    POWER_LOSS = "power_loss"
    OTHER = "other"
