"""Output fields built once per class (core/api/representation.py) give exactly DRF's output."""

import pytest
from rest_framework import serializers

from core.api.representation import PlannedRepresentation
from inventory.models import InventoryTransaction, Material, Spool
from inventory.serializers import InventoryTransactionSerializer, MaterialSerializer, SpoolSerializer
from production.models import Printer, Product, ProductionRun
from production.serializers import PrinterSerializer, ProductionRunSerializer, ProductSerializer
from tenants.serializers import TenantOwnedSerializer


def drf_output(serializer_class, instance):
    """What DRF's own `to_representation` makes of `instance`, with fields built for this one serializer."""
    serializer = serializer_class(instance, context={})
    assert isinstance(serializer, PlannedRepresentation)
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def everything(tenant, make_run, make_printer):
    make_run(tenant, printer=make_printer(tenant, name="P1"))
    return {
        MaterialSerializer: Material.objects.all(),
        SpoolSerializer: Spool.objects.with_material(),
        ProductSerializer: Product.objects.all(),
        PrinterSerializer: Printer.objects.all(),
        ProductionRunSerializer: ProductionRun.objects.with_details(),
        InventoryTransactionSerializer: InventoryTransaction.objects.with_references(),
    }


def test_every_tenant_owned_serializer_plans_its_output():
    assert issubclass(TenantOwnedSerializer, PlannedRepresentation)


def test_the_planned_output_is_drfs(everything):
    for serializer_class, queryset in everything.items():
        rows = list(queryset)
        assert rows, serializer_class
        planned = serializer_class(rows, many=True).data
        assert [dict(row) for row in planned] == [drf_output(serializer_class, row) for row in rows], serializer_class


def test_the_plan_is_built_once_per_class(everything, monkeypatch):
    rows = list(everything[SpoolSerializer])
    expected = SpoolSerializer(rows, many=True).data  # the plan exists from here on
    built = []
    monkeypatch.setattr(SpoolSerializer, "get_fields", lambda self: built.append(self) or {})

    assert SpoolSerializer(rows, many=True).data == expected
    assert built == []
