"""The spool list and detail (inventory.spool_pages) are SpoolSerializer's output, byte for byte.

Varied spools (priced and unpriced, weightless, used up, inactive, loaded in a slot, reserved by a
planned run, tagged, with Spoolman's fields and use dates, a purchase date) in tenants of three time
zones are rendered through the serializer and through the page and the JSON bytes compared; the
endpoints' answers are compared with the serializer path's too. A guard checks that the spools give
every field a value (and every field that may be null a null), so a dropped or differently written
field shows.
"""

import datetime
from decimal import Decimal

import pytest

from core.api.renderers import JSONRenderer
from inventory import spool_pages
from inventory.models import Spool
from inventory.payloads import spool_payload
from inventory.serializers import SpoolSerializer
from inventory.views import SpoolViewSet
from production.services.slots import SlotLoad, load_slot
from tenants.time_zones import tenant_time_zone
from tests.conftest import client_for
from tests.support.pages import answers_both_ways, assert_same_answers

pytestmark = pytest.mark.django_db

SPOOLS = "/api/v1/spools/"
UTC = datetime.UTC
NULLABLE = {
    "empty_spool_weight_g", "purchase_price", "cost_per_gram", "purchased_at", "loaded_in", "first_used", "last_used",
}  # fmt: skip


@pytest.fixture(params=["UTC", "Asia/Kolkata", "America/New_York"])
def shop(request, make_tenant, make_member, make_material, make_spool, make_printer, make_run):
    """A tenant in the parameter's time zone with spools of every shape the list shows."""
    tenant = make_tenant("zoned", timezone=request.param)
    make_member(tenant, "member")
    pla = make_material(tenant, name="PLA Basic — ✓", color_name="Jade", color_hex="#00AE42")
    petg = make_material(tenant, name="PETG HF", kind="PETG", color_name="", color_hex="#FFFFFF")
    summer = datetime.datetime(2026, 7, 15, 9, 30, 12, 345678, tzinfo=UTC)
    loaded = make_spool(
        tenant,
        pla,
        initial_weight_g=Decimal("1000.00"),
        purchase_price=Decimal("19.99"),  # 0.01999 a gram: rounded to four places
        empty_spool_weight_g=Decimal("250.00"),
        purchased_at=datetime.date(2026, 3, 1),
        supplier="Prusa",
        location="Shelf 3",
        rfid_uid="04A3B2C1D0E0F001",
        lot_nr="L-42",
        comment="naïve \u2028 ✓",
        extra={"dried": '"yes"'},
        first_used=datetime.datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        last_used=summer,
    )
    printer = make_printer(tenant, name="P1S — ✓", slot_count=4)
    load_slot(printer=printer, user=None, load=SlotLoad(slot=2, spool=loaded))
    reserved = make_spool(tenant, petg, initial_weight_g=Decimal("750.00"), purchase_price=None)
    make_run(tenant, status="planned", materials=[{"spool": reserved, "estimated_model_g": Decimal("12.34")}])
    make_spool(tenant, petg, is_active=False, initial_weight_g=Decimal("3.00"), purchase_price=Decimal("0.00"))
    # Registered through Spoolman without a weight (stored by hand: the API asks for one): no percent, no price a gram.
    weightless = make_spool(tenant, pla, purchase_price=Decimal("30.00"))
    Spool.objects.filter(pk=weightless.pk).update(initial_weight_g=Decimal("0.00"), current_weight_g=Decimal("0.00"))
    return tenant


def serializer_data(spools):
    return SpoolSerializer(spools.for_floor(), many=True).data


def page_data(spools):
    return spool_pages.represent(spools.for_floor().values(*spool_pages.SPOOL_COLUMNS))


def test_the_page_is_the_serializers_output_byte_for_byte(shop):
    spools = Spool.objects.for_tenant(shop)
    with tenant_time_zone(shop):
        expected = serializer_data(spools)
        assert JSONRenderer().render(page_data(spools)) == JSONRenderer().render(expected)
        # And the same values of the same types, not only the same text.
        assert page_data(spools) == expected
    assert len(expected) == spools.count() == 4


def test_the_spools_exercise_every_field_with_a_value_and_every_nullable_one_with_null(shop):
    with tenant_time_zone(shop):
        data = page_data(Spool.objects.for_tenant(shop))
    seen: dict[str, set] = {}
    for spool in data:
        for key, value in spool.items():
            seen.setdefault(key, set()).add(repr(value))
    assert set(seen) == set(SpoolSerializer().fields)
    assert [key for key, values in seen.items() if values <= {"None"}] == []
    assert [key for key in NULLABLE if "None" not in seen[key]] == []
    # Every field that varies in the data varies in the output (a constant output would pass as "same").
    assert [key for key, values in seen.items() if len(values) < 2] == []


