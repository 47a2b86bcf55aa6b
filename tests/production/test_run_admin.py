"""Django admin for runs: lists, inlines, the soft-deleted filter and the service-backed actions (SPEC 6)."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from inventory.models import InventoryTransaction
from production import services
from production.models import ProductionRun, RunStatus
from production.services import Completion

CHANGELIST = reverse("admin:production_productionrun_changelist")


def change_url(run):
    return reverse("admin:production_productionrun_change", args=[run.pk])


def run_action(client, action, *runs):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(run.pk) for run in runs]}, follow=True)


@pytest.fixture
def run(tenant, make_run, make_product, make_spool):
    return make_run(
        tenant,
        notes="admin me",
        items=[{"product": make_product(tenant, name="Axolotl"), "quantity": 9}],
        materials=[{"spool": make_spool(tenant, code="PLA-RED-001"), "estimated_model_g": Decimal("100.00")}],
    )


def test_the_changelist_loads_for_a_superuser(admin_client, run, other_tenant, make_run):
    foreign = make_run(other_tenant)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    # Staff see every tenant's runs.
    assert run.run_number in content and foreign.run_number in content


def test_the_changelist_searches_and_filters(admin_client, tenant, run, make_run):
    other = make_run(tenant)
    services.cancel_run(run=other, user=None)

    searched = admin_client.get(CHANGELIST, {"q": run.run_number}).content.decode()
    filtered = admin_client.get(CHANGELIST, {"status__exact": "cancelled"}).content.decode()

    assert run.run_number in searched and other.run_number not in searched
    assert other.run_number in filtered and run.run_number not in filtered


def test_the_changelist_is_not_for_anonymous_users(client, run):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_change_page_shows_items_and_materials_inline(admin_client, run):
    response = admin_client.get(change_url(run))

    assert response.status_code == 200
    content = response.content.decode()
    assert run.run_number in content
    assert "Axolotl" in content
    assert "PLA-RED-001" in content
    formsets = [formset.formset.prefix for formset in response.context["inline_admin_formsets"]]
    assert formsets == ["items", "materials"]
    assert [len(f.formset.queryset) for f in response.context["inline_admin_formsets"]] == [1, 1]


def test_the_change_page_of_a_soft_deleted_run_loads(admin_client, run):
    services.delete_run(run=run, user=None)

    assert admin_client.get(change_url(run)).status_code == 200


def test_the_deleted_filter_lists_soft_deleted_runs(admin_client, tenant, run, make_run):
    kept = make_run(tenant)
    services.delete_run(run=run, user=None)

    deleted = admin_client.get(CHANGELIST, {"deleted": "yes"})
    not_deleted = admin_client.get(CHANGELIST, {"deleted": "no"})

    assert [r.pk for r in deleted.context["cl"].result_list] == [run.pk]
    assert [r.pk for r in not_deleted.context["cl"].result_list] == [kept.pk]


def test_the_restore_action_restores_a_run(admin_client, run):
    services.delete_run(run=run, user=None)

    response = run_action(admin_client, "restore_run", run)

    assert response.status_code == 200
    run = ProductionRun.objects.get(pk=run.pk)
    assert run.deleted_at is None and run.deleted_by is None


def test_the_soft_delete_action_uses_the_service(admin_client, run, admin_user):
    run_action(admin_client, "delete_run", run)

    kept = ProductionRun.all_objects.get(pk=run.pk)
    assert kept.deleted_at is not None and kept.deleted_by == admin_user
    assert not ProductionRun.objects.filter(pk=run.pk).exists()


def test_the_cancel_action_cancels_without_ledger_rows(admin_client, run):
    ledger = InventoryTransaction.objects.count()

    run_action(admin_client, "cancel_run", run)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert InventoryTransaction.objects.count() == ledger


def test_the_complete_action_writes_usage_rows(admin_client, run, admin_user):
    spool = run.materials.get().spool

    response = run_action(admin_client, "complete_run", run)

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.completed_at is not None
    (row,) = InventoryTransaction.objects.filter(production_run=run)
    assert (row.type, row.spool_id, row.weight_change_g, row.user) == (
        "usage",
        spool.pk,
        Decimal("-100.00"),
        admin_user,
    )
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("900.00")
    assert run.items.get().successful_quantity == 9


def test_an_action_refused_by_the_service_reports_it_and_changes_nothing(admin_client, run):
    services.cancel_run(run=run, user=None)
    ledger = InventoryTransaction.objects.count()

    response = run_action(admin_client, "complete_run", run)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert InventoryTransaction.objects.count() == ledger
    messages = [str(message) for message in response.context["messages"]]
    assert any(run.run_number in message and "cancelled" in message for message in messages)


def test_the_reopen_action_reverses_the_usage(admin_client, run):
    services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))

    run_action(admin_client, "reopen_run", run)

    run.refresh_from_db()
    assert run.status == RunStatus.IN_PROGRESS
    types = sorted(InventoryTransaction.objects.filter(production_run=run).values_list("type", flat=True))
    assert types == ["reversal", "usage"]
    assert run.materials.get().spool.current_weight_g == Decimal("1000.00")


def test_runs_cannot_be_added_nor_hard_deleted_in_admin(admin_client, run):
    assert admin_client.get(reverse("admin:production_productionrun_add")).status_code == 403
    assert admin_client.get(reverse("admin:production_productionrun_delete", args=[run.pk])).status_code == 403


# --- the change form goes through update_run ------------------------------------------------------------


def change_form(run, **changes):
    """The POST of the run's change page as rendered (items and materials are read-only inlines)."""
    data = {
        "printer": str(run.printer_id or ""),
        "priority": run.priority,
        "planned_start_0": "",
        "planned_start_1": "",
        "started_at_0": f"{run.started_at:%Y-%m-%d}",
        "started_at_1": f"{run.started_at:%H:%M:%S}",
        # started_at has a callable default, so the page also posts its initial value in hidden inputs.
        "initial-started_at_0": f"{run.started_at:%Y-%m-%d}",
        "initial-started_at_1": f"{run.started_at:%H:%M:%S}",
        "estimated_print_time_hours": "",
        "slicer_software": run.slicer_software,
        "bed_temperature_c": "",
        "nozzle_temperature_c": "",
        "quality_rating": "",
        "quality_notes": run.quality_notes,
        "notes": run.notes,
        "original_run": "",
    }
    for prefix, rows in (("items", list(run.items.all())), ("materials", list(run.materials.all()))):
        data |= {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)}
        data |= {f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 0}
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-id": str(row.pk), f"{prefix}-{index}-run": str(run.pk)}
    return data | changes


