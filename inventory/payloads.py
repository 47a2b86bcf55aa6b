"""Inventory's records as the API shows them: the one place that renders them.

The services call these for their events' payloads; a service itself never renders.
"""

from typing import Any

from inventory import spool_pages
from inventory.models import Material, Spool, Vendor
from inventory.serializers import MaterialSerializer, VendorSerializer


def spool_payload(spool: Spool) -> dict[str, Any]:
    """A spool as the API shows it (its material must be loaded): an event's payload (SpoolSerializer's data,
    written by inventory.spool_pages: a printer's every report records one)."""
    return spool_pages.represent_spool(spool)


def material_payload(material: Material) -> dict[str, Any]:
    return MaterialSerializer(material).data


def vendor_payload(vendor: Vendor) -> dict[str, Any]:
    return VendorSerializer(vendor).data
