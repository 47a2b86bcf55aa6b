"""Extra field definitions (spoolman.catalogue): validated as Spoolman validates them, per tenant, each change
an event."""

import json

import pytest

from core.errors import InvalidInput, NotFound
from events.models import Event
from spoolman import catalogue
from spoolman.catalogue import FieldDefinition
from spoolman.models import EntityType, ExtraField, FieldType

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, "admin")


def define(tenant, user, key="mytextfield", *, entity_type=EntityType.SPOOL, **fields):
    fields.setdefault("name", "My text field")
    fields.setdefault("field_type", FieldType.TEXT)
    return catalogue.define_field(
        tenant=tenant, user=user, definition=FieldDefinition(entity_type=entity_type, key=key, **fields)
    )


def refusal(tenant, user, key="myfield", **fields):
    with pytest.raises(InvalidInput) as refused:
        define(tenant, user, key, **fields)
    return refused.value.detail


def test_a_text_field_is_defined_with_its_default_and_recorded_by_its_user(tenant, admin):
    field = define(tenant, admin, default_value=json.dumps("Hello World"), unit="mm", order=3)

    assert catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL) == [field]
    assert catalogue.field_shape(field) == {
        "name": "My text field",
        "order": 3,
        "unit": "mm",
        "field_type": "text",
        "default_value": '"Hello World"',
        "key": "mytextfield",
        "entity_type": "spool",
    }
    (event,) = Event.objects.filter(type__startswith="field.")
    assert (event.type, event.resource_id, event.actor, event.payload) == (
        "field.created",
        field.pk,
        admin,
        catalogue.field_shape(field),
    )


@pytest.mark.parametrize(
    ("field_type", "default", "extra"),
    [
        ("text", "Hello World", {}),
        ("integer", 42, {}),
        ("integer_range", [0, 100], {}),
        ("integer_range", [None, 100], {}),
        ("float", 3.14, {}),
        ("float", 3, {}),
        ("float_range", [0.0, 1.0], {}),
        ("datetime", "2024-01-01T12:00:00+00:00", {}),
        ("boolean", True, {}),
        ("choice", ["foo"], {"choices": ["foo", "bar", "baz"], "multi_choice": True}),
        ("choice", "foo", {"choices": ["foo", "bar", "baz"], "multi_choice": False}),
    ],
)
@pytest.mark.parametrize("entity_type", list(EntityType))
def test_every_field_type_takes_a_default_of_its_type_on_every_entity(
    tenant, admin, entity_type, field_type, default, extra
):
    field = define(
        tenant, admin, entity_type=entity_type, field_type=field_type, default_value=json.dumps(default), **extra
    )

    assert (field.entity_type, field.field_type, json.loads(field.default_value)) == (entity_type, field_type, default)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"default_value": json.dumps(42)}, "Default value is not valid: Value is not a string."),
        ({"default_value": "not json"}, "Default value is not valid: Value is not valid JSON."),
        ({"field_type": "integer", "default_value": "1.5"}, "Default value is not valid: Value is not an integer."),
        ({"field_type": "integer", "default_value": "true"}, "Default value is not valid: Value is not an integer."),
        ({"field_type": "float", "default_value": "NaN"}, "Default value is not valid: Value is not valid JSON."),
        ({"field_type": "float", "default_value": '"1"'}, "Default value is not valid: Value is not a float."),
        ({"field_type": "boolean", "default_value": "1"}, "Default value is not valid: Value is not a boolean."),
        (
            {"field_type": "integer_range", "default_value": "[1]"},
            "Default value is not valid: Value list must have exactly two values.",
        ),
        (
            {"field_type": "integer_range", "default_value": "[1, 2.5]"},
            "Default value is not valid: Value list must contain only integers or null.",
        ),
        (
            {"field_type": "float_range", "default_value": '[1, "2"]'},
            "Default value is not valid: Value list must contain only floats or null.",
        ),
        (
            {"field_type": "choice", "choices": ["foo"], "default_value": '"foo"'},
            "Multi choice must be set for field type choice.",
        ),
        (
            {"field_type": "choice", "multi_choice": True, "default_value": '["foo"]'},
            "Choices must be set for field type choice.",
        ),
        ({"choices": ["foo"]}, "Choices must not be set for field type other than choice."),
        ({"multi_choice": False}, "Multi choice must not be set for field type other than choice."),
        (
            {"field_type": "choice", "choices": ["foo", "bar"], "multi_choice": False, "default_value": "42"},
            "Default value is not valid: Value is not a string.",
        ),
        (
            {"field_type": "choice", "choices": ["foo", "bar"], "multi_choice": False, "default_value": '"qux"'},
            "Default value is not valid: Value is not a valid choice.",
        ),
        (
            {
                "field_type": "choice",
                "choices": ["foo", "bar"],
                "multi_choice": True,
                "default_value": '["foo", "qux"]',
            },
            "Default value is not valid: Value list contains invalid choices.",
        ),
        (
            {"field_type": "choice", "choices": ["foo", "bar"], "multi_choice": True, "default_value": '"foo"'},
            "Default value is not valid: Value is not a list.",
        ),
        (
            {"default_value": json.dumps("x" * catalogue.MAX_VALUE_LENGTH)},
            "Default value is not valid: Value is too big, max size is 65535 characters.",
        ),
    ],
)
def test_a_definition_spoolman_refuses_is_refused_with_its_message_and_writes_nothing(tenant, admin, fields, message):
    assert refusal(tenant, admin, **fields) == message

    assert not ExtraField.objects.exists()
    assert not Event.objects.filter(type__startswith="field.").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"key": "My Field"},
        {"key": ""},
        {"key": "k" * 65},
        {"name": ""},
        {"name": "n" * 129},
        {"unit": ""},
        {"unit": "u" * 17},
        {"order": 2**31},
        {"order": True},
        {"field_type": "colour"},
        {"entity_type": "printer"},
        {"field_type": "choice", "choices": [], "multi_choice": False},
        {"field_type": "choice", "choices": ["foo", {"foo": "bar"}], "multi_choice": True},
        {"default_value": 42},
    ],
)
def test_a_malformed_definition_is_refused(tenant, admin, fields):
    key = fields.pop("key", "myfield")
    with pytest.raises(InvalidInput):
        define(tenant, admin, key, **fields)

    assert not ExtraField.objects.exists()