def test_the_change_form_saves_an_in_progress_run(admin_client, run):
    response = admin_client.post(change_url(run), change_form(run, notes="via admin", slicer_software="Cura"))

    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.notes, run.slicer_software) == ("via admin", "Cura")


def test_the_change_form_refuses_a_locked_field_and_says_so(admin_client, run):
    services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    run.refresh_from_db()
    started_at = run.started_at

    response = admin_client.post(change_url(run), change_form(run, started_at_0="2020-01-01"), follow=True)

    run.refresh_from_db()
    assert run.started_at == started_at
    messages = [str(message) for message in response.context["messages"]]
    assert any("only notes and quality" in message for message in messages)
    assert not any("changed successfully" in message for message in messages)
    assert LogEntry.objects.filter(object_id=str(run.pk)).count() == 0
    assert response.redirect_chain[-1][0] == change_url(run)


def test_the_change_form_may_change_notes_of_a_locked_run(admin_client, run):
    services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    run.refresh_from_db()

    admin_client.post(change_url(run), change_form(run, notes="checked", quality_rating="5"))

    run.refresh_from_db()
    assert (run.notes, run.quality_rating, run.status) == ("checked", 5, RunStatus.COMPLETED)


def test_the_change_form_cannot_move_a_run_to_another_tenant(admin_client, run, tenant, other_tenant):
    page = admin_client.get(change_url(run))
    admin_client.post(change_url(run), change_form(run, tenant=str(other_tenant.pk), notes="moved?"))

    # The tenant is shown, not offered as an input that would be silently ignored.
    assert "tenant" not in page.context["adminform"].form.fields
    assert tenant.name in page.content.decode()

    run.refresh_from_db()
    assert run.tenant == tenant
    assert run.items.get().tenant == tenant


@pytest.mark.parametrize("action", ["complete_run", "cancel_run"])
def test_a_soft_deleted_run_must_be_restored_before_an_action(admin_client, run, action):
    services.delete_run(run=run, user=None)
    ledger = InventoryTransaction.objects.count()

    response = run_action(admin_client, action, run)

    run = ProductionRun.all_objects.get(pk=run.pk)
    assert run.status == RunStatus.IN_PROGRESS
    assert InventoryTransaction.objects.count() == ledger
    assert any("restore it" in str(message) for message in response.context["messages"])


@pytest.mark.parametrize("model", ["productionrunitem", "productionrunmaterial", "runnumbercounter"])
def test_run_children_and_counters_are_listed_read_only_in_admin(client, admin_user, tenant, make_run, model):
    make_run(tenant)
    client.force_login(admin_user)

    listing = client.get(f"/admin/production/{model}/", {"q": "ACME"})
    adding = client.get(f"/admin/production/{model}/add/")

    assert listing.status_code == 200
    assert adding.status_code == 403
