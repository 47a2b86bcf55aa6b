"""Edits of a run's items and materials apply to the row as it is once the run is locked.

The "other request" runs deterministically between the edit's read of the row and its
write, by wrapping the view's `get_object`.
"""

from decimal import Decimal

import pytest

from production import services
from production.models import ProductionRunItem, ProductionRunMaterial
from production.nested_views import RunItemViewSet, RunMaterialViewSet
from production.services import ItemChanges, MaterialChanges

RUNS = "/api/v1/production-runs/"


@pytest.fixture
def run(tenant, make_run):
    return make_run(tenant)


def after_reading(get_object, concurrent):
    def read_then_concurrent(*args, **kwargs):
        read = get_object(*args, **kwargs)
        concurrent(read)
        return read

    return read_then_concurrent


def test_item_edit_keeps_a_field_another_request_changed_meanwhile(api, run, monkeypatch):
    (item,) = run.items.all()
    other_edit = lambda read: services.update_item(  # noqa: E731
        item=ProductionRunItem.objects.get(pk=read.pk), user=None, changes=ItemChanges(bed_position="left")
    )
    monkeypatch.setattr(RunItemViewSet, "get_object", after_reading(RunItemViewSet.get_object, other_edit))

    response = api.patch(f"{RUNS}{run.pk}/items/{item.pk}/", {"notes": "reprint the left one"})

    assert response.status_code == 200
    assert (response.json()["bed_position"], response.json()["notes"]) == ("left", "reprint the left one")
    item.refresh_from_db()
    assert (item.bed_position, item.notes) == ("left", "reprint the left one")


def test_material_edit_keeps_actuals_another_request_recorded_meanwhile(api, run, monkeypatch):
    (material,) = run.materials.all()
    other_edit = lambda read: services.update_material(  # noqa: E731
        material=ProductionRunMaterial.objects.get(pk=read.pk),
        user=None,
        changes=MaterialChanges(actual_model_g=Decimal("90.00")),
    )
    monkeypatch.setattr(RunMaterialViewSet, "get_object", after_reading(RunMaterialViewSet.get_object, other_edit))

    response = api.patch(f"{RUNS}{run.pk}/materials/{material.pk}/", {"actual_tower_g": "5.00"})

    assert response.status_code == 200
    assert response.json()["actual_total_g"] == "95.00"
    material.refresh_from_db()
    assert (material.actual_model_g, material.actual_tower_g) == (Decimal("90.00"), Decimal("5.00"))


@pytest.mark.parametrize(
    ("viewset", "children", "body"),
    [(RunItemViewSet, "items", {"notes": "x"}), (RunMaterialViewSet, "materials", {"actual_model_g": "1.00"})],
)
def test_editing_a_row_removed_meanwhile_is_a_404(api, run, monkeypatch, viewset, children, body):
    (row,) = getattr(run, children).all()
    removed = []

    def removal(read):
        removed.append(type(read).objects.filter(pk=read.pk).delete()[0])

    monkeypatch.setattr(viewset, "get_object", after_reading(viewset.get_object, removal))

    response = api.patch(f"{RUNS}{run.pk}/{children}/{row.pk}/", body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert removed == [1]
    # In a test the simulated concurrent removal runs inside this request's write transaction
    # (core.api.writes), which the refusal rolls back: the row is back exactly as it was.
    stored = type(row).objects.get(pk=row.pk)
    assert all(getattr(stored, name) == getattr(row, name) for name in body)
