"""Spoolman's spool endpoints under a manage key (spoolman/spool_api.py): add, update, delete, find, the
locations and lot numbers, with the ledger exact after each write, and refusals that write nothing."""

import math
from decimal import Decimal

import pytest

from events.models import Event
from inventory.models import InventoryTransaction, Spool
from spoolman import services
from spoolman.models import ExtraField, KeyScope
from tenants.models import Membership
from tests.support.clients import SpoolmanClient
from tests.support.ledger import assert_ledger_balances, ledger_rows


@pytest.fixture
def filament(tenant, make_material):
    """A filament as Spoolman's suite makes one: 1000 g net on a 250 g reel."""
    return make_material(
        tenant,
        name="Filament X",
        brand="Vendor X",
        material_name="PLA",
        density_g_cm3=Decimal("1.25"),
        weight_g=Decimal("1000"),
        spool_weight_g=Decimal("250"),
    )


def added(client, filament, **body):
    response = client.post("spool", {"filament_id": filament.number, **body})
    assert response.status_code == 200, response.content
    return response.json(), Spool.objects.get(number=response.json()["id"], tenant=filament.tenant)


def counts():
    return Spool.objects.count(), InventoryTransaction.objects.count(), Event.objects.count()


# --- add --------------------------------------------------------------------------------------


def test_a_spool_added_part_used_opens_its_ledger_at_what_it_holds(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=750, location="The Pantry", price=25)

    assert (shape["initial_weight"], shape["remaining_weight"], shape["used_weight"]) == (1000.0, 750.0, 250.0)
    assert (shape["spool_weight"], shape["price"], shape["location"]) == (250.0, 25.0, "The Pantry")
    assert shape["archived"] is False and "lot_nr" not in shape and "comment" not in shape  # nulls left out
    (row,) = assert_ledger_balances(spool)
    assert (row.type, row.weight_change_g) == ("purchase", Decimal("750.00"))
    assert row.user.username == "spoolman-owner"  # the manage key's creator
    assert Event.objects.filter(type="spool.created", resource_id=spool.pk).exists()


def test_a_used_weight_on_adding_is_taken_off_the_initial_weight(manage_client, filament):
    shape, spool = added(manage_client, filament, used_weight=250, initial_weight=1255, spool_weight=246)

    assert (shape["initial_weight"], shape["remaining_weight"], shape["spool_weight"]) == (1255.0, 1005.0, 246.0)
    assert assert_ledger_balances(spool)[0].weight_change_g == Decimal("1005.00")


def test_a_spool_added_without_a_weight_is_full(manage_client, filament):
    shape, spool = added(manage_client, filament)

    assert (shape["remaining_weight"], shape["used_weight"]) == (1000.0, 0.0)
    assert assert_ledger_balances(spool)[0].description == "Initial weight on purchase"


def test_a_spool_whose_initial_weight_nobody_knows_has_none(manage_client, tenant, make_material):
    unknown = make_material(tenant, name="", brand="")
    shape, spool = added(manage_client, unknown)

    assert "initial_weight" not in shape and "remaining_weight" not in shape and shape["used_weight"] == 0.0
    assert spool.initial_weight_g == 0
    assert_ledger_balances(spool)
    shape, spool = added(manage_client, unknown, used_weight=100)
    assert (shape["initial_weight"], shape["remaining_weight"], shape["used_weight"]) == (100.0, 0.0, 100.0)
    assert_ledger_balances(spool)


def test_dates_are_read_as_utc_and_grams_as_decimals(manage_client, filament):
    shape, spool = added(
        manage_client,
        filament,
        first_used="2023-01-02T12:00:00+01:00",
        last_used="2023-01-02T11:00:00",
        remaining_weight=750.125,
    )

    assert (shape["first_used"], shape["last_used"]) == ("2023-01-02T11:00:00Z", "2023-01-02T11:00:00Z")
    assert spool.current_weight_g == Decimal("750.13")  # the ledger's whole cents, half up, never a float
    assert_ledger_balances(spool)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"remaining_weight": 750, "used_weight": 250}, 400),
        ({"filament_id": 999}, 404),
        ({"remaining_weight": -1}, 422),
        ({"remaining_weight": "x"}, 422),
        ({"location": "x" * 65}, 422),
        ({"first_used": "yesterday"}, 422),
        ({"archived": "yes"}, 422),
        ({"extra": {"nope": '"x"'}}, 400),
    ],
)
def test_a_refused_add_writes_nothing(manage_client, filament, body, status):
    before = counts()
    response = manage_client.post("spool", {"filament_id": filament.number, **body})

    assert response.status_code == status, response.content
    assert set(response.json()) == {"message"}
    assert counts() == before


