"""Rows of the Bambu Lab tables for the tests that walk every tenant-owned table."""

from bambu import services
from bambu.models import RunLineProgress, TrayRemainMark


def make_bambu_rows(run):
    """`run`'s printer connected (connection and status), its first line's booked progress, its spool's tray mark."""
    services.save_connection(
        tenant=run.tenant,
        printer=run.printer,
        user=None,
        settings=services.ConnectionSettings(host="192.168.1.50", serial="01P00A391800123", access_code="12345678"),
    )
    material = run.materials.first()
    RunLineProgress.objects.create(tenant=run.tenant, run_material=material, booked_percent=10)
    TrayRemainMark.objects.create(tenant=run.tenant, spool=material.spool, printer=run.printer, remain_percent=90)
