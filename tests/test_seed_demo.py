"""`manage.py seed_demo`: a believable demo farm, made through the services, seeded once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from demo.catalog import DEMO, DEMO_PASSWORD, PLANS, STAFF_USERNAME
from demo.seed import seed_farm
from inventory.models import InventoryTransaction, Material, Spool
from production.models import Printer, Product, ProductionRun, ProductionRunItem, ProductionRunMaterial, RunStatus
from tenants.models import Membership, Tenant
from tenants.scoping import all_tenants
from tests.support.ledger import assert_ledger_balances

SEEDED_MODELS = (
    Tenant,
    Membership,
    get_user_model(),
    Material,
    Spool,
    InventoryTransaction,
    Product,
    Printer,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
)


def seed_demo(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def days_numbered_out_of_order(tenant):
    """The days (in the tenant's zone) whose runs are not numbered 001, 002... in the order of their
    `created_at`, each with its numbers in that order: empty when every day's runs are."""
    runs = ProductionRun.objects.for_tenant(tenant).order_by("created_at")
    by_day = {}
    for run in runs:
        day = timezone.localtime(run.created_at, tenant.zone).date()
        by_day.setdefault(day, []).append(int(run.run_number.rsplit("-", 1)[1]))
    return {day: numbers for day, numbers in by_day.items() if numbers != list(range(1, len(numbers) + 1))}


def row_counts():
    return {model.__name__: model._base_manager.count() for model in SEEDED_MODELS}


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """One seed shared by the tests of a class and rolled back after them, like `TestCase.setUpTestData`.

    Seeding takes seconds; each test still runs in its own savepoint (`db`) inside this transaction.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_demo()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Tenant.objects.get(slug="demo")


class TestSeededDemo:
    def test_demo_tenant_has_runs_in_every_status(self, demo):
        statuses = ProductionRun.objects.for_tenant(demo).values_list("status", flat=True)

        assert set(statuses) == set(RunStatus.values)

    def test_demo_tenant_has_a_farm_to_browse(self, demo):
        spools = Spool.objects.for_tenant(demo)

        assert Printer.objects.for_tenant(demo).count() == 3  # one idle with its AMS loaded, to dispatch to
        assert spools.count() == 12
        assert {material.kind for material in Material.objects.for_tenant(demo)} >= {"PLA", "PETG", "TPU"}
        assert not Product.objects.for_tenant(demo).filter(unit_weight_g__isnull=True).exists()
        # Various fill levels: untouched spools, some low on stock, some in between.
        levels = [spool.remaining_percent for spool in spools]
        assert max(levels) == Decimal("100.00")
        assert spools.low_stock().exists()
        assert any(Decimal("20") < level < Decimal("100") for level in levels)

    def test_runs_are_backdated_over_sixty_days(self, demo):
        now = timezone.now()
        runs = ProductionRun.objects.for_tenant(demo)
        started = sorted(run.started_at for run in runs.filter(started_at__isnull=False))  # planned: not yet

        assert started[0] < now - timedelta(days=50)
        assert started[-1] < now
        assert all(run.completed_at <= now for run in runs.filter(completed_at__isnull=False))

    def test_the_floor_is_live_a_queue_loaded_slots_and_an_ams_printer(self, demo):
        queue = ProductionRun.objects.for_tenant(demo).filter(status=RunStatus.PLANNED)
        printers = Printer.objects.for_tenant(demo)
        assert queue.count() >= 5
        assert {run.priority for run in queue} >= {"urgent", "high", "normal", "low"}
        assert queue.filter(materials__spool__isnull=True).exists()  # lines naming only a material
        assert printers.filter(slot_count=4).count() == 2
        assert all(printer.slots.exists() for printer in printers)
        owner = get_user_model().objects.get(username="demo-owner")
        client = APIClient()
        client.force_authenticate(owner)
        listed = client.get("/api/v1/queue/", HTTP_X_TENANT="demo").json()
        assert any(run["ready"] for run in listed["results"])
        assert any(line["shortage_g"] != "0.00" for run in listed["results"] for line in run["materials"])
        idle = printers.get(name="Bambu P1S")
        dispatched = client.post(f"/api/v1/printers/{idle.pk}/dispatch/", HTTP_X_TENANT="demo")
        assert dispatched.status_code == 200, dispatched.content

    def test_runs_are_created_and_numbered_on_their_own_days(self, demo):
        runs = list(ProductionRun.objects.for_tenant(demo))
        day_of = {run.pk: timezone.localtime(run.created_at, demo.zone).date() for run in runs}

        assert all(run.run_number.split("-")[1] == f"{day_of[run.pk]:%Y%m%d}" for run in runs)
        # A run started when it was created; a planned one has not started yet.
        assert all(run.created_at == run.started_at for run in runs if run.status != RunStatus.PLANNED)
        assert len(set(day_of.values())) > 30  # spread over the history, not all today
        assert days_numbered_out_of_order(demo) == {}

    def test_finished_runs_carry_believable_outcomes(self, demo):
        runs = ProductionRun.objects.for_tenant(demo).with_details()
        completed = [run for run in runs if run.status == RunStatus.COMPLETED]
        failed = [run for run in runs if run.status == RunStatus.FAILED]

        assert all(run.failure_reason for run in failed)
        assert all(run.actual_total_g is not None for run in completed)
        assert all(abs(run.variance_percent) < 15 for run in completed)
        assert any(run.variance_percent != 0 for run in completed)
        assert all(run.completed_at >= run.started_at for run in completed + failed)

    def test_every_spool_balances_with_its_ledger(self, seeded, db):
        assert_ledger_balances(*Spool.objects.all())

    def test_ledger_rows_are_in_time_order(self, seeded, db):
        """The history was replayed in time order, so each spool's rows read chronologically."""
        for spool in Spool.objects.all():
            moments = list(spool.transactions.order_by("sequence").values_list("occurred_at", flat=True))
            assert moments == sorted(moments), spool.code

    def test_run_ledger_rows_match_their_run_materials(self, demo):
        rows = InventoryTransaction.objects.for_tenant(demo).filter(production_run__isnull=False)

        assert rows.exists()
        for row in rows:
            assert row.weight_change_g == -row.production_run_material.actual_total_g

    def test_second_tenant_and_a_user_of_both(self, seeded, db):
        assert set(Tenant.objects.values_list("slug", flat=True)) == {plan.slug for plan in PLANS}
        assert Membership.objects.filter(user__username="multi-tenant").count() == 2

    def test_progress_is_shown_per_tenant_as_the_history_is_written(self, seeded, db):
        for plan in PLANS:
            lines = [line for line in seeded.splitlines() if line.startswith(f"seeding {plan.slug} ")]
            # Not a terminal: one line as each quarter is reached, the bar filling up.
            percents = [int(line.rsplit(" ", 1)[-1].rstrip("%")) for line in lines]
            assert [percent // 25 for percent in percents] == [0, 1, 2, 3, 4]
            assert lines[-1] == f"seeding {plan.slug} [{'#' * 20}] 100%"

    def test_seeding_again_changes_nothing(self, seeded, db):
        before = row_counts()

        out = seed_demo()

        assert row_counts() == before
        assert "nothing changed" in out

    def test_every_role_has_a_demo_login(self, seeded, db):
        demo_roles = {role for username, role in PLANS[0].logins}

        assert demo_roles == {"owner", "admin", "member", "viewer"}

    def test_every_demo_login_obtains_a_token_for_its_role(self, seeded, db):
        client = APIClient()
        for plan in PLANS:
            for username, role in plan.logins:
                token = client.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD})
                assert token.status_code == 200, username

                client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
                memberships = client.get("/api/v1/me/").json()["memberships"]
                client.credentials()
                assert {"tenant_slug": plan.slug, "tenant_name": plan.name, "role": role} in memberships

    def test_staff_login_opens_the_admin(self, seeded, client):
        assert client.login(username=STAFF_USERNAME, password=DEMO_PASSWORD)

        assert client.get("/admin/production/productionrun/").status_code == 200


def test_if_empty_leaves_a_database_with_tenants_alone(make_tenant):
    make_tenant("acme")
    before = row_counts()

    seed_demo("--if-empty")

    assert row_counts() == before


def test_if_empty_seeds_an_empty_database(db):
    out = seed_demo("--if-empty")

    assert Tenant.objects.filter(slug="demo").exists()
    assert "demo-owner" in out


def test_print_password_prints_only_the_password(db):
    assert seed_demo("--print-password") == DEMO_PASSWORD + "\n"
    assert not Tenant.objects.exists()


def test_still_running_prints_are_numbered_in_the_order_they_started(db):
    """The prints still running at the end of the history, two of them on today's date, late in the day
    (the moment a seed numbered them out of order: they were created printer by printer). Outside the
    class above, whose seed holds the demo tenant."""
    with all_tenants():
        tenant = seed_farm(DEMO, seed=2024, now=datetime(2026, 12, 5, 21, 8, 4, tzinfo=UTC))

    assert days_numbered_out_of_order(tenant) == {}
