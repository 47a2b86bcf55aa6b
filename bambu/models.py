"""Bambu Lab printers on the LAN: a printer's connection settings, what the bridge last heard from it,
and the marks that keep its reported use from being booked twice."""

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.integrity import CLIENT_UNIQUE
from inventory.models import Spool
from production.models import Printer, ProductionRunMaterial
from tenants.models import TenantOwnedModel

DEFAULT_PORT = 8883
# A host name or an IPv4/IPv6 address, nothing else: no scheme, path, user or port.
HOST_NAME = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def validate_host(value):
    """A host name or an IPv4/IPv6 address, nothing else: no scheme, port, path or user."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not HOST_NAME.match(value) or value.replace(".", "").isdigit():
            raise ValidationError(
                "Give a host name or an IP address (no scheme, port or path).", code="invalid_host"
            ) from None


validate_serial = RegexValidator(r"^[A-Za-z0-9]{1,32}$", "A printer's serial number is letters and digits.")


class ConnectionKind(models.TextChoices):
    BAMBU_LAN = "bambu_lan", "Bambu Lab, LAN mode (MQTT over TLS)"


class ConnectionState(models.TextChoices):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"
    # Not stored: what the status of a printer without a connection says.
    NOT_CONFIGURED = "not_configured"


class PrinterConnection(TenantOwnedModel):
    """How the bridge reaches one printer. Written by an admin through the API; read by the bridge.

    The access code is stored encrypted (bambu/credentials.py) and never answered. `version`
    grows with each change, so the bridge reconnects with the new settings and a report that
    arrives over the old connection is dropped.
    """

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=16, choices=ConnectionKind.choices, default=ConnectionKind.BAMBU_LAN)
    host = models.CharField(max_length=253, validators=[validate_host])
    port = models.PositiveIntegerField(
        default=DEFAULT_PORT, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    serial = models.CharField(max_length=32, validators=[validate_serial])
    access_code_encrypted = models.TextField(editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["printer__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "printer"],
                name="printer_connection_unique_printer",
                violation_error_code=CLIENT_UNIQUE,
            ),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="printer_connection_port_range"),
        ]

    def __str__(self):
        return f"{self.printer} at {self.host}:{self.port}"


class PrinterStatus(TenantOwnedModel):
    """What the bridge last heard from a connected printer (one row per connection, written by the bridge only)."""

    connection = models.ForeignKey(PrinterConnection, on_delete=models.CASCADE, related_name="statuses")
    connection_state = models.CharField(
        max_length=16, choices=ConnectionState.choices, default=ConnectionState.DISCONNECTED
    )
    # Why the last attempt failed (a network error, a refused login); never the access code.
    error = models.CharField(max_length=255, blank=True)
    gcode_state = models.CharField(max_length=16, blank=True)
    progress_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    remaining_minutes = models.PositiveIntegerField(null=True, blank=True)
    layer = models.PositiveIntegerField(null=True, blank=True)
    total_layers = models.PositiveIntegerField(null=True, blank=True)
    nozzle_temperature_c = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    bed_temperature_c = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    job_name = models.CharField(max_length=255, blank=True)
    # [{slot, ams_unit, tray, type, color_hex, remain_percent, tag_uid, tray_uuid}] (bambu/reports.py).
    trays = models.JSONField(default=list, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "printer statuses"
        ordering = ["-changed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "connection"], name="printer_status_unique_connection"),
        ]

    def __str__(self):
        return f"{self.connection_state} {self.gcode_state}".strip()


class RunLineProgress(TenantOwnedModel):
    """How far a run line's use is booked from its printer's progress: the idempotence of the booking.

    Read and advanced under the line's spool lock (bambu.services.book_progress): a report whose
    percent is not above `booked_percent` books nothing, however often or late it arrives.
    """

    run_material = models.ForeignKey(ProductionRunMaterial, on_delete=models.CASCADE, related_name="+")
    booked_percent = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "run line progress"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run_material"], name="run_line_progress_unique_material"),
            models.CheckConstraint(condition=Q(booked_percent__lte=100), name="run_line_progress_at_most_100"),
        ]

    def __str__(self):
        return f"{self.run_material_id} at {self.booked_percent} %"


class TrayRemainMark(TenantOwnedModel):
    """The lowest `remain` a printer reported for a tagged spool: a drop below it is booked, once.

    Only ever lowered (an older or repeated report shows as much or more and books nothing);
    lowered without booking while the printer prints a run, whose progress books the use.
    """

    spool = models.ForeignKey(Spool, on_delete=models.CASCADE, related_name="+")
    printer = models.ForeignKey(Printer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    remain_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "spool"], name="tray_remain_mark_unique_spool"),
        ]

    def __str__(self):
        return f"{self.spool_id} at {self.remain_percent} %"
