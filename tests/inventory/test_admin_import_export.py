"""The admin's spool and material import (preview, then confirm; every write through the services)
and its export actions (issue 12.7)."""

import csv
import io
import re
from decimal import Decimal

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from events.models import Event
from inventory import progress
from inventory.models import InventoryTransaction, Material, Spool, Vendor
from inventory.resources import IMPORT_BATCH_SIZE, MaterialResource, SpoolResource
from tests.support.clients import browser_for
from tests.support.ledger import assert_ledger_balances

HEADER = "tenant,code,material,initial_weight_g,purchase_price,location\n"


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "x")


@pytest.fixture
def staff(staff_user):
    return browser_for(staff_user)


@pytest.fixture
def pla(tenant, make_material):
    return make_material(tenant, name="PLA Basic")


def preview(staff, text, model="spool"):
    """POST a CSV to the import form: the preview, from a dry run."""
    upload = SimpleUploadedFile("spools.csv", text.encode(), content_type="text/csv")
    return staff.post(f"/admin/inventory/{model}/import/", {"import_file": upload, "format": "0", "resource": "0"})


def confirm(staff, preview_response, model="spool"):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview_response.content.decode()))
    hidden.pop("csrfmiddlewaretoken", None)
    return staff.post(f"/admin/inventory/{model}/process_import/", hidden)


def ledger_rows():
    return InventoryTransaction.objects.count()


def test_the_preview_writes_nothing(staff, tenant, pla):
    response = preview(staff, HEADER + "acme,NEW-1,PLA Basic,1000.00,24.99,Rack 1\n")

    assert response.status_code == 200
    assert "Confirm import" in response.content.decode()
    assert "NEW-1" in response.content.decode()
    assert not Spool.objects.filter(code="NEW-1").exists()
    assert ledger_rows() == 0


def test_a_confirmed_import_buys_each_spool_through_the_service(staff, staff_user, tenant, pla):
    text = HEADER + f"acme,NEW-1,PLA Basic,1000.00,24.99,Rack 1\nacme,NEW-2,{pla.pk},750.00,,Rack 2\n"

    response = confirm(staff, preview(staff, text))

    assert response.status_code == 302
    spools = {spool.code: spool for spool in Spool.objects.all()}
    assert spools["NEW-1"].current_weight_g == Decimal("1000.00")
    assert spools["NEW-2"].current_weight_g == Decimal("750.00")
    assert spools["NEW-2"].material == pla
    purchases = InventoryTransaction.objects.filter(type="purchase").order_by("spool__code")
    assert [(row.spool.code, row.weight_change_g, row.user) for row in purchases] == [
        ("NEW-1", Decimal("1000.00"), staff_user),
        ("NEW-2", Decimal("750.00"), staff_user),
    ]
    assert_ledger_balances()


def test_reimporting_a_spool_changes_its_fields_and_not_its_weight(staff, tenant, pla, make_spool, member):
    spool = make_spool(tenant, pla, code="OLD-1", location="Rack 1", initial_weight_g=Decimal("1000.00"))
    rows_before = ledger_rows()

    response = confirm(staff, preview(staff, HEADER + "acme,OLD-1,PLA Basic,1000.00,25.00,Dry box\n"))

    assert response.status_code == 302
    spool.refresh_from_db()
    assert spool.location == "Dry box"
    assert spool.current_weight_g == Decimal("1000.00")
    assert ledger_rows() == rows_before


def test_a_row_the_service_refuses_is_shown_and_nothing_is_written(staff, tenant, pla, make_spool):
    make_spool(tenant, pla, code="OLD-1", initial_weight_g=Decimal("1000.00"))
    text = HEADER + "acme,NEW-1,PLA Basic,1000.00,,Rack 1\nacme,OLD-1,PLA Basic,900.00,,Rack 1\n"

    response = preview(staff, text)

    page = response.content.decode()
    assert "initial weight (1000.00 g) was recorded on purchase" in page
    assert "Confirm import" not in page
    assert not Spool.objects.filter(code="NEW-1").exists()


@pytest.mark.parametrize(
    ("material", "message"),
    [
        ("Unknown", "Tenant acme has no material &#x27;Unknown&#x27;."),
        ("PLA Twin", "several materials named &#x27;PLA Twin&#x27;: give its number instead, one of #"),
    ],
)
def test_a_material_is_named_within_the_row_tenant(staff, tenant, make_material, material, message):
    make_material(tenant, name="PLA Twin")
    make_material(tenant, name="PLA Twin")

    page = preview(staff, HEADER + f"acme,NEW-1,{material},1000.00,,\n").content.decode()

    assert message in page
    assert "Confirm import" not in page


