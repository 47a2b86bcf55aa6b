"""Free text is bounded (10,000 characters) in the model and in the API: one record stays small."""

import pytest
from django.core.exceptions import ValidationError

from core.fields import FREE_TEXT_MAX_LENGTH
from production.models import ProductionRun

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (FREE_TEXT_MAX_LENGTH + 1)
LONGEST = "x" * FREE_TEXT_MAX_LENGTH


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [
        ("/api/v1/materials/", "notes", {"name": "PLA", "kind": "PLA"}),
        ("/api/v1/products/", "description", {"sku": "S-1", "name": "Part"}),
        ("/api/v1/printers/", "notes", {"name": "P1"}),
        ("/api/v1/production-runs/", "notes", {}),
        ("/api/v1/production-runs/", "quality_notes", {}),
    ],
)
def test_a_create_with_too_long_free_text_is_a_400_on_that_field(api, path, field, body):
    too_long = api.post(path, {**body, field: TOO_LONG}, format="json")
    longest = api.post(path, {**body, field: LONGEST}, format="json")

    assert too_long.status_code == 400
    assert list(too_long.json()) == [field]
    assert longest.status_code == 201, longest.content


def test_completion_notes_are_bounded_and_nothing_is_written(api, tenant, make_run):
    run = make_run(tenant)

    response = api.post(
        f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True, "notes": TOO_LONG}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["notes"]
    run.refresh_from_db()
    assert run.status == "in_progress"


def test_fail_notes_are_bounded(api, tenant, make_run):
    run = make_run(tenant)

    response = api.post(
        f"/api/v1/production-runs/{run.pk}/fail/", {"failure_reason": "other", "notes": TOO_LONG}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["notes"]


def test_an_item_note_is_bounded(api, tenant, make_run, make_product):
    run = make_run(tenant)
    body = {"product": str(make_product(tenant).pk), "quantity": 1, "notes": TOO_LONG}

    response = api.post(f"/api/v1/production-runs/{run.pk}/items/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["notes"]


def test_the_model_refuses_too_long_free_text(tenant, make_run):
    run = make_run(tenant)
    run.notes = TOO_LONG

    with pytest.raises(ValidationError) as raised:
        run.full_clean()

    assert "notes" in raised.value.message_dict
    assert ProductionRun.objects.get(pk=run.pk).notes == ""