def test_extra_values_are_checked_and_defaults_filled(manage_client, filament, tenant):
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="shelf", name="Shelf", field_type="text")
    ExtraField.objects.create(
        tenant=tenant, entity_type="spool", key="dry", name="Dry", field_type="boolean", default_value="true"
    )

    shape, _ = added(manage_client, filament, extra={"shelf": '"A1"'})
    assert shape["extra"] == {"shelf": '"A1"', "dry": "true"}
    assert manage_client.post("spool", {"filament_id": filament.number, "extra": {"dry": '"x"'}}).status_code == 400


# --- update -----------------------------------------------------------------------------------


def test_a_patched_remaining_weight_is_an_adjustment_row_by_the_key_s_actor(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=1000)

    patched = manage_client.patch(f"spool/{shape['id']}", {"remaining_weight": 750, "location": "Living Room"})

    assert patched.status_code == 200, patched.content
    assert (patched.json()["remaining_weight"], patched.json()["location"]) == (750.0, "Living Room")
    _, adjustment = assert_ledger_balances(spool)
    assert (adjustment.type, adjustment.weight_change_g) == ("adjustment", Decimal("-250.00"))
    assert adjustment.user.username == "spoolman-owner"
    assert Event.objects.filter(type="spool.adjusted", resource_id=spool.pk).exists()
    assert Event.objects.filter(type="spool.updated", resource_id=spool.pk).exists()


def test_a_patched_initial_weight_keeps_what_was_used(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=1000, initial_weight=1255)

    patched = manage_client.patch(f"spool/{shape['id']}", {"initial_weight": 1005}).json()

    assert (patched["initial_weight"], patched["used_weight"], patched["remaining_weight"]) == (1005.0, 255.0, 750.0)
    assert assert_ledger_balances(spool)[-1].weight_change_g == Decimal("-250.00")
    patched = manage_client.patch(f"spool/{shape['id']}", {"used_weight": 5, "initial_weight": 1005}).json()
    assert (patched["remaining_weight"], patched["used_weight"]) == (1000.0, 5.0)
    assert_ledger_balances(spool)


def test_plain_fields_patch_without_a_ledger_row(manage_client, filament, tenant):
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="shelf", name="Shelf", field_type="text")
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="bin", name="Bin", field_type="text")
    shape, spool = added(manage_client, filament, extra={"shelf": '"A"', "bin": '"1"'})

    patched = manage_client.patch(
        f"spool/{shape['id']}",
        {
            "archived": True,
            "lot_nr": "L1",
            "comment": "c",
            "last_used": "2023-01-02T12:00:00+02:00",
            "price": 9.5,
            "extra": {"bin": None, "shelf": '"B"'},
        },
    ).json()

    assert (patched["archived"], patched["lot_nr"], patched["comment"], patched["price"]) == (True, "L1", "c", 9.5)
    assert (patched["last_used"], patched["extra"]) == ("2023-01-02T10:00:00Z", {"shelf": '"B"'})
    assert len(ledger_rows(spool)) == 1
    spool.refresh_from_db()
    assert spool.is_active is False


def test_a_patch_may_move_a_spool_to_another_filament(manage_client, filament, tenant, make_material):
    other = make_material(tenant, name="Other", brand="Vendor X", material_name="PETG")
    shape, _ = added(manage_client, filament)

    assert (
        manage_client.patch(f"spool/{shape['id']}", {"filament_id": other.number}).json()["filament"]["id"]
        == other.number
    )
    assert manage_client.patch(f"spool/{shape['id']}", {"filament_id": None}).status_code == 422
    assert manage_client.patch(f"spool/{shape['id']}", {"filament_id": 999}).status_code == 404


