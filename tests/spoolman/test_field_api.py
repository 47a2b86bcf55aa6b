"""Spoolman's `field/{entity_type}` endpoints: definitions read by every key, changed by an admin's manage key,
with Spoolman's shapes and refusals; nothing written on a refusal; one tenant's definitions only."""

import json

import pytest

from events.models import Event
from spoolman.models import ExtraField
from tests.support.spoolman_keys import manage_client

pytestmark = pytest.mark.django_db

TEXT = {"name": "Batch", "field_type": "text", "default_value": json.dumps("A1")}


def send(client, method, path, body=None):
    data = "" if body is None else json.dumps(body)
    return client.client.generic(method, client.base + path, data, content_type="application/json")


@pytest.fixture
def admin_key(tenant, make_member):
    return manage_client(tenant, make_member, "admin")


def field_events(tenant):
    return list(Event.objects.for_tenant(tenant).filter(type__startswith="field.").values_list("type", flat=True))


def test_a_new_field_is_answered_with_the_entity_s_definitions_in_spoolman_s_shape(admin_key, tenant):
    created = send(admin_key, "POST", "field/spool/batch", {**TEXT, "unit": "lot", "order": 2})

    assert created.status_code == 200
    expected = {
        "name": "Batch",
        "order": 2,
        "unit": "lot",
        "field_type": "text",
        "default_value": '"A1"',
        "key": "batch",
        "entity_type": "spool",
    }
    assert created.json() == [expected]
    assert admin_key.get("field/spool").json() == [expected]
    assert admin_key.get("field/vendor").json() == []
    assert field_events(tenant) == ["field.created"]


def test_posting_an_existing_key_changes_it_in_place(admin_key, tenant):
    send(admin_key, "POST", "field/filament/batch", TEXT)

    changed = send(admin_key, "POST", "field/filament/batch", {**TEXT, "default_value": json.dumps("B2")})

    assert changed.status_code == 200
    assert [(f["key"], f["default_value"]) for f in changed.json()] == [("batch", '"B2"')]
    assert ExtraField.objects.filter(tenant=tenant).count() == 1
    assert field_events(tenant) == ["field.created", "field.updated"]


def test_a_choice_field_keeps_its_members_and_may_gain_choices(admin_key):
    choice = {"name": "Grade", "field_type": "choice", "choices": ["a", "b"], "multi_choice": True}
    send(admin_key, "POST", "field/vendor/grade", choice)

    grown = send(admin_key, "POST", "field/vendor/grade", {**choice, "choices": ["a", "b", "c"]})

    assert grown.status_code == 200
    assert grown.json()[0]["choices"] == ["a", "b", "c"] and grown.json()[0]["multi_choice"] is True


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (TEXT, {**TEXT, "field_type": "integer", "default_value": "1"}, "Field type cannot be changed."),
        (
            {"name": "G", "field_type": "choice", "choices": ["a", "b"], "multi_choice": True},
            {"name": "G", "field_type": "choice", "choices": ["a"], "multi_choice": True},
            "Cannot remove existing choices.",
        ),
        (
            {"name": "G", "field_type": "choice", "choices": ["a"], "multi_choice": True},
            {"name": "G", "field_type": "choice", "choices": ["a"], "multi_choice": False},
            "Multi choice cannot be changed.",
        ),
    ],
)
def test_a_change_spoolman_refuses_is_its_400_and_changes_nothing(admin_key, tenant, first, second, message):
    send(admin_key, "POST", "field/spool/f", first)
    before = admin_key.get("field/spool").json()

    refused = send(admin_key, "POST", "field/spool/f", second)

    assert (refused.status_code, refused.json()) == (400, {"message": message})
    assert admin_key.get("field/spool").json() == before
    assert field_events(tenant) == ["field.created"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**TEXT, "default_value": json.dumps(42)}, "Default value is not valid: Value is not a string."),
        ({"name": "C", "field_type": "choice", "choices": ["a"]}, "Multi choice must be set for field type choice."),
        ({"name": "C", "field_type": "choice", "multi_choice": False}, "Choices must be set for field type choice."),
    ],
)
def test_a_definition_spoolman_refuses_is_its_400_message(admin_key, tenant, body, message):
    refused = send(admin_key, "POST", "field/spool/f", body)

    assert (refused.status_code, refused.json()) == (400, {"message": message})
    assert not ExtraField.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("field/spool/f", {"name": "C", "field_type": "choice", "choices": ["a", {"b": 1}], "multi_choice": True}),
        ("field/spool/f", {"field_type": "text"}),  # no name
        ("field/spool/f", {"name": "", "field_type": "text"}),
        ("field/spool/f", {"name": "N", "field_type": "rich_text"}),
        ("field/spool/f", {"name": "N", "field_type": "text", "default_value": 42}),
        ("field/spool/f", {"name": "N", "field_type": "text", "order": "first"}),
        ("field/spool/f", {"name": "N", "field_type": "text", "unit": ""}),
        ("field/spool/f", ["not", "an", "object"]),
        ("field/printer/f", TEXT),  # no such entity type
        ("field/spool/Not-A-Key", TEXT),
    ],
)
def test_a_body_or_path_of_the_wrong_type_is_a_422_and_writes_nothing(admin_key, tenant, path, body):
    refused = send(admin_key, "POST", path, body)

    assert refused.status_code == 422 and set(refused.json()) == {"message"}
    assert not ExtraField.objects.filter(tenant=tenant).exists()