def test_a_definition_is_updated_in_place_and_recorded(tenant, admin):
    first = define(tenant, admin, default_value=json.dumps("Hello World"))

    second = define(tenant, admin, default_value=json.dumps("Goodbye World"), name="Renamed")

    assert second.pk == first.pk
    (field,) = catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)
    assert (field.name, field.default_value) == ("Renamed", '"Goodbye World"')
    assert list(Event.objects.filter(type__startswith="field.").order_by("id").values_list("type", flat=True)) == [
        "field.created",
        "field.updated",
    ]


def test_a_field_s_type_cannot_change(tenant, admin):
    define(tenant, admin)

    assert refusal(tenant, admin, "mytextfield", field_type="integer", default_value="42") == (
        "Field type cannot be changed."
    )
    assert ExtraField.objects.get().field_type == "text"


def test_a_choice_field_may_gain_choices_but_not_lose_one_nor_change_multi_choice(tenant, admin):
    choice = {"field_type": "choice", "multi_choice": True}
    define(tenant, admin, "mychoicefield", choices=["foo", "bar", "baz"], **choice)

    define(tenant, admin, "mychoicefield", choices=["foo", "bar", "baz", "qux"], **choice)
    assert refusal(tenant, admin, "mychoicefield", choices=["foo", "baz", "qux"], **choice) == (
        "Cannot remove existing choices."
    )
    assert refusal(
        tenant, admin, "mychoicefield", field_type="choice", choices=["foo", "bar", "baz", "qux"], multi_choice=False
    ) == ("Multi choice cannot be changed.")
    assert ExtraField.objects.get().choices == ["foo", "bar", "baz", "qux"]


def test_keys_are_per_entity_type_and_per_tenant(tenant, other_tenant, admin, make_member):
    define(tenant, admin, entity_type=EntityType.SPOOL)
    define(tenant, admin, entity_type=EntityType.VENDOR, field_type="integer")
    define(other_tenant, make_member(other_tenant, "admin"), entity_type=EntityType.SPOOL, field_type="boolean")

    assert [f.field_type for f in catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)] == ["text"]
    assert [f.field_type for f in catalogue.fields_of(tenant=tenant, entity_type=EntityType.VENDOR)] == ["integer"]
    assert [f.field_type for f in catalogue.fields_of(tenant=other_tenant, entity_type=EntityType.SPOOL)] == ["boolean"]