@pytest.mark.parametrize(
    "body", [{"remaining_weight": 750, "used_weight": 250}, {"remaining_weight": -5}, {"extra": {"nope": "1"}}]
)
def test_a_refused_patch_writes_nothing(manage_client, filament, body):
    shape, spool = added(manage_client, filament)
    before = counts()

    response = manage_client.patch(f"spool/{shape['id']}", {"location": "moved", **body})

    assert 400 <= response.status_code < 500 and set(response.json()) == {"message"}
    assert counts() == before
    spool.refresh_from_db()
    assert spool.location == ""


def test_a_weight_of_a_spool_whose_initial_weight_is_not_known_is_refused_whole(manage_client, tenant, make_material):
    shape, spool = added(manage_client, make_material(tenant, name="", brand=""))
    before = counts()

    response = manage_client.patch(f"spool/{shape['id']}", {"location": "moved", "remaining_weight": 10})

    assert response.status_code == 400 and "initial_weight" in response.json()["message"]
    assert counts() == before
    spool.refresh_from_db()
    assert spool.location == ""
    patched = manage_client.patch(f"spool/{shape['id']}", {"initial_weight": 800, "remaining_weight": 500}).json()
    assert (patched["initial_weight"], patched["remaining_weight"], patched["used_weight"]) == (800.0, 500.0, 300.0)
    assert_ledger_balances(spool)


def test_a_patch_of_an_unknown_spool_is_spoolman_s_404(manage_client, filament):
    response = manage_client.patch("spool/123456789", {"filament_id": filament.number})

    assert response.status_code == 404
    assert response.json() == {"message": "No spool with ID 123456789 found."}


def test_weights_need_an_admin_s_key_other_fields_a_member_s(tenant, filament, make_member, manage_client):
    shape, spool = added(manage_client, filament)
    admin = make_member(tenant, "admin", username="was-admin")
    key = services.create_key(tenant=tenant, user=admin, draft=services.KeyDraft(scope=KeyScope.MANAGE))
    Membership.objects.filter(tenant=tenant, user=admin).update(role="member")  # the key acts with the role now
    client = SpoolmanClient(key.secret)

    assert client.patch(f"spool/{shape['id']}", {"location": "Shelf"}).status_code == 200
    refused = client.patch(f"spool/{shape['id']}", {"remaining_weight": 10, "location": "Other"})
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    assert client.delete(f"spool/{shape['id']}").status_code == 403
    spool.refresh_from_db()
    assert (spool.location, len(ledger_rows(spool))) == ("Shelf", 1)


# --- printer keys and tenants -----------------------------------------------------------------


def test_a_printer_key_reads_uses_and_measures_but_writes_nothing_else(spoolman, manage_client, filament):
    shape, spool = added(manage_client, filament)
    before = counts()

    for response in (
        spoolman.post("spool", {"filament_id": filament.number}),
        spoolman.patch(f"spool/{shape['id']}", {"location": "x"}),
        spoolman.delete(f"spool/{shape['id']}"),
        spoolman.patch("location/x", {"name": "y"}),
        spoolman.patch("spool/field/location", {"value": "x", "new_value": "y"}),
    ):
        assert response.status_code == 403 and set(response.json()) == {"message"}
    assert counts() == before
    assert spoolman.get(f"spool/{shape['id']}").json() == shape
    assert spoolman.put(f"spool/{shape['id']}/use", {"use_weight": 10}).json()["remaining_weight"] == 990.0
    assert_ledger_balances(spool)


def test_another_tenant_s_numbers_are_404(manage_client, other_tenant, make_spool, make_material, filament):
    theirs = make_spool(other_tenant, make_material(other_tenant))
    before = counts()

    assert manage_client.get(f"spool/{theirs.number}").status_code == 404
    assert manage_client.patch(f"spool/{theirs.number}", {"location": "x"}).status_code == 404
    assert manage_client.delete(f"spool/{theirs.number}").status_code == 404
    assert manage_client.post("spool", {"filament_id": theirs.material.number + 50}).status_code == 404
    assert manage_client.get("spool").json() == []
    assert counts() == before


