"""Spoolman's filament endpoints (a filament is a material) and its material, article-number and export lists."""

from decimal import Decimal

import pytest

from events.models import Event
from inventory.models import Material, Spool
from spoolman import colors
from spoolman.catalogue import FieldDefinition, define_field
from spoolman.models import EntityType, FieldType
from tests.support.clients import token_client
from tests.support.ledger import ledger_rows

pytestmark = pytest.mark.django_db


def define(tenant, key, field_type, **options):
    """An extra field of the filaments (named as its key), defined by nobody in particular."""
    definition = FieldDefinition(entity_type=EntityType.FILAMENT, key=key, name=key, field_type=field_type, **options)
    return define_field(tenant=tenant, user=None, definition=definition)


FULL = {
    "name": "Galaxy Black",
    "material": "PLA",
    "price": 24.99,
    "density": 1.24,
    "diameter": 1.75,
    "weight": 1000,
    "spool_weight": 250,
    "article_number": "PM70820",
    "comment": "abcdefghåäö",
    "settings_extruder_temp": 215,
    "settings_bed_temp": 60,
    "color_hex": "#1a1a1a",
    "external_id": "prusament_pla_galaxy_black",
}


def material_events(material_pk):
    return [event.type for event in Event.objects.filter(resource_id=material_pk).order_by("id")]