def test_fields_are_listed_by_order_then_key(tenant, admin):
    define(tenant, admin, "b", order=1)
    define(tenant, admin, "a", order=1)
    define(tenant, admin, "c", order=0)

    assert [field.key for field in catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)] == ["c", "a", "b"]


def test_an_entity_has_at_most_128_fields(tenant, admin, monkeypatch):
    monkeypatch.setattr(catalogue, "MAX_FIELDS_PER_ENTITY", 2)
    define(tenant, admin, "one")
    define(tenant, admin, "two")
    define(tenant, admin, "two", name="Still two")  # a change is no new field

    assert refusal(tenant, admin, "three") == "Cannot add another extra field for spool, the maximum is 2."
    assert define(tenant, admin, "three", entity_type=EntityType.FILAMENT).key == "three"


def test_a_deleted_field_is_gone_and_recorded_as_it_was(tenant, admin):
    field = define(tenant, admin, default_value=json.dumps("Hello World"))
    shape = catalogue.field_shape(field)

    catalogue.delete_field(tenant=tenant, user=admin, entity_type=EntityType.SPOOL, key="mytextfield")

    assert catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL) == []
    event = Event.objects.get(type="field.deleted")
    assert (event.resource_id, event.actor, event.payload) == (field.pk, admin, shape)


def test_deleting_a_field_that_does_not_exist_is_spoolman_s_not_found(tenant, other_tenant, admin, make_member):
    define(other_tenant, make_member(other_tenant, "admin"))  # another tenant's is not this one's

    with pytest.raises(NotFound) as missing:
        catalogue.delete_field(tenant=tenant, user=admin, entity_type=EntityType.SPOOL, key="mytextfield")

    assert missing.value.detail == "Extra field with key mytextfield does not exist for entity type spool"
    assert ExtraField.objects.count() == 1


# --- values of the entities -------------------------------------------------------------------


def test_an_entity_s_extra_values_are_checked_against_the_definitions(tenant, admin):
    fields = [
        define(tenant, admin, "note"),
        define(tenant, admin, "count", field_type="integer"),
        define(tenant, admin, "colour", field_type="choice", choices=["red", "blue"], multi_choice=False),
    ]

    catalogue.check_extra_values(fields=fields, values={"note": '"hi"', "count": "3", "colour": None})
    for values, message in [
        ({"nope": '"x"'}, "Unknown extra field nope."),
        ({"count": '"3"'}, "Invalid extra field for key count: Value is not an integer."),
        ({"colour": '"green"'}, "Invalid extra field for key colour: Value is not a valid choice."),
        ({"note": "hi"}, "Invalid extra field for key note: Value is not valid JSON."),
    ]:
        with pytest.raises(InvalidInput) as refused:
            catalogue.check_extra_values(fields=fields, values=values)
        assert refused.value.detail == message


def test_a_new_entity_gets_the_defaults_of_the_fields_it_has_no_value_for(tenant, admin):
    fields = [define(tenant, admin, "note", default_value='"n/a"'), define(tenant, admin, "bare")]

    assert catalogue.with_defaults(fields=fields, values={}) == {"note": '"n/a"'}
    assert catalogue.with_defaults(fields=fields, values={"note": '"mine"'}) == {"note": '"mine"'}


def has_extra(entity_type):
    return catalogue.entity_model(entity_type) is not None


@pytest.mark.skipif(not has_extra(EntityType.SPOOL), reason="spools get `extra` with the inventory's Spoolman fields")
def test_deleting_a_field_clears_its_value_from_every_entity(tenant, admin, make_spool):
    define(tenant, admin, "note")
    define(tenant, admin, "kept")
    spool = make_spool(tenant)
    type(spool).objects.filter(pk=spool.pk).update(extra={"note": '"x"', "kept": '"y"'})

    catalogue.delete_field(tenant=tenant, user=admin, entity_type=EntityType.SPOOL, key="note")

    spool.refresh_from_db()
    assert spool.extra == {"kept": '"y"'}