# --- delete -----------------------------------------------------------------------------------


def test_a_spool_with_only_its_opening_row_is_deleted(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=600)

    assert manage_client.delete(f"spool/{shape['id']}").json() == {"message": "Success!"}

    assert not Spool.objects.filter(pk=spool.pk).exists()
    assert not InventoryTransaction.objects.filter(spool_id=spool.pk).exists()
    assert manage_client.get(f"spool/{shape['id']}").status_code == 404


def test_a_spool_with_history_is_archived_and_gone_from_spoolman_not_erased(manage_client, filament):
    shape, spool = added(manage_client, filament)
    manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 12.5})

    deleted = manage_client.delete(f"spool/{shape['id']}")

    assert deleted.status_code == 200
    spool.refresh_from_db()
    assert (spool.is_active, spool.removed_at is not None) == (False, True)
    assert [row.type for row in assert_ledger_balances(spool)] == ["purchase", "printer_use"]
    assert Event.objects.filter(type="spool.archived", resource_id=spool.pk).exists()
    for path in (f"spool/{shape['id']}",):
        assert manage_client.get(path).status_code == 404
    assert manage_client.get("spool", allow_archived="true").json() == []
    assert manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 1}).status_code == 404
    assert manage_client.patch(f"spool/{shape['id']}", {"location": "x"}).status_code == 404
    assert manage_client.delete(f"spool/{shape['id']}").status_code == 404


# --- use and measure --------------------------------------------------------------------------


def test_a_use_of_nothing_sets_the_use_dates(manage_client, filament):
    shape, spool = added(manage_client, filament, first_used="2023-01-01T00:00:00Z")

    used = manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 0}).json()

    assert used["first_used"] == "2023-01-01T00:00:00Z" and used["last_used"] is not None
    assert len(ledger_rows(spool)) == 1


def test_a_use_below_a_cent_is_reported_exactly_though_the_ledger_carries_it(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=1000)

    used = manage_client.put(f"spool/{shape['id']}/use", {"use_length": 10}).json()

    grams = Decimal("1.25") * Decimal("1.0") * Decimal("0.0875") ** 2 * Decimal(str(math.pi))  # 1 cm: 0.03007 g
    assert used["remaining_weight"] == pytest.approx(float(1000 - grams), abs=1e-6)
    assert used["used_weight"] == pytest.approx(float(grams), abs=1e-6)
    assert manage_client.get(f"spool/{shape['id']}").json()["remaining_weight"] == used["remaining_weight"]
    spool.refresh_from_db()
    assert (spool.current_weight_g, spool.unbooked_use_g) == (Decimal("999.97"), Decimal("0.000066"))
    assert [row["id"] for row in manage_client.get("spool", sort="remaining_weight:asc").json()] == [shape["id"]]


def test_a_use_beyond_what_the_spool_holds_is_used_weight_past_the_initial(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=1000)

    used = manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 1500}).json()

    assert (used["initial_weight"], used["remaining_weight"], used["used_weight"]) == (1000.0, 0.0, 1500.0)
    assert manage_client.get(f"spool/{shape['id']}").json()["used_weight"] == 1500.0
    again = manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 20}).json()
    assert (again["remaining_weight"], again["used_weight"]) == (0.0, 1520.0)
    rows = assert_ledger_balances(spool)
    assert [(row.weight_change_g, row.excess_g) for row in rows[1:]] == [
        (Decimal("-1000.00"), Decimal("500.00")),
        (Decimal("0.00"), Decimal("20.00")),
    ]


@pytest.mark.parametrize(
    ("body", "remaining", "used"),
    [
        ({"remaining_weight": 300}, 300.0, 700.0),
        ({"used_weight": 1200}, 0.0, 1200.0),
        ({"initial_weight": 2000}, 500.0, 1500.0),
    ],
)
def test_a_patch_of_the_weights_resets_the_use_beyond_as_spoolman_s_used_weight(
    manage_client, filament, body, remaining, used
):
    shape, _ = added(manage_client, filament, remaining_weight=1000)
    manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 1500})

    patched = manage_client.patch(f"spool/{shape['id']}", body).json()

    assert (patched["remaining_weight"], patched["used_weight"]) == (remaining, used)
    assert manage_client.get(f"spool/{shape['id']}").json() == patched