def test_a_body_that_is_not_json_is_a_422(admin_key):
    refused = admin_key.client.post(admin_key.base + "field/spool/f", "{nope", content_type="application/json")

    assert refused.status_code == 422


def test_deleting_a_field_answers_the_rest_and_clears_its_values_from_the_entities(
    admin_key, tenant, make_material, make_spool
):
    send(admin_key, "POST", "field/spool/batch", TEXT)
    send(admin_key, "POST", "field/spool/shelf", {"name": "Shelf", "field_type": "integer"})
    spool = make_spool(tenant, extra={"batch": '"A1"', "shelf": "3"})

    deleted = send(admin_key, "DELETE", "field/spool/batch")

    assert deleted.status_code == 200
    assert [field["key"] for field in deleted.json()] == ["shelf"]
    spool.refresh_from_db()
    assert spool.extra == {"shelf": "3"}
    assert field_events(tenant) == ["field.created", "field.created", "field.deleted"]


def test_deleting_an_unknown_field_is_spoolman_s_404(admin_key):
    refused = send(admin_key, "DELETE", "field/spool/nothing")

    assert refused.status_code == 404
    assert refused.json() == {"message": "Extra field with key nothing does not exist for entity type spool"}


def test_a_field_s_values_are_its_distinct_non_empty_values_sorted(admin_key, tenant, make_material):
    send(admin_key, "POST", "field/filament/grade", {"name": "Grade", "field_type": "text"})
    for value in ("B", "A", "B", "", "Café"):
        make_material(tenant, name=f"M {value}", extra={"grade": json.dumps(value, ensure_ascii=False)})
    make_material(tenant, name="none")

    assert admin_key.get("field/filament/grade/values").json() == ["A", "B", "Café"]
    unknown = admin_key.get("field/filament/other/values")
    assert unknown.status_code == 404 and "other" in unknown.json()["message"]


# --- who may ------------------------------------------------------------------------------------


def test_a_printer_key_reads_the_definitions_but_may_not_change_them(spoolman, admin_key, tenant):
    send(admin_key, "POST", "field/spool/batch", TEXT)

    assert [field["key"] for field in spoolman.get("field/spool").json()] == ["batch"]
    for method, body in (("POST", {**TEXT, "name": "Other"}), ("DELETE", None)):
        refused = send(spoolman, method, "field/spool/batch", body)
        assert refused.status_code == 403 and "manage key" in refused.json()["message"]
    assert ExtraField.objects.get(tenant=tenant).name == "Batch"
    assert field_events(tenant) == ["field.created"]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_a_member_s_or_viewer_s_manage_key_reads_but_may_not_define(tenant, make_member, role):
    client = manage_client(tenant, make_member, role)

    assert client.get("field/spool").status_code == 200
    refused = send(client, "POST", "field/spool/batch", TEXT)
    assert refused.status_code == 403 and set(refused.json()) == {"message"}
    assert not ExtraField.objects.filter(tenant=tenant).exists()


def test_an_owner_s_manage_key_defines_fields(tenant, make_member):
    assert send(manage_client(tenant, make_member, "owner"), "POST", "field/spool/batch", TEXT).status_code == 200


def test_a_tenant_sees_and_changes_only_its_own_definitions(admin_key, tenant, other_tenant, make_member):
    theirs = manage_client(other_tenant, make_member, "admin")
    send(theirs, "POST", "field/spool/batch", {**TEXT, "name": "Theirs"})

    assert admin_key.get("field/spool").json() == []
    assert send(admin_key, "DELETE", "field/spool/batch").status_code == 404
    send(admin_key, "POST", "field/spool/batch", {**TEXT, "name": "Ours"})

    assert [field["name"] for field in theirs.get("field/spool").json()] == ["Theirs"]
    assert [field["name"] for field in admin_key.get("field/spool").json()] == ["Ours"]