def test_a_filament_is_added_with_every_spoolman_field_stored(manage_spoolman, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Prusament")

    answer = manage_spoolman.post("filament", {**FULL, "vendor_id": vendor.number})

    assert answer.status_code == 200
    body = answer.json()
    material = Material.objects.get(tenant=tenant, number=body["id"])
    assert body["vendor"]["id"] == vendor.number
    assert {key: body[key] for key in FULL} == {**FULL, "color_hex": "1A1A1A"}
    assert (material.kind, material.material_name) == ("PLA", "PLA")
    assert (material.price, material.density_g_cm3, material.weight_g) == (
        Decimal("24.99"),
        Decimal("1.24"),
        Decimal("1000"),
    )
    assert (material.notes, material.color_hex, material.settings_extruder_temp) == ("abcdefghåäö", "#1a1a1a", 215)
    assert material_events(material.pk) == ["material.created"]
    assert Event.objects.get(resource_id=material.pk).actor == manage_spoolman.creator


@pytest.mark.parametrize(("material", "kind"), [("pla", "PLA"), ("PETG", "PETG"), ("PLA+", "OTHER"), (None, "OTHER")])
def test_our_kind_is_derived_from_spoolman_s_free_text_material(manage_spoolman, material, kind):
    body = manage_spoolman.post("filament", {"density": 1.24, "diameter": 1.75, "material": material}).json()

    stored = Material.objects.get(number=body["id"])
    assert (stored.kind, stored.material_name) == (kind, material or "")
    assert body.get("material") == material


def test_a_filament_takes_its_vendor_s_empty_spool_weight_unless_given(manage_spoolman, tenant, make_vendor):
    vendor = make_vendor(tenant, empty_spool_weight_g=Decimal("246"))

    defaulted = manage_spoolman.post("filament", {"density": 1.24, "diameter": 1.75, "vendor_id": vendor.number})
    given = manage_spoolman.post(
        "filament", {"density": 1.24, "diameter": 1.75, "vendor_id": vendor.number, "spool_weight": 100}
    )

    assert (defaulted.json()["spool_weight"], given.json()["spool_weight"]) == (246.0, 100.0)


@pytest.mark.parametrize(
    "body",
    [
        {"diameter": 1.75},  # density is required
        {"density": 1.24},
        {"density": 0, "diameter": 1.75},
        {"density": "dense", "diameter": 1.75},
        {"density": 1.24, "diameter": 1.75, "weight": 0},
        {"density": 1.24, "diameter": 1.75, "price": -1},
        {"density": 1.24, "diameter": 1.75, "settings_bed_temp": 60.5},
        {"density": 1.24, "diameter": 1.75, "name": 7},
        {"density": 1.24, "diameter": 1.75, "color_hex": "red"},
        {"density": 1.24, "diameter": 1.75, "multi_color_hexes": "FF0000,", "multi_color_direction": "coaxial"},
        {"density": 1.24, "diameter": 1.75, "multi_color_hexes": "FF0000,00FF00"},
        {"density": 1.24, "diameter": 1.75, "multi_color_direction": "coaxial"},
        {"density": 1.24, "diameter": 1.75, "multi_color_hexes": "FF0000,00FF00", "multi_color_direction": "spiral"},
        {"density": 1.24, "diameter": 1.75, "color_hex": "FF0000", "multi_color_hexes": "FF0000,00FF00"},
    ],
)
def test_a_malformed_filament_is_a_422_and_nothing_is_written(manage_spoolman, body):
    answer = manage_spoolman.post("filament", body)

    assert answer.status_code == 422
    assert "message" in answer.json()
    assert not Material.objects.exists()
    assert not Event.objects.exists()


def test_an_unknown_vendor_id_is_spoolman_s_404_and_nothing_is_written(manage_spoolman):
    answer = manage_spoolman.post("filament", {"density": 1.24, "diameter": 1.75, "vendor_id": 99})

    assert answer.status_code == 404
    assert "vendor" in answer.json()["message"].lower()
    assert not Material.objects.exists()


def test_alpha_and_multi_colour_filaments_keep_their_colours(manage_spoolman):
    alpha = manage_spoolman.post("filament", {"density": 1.24, "diameter": 1.75, "color_hex": "FF000088"}).json()
    multi = manage_spoolman.post(
        "filament",
        {"density": 1.24, "diameter": 1.75, "multi_color_hexes": "FF0000,00FF00", "multi_color_direction": "coaxial"},
    ).json()

    assert alpha["color_hex"] == "FF000088"
    assert (multi["multi_color_hexes"], multi["multi_color_direction"]) == ("FF0000,00FF00", "coaxial")


def test_a_patch_changes_only_what_it_sends(manage_spoolman, tenant, make_material, make_vendor):
    material = make_material(tenant, name="Old", brand="Acme", density_g_cm3=Decimal("1.24"))
    other = make_vendor(tenant, name="Other")

    answer = manage_spoolman.patch(
        f"filament/{material.number}", {"material": "ABS", "density": 1.04, "vendor_id": other.number}
    )

    assert answer.status_code == 200
    assert (answer.json()["vendor"]["name"], answer.json()["material"]) == ("Other", "ABS")
    material.refresh_from_db()
    assert (material.name, material.kind, material.density_g_cm3, material.vendor) == (
        "Old",
        "ABS",
        Decimal("1.040"),
        other,
    )
    assert material_events(material.pk) == ["material.updated"]
    cleared = manage_spoolman.patch(f"filament/{material.number}", {"vendor_id": None})
    assert "vendor" not in cleared.json()


def test_density_and_diameter_cannot_be_cleared(manage_spoolman, tenant, make_material):
    material = make_material(tenant, density_g_cm3=Decimal("1.24"))

    answer = manage_spoolman.patch(f"filament/{material.number}", {"density": None, "diameter": None})

    assert answer.status_code == 422
    material.refresh_from_db()
    assert material.density_g_cm3 == Decimal("1.24")
    assert material_events(material.pk) == []


def test_filament_extra_values_are_checked_and_merged(manage_spoolman, tenant, make_material):
    define(tenant, "dry", FieldType.BOOLEAN)
    material = make_material(tenant, extra={"dry": "true"})

    refused = manage_spoolman.patch(f"filament/{material.number}", {"name": "X", "extra": {"dry": '"yes"'}})
    merged = manage_spoolman.patch(f"filament/{material.number}", {"extra": {"dry": None}})

    assert refused.status_code == 400
    assert merged.json()["extra"] == {}
    material.refresh_from_db()
    assert (material.name, material.extra) == ("PLA Basic", {})


def test_a_filament_that_spools_use_is_not_deleted(manage_spoolman, tenant, spool, pla):
    answer = manage_spoolman.delete(f"filament/{pla.number}")

    assert answer.status_code == 403
    assert "message" in answer.json()
    assert Material.objects.filter(pk=pla.pk).exists()
    assert "material.deleted" not in material_events(pla.pk)


def test_a_filament_without_spools_is_deleted_with_its_event(manage_spoolman, tenant, make_material):
    material = make_material(tenant)

    answer = manage_spoolman.delete(f"filament/{material.number}")

    assert (answer.status_code, answer.json()) == (200, {"message": "Success!"})
    assert not Material.objects.filter(pk=material.pk).exists()
    assert material_events(material.pk) == ["material.deleted"]
    assert manage_spoolman.get(f"filament/{material.number}").json() == {
        "message": f"No filament with ID {material.number} found."
    }


def used_and_deleted_spool(client, material):
    """A spool of `material` added, used and deleted through Spoolman's API: kept (its ledger), removed there."""
    shape = client.post("spool", {"filament_id": material.number, "remaining_weight": 500}).json()
    assert client.put(f"spool/{shape['id']}/use", {"use_weight": 10}).status_code == 200
    assert client.delete(f"spool/{shape['id']}").status_code == 200
    spool = Spool.objects.get(tenant=material.tenant, number=shape["id"])
    assert spool.removed_at is not None
    return spool


def test_a_filament_whose_spools_were_all_deleted_is_removed_from_spoolman_kept_in_ours(
    manage_spoolman, tenant, make_material
):
    material = make_material(
        tenant, name="Galaxy Black", weight_g=Decimal("1000"), article_number="PM1", extra={"note": '"n"'}
    )
    define(tenant, "note", FieldType.TEXT)
    spool = used_and_deleted_spool(manage_spoolman, material)
    number = material.number

    answer = manage_spoolman.delete(f"filament/{number}")

    assert (answer.status_code, answer.json()) == (200, {"message": "Success!"})
    material.refresh_from_db()
    assert material.removed_at is not None
    assert material_events(material.pk)[-1] == "material.removed"
    spool.refresh_from_db()
    assert spool.material_id == material.pk and ledger_rows(spool)  # its spool and their ledger whole
    gone = {"message": f"No filament with ID {number} found."}
    assert manage_spoolman.get(f"filament/{number}").json() == gone
    assert manage_spoolman.patch(f"filament/{number}", {"name": "x"}).status_code == 404
    assert manage_spoolman.delete(f"filament/{number}").status_code == 404
    assert manage_spoolman.post("spool", {"filament_id": number}).status_code == 404
    assert manage_spoolman.get("filament").json() == []
    assert manage_spoolman.get("filament", name="Galaxy").json() == []
    assert manage_spoolman.get("material").json() == []
    assert manage_spoolman.get("article-number").json() == []
    assert manage_spoolman.get("field/filament/note/values").json() == []
    assert manage_spoolman.get("export/filaments", fmt="json").json() == []
    assert manage_spoolman.get("search", q="Galaxy", allow_archived="true").json()["filaments"] == []
    assert manage_spoolman.get("search", q=str(spool.number), allow_archived="true").json()["spools"] == []
    rest = token_client(manage_spoolman.creator, tenant)
    shown = rest.get(f"/api/v1/materials/{material.pk}/")
    assert (shown.status_code, shown.json()["name"]) == (200, "Galaxy Black")


def test_a_filament_with_a_spool_not_deleted_keeps_spoolman_s_refusal(manage_spoolman, tenant, make_material):
    material = make_material(tenant, weight_g=Decimal("1000"))
    used_and_deleted_spool(manage_spoolman, material)
    manage_spoolman.post("spool", {"filament_id": material.number})

    answer = manage_spoolman.delete(f"filament/{material.number}")

    assert answer.status_code == 403
    material.refresh_from_db()
    assert material.removed_at is None
    assert manage_spoolman.get(f"filament/{material.number}").status_code == 200


def test_a_vendor_whose_filaments_were_removed_is_deleted(manage_spoolman, tenant, make_material, make_vendor):
    vendor = make_vendor(tenant, name="John")
    material = make_material(tenant, vendor=vendor, brand="", weight_g=Decimal("1000"))
    used_and_deleted_spool(manage_spoolman, material)
    assert manage_spoolman.delete(f"filament/{material.number}").status_code == 200

    assert manage_spoolman.delete(f"vendor/{vendor.number}").json() == {"message": "Success!"}

    material.refresh_from_db()
    assert material.vendor_id is None and material.removed_at is not None
    assert manage_spoolman.get(f"vendor/{vendor.number}").status_code == 404


def test_a_printer_key_reads_filaments_but_may_not_write_them(spoolman, tenant, pla):
    assert spoolman.get(f"filament/{pla.number}").status_code == 200
    for answer in (
        spoolman.post("filament", {"density": 1.24, "diameter": 1.75}),
        spoolman.patch(f"filament/{pla.number}", {"name": "Renamed"}),
        spoolman.delete(f"filament/{pla.number}"),
    ):
        assert answer.status_code == 403
    pla.refresh_from_db()
    assert (Material.objects.count(), pla.name) == (1, "Galaxy Black")
    assert not Event.objects.filter(type__startswith="material.").exists()


def test_another_tenant_s_filaments_and_vendors_are_404s(manage_spoolman, other_tenant, make_material):
    theirs = make_material(other_tenant, name="Theirs")

    assert manage_spoolman.get(f"filament/{theirs.number}").status_code == 404
    assert manage_spoolman.patch(f"filament/{theirs.number}", {"name": "Mine"}).status_code == 404
    assert manage_spoolman.delete(f"filament/{theirs.number}").status_code == 404
    assert (
        manage_spoolman.post(
            "filament", {"density": 1.24, "diameter": 1.75, "vendor_id": theirs.vendor.number}
        ).status_code
        == 404
    )
    assert manage_spoolman.get("filament").json() == []
    assert manage_spoolman.get("material").json() == []
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_filaments_are_found_by_spoolman_s_filters(manage_spoolman, tenant, make_material, make_vendor):
    red = make_material(
        tenant, name="Red", brand="John", material_name="PLA", article_number="123", color_hex="#FF0000"
    )
    abs_ = make_material(tenant, name="Dark red", brand="John", kind="ABS", color_hex="#EE0000")
    plus = make_material(tenant, name="Black", brand="", kind="OTHER", material_name="PLA+", color_hex="#000000")
    nameless = make_material(tenant, name="", brand="", kind="OTHER", color_hex="")

    def numbers(**params):
        return [row["id"] for row in manage_spoolman.get("filament", **params).json()]

    assert numbers(material="pla") == [red.number, plus.number]
    assert numbers(material='"PLA"') == [red.number]
    assert numbers(material="abs") == [abs_.number]  # our kind is Spoolman's material when none was given
    assert numbers(material="") == [nameless.number]
    assert numbers(**{"vendor.id": "-1"}) == [plus.number, nameless.number]
    assert numbers(vendor_name="john") == [red.number, abs_.number]
    assert numbers(article_number="") == [abs_.number, plus.number, nameless.number]
    assert numbers(name="") == [nameless.number]
    assert numbers(color_hex="FE0000") == [red.number, abs_.number]
    assert numbers(color_hex="FE0000", color_similarity_threshold=100) == [red.number, abs_.number, plus.number]
    assert numbers(sort="material:desc") == [plus.number, red.number, abs_.number, nameless.number]
    assert numbers(sort="vendor.name:asc,id:desc") == [abs_.number, red.number, nameless.number, plus.number]
    assert manage_spoolman.get("filament", color_hex="FE0000", color_similarity_threshold="x").status_code == 422
    assert manage_spoolman.get("filament", **{"vendor.id": "a"}).status_code == 422
    assert manage_spoolman.get("filament", sort="vendor:asc").json() == {"message": "No field specified for vendor"}


def test_the_material_and_article_number_lists_are_distinct(manage_spoolman, tenant, make_material):
    make_material(tenant, material_name="PLA+", article_number="A1")
    make_material(tenant, material_name="PLA+", article_number="A1")
    make_material(tenant, kind="PETG", article_number="")
    make_material(tenant, kind="OTHER")

    assert manage_spoolman.get("material").json() == ["PETG", "PLA+"]
    assert manage_spoolman.get("article-number").json() == ["A1"]


def test_the_filament_export_flattens_the_vendor(manage_spoolman, tenant, make_material):
    make_material(tenant, name="With", brand="Acme", extra={"k": "1"})
    make_material(tenant, name="Without", brand="")

    rows = manage_spoolman.get("export/filaments", fmt="json").json()
    csv = manage_spoolman.get("export/filaments", fmt="csv")

    assert (rows[0]["vendor.name"], rows[0]["vendor_id"], rows[0]["extra.k"]) == ("Acme", rows[0]["vendor.id"], "1")
    assert (rows[1]["vendor"], rows[1]["vendor_id"]) == (None, None)
    header = csv.content.decode().splitlines()[0].split(",")
    assert header == sorted(header)
    assert {"vendor", "vendor.name", "extra.k", "density", "registered"} <= set(header)


def test_delta_e_is_cie94_as_spoolman_measures_it():
    red = colors.lab_of((255, 0, 0))

    assert colors.delta_e(red, red) == 0
    assert colors.delta_e(colors.lab_of((254, 0, 0)), red) < 1
    assert 15 < colors.delta_e(colors.lab_of((254, 0, 0)), colors.lab_of((0, 0, 0))) < 100
    assert colors.rgb_of("#ff000088") == (255, 0, 0)
    assert colors.rgb_of("red") is None
