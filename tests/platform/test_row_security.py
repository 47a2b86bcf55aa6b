"""The second wall: PostgreSQL's row-level security keeps an API request to its tenant's rows.

The schema (every tenant-owned table has the policy, the application role may not bypass
it), the raw policy (nothing without a tenant, `WITH CHECK` on writes, the owner sees
all), the request (its transaction runs as the role with the tenant set, then resets),
and the proof: a viewset with every application-level tenant filter removed still
answers one tenant's rows only. SQLite keeps the application-level wall only.
"""

import csv
import io
from contextlib import contextmanager, nullcontext

import psycopg.errors
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.utils import OperationalError, ProgrammingError
from rest_framework.generics import GenericAPIView

from core.api.renderers import JSONRenderer
from inventory.models import InventoryTransaction, Material, Spool
from inventory.views import SpoolViewSet
from production.models import Printer, Product, ProductionRun
from tenants.models import Membership, TenantOwnedModel, TenantQuerySet
from tenants.operations import ApplicationRole, TenantRowSecurity
from tenants.row_security import APP_ROLE, ENTER_SQL, POLICY_NAME, TENANT_CONDITION, TENANT_SETTING, tenant_row_security
from tenants.scoping import TenantScopedManager, all_tenants
from tests.conftest import postgres_only
from tests.support.clients import browser_for

TENANT_OWNED = [model for model in apps.get_models() if issubclass(model, TenantOwnedModel)]
# Tables without a tenant column (memberships have one and are covered by the catalogue's test).
WITHOUT_TENANT = [
    model
    for model in apps.get_models()
    if not any(field.column == "tenant_id" for field in model._meta.concrete_fields)
]


def ids(models_):
    return [model.__name__ for model in models_]


def fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def as_application_role(tenant=None):
    """Run the body as the API's requests do (a savepoint of the test's transaction), then undo it.

    Without a tenant only the role is switched: `app.tenant_id` stays unset.
    """
    with transaction.atomic():
        if tenant is None:
            fetch("SELECT set_config('role', %s, true)", [APP_ROLE])
        else:
            fetch(ENTER_SQL, [APP_ROLE, str(tenant.pk)])
        yield
        transaction.set_rollback(True)  # the savepoint's rollback resets the role and the setting


@pytest.fixture
def spools(tenant, other_tenant, make_spool):
    return {owner.pk: make_spool(owner, code=f"SP-{owner.slug}") for owner in (tenant, other_tenant)}


# --- the schema -----------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_OWNED, ids=ids(TENANT_OWNED))
def test_every_tenant_owned_table_has_row_security_and_the_tenant_policy(model):
    """A new tenant-owned model fails here until its migration has `TenantRowSecurity("app.Model")`."""
    table = model._meta.db_table
    [(enabled, forced)] = fetch(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table]
    )
    policies = fetch(
        "SELECT policyname, cmd, roles::text[], qual, with_check FROM pg_policies WHERE tablename = %s", [table]
    )

    assert enabled, f"{table}: row-level security is off; add TenantRowSecurity({model._meta.label!r})"
    assert not forced  # the owner (migrations, commands, admin) is the path that sees every tenant
    assert len(policies) == 1, f"{table}: expected the one {POLICY_NAME!r} policy, found {policies}"
    [(name, command, roles, using, check)] = policies
    assert (name, command, roles) == (POLICY_NAME, "ALL", ["public"])
    for condition in (using, check):  # reads and writes
        assert "tenant_id" in condition and f"current_setting('{TENANT_SETTING}'" in condition


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("model", WITHOUT_TENANT, ids=ids(WITHOUT_TENANT))
def test_tables_without_a_tenant_have_no_policy_but_the_application_role_may_use_them(model):
    table = model._meta.db_table
    [(enabled,)] = fetch("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", [table])
    [(allowed,)] = fetch("SELECT has_table_privilege(%s, %s, 'SELECT, INSERT, UPDATE, DELETE')", [APP_ROLE, table])

    assert not enabled
    assert allowed


def unprotected_tenant_tables():
    """From PostgreSQL's catalogue: every table of the schema with a `tenant_id` column, and those of them
    without row security on or without a policy on that column and `app.tenant_id`."""
    tables = fetch(
        "SELECT c.relname, c.relrowsecurity FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE a.attname = 'tenant_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') "
        "AND c.relnamespace = current_schema()::regnamespace"
    )
    guarded = {
        table
        for (table,) in fetch(
            "SELECT tablename FROM pg_policies WHERE schemaname = current_schema() AND cmd = 'ALL' "
            "AND qual LIKE %s AND with_check LIKE %s",
            [f"%tenant_id = %current_setting('{TENANT_SETTING}'%"] * 2,
        )
    }
    return {name for name, _ in tables}, sorted(name for name, enabled in tables if not (enabled and name in guarded))


