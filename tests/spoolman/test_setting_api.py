"""Spoolman's `setting/` endpoints: every setting with its default, set and unset with Spoolman's body (a JSON
string of the value's JSON text) and refusals; the tenant's configuration is an admin's, the web client's
arrangements a member's; a printer key only reads; one tenant's settings only."""

import json

import pytest

from events.models import Event
from spoolman.catalogue import SETTINGS
from spoolman.models import ExtraField, Setting
from tests.support.spoolman_keys import manage_client

pytestmark = pytest.mark.django_db

EUR = {"value": '"EUR"', "is_set": False, "type": "string"}


def post(client, key, body, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.client.post(client.base + f"setting/{key}", data, content_type=content_type)


@pytest.fixture
def admin_key(tenant, make_member):
    return manage_client(tenant, make_member, "admin")


def setting_events(tenant):
    return list(Event.objects.for_tenant(tenant).filter(type__startswith="setting.").values_list("type", flat=True))


def test_a_setting_not_set_answers_its_default(spoolman):
    assert spoolman.get("setting/currency").json() == EUR


def test_all_settings_are_answered_set_or_not(admin_key):
    post(admin_key, "round_prices", json.dumps("true"))

    settings = admin_key.get("setting/").json()

    assert list(settings) == list(SETTINGS)
    assert settings["currency"] == EUR
    assert settings["round_prices"] == {"value": "true", "is_set": True, "type": "boolean"}


def test_setting_and_unsetting_the_currency(admin_key, tenant):
    set_ = post(admin_key, "currency", json.dumps('"SEK"'))

    assert (set_.status_code, set_.json()) == (200, {"value": '"SEK"', "is_set": True, "type": "string"})
    assert admin_key.get("setting/currency").json()["value"] == '"SEK"'

    unset = post(admin_key, "currency", json.dumps(""))

    assert (unset.status_code, unset.json()) == (200, EUR)
    assert not Setting.objects.filter(tenant=tenant).exists()
    assert setting_events(tenant) == ["setting.updated", "setting.deleted"]


def test_the_string_null_unsets_too(admin_key, tenant):
    post(admin_key, "currency", json.dumps('"SEK"'))

    assert post(admin_key, "currency", json.dumps("null")).json() == EUR


def test_a_value_of_65535_characters_is_kept_whole(admin_key):
    value = json.dumps("a" * (2**16 - 3))

    assert post(admin_key, "currency", json.dumps(value)).status_code == 200
    assert admin_key.get("setting/currency").json()["value"] == value


def test_a_json_content_type_with_a_charset_is_json(admin_key):
    answered = post(admin_key, "currency", json.dumps('"SEK"'), content_type="application/json; charset=utf-8")

    assert answered.json()["value"] == '"SEK"'


@pytest.mark.parametrize(
    ("key", "body", "content_type", "status"),
    [
        ("currency", 'name="US=D"', "text/plain;charset=UTF-8", 415),  # what an HTML form sends
        ("currency", "a=b", "application/x-www-form-urlencoded", 415),
        ("currency", "a=b", "multipart/form-data; boundary=x", 415),
        ("currency", "123", "application/json", 422),  # not a JSON string
        ("currency", "null", "application/json", 422),
        ("currency", "{nope", "application/json", 422),
        ("currency", json.dumps("123"), "application/json", 400),  # a number for a string setting
        ("currency", json.dumps("{nope"), "application/json", 400),  # not JSON text
        ("currency", json.dumps(json.dumps("a" * 2**16)), "application/json", 400),  # too long
        ("locations", json.dumps('{"a": 1}'), "application/json", 400),
        ("not-a-setting", json.dumps('"SEK"'), "application/json", 404),
        ("extra_fields_spool", json.dumps(json.dumps([{"key": "nope"}])), "application/json", 400),
        (
            "extra_fields_spool",
            json.dumps(json.dumps([{"key": "b", "entity_type": "vendor", "name": "B", "field_type": "text"}])),
            "application/json",
            400,
        ),
    ],
)
def test_a_refused_setting_is_spoolman_s_status_and_writes_nothing(admin_key, tenant, key, body, content_type, status):
    refused = post(admin_key, key, body, content_type=content_type)

    assert refused.status_code == status and set(refused.json()) == {"message"}
    assert not Setting.objects.filter(tenant=tenant).exists()
    assert not ExtraField.objects.filter(tenant=tenant).exists()
    assert setting_events(tenant) == []
    assert admin_key.get("field/spool").status_code == 200


def test_an_empty_body_is_a_422_and_an_empty_body_without_a_type_a_415(admin_key, tenant):
    path = admin_key.base + "setting/currency"
    assert (
        admin_key.client.post(path, "", content_type="application/json", CONTENT_TYPE="application/json").status_code
        == 422
    )
    assert admin_key.client.post(path).status_code == 415
    assert not Setting.objects.filter(tenant=tenant).exists()


def test_an_unknown_setting_is_a_404_to_read(spoolman):
    assert spoolman.get("setting/unknown").status_code == 404


def test_the_extra_fields_setting_is_the_field_definitions(admin_key, tenant):
    fields = [{"key": "batch", "entity_type": "spool", "name": "Batch", "field_type": "text"}]

    assert post(admin_key, "extra_fields_spool", json.dumps(json.dumps(fields))).status_code == 200

    assert [field["key"] for field in admin_key.get("field/spool").json()] == ["batch"]
    assert json.loads(admin_key.get("setting/extra_fields_spool").json()["value"])[0]["key"] == "batch"
    post(admin_key, "extra_fields_spool", json.dumps("[]"))
    assert admin_key.get("field/spool").json() == []


# --- who may ------------------------------------------------------------------------------------


def test_a_printer_key_reads_settings_but_may_not_set_one(spoolman, tenant):
    assert spoolman.get("setting/").status_code == 200

    refused = post(spoolman, "locations", json.dumps('["Shelf"]'))

    assert refused.status_code == 403 and "manage key" in refused.json()["message"]
    assert not Setting.objects.filter(tenant=tenant).exists()


def test_a_member_arranges_the_web_client_but_may_not_configure_the_tenant(tenant, make_member):
    member = manage_client(tenant, make_member, "member")

    assert post(member, "locations", json.dumps('["Shelf A"]')).status_code == 200
    assert post(member, "label_designs", json.dumps("[]")).status_code == 200
    for key, value in (("currency", '"SEK"'), ("base_url", '"http://x"'), ("extra_fields_spool", "[]")):
        refused = post(member, key, json.dumps(value))
        assert refused.status_code == 403 and "admin" in refused.json()["message"], key
    assert set(Setting.objects.filter(tenant=tenant).values_list("key", flat=True)) == {"locations", "label_designs"}


def test_a_viewer_s_manage_key_sets_nothing(tenant, make_member):
    viewer = manage_client(tenant, make_member, "viewer")

    assert viewer.get("setting/locations").status_code == 200
    assert post(viewer, "locations", json.dumps('["Shelf A"]')).status_code == 403
    assert not Setting.objects.filter(tenant=tenant).exists()


def test_a_tenant_s_settings_are_its_own(admin_key, other_tenant, make_member):
    theirs = manage_client(other_tenant, make_member, "admin")
    post(theirs, "currency", json.dumps('"SEK"'))

    assert admin_key.get("setting/currency").json() == EUR
    post(admin_key, "currency", json.dumps('"USD"'))
    assert theirs.get("setting/currency").json()["value"] == '"SEK"'
    assert admin_key.get("setting/").json()["currency"]["value"] == '"USD"'
