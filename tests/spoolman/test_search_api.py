"""Spoolman's cross-entity search: every term must match some field, the best field is named, colours and ids."""

from decimal import Decimal

import pytest

from spoolman.catalogue import FieldDefinition, define_field
from spoolman.models import EntityType, FieldType

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(tenant, make_material, make_spool):
    define_field(
        tenant=tenant,
        user=None,
        definition=FieldDefinition(entity_type=EntityType.SPOOL, key="note", name="Note", field_type=FieldType.TEXT),
    )
    material = make_material(
        tenant, name="Galaxy Black", brand="Prusament", kind="PETG", notes="glitter", color_hex="#FF0000"
    )
    spool = make_spool(tenant, material, location="Shelf A", comment="opened", extra={"note": '"dry box"'})
    archived = make_spool(tenant, material, location="Shelf A")
    archived.is_active = False
    archived.save(update_fields=["is_active"])
    return material, spool, archived


def search(client, q, **params):
    answer = client.get("search", q=q, **params)
    assert answer.status_code == 200, answer.content
    return answer.json()


def hits(body, entity, key):
    return [(item[key]["id"], item["match_field"]) for item in body[entity]]


def test_every_term_must_match_a_field_and_different_terms_different_fields(manage_spoolman, stock):
    material, _, _ = stock

    assert hits(search(manage_spoolman, "prusa petg"), "filaments", "filament") == [(material.number, "material")]
    assert hits(search(manage_spoolman, "glitter"), "filaments", "filament") == [(material.number, "comment")]
    assert search(manage_spoolman, "prusa nothing-like-it")["filaments"] == []


def test_spools_are_found_by_their_fields_and_text_extra_fields_without_the_archived(manage_spoolman, stock):
    _, spool, archived = stock

    assert hits(search(manage_spoolman, "shelf"), "spools", "spool") == [(spool.number, "location")]
    assert hits(search(manage_spoolman, "dry box"), "spools", "spool") == [(spool.number, "extra.note")]
    assert {
        number for number, _ in hits(search(manage_spoolman, "shelf", allow_archived="true"), "spools", "spool")
    } == {
        spool.number,
        archived.number,
    }


def test_a_number_finds_its_spool_first_unless_archived(manage_spoolman, stock):
    _, spool, archived = stock

    assert hits(search(manage_spoolman, str(spool.number)), "spools", "spool")[0] == (spool.number, "id")
    assert (archived.number, "id") not in hits(search(manage_spoolman, str(archived.number)), "spools", "spool")


def test_a_colour_query_finds_similar_filaments(manage_spoolman, stock):
    material, _, _ = stock

    by_name = search(manage_spoolman, "red")
    by_hex = search(manage_spoolman, "#ff0000", color_similarity_threshold=5)

    assert by_name["is_color_query"] and by_hex["is_color_query"]
    assert hits(by_name, "filaments", "filament") == [(material.number, "color")]
    assert hits(by_hex, "filaments", "filament") == [(material.number, "color")]
    assert search(manage_spoolman, "glitter")["is_color_query"] is False


def test_vendors_are_found_and_filament_spools_attached_on_request(manage_spoolman, stock):
    material, spool, _ = stock

    assert hits(search(manage_spoolman, "prusament"), "vendors", "vendor") == [(material.vendor.number, "name")]
    plain = search(manage_spoolman, "galaxy")["filaments"][0]
    attached = search(manage_spoolman, "galaxy", spools_per_filament=5)["filaments"][0]
    assert "spools" not in plain
    assert attached["spool_count"] == 1
    assert attached["spools"] == [
        {"id": spool.number, "remaining_weight": float(Decimal("1000")), "location": "Shelf A", "archived": False}
    ]


def test_another_tenant_s_records_are_not_found(manage_spoolman, other_tenant, make_material):
    make_material(other_tenant, name="Secret", brand="Hidden")

    body = search(manage_spoolman, "secret")

    assert (body["filaments"], body["vendors"], body["spools"]) == ([], [], [])


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x", "limit": "0"}, {"q": "x", "color_similarity_threshold": "101"}]
)
def test_malformed_search_parameters_are_422s(manage_spoolman, params):
    assert manage_spoolman.get("search", **params).status_code == 422


def test_a_printer_key_may_search(spoolman, stock):
    assert spoolman.get("search", q="galaxy").status_code == 200