@pytest.mark.parametrize("written", ["{number}", "#{number}"])
def test_a_material_is_named_by_its_number_when_names_repeat(staff, tenant, make_material, written):
    make_material(tenant, name="PLA Twin", color_name="Red")
    blue = make_material(tenant, name="PLA Twin", color_name="Blue")

    response = confirm(staff, preview(staff, HEADER + f"acme,NEW-1,{written.format(number=blue.number)},1000.00,,\n"))

    assert response.status_code == 302
    assert Spool.objects.get(code="NEW-1").material == blue


def test_another_tenants_material_number_is_not_found(staff, tenant, other_tenant, make_material):
    foreign = make_material(other_tenant, name="Their PLA")
    make_material(tenant, name="Mine")  # number 1 in acme too: numbers are per tenant
    Material.objects.filter(pk=foreign.pk).update(number=99)

    page = preview(staff, HEADER + "acme,NEW-1,#99,1000.00,,\n").content.decode()

    assert "Tenant acme has no material &#x27;#99&#x27;." in page
    assert not Spool.objects.filter(code="NEW-1").exists()


def test_another_tenants_material_is_refused(staff_user, tenant, other_tenant, make_material):
    foreign = make_material(other_tenant, name="Their PLA")
    dataset = tablib.Dataset(headers=["tenant", "code", "material", "initial_weight_g"])
    dataset.append(["acme", "NEW-1", str(foreign.pk), "1000.00"])

    result = SpoolResource().import_data(dataset, dry_run=False, user=staff_user)

    assert result.has_validation_errors()
    assert not Spool.objects.exists()


def test_materials_are_created_and_updated_in_their_tenant(staff_user, tenant, other_tenant, pla):
    dataset = tablib.Dataset(headers=["id", "tenant", "name", "kind", "color_hex"])
    dataset.append(["", "acme", "PETG Blue", "PETG", "#0000FF"])
    dataset.append([str(pla.pk), "acme", "PLA Basic", "PLA", "#FFFFFF"])

    result = MaterialResource().import_data(dataset, dry_run=False, user=staff_user)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Material.objects.get(name="PETG Blue").tenant == tenant
    pla.refresh_from_db()
    assert pla.color_hex == "#FFFFFF"

    moved = tablib.Dataset(headers=["id", "tenant", "name", "kind"])
    moved.append([str(pla.pk), "globex", "PLA Basic", "PLA"])
    assert MaterialResource().import_data(moved, dry_run=False, user=staff_user).has_validation_errors()
    pla.refresh_from_db()
    assert pla.tenant == tenant


def test_a_material_s_brand_column_names_its_vendor_and_a_new_brand_creates_one(staff_user, tenant, pla):
    dataset = tablib.Dataset(headers=["id", "tenant", "name", "kind", "brand"])
    dataset.append(["", "acme", "PETG Blue", "PETG", "Acme"])
    dataset.append([str(pla.pk), "acme", "PLA Basic", "PLA", "Eryone"])  # only the brand changes

    result = MaterialResource().import_data(dataset, dry_run=False, user=staff_user)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Material.objects.get(name="PETG Blue").vendor == Vendor.objects.get(name="Acme")
    pla.refresh_from_db()
    assert pla.vendor_name == "Eryone"
    exported = MaterialResource().export(Material.objects.order_by("name"))
    assert exported.dict[0]["brand"] == "Acme" and exported.dict[1]["brand"] == "Eryone"


def test_a_brand_longer_than_a_vendor_s_name_is_a_row_error(staff_user, tenant):
    dataset = tablib.Dataset(headers=["id", "tenant", "name", "kind", "brand"])
    dataset.append(["", "acme", "Long", "PLA", "x" * 65])

    assert MaterialResource().import_data(dataset, dry_run=False, user=staff_user).has_validation_errors()
    assert not Material.objects.filter(name="Long").exists()


def test_a_material_with_a_bad_colour_is_a_row_error(staff_user, tenant):
    dataset = tablib.Dataset(headers=["id", "tenant", "name", "kind", "color_hex"])
    dataset.append(["", "acme", "Odd", "PLA", "red"])

    assert MaterialResource().import_data(dataset, dry_run=False, user=staff_user).has_validation_errors()
    assert not Material.objects.filter(name="Odd").exists()