def test_the_list_answers_what_the_serializer_path_answers(shop, make_member, monkeypatch):
    api = client_for(make_member(shop, "viewer"), shop)
    queries = [
        {"page_size": 100},
        {"page_size": 2, "page": 2},
        {"ordering": "-current_weight_g"},
        {"low_stock": "false", "ordering": "purchased_at"},
        {"kind": "PETG", "is_active": "true"},
        {"cursor": "", "page_size": 2},
    ]

    def ask():
        pages = [api.get(SPOOLS, query) for query in queries]
        # A cursor page's next link leads on from the page's last row (its token read from a `.values()` row).
        return [*pages, api.get(pages[-1].json()["next"])]

    written, serialized = answers_both_ways(monkeypatch, SpoolViewSet, ask)

    assert_same_answers([*queries, "next"], written, serialized)
    assert {page.status_code for page in written} == {200}
    assert len(written[0].json()["results"]) == 4
    assert [spool["loaded_in"]["slot"] for spool in written[0].json()["results"] if spool["loaded_in"]] == [2]


def test_a_spools_detail_answers_what_the_serializer_path_answers(shop, make_member, monkeypatch):
    api = client_for(make_member(shop, "viewer"), shop)
    urls = [f"{SPOOLS}{pk}/" for pk in Spool.objects.for_tenant(shop).values_list("pk", flat=True)]
    urls += [f"{SPOOLS}00000000-0000-0000-0000-000000000000/", f"{SPOOLS}not-a-uuid/"]

    written, serialized = answers_both_ways(monkeypatch, SpoolViewSet, lambda: [api.get(url) for url in urls])

    assert_same_answers(urls, written, serialized)
    assert [answer.status_code for answer in written] == [200] * 4 + [404, 404]


def test_a_spool_read_for_the_floor_is_represented_as_the_serializer_does(shop):
    with tenant_time_zone(shop):
        spools = list(Spool.objects.for_tenant(shop).for_floor())
        for spool in spools:
            written = spool_pages.represent_spool(spool)
            assert JSONRenderer().render(written) == JSONRenderer().render(SpoolSerializer(spool).data)
            assert spool_payload(spool) == written
    assert len(spools) == 4


@pytest.mark.parametrize(
    ("read", "left_out"),
    [
        (lambda spools: spools.with_reservations(), {"loaded_in"}),
        (lambda spools: spools.with_slot(), {"reserved_g", "available_g"}),
        (lambda spools: spools, {"reserved_g", "available_g", "loaded_in"}),
    ],
)
def test_a_spool_read_without_some_floor_columns_leaves_them_out_as_the_serializer_does(shop, read, left_out):
    with tenant_time_zone(shop):
        for spool in read(Spool.objects.for_tenant(shop).with_material()):
            payload = spool_payload(spool)
            assert JSONRenderer().render(payload) == JSONRenderer().render(SpoolSerializer(spool).data)
            assert set(SpoolSerializer().fields) - set(payload) == left_out


def test_adjust_and_weigh_in_answer_the_spool_as_its_detail_shows_it(shop, make_member):
    api = client_for(make_member(shop, "admin"), shop)
    spool = Spool.objects.for_tenant(shop).get(lot_nr="L-42")
    url = f"{SPOOLS}{spool.pk}/"
    adjusted = api.post(f"{url}adjust/", {"type": "adjustment", "delta_g": "-1.25"}, format="json")
    assert adjusted.status_code == 200, adjusted.content
    detail = api.get(url).json()
    assert adjusted.json() == detail
    assert adjusted.json()["current_weight_g"] == "998.75" and adjusted.json()["loaded_in"]["slot"] == 2
    weighed = api.post(f"{url}measure/", {"gross_weight_g": "1200.00"}, format="json")
    assert weighed.status_code == 200, weighed.content
    assert weighed.json()["current_weight_g"] == "950.00"
    assert weighed.json() == api.get(url).json()


def test_a_filter_in_the_query_string_narrows_a_detail_as_it_narrows_the_list(shop, make_member):
    api = client_for(make_member(shop, "viewer"), shop)
    active = Spool.objects.for_tenant(shop).get(lot_nr="L-42")
    url = f"{SPOOLS}{active.pk}/"
    assert api.get(url, {"format": "json"}).json()["id"] == str(active.pk)
    assert api.get(url, {"is_active": "true"}).json()["id"] == str(active.pk)
    assert api.get(url, {"is_active": "false"}).status_code == 404
    assert api.get(url, {"is_active": "maybe"}).status_code == 400


def test_a_detail_of_another_tenants_spool_is_a_404(shop, make_member, make_tenant, make_spool):
    api = client_for(make_member(shop, "viewer"), shop)
    theirs = make_spool(make_tenant("elsewhere"))
    assert api.get(f"{SPOOLS}{theirs.pk}/").status_code == 404


def test_the_floor_columns_compiled_once_read_what_the_orms_subqueries_read(shop, make_tenant, make_spool, make_run):
    # Another tenant's spool with a reservation of its own: nothing of it may show in this tenant's columns.
    other = make_tenant("elsewhere")
    make_run(other, status="planned", materials=[{"spool": make_spool(other), "estimated_model_g": Decimal("7.00")}])
    names = ("code", "reserved_g", "loaded_printer_id", "loaded_printer_name", "loaded_slot")
    spools = Spool.objects.for_tenant(shop).order_by("code")
    compiled = list(spools.for_floor().values_list(*names))
    assert compiled == list(spools.with_reservations().with_slot().values_list(*names))
    assert {row[1] for row in compiled} == {Decimal("0"), Decimal("12.34")}
    assert [row[4] for row in compiled if row[4] is not None] == [2]