def test_a_weighing_resets_the_use_beyond_and_the_carried_use(manage_client, filament):
    shape, spool = added(manage_client, filament, remaining_weight=1000, spool_weight=250)
    manage_client.put(f"spool/{shape['id']}/use", {"use_weight": 1500.004})

    weighed = manage_client.put(f"spool/{shape['id']}/measure", {"weight": 250}).json()

    assert (weighed["remaining_weight"], weighed["used_weight"]) == (0.0, 1000.0)
    spool.refresh_from_db()
    assert (spool.overused_g, spool.unbooked_use_g) == (0, 0)


def test_a_weighing_heavier_than_the_spool_started_is_its_new_initial_weight(manage_client, filament):
    shape, spool = added(manage_client, filament, initial_weight=1000, spool_weight=246)

    weighed = manage_client.put(f"spool/{shape['id']}/measure", {"weight": 1500}).json()

    assert (weighed["initial_weight"], weighed["remaining_weight"], weighed["used_weight"]) == (1254.0, 1254.0, 0.0)
    weighed = manage_client.put(f"spool/{shape['id']}/measure", {"weight": 1000}).json()
    assert (weighed["remaining_weight"], weighed["used_weight"]) == (754.0, 500.0) and weighed["first_used"]
    assert_ledger_balances(spool)


# --- find, locations, lot numbers -------------------------------------------------------------


def test_the_list_filters_sorts_and_pages_as_spoolman(manage_client, filament, tenant, make_material):
    bare = make_material(tenant, name="", brand="")
    one, _ = added(manage_client, filament, remaining_weight=1000, location="The Pantry", lot_nr="123")
    two, _ = added(manage_client, filament, remaining_weight=1000, location="Living Room", lot_nr="987")
    three, _ = added(manage_client, filament, remaining_weight=1000, archived=True)
    four, _ = added(manage_client, bare, used_weight=1000)

    def ids(**params):
        response = manage_client.get("spool", **params)
        assert response.status_code == 200, response.content
        return [s["id"] for s in response.json()]

    assert ids() == [one["id"], two["id"], four["id"]]
    assert ids(sort="used_weight:desc,id:asc", allow_archived="true") == [four["id"], one["id"], two["id"], three["id"]]
    assert ids(**{"filament.vendor.id": "-1"}) == [four["id"]]
    assert ids(vendor_name="Vendor X") == [one["id"], two["id"]]
    assert ids(location="The Pantry,") == [one["id"], four["id"]]
    assert ids(lot_nr="") == [four["id"]]
    assert ids(sort="id:desc", limit="2", offset="1") == [two["id"], one["id"]]
    assert manage_client.get("spool", limit="1")["X-Total-Count"] == "3"
    assert manage_client.get("spool", sort="nope:asc").status_code == 400
    assert manage_client.get("spool", **{"filament.id": "x"}).status_code == 422


def test_extra_filters_reach_the_filament_and_its_vendor(manage_client, filament, tenant):
    ExtraField.objects.create(tenant=tenant, entity_type="filament", key="grade", name="Grade", field_type="text")
    filament.extra = {"grade": '"pro"'}
    filament.save(update_fields=["extra"])
    one, _ = added(manage_client, filament)

    assert [s["id"] for s in manage_client.get("spool", **{"filament.extra.grade": "pro"}).json()] == [one["id"]]
    assert manage_client.get("spool", **{"filament.extra.grade": "basic"}).json() == []


def test_locations_and_lot_numbers_are_listed_and_renamed(manage_client, filament):
    _, spool = added(manage_client, filament, location="Shelf A", lot_nr="L1")
    added(manage_client, filament, location="Shelf B")

    assert manage_client.get("location").json() == ["Shelf A", "Shelf B"]
    assert manage_client.get("lot-number").json() == ["L1"]
    assert manage_client.patch("location/Shelf A", {"name": "Shelf C"}).json() == "Shelf C"
    assert manage_client.get("location").json() == ["Shelf B", "Shelf C"]
    renamed = manage_client.patch("spool/field/location", {"value": "Shelf B", "new_value": "Shelf C"})
    assert renamed.json() == {"spools_updated": 1}
    assert manage_client.get("location").json() == ["Shelf C"]
    assert manage_client.patch("spool/field/lot_nr", {"value": "L1", "new_value": "L2"}).status_code == 400
    assert_ledger_balances(spool)