def test_the_export_action_downloads_the_selected_spools_as_csv(staff, tenant, pla, make_spool):
    chosen = make_spool(tenant, pla, code="=HYPERLINK(1)")
    make_spool(tenant, pla, code="NOT-CHOSEN")

    response = staff.post(
        "/admin/inventory/spool/", {"action": "export_admin_action", "_selected_action": [str(chosen.pk)]}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["tenant"], row["code"], row["material"], row["current_weight_g"]) for row in rows] == [
        ("acme", "'=HYPERLINK(1)", "PLA Basic", "1000.00")
    ]


def test_an_exported_file_imports_back_unchanged(staff, tenant, pla, make_spool):
    spool = make_spool(tenant, pla, code="ROUND-1", location="Rack 1")
    exported = staff.post(
        "/admin/inventory/spool/", {"action": "export_admin_action", "_selected_action": [str(spool.pk)]}
    ).content.decode("utf-8-sig")

    page = preview(staff, exported).content.decode()

    assert "Confirm import" in page
    assert re.search(r"Skip", page)
    assert Spool.objects.get().ledger_version == 1


def test_the_ledger_exports_and_stays_read_only(staff, tenant, pla, make_spool):
    spool = make_spool(tenant, pla, code="LEDGER-1")
    row = InventoryTransaction.objects.get(spool=spool)

    response = staff.post(
        "/admin/inventory/inventorytransaction/", {"action": "export_admin_action", "_selected_action": [str(row.pk)]}
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["tenant"], r["spool"], r["type"], r["weight_after_g"]) for r in rows] == [
        ("acme", "LEDGER-1", "purchase", "1000.00")
    ]
    with pytest.raises(NoReverseMatch):
        reverse("admin:inventory_inventorytransaction_import")


# --- the progress bar ---------------------------------------------------------------------------


def test_both_import_steps_load_the_progress_script(staff, tenant, pla):
    script = 'src="/static/inventory/import-progress.js"'

    assert script in staff.get("/admin/inventory/spool/import/").content.decode()
    assert script in preview(staff, HEADER + "acme,NEW-1,PLA Basic,1000.00,,\n").content.decode()


def test_an_import_reports_its_rows_under_the_forms_key(staff_user, tenant, pla, monkeypatch):
    key = "0123456789abcdef0123456789abcdef"
    seen = []
    original = progress.Progress.advance

    def advance(self, done):
        original(self, done)
        seen.append(progress.read(key))

    monkeypatch.setattr(progress.Progress, "advance", advance)
    dataset = tablib.Dataset(headers=["tenant", "code", "material", "initial_weight_g"])
    for number in range(120):
        dataset.append(["acme", f"BULK-{number:03d}", "PLA Basic", "1000.00"])

    SpoolResource().import_data(dataset, dry_run=True, user=staff_user, progress_key=key)

    reports = [report for index, report in enumerate(seen) if report and report not in seen[:index]]
    # Written every 2nd row (120 // 50), each report newer than the last, up to all of them.
    assert len(reports) == 60
    assert [report["done"] for report in reports] == list(range(2, 121, 2))
    assert {report["total"] for report in reports} == {120}
    assert progress.read(key) is None  # removed once the import is done


def test_staff_poll_the_progress_and_others_cannot(staff, member, tenant):
    key = "fedcba9876543210fedcba9876543210"
    progress.Progress(key, 10).advance(10)

    assert staff.get(f"/admin/progress/{key}/").json() == {"done": 10, "total": 10}
    assert staff.get("/admin/progress/not-a-key/").json() == {"done": 0, "total": 0}
    assert browser_for(member).get(f"/admin/progress/{key}/").status_code == 302  # to the admin's login
    progress.Progress(key, 10).finish()


def test_runs_export_with_their_items_in_one_column(
    staff, tenant, make_run, make_product, django_assert_max_num_queries
):
    mug = make_product(tenant, sku="MUG-01")
    runs = [make_run(tenant, items=[{"product": mug, "quantity": 3}]) for _ in range(6)]

    # The changelist's own queries (session, user, filters, counts), then the runs, their items, their products:
    # the same 12 for 6 runs as for 1.
    with django_assert_max_num_queries(12):
        response = staff.post(
            "/admin/production/productionrun/",
            {"action": "export_admin_action", "_selected_action": [str(run.pk) for run in runs]},
        )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["run_number"] for row in rows) == sorted(run.run_number for run in runs)
    assert {(row["tenant"], row["status"], row["items"]) for row in rows} == {("acme", "in_progress", "MUG-01 x3")}


