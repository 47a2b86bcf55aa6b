"""Spoolman's settings per tenant (spoolman.catalogue): its registry, typed values, and the extra fields' settings."""

import json

import pytest

from core.errors import InvalidInput, NotFound
from events.models import Event
from spoolman import catalogue
from spoolman.catalogue import SettingChange
from spoolman.models import EntityType, ExtraField, FieldType, Setting
from tenants.row_security import tenant_row_security
from tenants.scoping import tenant_scope
from tests.conftest import postgres_only

pytestmark = pytest.mark.django_db

# Spoolman 0.26's registry (spoolman/settings.py), as its `GET setting/` answers an untouched server.
SPOOLMAN_DEFAULTS = {
    "currency": ("string", '"EUR"'),
    "round_prices": ("boolean", "false"),
    "print_presets": ("array", "[]"),
    "label_designs": ("array", "[]"),
    "extra_fields_vendor": ("array", "[]"),
    "extra_fields_filament": ("array", "[]"),
    "extra_fields_spool": ("array", "[]"),
    "base_url": ("string", '""'),
    "locations": ("array", "[]"),
    "locations_spoolorders": ("object", "{}"),
    "dashboard_groups": ("object", "{}"),
    "dashboard_spoolorders": ("object", "{}"),
}


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, "admin")


def set_(tenant, user, key, value):
    return catalogue.set_setting(tenant=tenant, user=user, change=SettingChange(key=key, value=value))


def refusal(tenant, user, key, value):
    with pytest.raises(InvalidInput) as refused:
        set_(tenant, user, key, value)
    return refused.value.detail


def setting_events():
    return list(Event.objects.filter(type__startswith="setting.").order_by("id"))


def test_every_setting_of_spoolman_is_known_with_its_type_and_default(tenant):
    settings = catalogue.all_settings(tenant=tenant)

    assert {key: (value.type, value.value) for key, value in settings.items()} == SPOOLMAN_DEFAULTS
    assert list(settings) == list(SPOOLMAN_DEFAULTS)  # in Spoolman's order
    assert not any(value.is_set for value in settings.values())
    assert catalogue.setting_of(tenant=tenant, key="currency").shape() == {
        "value": '"EUR"',
        "is_set": False,
        "type": "string",
    }


def test_a_set_setting_is_answered_stored_and_recorded_by_its_user(tenant, admin):
    answered = set_(tenant, admin, "currency", '"SEK"')

    assert answered.shape() == {"value": '"SEK"', "is_set": True, "type": "string"}
    assert catalogue.setting_of(tenant=tenant, key="currency") == answered
    assert catalogue.all_settings(tenant=tenant)["currency"] == answered
    (event,) = setting_events()
    assert (event.type, event.actor, event.payload) == (
        "setting.updated",
        admin,
        {"key": "currency", "setting": {"value": '"SEK"', "is_set": True, "type": "string"}},
    )


def test_setting_again_replaces_the_value_in_one_row(tenant, admin):
    set_(tenant, admin, "currency", '"SEK"')
    set_(tenant, admin, "currency", '"USD"')

    (row,) = Setting.objects.all()
    assert (row.key, row.value) == ("currency", '"USD"')
    assert [event.type for event in setting_events()] == ["setting.updated", "setting.updated"]


def test_unsetting_gives_the_default_again_and_is_recorded_once(tenant, admin):
    set_(tenant, admin, "currency", '"SEK"')

    unset = set_(tenant, admin, "currency", None)
    set_(tenant, admin, "currency", None)  # not set: nothing changes

    assert unset.shape() == {"value": '"EUR"', "is_set": False, "type": "string"}
    assert not Setting.objects.exists()
    events = setting_events()
    assert [event.type for event in events] == ["setting.updated", "setting.deleted"]
    assert events[0].resource_id == events[1].resource_id  # one setting, whenever it is set


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("round_prices", "true"),
        ("print_presets", '[{"name": "PLA"}]'),
        ("locations_spoolorders", '{"Shelf": [3, 1]}'),
        ("base_url", '"https://spoolman.example"'),
    ],
)
def test_each_setting_takes_a_value_of_its_type(tenant, admin, key, value):
    assert set_(tenant, admin, key, value).value == value


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("currency", "123", "Setting currency must be a string."),
        ("currency", "not json", "Setting currency is not valid JSON."),
        ("round_prices", '"yes"', "Setting round_prices must be a boolean."),
        ("round_prices", "1", "Setting round_prices must be a boolean."),
        ("locations", "{}", "Setting locations must be an array."),
        ("dashboard_groups", "[]", "Setting dashboard_groups must be an object."),
        ("currency", json.dumps("a" * (2**16 - 2)), "Setting value is too big, max size is 65535 characters."),
    ],
)
def test_a_value_spoolman_refuses_is_refused_with_its_message_and_writes_nothing(tenant, admin, key, value, message):
    assert refusal(tenant, admin, key, value) == message

    assert not Setting.objects.exists() and not setting_events()


def test_the_largest_value_spoolman_keeps_is_kept(tenant, admin):
    value = json.dumps("a" * (2**16 - 1 - 2))

    assert set_(tenant, admin, "currency", value).value == value


def test_an_unknown_setting_is_spoolman_s_not_found(tenant, admin):
    with pytest.raises(NotFound) as missing:
        set_(tenant, admin, "not-a-setting", '"SEK"')
    with pytest.raises(NotFound):
        catalogue.setting_of(tenant=tenant, key="unknown")

    assert missing.value.detail == "Setting not-a-setting does not exist."