@postgres_only
@pytest.mark.django_db
def test_every_table_with_a_tenant_id_has_row_security_and_the_tenant_policy():
    """The catalogue, not the models: a table any migration adds with a `tenant_id` is caught here."""
    tables, unprotected = unprotected_tenant_tables()

    assert {model._meta.db_table for model in [*TENANT_OWNED, Membership]} <= tables
    assert unprotected == [], f"add TenantRowSecurity(...) to the migration that creates {unprotected}"


@postgres_only
@pytest.mark.django_db
def test_the_catalogue_check_catches_a_new_table_until_it_has_its_policy():
    """Rolled back with the test's transaction: PostgreSQL's DDL is transactional."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE scratch_tenant_table (id integer PRIMARY KEY, tenant_id uuid NOT NULL)")
        assert unprotected_tenant_tables()[1] == ["scratch_tenant_table"]
        cursor.execute("ALTER TABLE scratch_tenant_table ENABLE ROW LEVEL SECURITY")
        assert unprotected_tenant_tables()[1] == ["scratch_tenant_table"]  # on, but no policy: no row for anyone
        condition = TENANT_CONDITION
        cursor.execute(f"CREATE POLICY p ON scratch_tenant_table USING ({condition}) WITH CHECK ({condition})")
    assert unprotected_tenant_tables()[1] == []


@postgres_only
@pytest.mark.django_db
def test_the_application_role_may_use_every_table_and_sequence():
    relations = fetch(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind IN ('r', 'S')"
    )
    privilege = {
        "r": "has_table_privilege(%s, %s, 'SELECT, INSERT, UPDATE, DELETE')",
        "S": "has_sequence_privilege(%s, %s, 'USAGE')",
    }
    refused = [name for name, kind in relations if fetch(f"SELECT {privilege[kind]}", [APP_ROLE, name]) != [(True,)]]

    assert "django_cache" in {name for name, _ in relations}  # created after the migrations, by default privileges
    assert refused == []


@postgres_only
@pytest.mark.django_db
def test_the_application_role_cannot_bypass_row_security_and_owns_nothing():
    [(superuser, bypass, login)] = fetch(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = %s", [APP_ROLE]
    )
    owned = fetch("SELECT tablename FROM pg_tables WHERE tableowner = %s", [APP_ROLE])
    [(member,)] = fetch("SELECT pg_has_role(current_user, %s, 'MEMBER')", [APP_ROLE])

    assert (superuser, bypass, login) == (False, False, False)
    assert owned == []  # an owner would not be held to the policies
    assert member  # so the connecting user may switch to it


@postgres_only
@pytest.mark.django_db
def test_both_operations_reverse_and_reapply(spools):
    """Rolled back with the test's transaction: PostgreSQL's DDL is transactional."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending foreign-key checks
    state = MigrationLoader(connection).project_state(("inventory", "0006_row_level_security"))
    table = Material._meta.db_table
    row_security, role = TenantRowSecurity("inventory.Material"), ApplicationRole()

    def enabled():
        return fetch("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", [table]) == [(True,)]

    def granted():
        return fetch("SELECT has_table_privilege(%s, %s, 'SELECT')", [APP_ROLE, table]) == [(True,)]

    with connection.schema_editor() as editor:
        row_security.database_backwards("inventory", editor, state, state)
        assert not enabled() and not fetch("SELECT 1 FROM pg_policies WHERE tablename = %s", [table])
        role.database_backwards("tenants", editor, state, state)
        assert not fetch("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]) or not granted()

        role.database_forwards("tenants", editor, state, state)
        row_security.database_forwards("inventory", editor, state, state)
    assert enabled() and granted()
    with as_application_role():
        assert Material.objects.count() == 0


# --- the policy, in SQL -----------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db
def test_the_application_role_sees_no_tenant_owned_row_without_a_tenant(tenant, other_tenant, make_run):
    make_run(tenant)
    make_run(other_tenant)

    with as_application_role(tenant=None):
        counts = {model.__name__: model.objects.count() for model in TENANT_OWNED}
        [(unset,)] = fetch("SELECT current_setting(%s, true)", [TENANT_SETTING])

    assert unset in (None, "")  # never set on this connection, or reset by an earlier request's end
    assert set(counts.values()) == {0}, counts
    assert Spool.objects.count() == 2  # the owner, again, after the block


@postgres_only
@pytest.mark.django_db
def test_the_application_role_reads_and_changes_its_tenant_rows_only(tenant, other_tenant, spools):
    own, theirs = spools[tenant.pk], spools[other_tenant.pk]

    with as_application_role(tenant):
        seen = list(Spool.objects.values_list("pk", flat=True))
        updated = Spool.objects.filter(pk__in=[own.pk, theirs.pk]).update(location="Moved")
        deleted = fetch("DELETE FROM inventory_inventorytransaction WHERE spool_id = %s RETURNING id", [theirs.pk])

    assert seen == [own.pk]
    assert updated == 1
    assert deleted == []


@postgres_only
@pytest.mark.django_db
def test_with_check_refuses_a_row_written_for_another_tenant(tenant, other_tenant, spools):
    own = spools[tenant.pk]

    with as_application_role(tenant):
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            Material.objects.create(tenant=other_tenant, name="Smuggled", kind="PLA")
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            Spool.objects.filter(pk=own.pk).update(tenant=other_tenant)
        Material.objects.create(tenant=tenant, name="Own", kind="PLA")  # its own tenant: allowed

    assert not Material.objects.filter(name="Smuggled").exists()


@postgres_only
@pytest.mark.django_db
def test_the_connecting_user_sees_every_tenant(tenant, other_tenant, spools):
    """Migrations, management commands and the admin connect as the tables' owner: no policy binds them."""
    [(user, role, setting)] = fetch(
        "SELECT current_user, current_setting('role'), current_setting(%s, true)", [TENANT_SETTING]
    )

    assert role == "none" and user != APP_ROLE and not setting
    assert {spool.tenant_id for spool in Spool.objects.all()} == {tenant.pk, other_tenant.pk}


@postgres_only
@pytest.mark.django_db
def test_the_staff_admin_lists_every_tenants_rows(spools):
    staff = browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    response = staff.get("/admin/inventory/spool/")

    assert response.status_code == 200
    assert {spool.pk for spool in response.context["cl"].result_list} == {spool.pk for spool in spools.values()}


# --- the request ------------------------------------------------------------------------------------


def observe_inside_the_view(monkeypatch):
    """What the spool list's queries run as: role, tenant setting, and whether a transaction is open."""
    seen = {}
    original = SpoolViewSet.list

    def list_(self, request, *args, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        if connection.vendor == "postgresql":
            [(seen["user"], seen["tenant"])] = fetch("SELECT current_user, current_setting(%s, true)", [TENANT_SETTING])
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(SpoolViewSet, "list", list_)
    return seen


@postgres_only
@pytest.mark.django_db
def test_a_tenant_request_runs_as_the_application_role_with_its_tenant_then_resets(api, tenant, monkeypatch):
    seen = observe_inside_the_view(monkeypatch)

    assert api.get("/api/v1/spools/").status_code == 200

    assert (seen["user"], seen["tenant"]) == (APP_ROLE, str(tenant.pk))
    # Nested in the test's transaction, the request's savepoint reset both on its way out.
    [(user, role, setting)] = fetch(
        "SELECT current_user, current_setting('role'), current_setting(%s, true)", [TENANT_SETTING]
    )
    assert (role, setting) == ("none", "") and user != APP_ROLE


@pytest.mark.django_db(transaction=True)
def test_a_read_runs_in_a_transaction_on_postgresql_only(api, monkeypatch):
    """SQLite keeps the application-level wall only, and its reads stay out of (IMMEDIATE) transactions."""
    seen = observe_inside_the_view(monkeypatch)

    assert api.get("/api/v1/spools/").status_code == 200

    assert seen["in_transaction"] is (connection.vendor == "postgresql")


# --- the proof: one viewset without any application-level tenant filter ------------------------------


@pytest.fixture
def spools_without_the_application_wall(monkeypatch):
    """The spool viewset's queryset unfiltered, and every application-level tenant filter disabled."""

    def unscoped_queryset(self):
        with all_tenants():
            spools = Spool.objects.all()
            # The JSON list is filtered and counted as bare spools; its page adds the columns (`page_queryset`).
            return spools if self.action == "list" and self.json_page() else spools.for_floor()

    monkeypatch.setattr(SpoolViewSet, "get_queryset", unscoped_queryset)
    # DRF's own get_object, which reads that queryset (the viewset's reads through a query compiled once).
    monkeypatch.setattr(SpoolViewSet, "get_object", GenericAPIView.get_object)
    monkeypatch.setattr(TenantScopedManager, "get_queryset", lambda self: models.Manager.get_queryset(self))
    monkeypatch.setattr(TenantQuerySet, "for_tenant", lambda self, tenant: self)
    monkeypatch.setattr(TenantOwnedModel, "check_same_tenant", lambda self: None)


@pytest.fixture
def spools_with_a_material_each(tenant, other_tenant, make_spool, make_material):
    return {
        owner.pk: make_spool(owner, make_material(owner, name=f"PLA {owner.slug}"), code=f"SP-{owner.slug}")
        for owner in (tenant, other_tenant)
    }


@postgres_only
@pytest.mark.django_db
def test_without_the_application_wall_postgresql_still_shows_the_tenants_rows_only(
    api, tenant, other_tenant, spools_with_a_material_each, spools_without_the_application_wall
):
    own, theirs = spools_with_a_material_each[tenant.pk], spools_with_a_material_each[other_tenant.pk]

    listed = api.get("/api/v1/spools/")
    detail = api.get(f"/api/v1/spools/{theirs.pk}/")
    patched = api.patch(f"/api/v1/spools/{theirs.pk}/", {"location": "Stolen"}, format="json")
    created = api.post(
        "/api/v1/spools/",
        {"code": "SP-NEW", "material": str(theirs.material_id), "initial_weight_g": "1000.00"},
        format="json",
    )

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(own.pk)]
    assert listed.json()["count"] == 1
    assert api.get(f"/api/v1/spools/{own.pk}/").status_code == 200
    assert detail.status_code == 404
    assert patched.status_code == 404
    assert created.status_code == 400, created.content
    assert "material" in created.json()
    theirs.refresh_from_db()
    assert theirs.location != "Stolen"
    assert not Spool.objects.filter(code="SP-NEW").exists()


@postgres_only
@pytest.mark.django_db
def test_without_either_wall_the_same_requests_leak(
    api, tenant, other_tenant, spools_with_a_material_each, spools_without_the_application_wall, monkeypatch
):
    """The control: the patches above do remove the application's wall; row security is what held."""
    monkeypatch.setattr("tenants.resolution.tenant_row_security", lambda tenant, using=None, write=False: nullcontext())
    theirs = spools_with_a_material_each[other_tenant.pk]

    listed = api.get("/api/v1/spools/")

    assert listed.json()["count"] == 2
    assert api.get(f"/api/v1/spools/{theirs.pk}/").status_code == 200


# --- CSV exports, streamed after the request's transaction: the same wall --------------------------

CSV_LISTS = {
    "/api/v1/materials/": Material,
    "/api/v1/spools/": Spool,
    "/api/v1/products/": Product,
    "/api/v1/printers/": Printer,
    "/api/v1/inventory-transactions/": InventoryTransaction,
    "/api/v1/production-runs/": ProductionRun,
}


@pytest.fixture
def lists_without_the_application_wall(monkeypatch):
    """Every application-level tenant filter disabled, for every list: the managers, `for_tenant`, the checks."""
    monkeypatch.setattr(TenantScopedManager, "get_queryset", lambda self: models.Manager.get_queryset(self))
    monkeypatch.setattr(TenantQuerySet, "for_tenant", lambda self, tenant: self)
    monkeypatch.setattr(TenantOwnedModel, "check_same_tenant", lambda self: None)


@pytest.fixture
def a_run_in_each_tenant(tenant, other_tenant, make_run, make_printer):
    for owner in (tenant, other_tenant):
        make_run(owner, printer=make_printer(owner))


def csv_ids(response):
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode()
    return {row["id"] for row in csv.DictReader(io.StringIO(body))}


def own_ids(model, tenant):
    return {str(pk) for pk in model.objects.filter(tenant=tenant).values_list("pk", flat=True)}


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(CSV_LISTS))
def test_a_csv_export_streams_inside_row_security(
    api, tenant, a_run_in_each_tenant, lists_without_the_application_wall, path
):
    """The body streams after the request's transaction ended: it enters the role and the tenant again."""
    exported = csv_ids(api.get(path, {"format": "csv"}))

    assert exported == own_ids(CSV_LISTS[path], tenant)
    assert exported  # the tenant's own rows are there


