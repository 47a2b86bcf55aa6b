"""A spool's optional `rfid_uid` (a Bambu Lab spool's tray UUID): API, uniqueness per tenant, import, label."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import tablib
from django.contrib.auth import get_user_model

from inventory.models import Spool
from inventory.resources import SpoolResource

pytestmark = pytest.mark.django_db

SPOOLS = "/api/v1/spools/"
UUID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


@pytest.fixture
def material(tenant, make_material):
    return make_material(tenant)


def create(api, material, **fields):
    body = {"code": fields.pop("code", "BL-1"), "material": str(material.pk), "initial_weight_g": "1000.00", **fields}
    return api.post(SPOOLS, body, format="json")


def test_a_spool_is_created_with_its_tag_written_as_people_type_it(api, material):
    response = create(api, material, rfid_uid="a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90")

    assert response.status_code == 201, response.content
    assert response.json()["rfid_uid"] == UUID
    assert api.get(SPOOLS, {"search": "BL-1"}).json()["results"][0]["rfid_uid"] == UUID


def test_spools_without_a_tag_do_not_clash(api, material):
    assert create(api, material, code="A").status_code == 201
    assert create(api, material, code="B", rfid_uid="").status_code == 201
    assert set(Spool.objects.values_list("rfid_uid", flat=True)) == {""}


def test_a_tag_is_unique_per_tenant(api, other_api, material, other_tenant, make_material):
    assert create(api, material, rfid_uid=UUID).status_code == 201

    duplicate = create(api, material, code="BL-2", rfid_uid=UUID.lower())
    theirs = create(other_api, make_material(other_tenant), rfid_uid=UUID)

    assert duplicate.status_code == 400
    assert "rfid_uid" in duplicate.json()
    assert theirs.status_code == 201


@pytest.mark.parametrize("value", ["not-hex!", "ABC", "0" * 32, "F" * 65])
def test_a_malformed_tag_is_a_400(api, material, value):
    response = create(api, material, rfid_uid=value)

    assert response.status_code == 400
    assert "rfid_uid" in response.json()


def test_a_tag_is_set_and_cleared_by_patch(api, tenant, make_spool):
    spool = make_spool(tenant)

    assert api.patch(f"{SPOOLS}{spool.pk}/", {"rfid_uid": UUID}, format="json").json()["rfid_uid"] == UUID
    assert api.patch(f"{SPOOLS}{spool.pk}/", {"rfid_uid": ""}, format="json").json()["rfid_uid"] == ""


def test_the_csv_import_sets_the_tag(tenant, material):
    staff = get_user_model().objects.create_user("staff", is_staff=True, is_superuser=True)
    dataset = tablib.Dataset(headers=["tenant", "code", "material", "initial_weight_g", "rfid_uid"])
    dataset.append(["acme", "NEW-1", str(material.pk), "1000.00", "a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90"])

    result = SpoolResource().import_data(dataset, dry_run=False, user=staff)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Spool.objects.get(code="NEW-1").rfid_uid == UUID


def test_the_label_shows_the_tag(api, tenant, make_spool):
    spool = make_spool(tenant, code="BL-7", rfid_uid=UUID, initial_weight_g=Decimal("1000.00"))

    tree = ET.fromstring(api.get(f"{SPOOLS}{spool.pk}/label/").content)

    texts = [element.text for element in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert any(text.startswith("RFID A1B2C3D4") for text in texts)