# --- groups -----------------------------------------------------------------------------------


def test_groups_count_weigh_and_page_whole_groups(manage_client, filament):
    added(manage_client, filament, remaining_weight=1000, location="Shelf A")
    added(manage_client, filament, remaining_weight=400, location="Shelf B")
    added(manage_client, filament, remaining_weight=1000, location="Shelf B", archived=True)
    added(manage_client, filament, location="", initial_weight=2000)

    (group,) = manage_client.get("spool/group", group_by="filament").json()
    assert (group["key"], group["spool_count"], group["in_use_count"]) == (str(filament.number), 3, 1)
    assert (group["total_remaining_weight"], group["filament"]["id"]) == (3400.0, filament.number)
    assert manage_client.get("spool/group", group_by="filament", allow_archived="1").json()[0]["spool_count"] == 4

    by_location = manage_client.get("spool/group", group_by="location", sort="group.title:asc")
    assert [(g.get("key"), g["spool_count"]) for g in by_location.json()] == [("Shelf A", 1), ("Shelf B", 1), (None, 1)]
    assert by_location["X-Total-Count"] == "3" and "filament" not in by_location.json()[0]
    paged = manage_client.get("spool/group", group_by="location", sort="group.title:asc", limit="1", offset="1")
    assert [g["key"] for g in paged.json()] == ["Shelf B"]
    by_weight = manage_client.get("spool/group", group_by="location", sort="group.total_remaining:desc").json()
    assert [g.get("key") for g in by_weight] == [None, "Shelf A", "Shelf B"]


def test_groups_by_an_extra_field_join_every_unset_spelling(manage_client, filament, tenant):
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="shelf", name="Shelf", field_type="text")
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="count", name="Count", field_type="integer")
    for extra in ({}, {"shelf": '""'}, {"shelf": '"A"'}, {"shelf": '"A"'}):
        added(manage_client, filament, extra=extra)

    groups = manage_client.get("spool/group", group_by="extra.shelf").json()
    assert {g.get("key"): g["spool_count"] for g in groups} == {None: 2, "A": 2}
    for group_by in ("extra.count", "extra.nope", "banana"):
        response = manage_client.get("spool/group", group_by=group_by)
        assert response.status_code == 400 and set(response.json()) == {"message"}, group_by
    assert manage_client.get("spool/group").status_code == 422


def test_a_printer_key_reads_the_groups_of_its_tenant_only(spoolman, manage_client, filament, other_tenant, make_spool):
    make_spool(other_tenant)
    added(manage_client, filament)

    groups = spoolman.get("spool/group", group_by="vendor").json()
    assert [(g["key"], g["vendor"]["name"], g["spool_count"]) for g in groups] == [
        (str(filament.vendor.number), "Vendor X", 1)
    ]


# --- export -----------------------------------------------------------------------------------


def test_spools_export_flattened_as_json_and_csv(manage_client, filament, tenant):
    ExtraField.objects.create(tenant=tenant, entity_type="spool", key="shelf", name="Shelf", field_type="text")
    one, _ = added(manage_client, filament, comment="=SUM(A1)", extra={"shelf": '"A"'})
    added(manage_client, filament, archived=True)

    exported = manage_client.get("export/spools", fmt="json")
    assert exported["Content-Disposition"] == 'attachment; filename="spools.json"'
    (row,) = exported.json()
    assert (row["id"], row["filament.vendor.name"], row["extra.shelf"]) == (one["id"], "Vendor X", '"A"')
    assert len(manage_client.get("export/spools", fmt="json", allow_archived="true").json()) == 2
    table = manage_client.get("export/spools", fmt="csv").content.decode()
    assert "filament.vendor.name" in table.splitlines()[0] and "'=SUM(A1)" in table
    assert manage_client.get("export/spools", fmt="xml").status_code == 422