@pytest.mark.parametrize(("path", "column"), [("production/product", "sku"), ("production/printer", "name")])
def test_products_and_printers_export(staff, tenant, make_product, make_printer, path, column):
    chosen = make_product(tenant, sku="SKU-X") if column == "sku" else make_printer(tenant, name="Printer X")

    response = staff.post(f"/admin/{path}/", {"action": "export_admin_action", "_selected_action": [str(chosen.pk)]})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["tenant"], row[column]) for row in rows] == [("acme", getattr(chosen, column))]


def test_imports_record_their_events_with_the_importing_user(staff_user, tenant, pla):
    spools = tablib.Dataset(headers=["tenant", "code", "material", "initial_weight_g"])
    spools.append(["acme", "EVT-1", "PLA Basic", "1000.00"])
    materials = tablib.Dataset(headers=["id", "tenant", "name", "kind"])
    materials.append(["", "acme", "PETG Blue", "PETG"])
    materials.append([str(pla.pk), "acme", "PLA Basic Renamed", "PLA"])

    SpoolResource().import_data(spools, dry_run=False, user=staff_user)
    MaterialResource().import_data(materials, dry_run=False, user=staff_user)

    events = Event.objects.filter(tenant=tenant, actor=staff_user).order_by("id")
    assert [(event.type, event.payload.get("code") or event.payload.get("name")) for event in events] == [
        ("spool.created", "EVT-1"),
        ("material.created", "PETG Blue"),
        ("material.updated", "PLA Basic Renamed"),
    ]


def spool_rows(count, *, material="PLA Basic", start=0):
    return tablib.Dataset(
        *[["acme", f"BULK-{n:05d}", material, "1000.00", "24.99", "Rack 1"] for n in range(start, start + count)],
        headers=HEADER.strip().split(","),
    )


def test_ten_thousand_spools_import_in_batches_of_a_fixed_number_of_queries(staff_user, tenant, pla):
    """Once 21 statements a row (an admin import of 10,000 rows outlasted the worker's 60 s): now a
    fixed number a batch of 500, every spool still with its purchase row and its event."""
    with CaptureQueriesContext(connection) as one_batch:
        SpoolResource().import_data(spool_rows(IMPORT_BATCH_SIZE, start=10_000), dry_run=False, user=staff_user)
    # A batch: its numbers, spools, lock, purchase rows, weights and events, whatever its size, and the
    # file's own lookups (its tenants, materials, existing spools).
    assert len(one_batch) <= 60  # SQLite splits a bulk insert into statements of at most 999 parameters
    with CaptureQueriesContext(connection) as queries:
        result = SpoolResource().import_data(spool_rows(10_000), dry_run=False, user=staff_user)

    assert not result.has_errors() and not result.has_validation_errors(), result.base_errors
    imported = Spool.objects.filter(tenant=tenant, code__lt="BULK-10000")
    assert imported.count() == 10_000
    assert sorted(imported.values_list("number", flat=True)) == list(range(501, 10_501))
    assert InventoryTransaction.objects.filter(spool__in=imported, type="purchase").count() == 10_000
    assert Event.objects.filter(tenant=tenant, type="spool.created", actor=staff_user).count() == 10_500
    assert_ledger_balances()
    assert len(queries) <= 10_000 // IMPORT_BATCH_SIZE * len(one_batch)


def test_a_file_that_names_a_new_code_twice_is_a_row_error(staff_user, tenant, pla):
    """Not a batch's integrity error: the preview shows the row (and offers no confirmation)."""
    dataset = spool_rows(3)
    dataset.append(["acme", "BULK-00001", "PLA Basic", "500.00", "9.99", "Rack 2"])

    result = SpoolResource().import_data(dataset, dry_run=False, user=staff_user)

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 4 and "BULK-00001" in str(invalid.error)
    assert Spool.objects.get(code="BULK-00001").initial_weight_g == Decimal("1000.00")  # the first row's


def test_a_batch_mixes_new_and_changed_spools(staff_user, tenant, pla, make_spool):
    changed = make_spool(tenant, pla, code="BULK-00001", location="Old shelf")
    dataset = spool_rows(3)

    result = SpoolResource().import_data(dataset, dry_run=False, user=staff_user)

    assert not result.has_errors() and not result.has_validation_errors()
    changed.refresh_from_db()
    assert changed.location == "Rack 1" and changed.current_weight_g == Decimal("1000.00")
    assert Spool.objects.filter(tenant=tenant).count() == 3
    assert_ledger_balances()