@postgres_only
@pytest.mark.django_db
def test_without_either_wall_a_csv_export_leaks(
    api, tenant, other_tenant, a_run_in_each_tenant, lists_without_the_application_wall, monkeypatch
):
    """The control: the patches above remove the application's wall from the export too."""
    monkeypatch.setattr("tenants.mixins.tenant_row_security", lambda tenant, using=None, write=False: nullcontext())

    exported = csv_ids(api.get("/api/v1/spools/", {"format": "csv"}))

    assert exported == own_ids(Spool, tenant) | own_ids(Spool, other_tenant)


# --- errors while the request's transaction is open or closing ---------------------------------------


def is_a_response(renderer_context):
    """The JSON renderer renders the view's response, not the test client's request body."""
    return bool(renderer_context) and renderer_context.get("response") is not None


def kill_backend(pid):
    """Terminate a backend from another connection, as an administrator or a failover would."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_during_a_read_is_a_json_503(api, tenant, make_spool, monkeypatch):
    make_spool(tenant)
    original = SpoolViewSet.list

    def killed_list(self, request, *args, **kwargs):
        kill_backend(connection.connection.info.backend_pid)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(SpoolViewSet, "list", killed_list)

    response = api.get("/api/v1/spools/")
    connection.close()  # what Django does with a broken connection at the request's end (the test client does not)

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_before_a_writes_commit_is_a_503_and_the_retry_writes_once(api, monkeypatch):
    """The response was built, the request's transaction not yet committed: no change, and a retryable 503."""
    render = JSONRenderer.render
    kills = iter([True])

    def render_then_lose_the_connection(self, data, accepted_media_type=None, renderer_context=None):
        if is_a_response(renderer_context) and next(kills, False):
            kill_backend(connection.connection.info.backend_pid)
        return render(self, data, accepted_media_type, renderer_context)

    monkeypatch.setattr(JSONRenderer, "render", render_then_lose_the_connection)
    api.raise_request_exception = False
    body = {"sku": "KILLED-1", "name": "Killed", "unit_weight_g": "12.50"}

    first = api.post("/api/v1/products/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 503, first.content
    assert first.json()["code"] == "database_unavailable"
    connection.close()  # what Django does with a broken connection at the request's end (the test client does not)
    assert not Product.objects.filter(sku="KILLED-1").exists()

    retry = api.post("/api/v1/products/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/products/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert retry.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Product.objects.filter(sku="KILLED-1").count() == 1


def closing_with(error):
    """The request's row security, raising `error` as it closes (after the response is rendered)."""

    @contextmanager
    def failing(tenant, using="default", write=False):
        with tenant_row_security(tenant, using=using, write=write):
            yield
            raise error

    return failing


LOST = OperationalError("terminating connection due to administrator command")


def lock_timeout():
    error = OperationalError("canceling statement due to lock timeout")
    error.__cause__ = psycopg.errors.LockNotAvailable()
    return error


@pytest.mark.django_db
def test_a_database_error_closing_a_reads_transaction_keeps_its_response(api, tenant, make_spool, monkeypatch):
    spool = make_spool(tenant)
    monkeypatch.setattr("tenants.resolution.tenant_row_security", closing_with(LOST))

    response = api.get("/api/v1/spools/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(spool.pk)]


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(LOST, 503, "database_unavailable"), (lock_timeout(), 409, "busy")],
    ids=["lost connection", "lock timeout"],
)
def test_a_database_error_closing_a_writes_transaction_is_its_error_and_writes_nothing(
    api, error, status, code, monkeypatch
):
    monkeypatch.setattr("tenants.resolution.tenant_row_security", closing_with(error))
    api.raise_request_exception = False

    response = api.post("/api/v1/products/", {"sku": "LATE-1", "name": "Late"}, format="json")

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Product.objects.filter(sku="LATE-1").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_whose_rendering_fails_is_rolled_back(api, monkeypatch):
    """The request's transaction commits after rendering: a 500 there takes the change with it."""

    render = JSONRenderer.render

    def broken_render(self, data, accepted_media_type=None, renderer_context=None):
        if is_a_response(renderer_context):
            raise RuntimeError("renderer bug")
        return render(self, data, accepted_media_type, renderer_context)

    monkeypatch.setattr(JSONRenderer, "render", broken_render)
    api.raise_request_exception = False

    response = api.post("/api/v1/products/", {"sku": "UNRENDERED-1", "name": "Unrendered"}, format="json")

    assert response.status_code == 500
    assert not Product.objects.filter(sku="UNRENDERED-1").exists()
