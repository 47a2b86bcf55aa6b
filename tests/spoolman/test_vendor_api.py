"""Spoolman's vendor endpoints: find, get, add, update, delete under a manage key, through the inventory services."""

from decimal import Decimal

import pytest

from events.models import Event
from inventory.models import Material, Vendor
from spoolman.catalogue import FieldDefinition, define_field
from spoolman.models import EntityType, FieldType

pytestmark = pytest.mark.django_db


def define(tenant, key, field_type, **options):
    """An extra field of the vendors (named as its key), defined by nobody in particular."""
    definition = FieldDefinition(entity_type=EntityType.VENDOR, key=key, name=key, field_type=field_type, **options)
    return define_field(tenant=tenant, user=None, definition=definition)


def vendor_events(vendor_pk):
    return list(Event.objects.filter(resource_id=vendor_pk).order_by("id"))


def test_a_vendor_is_added_with_spoolman_s_fields_and_its_event(manage_spoolman, tenant):
    answer = manage_spoolman.post(
        "vendor", {"name": "Prusament", "comment": "Czech", "empty_spool_weight": 201.5, "external_id": "prusa"}
    )

    assert answer.status_code == 200
    body = answer.json()
    vendor = Vendor.objects.get(tenant=tenant, number=body["id"])
    assert body == {
        "id": vendor.number,
        "registered": body["registered"],
        "name": "Prusament",
        "comment": "Czech",
        "empty_spool_weight": 201.5,
        "external_id": "prusa",
        "extra": {},
    }
    assert vendor.empty_spool_weight_g == Decimal("201.50")  # exact: a JSON number is never a float here
    (event,) = vendor_events(vendor.pk)
    assert (event.type, event.actor) == ("vendor.created", manage_spoolman.creator)


def test_a_vendor_s_unset_members_are_left_out_as_spoolman_answers(manage_spoolman):
    body = manage_spoolman.post("vendor", {"name": ""}).json()

    assert set(body) == {"id", "registered", "name", "extra"}


def test_an_empty_spool_weight_of_zero_is_kept(manage_spoolman):
    body = manage_spoolman.post("vendor", {"name": "Cardboard", "empty_spool_weight": 0}).json()

    assert body["empty_spool_weight"] == 0
    assert Vendor.objects.get().empty_spool_weight_g == 0


@pytest.mark.parametrize(
    "body",
    [
        {},  # name is required
        {"name": None},
        {"name": 5},
        {"name": "x" * 65},
        {"name": "A", "empty_spool_weight": -1},
        {"name": "A", "empty_spool_weight": "heavy"},
        {"name": "A", "empty_spool_weight": True},
        {"name": "A", "empty_spool_weight": 1.234},  # more decimals than grams are kept with
        {"name": "A", "extra": ["a"]},
        {"name": "A", "extra": {"k": 1}},
    ],
)
def test_a_malformed_vendor_is_a_422_and_nothing_is_written(manage_spoolman, body):
    answer = manage_spoolman.post("vendor", body)

    assert answer.status_code == 422
    assert "message" in answer.json()
    assert not Vendor.objects.exists()
    assert not Event.objects.exists()


def test_extra_values_are_checked_against_the_field_definitions_and_defaults_filled(manage_spoolman, tenant):
    define(tenant, "country", FieldType.TEXT, default_value='"?"')
    define(tenant, "rank", FieldType.INTEGER)

    unknown = manage_spoolman.post("vendor", {"name": "A", "extra": {"nope": '"x"'}})
    wrong = manage_spoolman.post("vendor", {"name": "A", "extra": {"rank": '"first"'}})
    made = manage_spoolman.post("vendor", {"name": "A", "extra": {"rank": "3"}})

    assert (unknown.status_code, wrong.status_code) == (400, 400)
    assert "nope" in unknown.json()["message"]
    assert made.json()["extra"] == {"country": '"?"', "rank": "3"}
    assert Vendor.objects.count() == 1


def test_a_patch_changes_only_what_it_sends_and_merges_extra(manage_spoolman, tenant, make_vendor):
    define(tenant, "a", FieldType.TEXT)
    define(tenant, "b", FieldType.TEXT)
    vendor = make_vendor(tenant, name="Old", comment="keep", extra={"a": '"1"', "b": '"2"'})

    answer = manage_spoolman.patch(f"vendor/{vendor.number}", {"name": "New", "extra": {"a": None, "b": '"3"'}})

    assert answer.status_code == 200
    vendor.refresh_from_db()
    assert (vendor.name, vendor.comment, vendor.extra) == ("New", "keep", {"b": '"3"'})
    assert [event.type for event in vendor_events(vendor.pk)] == ["vendor.updated"]