def test_settings_are_per_tenant(tenant, other_tenant, admin):
    set_(tenant, admin, "currency", '"SEK"')

    assert catalogue.setting_of(tenant=other_tenant, key="currency").is_set is False


# --- the extra fields' settings ---------------------------------------------------------------

BATCH = {"key": "batch", "entity_type": "spool", "name": "Batch", "field_type": "text"}


def test_the_extra_fields_setting_defines_the_entity_s_fields(tenant, admin):
    answered = set_(tenant, admin, "extra_fields_spool", json.dumps([BATCH]))

    (field,) = catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)
    assert (field.key, field.name, field.field_type) == ("batch", "Batch", "text")
    assert answered.is_set and json.loads(answered.value) == [
        {**BATCH, "order": 0, "unit": None, "default_value": None, "choices": None, "multi_choice": None}
    ]
    assert [event.type for event in Event.objects.order_by("id")] == ["field.created", "setting.updated"]


def test_a_field_defined_through_its_endpoint_shows_in_the_setting(tenant, admin):
    catalogue.define_field(
        tenant=tenant,
        user=admin,
        definition=catalogue.FieldDefinition(
            entity_type=EntityType.FILAMENT, key="nozzle", name="Nozzle", field_type=FieldType.FLOAT, unit="mm"
        ),
    )

    value = catalogue.setting_of(tenant=tenant, key="extra_fields_filament")
    assert value.is_set and [item["key"] for item in json.loads(value.value)] == ["nozzle"]
    assert catalogue.setting_of(tenant=tenant, key="extra_fields_spool").is_set is False


def test_the_setting_replaces_changes_and_drops_fields_as_the_field_endpoint_would(tenant, admin):
    set_(tenant, admin, "extra_fields_spool", json.dumps([BATCH, {**BATCH, "key": "gone"}]))
    kept = ExtraField.objects.get(key="batch")
    before = Event.objects.order_by("id").last().id

    set_(tenant, admin, "extra_fields_spool", json.dumps([{**BATCH, "name": "Lot"}]))

    (field,) = catalogue.fields_of(tenant=tenant, entity_type=EntityType.SPOOL)
    assert (field.pk, field.name) == (kept.pk, "Lot")
    assert {event.type for event in Event.objects.filter(type__startswith="field.", id__gt=before)} == {
        "field.updated",
        "field.deleted",
    }
    assert refusal(tenant, admin, "extra_fields_spool", json.dumps([{**BATCH, "field_type": "integer"}])) == (
        "Extra field at index 0 is not valid: Field type cannot be changed."
    )


def test_an_empty_or_unset_extra_fields_setting_removes_them_all(tenant, admin):
    set_(tenant, admin, "extra_fields_spool", json.dumps([BATCH]))

    emptied = set_(tenant, admin, "extra_fields_spool", "[]")

    assert emptied.shape() == {"value": "[]", "is_set": False, "type": "array"}
    assert not ExtraField.objects.exists()
    set_(tenant, admin, "extra_fields_spool", json.dumps([BATCH]))
    assert set_(tenant, admin, "extra_fields_spool", None).is_set is False and not ExtraField.objects.exists()


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"key": "nope"}], "Extra field at index 0 is not valid: entity_type, name, field_type missing."),
        ([{**BATCH, "entity_type": "vendor"}], "Extra field at index 0 has entity type 'vendor', expected 'spool'."),
        ([BATCH, BATCH], "Setting extra_fields_spool contains duplicate extra field keys."),
        (["batch"], "Extra field at index 0 is not valid: it must be an object."),
        (
            [{**BATCH, "field_type": "choice"}],
            "Extra field at index 0 is not valid: Choices must be set for field type choice.",
        ),
        ([{**BATCH, "key": "Bad Key"}], "Extra field at index 0 is not valid: "),
        (
            [{**BATCH, "field_type": "colour"}],
            "Extra field at index 0 is not valid: unknown entity type or field type.",
        ),
    ],
)
def test_a_malformed_extra_fields_setting_is_refused_and_changes_nothing(tenant, admin, items, message):
    set_(tenant, admin, "extra_fields_spool", json.dumps([{**BATCH, "key": "existing"}]))

    assert refusal(tenant, admin, "extra_fields_spool", json.dumps(items)).startswith(message)

    assert [field.key for field in ExtraField.objects.all()] == ["existing"]


def test_an_extra_fields_setting_holds_at_most_128_fields(tenant, admin):
    items = [{**BATCH, "key": f"f{index}"} for index in range(129)]

    assert refusal(tenant, admin, "extra_fields_spool", json.dumps(items)) == (
        "Setting extra_fields_spool has 129 extra fields, the maximum is 128."
    )


@postgres_only
def test_the_catalogue_is_written_and_read_under_the_tenant_s_row_security(tenant, other_tenant, admin, make_member):
    set_(other_tenant, make_member(other_tenant, "admin"), "currency", '"USD"')

    with tenant_scope(tenant), tenant_row_security(tenant, write=True):
        set_(tenant, admin, "currency", '"SEK"')
        set_(tenant, admin, "currency", '"NOK"')  # the upsert's UPDATE, under the policy too
        set_(tenant, admin, "extra_fields_spool", json.dumps([BATCH]))
        catalogue.delete_field(tenant=tenant, user=admin, entity_type=EntityType.SPOOL, key="batch")
        # The other tenant's setting is not even seen.
        assert list(Setting.objects.values_list("value", flat=True)) == ['"NOK"']

    assert catalogue.setting_of(tenant=tenant, key="currency").value == '"NOK"'
    assert catalogue.setting_of(tenant=other_tenant, key="currency").value == '"USD"'