def test_a_vendor_s_name_cannot_be_cleared_and_its_comment_can(manage_spoolman, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Keep", comment="gone soon")

    refused = manage_spoolman.patch(f"vendor/{vendor.number}", {"name": None})
    cleared = manage_spoolman.patch(f"vendor/{vendor.number}", {"comment": None})

    assert refused.status_code == 422
    assert cleared.status_code == 200
    vendor.refresh_from_db()
    assert (vendor.name, vendor.comment) == ("Keep", "")


def test_deleting_a_vendor_keeps_its_materials_without_a_vendor(manage_spoolman, tenant, make_material):
    material = make_material(tenant, brand="Doomed")
    vendor = material.vendor

    answer = manage_spoolman.delete(f"vendor/{vendor.number}")

    assert (answer.status_code, answer.json()) == (200, {"message": "Success!"})
    assert not Vendor.objects.filter(pk=vendor.pk).exists()
    material.refresh_from_db()
    assert material.vendor is None
    assert [event.type for event in vendor_events(vendor.pk)] == ["vendor.deleted"]
    assert manage_spoolman.get(f"vendor/{vendor.number}").status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_an_unknown_vendor_is_spoolman_s_404(manage_spoolman, method):
    call = getattr(manage_spoolman, method)
    answer = call("vendor/123456789", {"name": "x"}) if method == "patch" else call("vendor/123456789")

    assert answer.status_code == 404
    assert answer.json() == {"message": "No vendor with ID 123456789 found."}


def test_another_tenant_s_vendor_is_a_404_and_untouched(manage_spoolman, other_tenant, make_vendor):
    theirs = make_vendor(other_tenant, name="Theirs")

    assert manage_spoolman.get(f"vendor/{theirs.number}").status_code == 404
    assert manage_spoolman.patch(f"vendor/{theirs.number}", {"name": "Mine"}).status_code == 404
    assert manage_spoolman.delete(f"vendor/{theirs.number}").status_code == 404
    assert manage_spoolman.get("vendor").json() == []
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_a_printer_key_reads_vendors_but_may_not_write_them(spoolman, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Acme")

    assert spoolman.get("vendor").status_code == 200
    assert spoolman.get(f"vendor/{vendor.number}").status_code == 200
    for answer in (
        spoolman.post("vendor", {"name": "New"}),
        spoolman.patch(f"vendor/{vendor.number}", {"name": "Renamed"}),
        spoolman.delete(f"vendor/{vendor.number}"),
    ):
        assert answer.status_code == 403
        assert "manage key" in answer.json()["message"]
    assert list(Vendor.objects.values_list("name", flat=True)) == ["Acme"]
    assert not Event.objects.filter(type__startswith="vendor.").exists()


def test_vendors_are_found_by_name_and_external_id_sorted_and_paged(manage_spoolman, tenant, make_vendor):
    john = make_vendor(tenant, name="John", comment="c")
    stan = make_vendor(tenant, name="Stan", external_id="ext")
    nameless = make_vendor(tenant, name="")

    def numbers(**params):
        return [row["id"] for row in manage_spoolman.get("vendor", **params).json()]

    assert numbers(name="joh") == [john.number]
    assert numbers(name='"john"') == []  # quoted: exact and case-sensitive
    assert numbers(name="") == [nameless.number]
    assert numbers(external_id="") == [john.number, nameless.number]
    assert numbers(sort="id:desc") == [nameless.number, stan.number, john.number]
    assert numbers(sort="comment:asc") == [john.number, stan.number, nameless.number]  # no comment: last
    page = manage_spoolman.get("vendor", sort="id:asc", limit=1, offset=1)
    assert ([row["id"] for row in page.json()], page["X-Total-Count"]) == ([stan.number], "3")
    assert manage_spoolman.get("vendor", sort="nope:asc").status_code == 400
    assert manage_spoolman.get("vendor", limit="-1").status_code == 422


def test_the_vendor_export_is_spoolman_s_csv_and_json(manage_spoolman, tenant, make_vendor):
    make_vendor(tenant, name="=cmd", empty_spool_weight_g=Decimal("200"), extra={"k": '"v"'})

    csv = manage_spoolman.get("export/vendors", fmt="csv")
    as_json = manage_spoolman.get("export/vendors", fmt="json")

    assert csv["Content-Type"] == "text/csv"
    assert csv["Content-Disposition"] == 'attachment; filename="vendors.csv"'
    header, row = csv.content.decode().splitlines()
    assert header == "comment,empty_spool_weight,external_id,extra.k,id,name,registered"
    assert "'=cmd" in row  # a formula a spreadsheet would run is made text
    (vendor,) = as_json.json()
    assert (vendor["name"], vendor["empty_spool_weight"], vendor["extra.k"]) == ("=cmd", 200.0, '"v"')
    assert manage_spoolman.get("export/vendors").status_code == 422


def test_a_vendor_write_is_one_transaction_with_its_answer(manage_spoolman, tenant, make_vendor):
    """A refusal after the lookup (an extra value of the wrong type) leaves the vendor as it was."""
    define(tenant, "n", FieldType.INTEGER)
    vendor = make_vendor(tenant, name="Same")

    answer = manage_spoolman.patch(f"vendor/{vendor.number}", {"name": "Changed", "extra": {"n": "1.5"}})

    assert answer.status_code == 400
    vendor.refresh_from_db()
    assert vendor.name == "Same"
    assert not Material.objects.exists()
    assert not Event.objects.filter(resource_id=vendor.pk).exists()
