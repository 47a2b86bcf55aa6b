"""Spoolman's query language (spoolman/query.py) against real rows: spools and materials, and events'
JSON payloads standing in for the `extra` dicts (JSON text per key) the foundation adds."""

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db.models import JSONField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.test import RequestFactory

from events.models import Event
from inventory.models import Spool, Vendor
from spoolman import query
from spoolman.errors import SpoolmanError

SPOOLS = query.Listing(
    filters=(
        query.Filter(("filament.name", "filament_name"), query.Text("material__name")),
        query.Filter(("filament.material",), query.Text("material__kind")),
        query.Filter(("filament.vendor.name",), query.Text("material__vendor__name", nullable=False)),
        query.Filter(("filament.id", "filament_id"), query.Ids("material__number")),
        query.Filter(("tare",), query.Ids("empty_spool_weight_g", minus_one_is_none=True)),
        query.Filter(("location",), query.Text("location")),
        query.Filter(("lot_nr",), query.Text("code")),
    ),
    sort_fields={
        "id": "number",
        "location": "location",
        "lot_nr": "code",
        "remaining_weight": "current_weight_g",
        "spool_weight": "empty_spool_weight_g",
        "price": Coalesce("purchase_price", "empty_spool_weight_g"),
        "filament.id": "material__number",
        "filament.name": "material__name",
        "filament.combined_name": ("material__vendor__name", "material__name"),
        "filament.vendor.name": "material__vendor__name",
    },
    models={"": "Spool", "filament": "Filament", "filament.vendor": "Vendor"},
    tiebreak=("number",),
    extra=(query.ExtraScope("extra.", "spool", "s_extra"), query.ExtraScope("filament.extra.", "filament", "m_extra")),
    archived=Q(is_active=False),
)

EVENTS = query.Listing(
    filters=(),
    sort_fields={"id": "id"},
    models={"": "Vendor"},
    tiebreak=("id",),
    extra=(query.ExtraScope("extra.", "vendor", "payload"),),
)


@dataclass
class Definition:
    key: str
    field_type: str
    multi_choice: bool | None = None


def params(**values) -> QueryDict:
    return QueryDict(urlencode(values))


def numbers(rows):
    return [row.number for row in rows]


def spools_found(**values):
    return numbers(query.find(params(**values), spool_rows(), SPOOLS, definitions_of({})))


def spool_rows():
    extras = Event.objects.filter(type="extra")  # not the spool's own "spool.created" event
    payloads = extras.filter(resource_id=OuterRef("pk")).values("payload")[:1]
    material_payloads = extras.filter(resource_id=OuterRef("material_id")).values("payload")[:1]
    return Spool.objects.annotate(
        s_extra=Subquery(payloads, output_field=JSONField()),
        m_extra=Subquery(material_payloads, output_field=JSONField()),
    )


def definitions_of(by_entity, calls=None):
    def definitions(entity):
        if calls is not None:
            calls.append(entity)
        return by_entity.get(entity, [])

    return definitions


def refused(status, call):
    with pytest.raises(SpoolmanError) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    return caught.value.message


@pytest.fixture
def shelf(tenant, make_material, make_spool):
    """Five spools: 1, 2 of Galaxy Black (Prusament PLA), 3 archived, 4 of a PETG of an unnamed vendor, 5 of "X"."""
    galaxy = make_material(tenant, name="Galaxy Black", brand="Prusament", kind="PLA")
    petg = make_material(tenant, name="", vendor=Vendor.objects.create(tenant=tenant, name=""), kind="PETG")
    plain = make_material(tenant, name="Filament X", brand="Polymaker", kind="ABS")
    return [
        make_spool(tenant, galaxy, location="The Pantry", code="123456789", empty_spool_weight_g=Decimal("200")),
        make_spool(tenant, galaxy, location="Living Room", code="987654321", empty_spool_weight_g=Decimal("250")),
        make_spool(tenant, galaxy, location="Dryer 100%", code="a_b", is_active=False),
        make_spool(tenant, petg, location="", code="", initial_weight_g=Decimal("500.00")),
        make_spool(tenant, plain, location="pantry shelf", code="LOT-7", empty_spool_weight_g=Decimal("200")),
    ]


# --- string filters -------------------------------------------------------------------------


def test_a_term_is_a_case_insensitive_substring(shelf):
    assert spools_found(location="pantry") == [1, 5]
    assert spools_found(location="PANTRY") == [1, 5]


def test_a_quoted_term_matches_exactly_and_with_its_case(shelf):
    assert spools_found(location='"The Pantry"') == [1]
    assert spools_found(location='"the pantry"') == []
    assert spools_found(location='"Pantry"') == []


def test_comma_terms_are_ored_and_not_trimmed(shelf):
    assert spools_found(location='"The Pantry",living') == [1, 2]
    assert spools_found(location="The Pantry, Living") == [1]  # " Living" keeps its space, as Spoolman's does
    assert spools_found(location="Pantry, Room") == [1, 2, 5]


def test_an_empty_term_matches_an_empty_value(shelf):
    assert spools_found(location="") == [4]
    assert spools_found(location="The Pantry,") == [1, 4]
    assert spools_found(**{"filament.name": ""}) == [4]


def test_an_empty_term_on_a_non_nullable_column_matches_only_the_empty_string(shelf):
    assert spools_found(**{"filament.vendor.name": ""}) == [4]
    assert query.string_filter("x", "", nullable=False) == Q(x="")
    assert query.string_filter("x", "") == Q(x="") | Q(x__isnull=True)


def test_a_lone_quote_is_an_exact_empty_term(shelf):
    assert spools_found(location='"') == [4]


def test_like_wildcards_in_a_term_are_literal(shelf):
    assert spools_found(location="100%", allow_archived="true") == [3]
    assert spools_found(lot_nr="a_b", allow_archived="true") == [3]
    assert spools_found(lot_nr="_") == []


def test_nested_paths_and_deprecated_aliases_filter_alike(shelf):
    assert spools_found(**{"filament.name": "galaxy"}) == [1, 2]
    assert spools_found(filament_name="galaxy") == [1, 2]
    # The parameter wins over its deprecated alias.
    assert spools_found(**{"filament.name": "filament x", "filament_name": "galaxy"}) == [5]
    assert spools_found(**{"filament.material": "pla,abs"}) == [1, 2, 5]


def test_filters_are_anded(shelf):
    assert spools_found(**{"filament.name": "galaxy", "location": "room"}) == [2]


# --- ids ------------------------------------------------------------------------------------


def test_an_id_list_matches_any_of_its_ids(shelf):
    galaxy, plain = shelf[0].material.number, shelf[4].material.number
    assert spools_found(**{"filament.id": str(galaxy)}) == [1, 2]
    assert spools_found(**{"filament.id": f"{galaxy},{plain}"}) == [1, 2, 5]
    assert spools_found(filament_id=str(plain)) == [5]
    assert spools_found(**{"filament.id": "-1"}) == []  # not a "none" on a reference that cannot be empty
    assert spools_found(**{"filament.id": "99999999999999999999"}) == []  # beyond any id: nothing, no error


def test_minus_one_matches_a_missing_reference_where_spoolman_says_so(shelf):
    assert spools_found(tare="-1") == [4]
    assert spools_found(tare="-1,250") == [2, 4]


@pytest.mark.parametrize("value", ["", "a", "1,", ",1", "1;2", "1, 2", "\u0661", "+1", "1.0"])
def test_a_malformed_id_list_is_a_422(shelf, value):
    message = refused(422, lambda: spools_found(**{"filament.id": value}))
    assert "filament.id" in message


# --- booleans, archived ---------------------------------------------------------------------


@pytest.mark.parametrize("word", ["true", "TRUE", "1", "yes", "on", "t", "Y"])
def test_allow_archived_takes_fastapi_s_true_words(shelf, word):
    assert spools_found(allow_archived=word) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("word", ["false", "0", "no", "off", "f", "N"])
def test_allow_archived_takes_fastapi_s_false_words(shelf, word):
    assert spools_found(allow_archived=word) == [1, 2, 4, 5]


def test_archived_rows_are_left_out_by_default_and_a_bad_boolean_is_a_422(shelf):
    assert spools_found() == [1, 2, 4, 5]
    assert "allow_archived" in refused(422, lambda: spools_found(allow_archived="maybe"))
    assert refused(422, lambda: spools_found(allow_archived=""))


def test_a_listing_without_archive_ignores_allow_archived(tenant):
    Event.objects.create(tenant=tenant, type="t.x", resource="t", resource_id=uuid.uuid4(), payload={})
    assert query.find(params(allow_archived="nonsense"), Event.objects.all(), EVENTS).count() == 1


# --- sorting --------------------------------------------------------------------------------


def test_parse_sort_reads_fields_and_directions():
    assert query.parse_sort(None) == []
    assert query.parse_sort("") == []
    assert query.parse_sort("name:asc, id:DESC ,,") == [("name", False), ("id", True)]
    assert query.parse_sort("id:desc,name:asc,id:asc") == [("id", False), ("name", False)]


@pytest.mark.parametrize("value", ["id", "id:", ":asc", "id:sideways", "id:asc,name"])
def test_a_malformed_sort_is_a_400(value):
    refused(400, lambda: query.parse_sort(value))


def test_sort_orders_by_each_field_then_the_next(shelf):
    assert spools_found(sort="id:desc") == [5, 4, 2, 1]
    assert spools_found(sort="filament.name:asc,id:desc") == [4, 5, 2, 1]
    assert spools_found(sort="filament.combined_name:desc") == [1, 2, 5, 4]  # Prusament, Polymaker, ""


def test_without_sort_the_rows_come_in_id_order(shelf):
    assert spools_found(allow_archived="1") == [1, 2, 3, 4, 5]


def test_equal_values_keep_id_order_in_both_directions(shelf):
    assert spools_found(sort="spool_weight:asc") == [1, 5, 2, 4]
    assert spools_found(sort="spool_weight:desc") == [2, 1, 5, 4]


def test_empty_values_sort_last_in_both_directions(shelf):
    # Spool 4 has no tare: last ascending and descending, as Spoolman orders NULLs on every database.
    assert spools_found(sort="spool_weight:asc")[-1] == 4
    assert spools_found(sort="spool_weight:desc")[-1] == 4


def test_a_sort_field_may_be_an_expression(shelf):
    # purchase price 25.00 for all: the coalesce ties, the id breaks it.
    assert spools_found(sort="price:desc") == [1, 2, 4, 5]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope:asc", "Invalid field name 'nope', 'nope' is not a valid field on 'Spool'."),
        ("filament.nope:asc", "Invalid field name 'nope', 'nope' is not a valid field on 'Filament'."),
        ("filament.vendor.nope:asc", "Invalid field name 'nope', 'nope' is not a valid field on 'Vendor'."),
        ("filament:asc", "No field specified for filament"),
        ("filament.vendor:asc", "No field specified for vendor"),
        ("location.city:asc", "Field 'location' does not have any nested fields"),
        ("extra:asc", "Invalid field name 'extra', 'extra' is not a valid field on 'Spool'."),
        ("filament.extra.x:asc", "Invalid field name 'extra.x', 'extra' is not a valid field on 'Filament'."),
    ],
)
def test_an_unknown_sort_field_is_a_400_with_spoolman_s_message(shelf, value, message):
    assert refused(400, lambda: spools_found(sort=value)) == message


def test_parameter_errors_come_before_sort_errors(shelf):
    refused(422, lambda: spools_found(sort="id", limit="x"))
    refused(422, lambda: spools_found(sort="nope:asc", **{"filament.id": "x"}))


# --- limit, offset, X-Total-Count ----------------------------------------------------------------


def test_limit_and_offset_window_the_rows_and_the_total_counts_them_all(shelf):
    rows = query.find(params(sort="id:asc"), spool_rows(), SPOOLS)
    assert [(numbers(found), total) for found, total in [query.page(params(limit="2"), rows)]] == [([1, 2], 4)]
    found, total = query.page(params(limit="2", offset="1"), rows)
    assert (numbers(found), total) == ([2, 4], 4)
    found, total = query.page(params(limit="2", offset="100"), rows)
    assert (numbers(found), total) == ([], 4)
    found, total = query.page(params(limit="0"), rows)
    assert (numbers(found), total) == ([], 4)


def test_an_offset_without_a_limit_is_ignored_as_spoolman_ignores_it(shelf):
    rows = query.find(params(), spool_rows(), SPOOLS)
    found, total = query.page(params(offset="2"), rows)
    assert (numbers(found), total) == ([1, 2, 4, 5], 4)


def test_without_a_limit_the_rows_are_read_once(shelf, django_assert_num_queries):
    rows = query.find(params(), spool_rows(), SPOOLS)
    with django_assert_num_queries(1):
        found, total = query.page(params(), rows)
    assert total == len(found) == 4


@pytest.mark.parametrize(("name", "value"), [("limit", "-1"), ("limit", "x"), ("offset", "-1"), ("offset", "1.5")])
def test_a_bad_limit_or_offset_is_a_422(name, value):
    assert name in refused(422, lambda: query.window(params(**{name: value})))


def test_paged_answers_the_window_with_x_total_count(shelf):
    request = RequestFactory().get("/", {"limit": "1", "offset": "1"})
    rows = query.find(request.GET, spool_rows(), SPOOLS)
    response = query.paged(request, rows, lambda spool: spool.number)
    assert (json.loads(response.content), response["X-Total-Count"]) == ([2], "4")


# --- extra fields: filters ------------------------------------------------------------------


@pytest.fixture
def make_vendor(tenant):
    """An event standing for a vendor: its payload is the vendor's `extra` dict (key -> JSON text)."""

    def make(**extra):
        return Event.objects.create(
            tenant=tenant, type="vendor.created", resource="vendor", resource_id=uuid.uuid4(), payload=extra
        ).id

    return make


def vendors_found(fields, **values):
    definitions = definitions_of({"vendor": fields})
    return [row.id for row in query.find(params(**values), Event.objects.all(), EVENTS, definitions)]


def test_an_integer_field_filters_exactly_and_by_range(make_vendor):
    field = [Definition("n", "integer")]
    low, high, other = make_vendor(n="100"), make_vendor(n="200"), make_vendor()
    assert vendors_found(field, **{"extra.n": "100"}) == [low]
    assert vendors_found(field, **{"extra.n": "100,200"}) == [low, high]
    assert vendors_found(field, **{"extra.n": "150:"}) == [high]
    assert vendors_found(field, **{"extra.n": ":150"}) == [low]
    assert vendors_found(field, **{"extra.n": "50:150"}) == [low]
    assert vendors_found(field, **{"extra.n": ""}) == [other]
    assert vendors_found(field, **{"extra.n": "+100"}) == [low]  # Python's int() reads it, as Spoolman's does


@pytest.mark.parametrize("value", ["abc", "1.5", ":", "abc:200", "1:x"])
def test_a_bad_integer_filter_is_a_400(make_vendor, value):
    assert "Invalid integer" in refused(400, lambda: vendors_found([Definition("n", "integer")], **{"extra.n": value}))


def test_a_float_field_compares_numbers_not_text(make_vendor):
    field = [Definition("f", "float")]
    two, three, half = make_vendor(f="2"), make_vendor(f="3.0"), make_vendor(f="1.5")
    for value in ("2", "2.0", "2.00"):
        assert vendors_found(field, **{"extra.f": value}) == [two]
    assert vendors_found(field, **{"extra.f": "2.5:"}) == [three]
    assert vendors_found(field, **{"extra.f": ":2.0"}) == [two, half]
    assert vendors_found(field, **{"extra.f": "1.0:2.0"}) == [two, half]
    for value in ("notafloat", "nan", "inf", ":", "x:2"):
        refused(400, lambda value=value: vendors_found(field, **{"extra.f": value}))


def test_range_fields_compare_their_bounds(make_vendor):
    field = [Definition("r", "integer_range")]
    inside, wide, open_low = make_vendor(r="[100, 200]"), make_vendor(r="[50,300]"), make_vendor(r="[null, 200]")
    assert vendors_found(field, **{"extra.r": "100:200"}) == [inside]
    assert vendors_found(field, **{"extra.r": "60:"}) == [inside]
    assert vendors_found(field, **{"extra.r": ":250"}) == [inside, open_low]
    assert vendors_found(field, **{"extra.r": "50:"}) == [inside, wide]
    for value in ("100", "abc:200", ":"):
        refused(400, lambda value=value: vendors_found(field, **{"extra.r": value}))
    floats = [Definition("r", "float_range")]
    assert vendors_found(floats, **{"extra.r": "99.5:200.5"}) == [inside]
    refused(400, lambda: vendors_found(floats, **{"extra.r": "1.5"}))


def test_a_text_field_matches_its_decoded_string(make_vendor):
    field = [Definition("t", "text")]
    beta, alpha = make_vendor(t=json.dumps("Beta")), make_vendor(t=json.dumps("alphabet"))
    accented = make_vendor(t=json.dumps("Café åäö 日本"))  # stored ASCII-escaped, as Python clients write it
    percent = make_vendor(t=json.dumps("100% a_b and/or"))
    assert vendors_found(field, **{"extra.t": "bet"}) == [beta, alpha]
    assert vendors_found(field, **{"extra.t": '"Beta"'}) == [beta]
    assert vendors_found(field, **{"extra.t": '"beta"'}) == []
    assert vendors_found(field, **{"extra.t": "beta,ALPHA"}) == [beta, alpha]
    assert vendors_found(field, **{"extra.t": "åäö"}) == [accented]
    assert vendors_found(field, **{"extra.t": '"Café åäö 日本"'}) == [accented]
    assert vendors_found(field, **{"extra.t": "0%"}) == [percent]
    assert vendors_found(field, **{"extra.t": "a_b"}) == [percent]
    assert vendors_found(field, **{"extra.t": "d/o"}) == [percent]
    assert vendors_found(field, **{"extra.t": "%"}) == [percent]


def test_text_that_is_not_a_decodable_json_string_matches_nothing_and_errs_nowhere(make_vendor):
    field = [Definition("t", "text")]
    for stored in ('"\\u0000"', '"\\ud800"', "not json", '"open', "5", '"tab\there"'):
        make_vendor(t=stored)
    emoji = make_vendor(t=json.dumps("😀 ok"))
    assert vendors_found(field, **{"extra.t": "o"}) == [emoji]
    assert len(vendors_found(field, **{"extra.t": ""})) == 0


def test_an_empty_term_matches_no_value(make_vendor):
    field = [Definition("t", "text")]
    empty, null, missing, other = make_vendor(t='""'), make_vendor(t="null"), make_vendor(), make_vendor(u="1")
    make_vendor(t=json.dumps("x"))
    assert vendors_found(field, **{"extra.t": ""}) == [empty, null, missing, other]
    json_null = Event.objects.create(
        tenant=Event.objects.get(id=empty).tenant, type="v", resource="v", resource_id=uuid.uuid4(), payload={"t": None}
    ).id
    assert json_null in vendors_found(field, **{"extra.t": ""})


def test_a_boolean_field_takes_true_or_false_and_empty_matches_false_and_unset(make_vendor):
    field = [Definition("b", "boolean")]
    yes, no, unset = make_vendor(b="true"), make_vendor(b="false"), make_vendor()
    assert vendors_found(field, **{"extra.b": "true"}) == [yes]
    assert vendors_found(field, **{"extra.b": "False"}) == [no]
    assert vendors_found(field, **{"extra.b": ""}) == [no, unset]
    for value in ("1", "0", "yes", "maybe"):
        assert "Invalid boolean filter value" in refused(
            400, lambda value=value: vendors_found(field, **{"extra.b": value})
        )


def test_a_choice_field_matches_whole_choices(make_vendor):
    single = [Definition("c", "choice", multi_choice=False)]
    a, b, red = make_vendor(c='"OptionA"'), make_vendor(c='"OptionB"'), make_vendor(c=json.dumps("Röd 50%"))
    assert vendors_found(single, **{"extra.c": "OptionA"}) == [a]
    assert vendors_found(single, **{"extra.c": "optiona"}) == []
    assert vendors_found(single, **{"extra.c": "OptionA,OptionB"}) == [a, b]
    assert vendors_found(single, **{"extra.c": '"Röd 50%"'}) == [red]
    assert vendors_found(single, **{"extra.c": "Option"}) == []


def test_a_multi_choice_field_matches_an_element(make_vendor):
    multi = [Definition("m", "choice", multi_choice=True)]
    ab = make_vendor(m=json.dumps(["A", "B"]))
    c = make_vendor(m=json.dumps(["C"], ensure_ascii=False))
    red, reddish = make_vendor(m='["Red"]'), make_vendor(m='["Reddish"]')
    rod = make_vendor(m=json.dumps(["Röd"]))  # ASCII-escaped
    assert vendors_found(multi, **{"extra.m": "A"}) == [ab]
    assert vendors_found(multi, **{"extra.m": "A,C"}) == [ab, c]
    assert vendors_found(multi, **{"extra.m": "Red"}) == [red]
    assert vendors_found(multi, **{"extra.m": "red"}) == []
    assert vendors_found(multi, **{"extra.m": "Röd"}) == [rod]
    assert reddish not in vendors_found(multi, **{"extra.m": "Red"})


def test_a_datetime_field_matches_its_text_and_ranges(make_vendor):
    field = [Definition("d", "datetime")]
    early, late = make_vendor(d='"2023-01-01T00:00:00"'), make_vendor(d='"2024-06-15T12:30:00"')
    assert vendors_found(field, **{"extra.d": "2023-01-01T00:00:00"}) == [early]
    assert vendors_found(field, **{"extra.d": "2023-06-01T00:00:00|"}) == [late]
    assert vendors_found(field, **{"extra.d": "|2023-06-01T00:00:00"}) == [early]
    assert vendors_found(field, **{"extra.d": "2022-01-01T00:00:00|2023-06-01T00:00:00"}) == [early]
    refused(400, lambda: vendors_found(field, **{"extra.d": "|"}))


def test_extra_filters_are_anded_and_an_unknown_key_is_ignored(make_vendor):
    fields = [Definition("t", "text"), Definition("n", "integer")]
    both = make_vendor(t='"alpha"', n="5")
    make_vendor(t='"alpha"', n="6")
    make_vendor(t='"beta"', n="5")
    assert vendors_found(fields, **{"extra.t": '"alpha"', "extra.n": "5"}) == [both]
    assert len(vendors_found(fields, **{"extra.nope": "whatever"})) == 3
    assert len(vendors_found(fields, sort="extra.nope:asc")) == 3


def test_definitions_are_read_only_when_an_extra_field_is_used(make_vendor):
    calls = []
    make_vendor(n="1")
    definitions = definitions_of({"vendor": [Definition("n", "integer")]}, calls)
    query.find(params(sort="id:asc"), Event.objects.all(), EVENTS, definitions)
    assert calls == []
    found = query.find(params(**{"extra.n": "1", "sort": "extra.n:desc"}), Event.objects.all(), EVENTS, definitions)
    assert len(found) == 1
    assert calls == ["vendor"]


def test_a_spool_filters_by_its_filament_s_extra_fields(shelf, tenant):
    galaxy = shelf[0].material
    Event.objects.create(tenant=tenant, type="extra", resource="m", resource_id=galaxy.pk, payload={"grade": '"pro"'})
    definitions = definitions_of({"filament": [Definition("grade", "text")], "spool": []})
    found = query.find(params(**{"filament.extra.grade": "pro"}), spool_rows(), SPOOLS, definitions)
    assert numbers(found) == [1, 2]
    found = query.find(params(**{"filament.extra.grade": ""}), spool_rows(), SPOOLS, definitions)
    assert numbers(found) == [4, 5]


# --- extra fields: sorting ------------------------------------------------------------------


def vendor_order(fields, key, direction):
    return vendors_found(fields, sort=f"extra.{key}:{direction}")


@pytest.mark.parametrize(
    ("field_type", "stored"),
    [
        ("integer", ["9", "100", "-3"]),  # numerically, not as text ("100" < "9")
        ("float", ["2.5", "10", "-0.5e1"]),
        ("integer_range", ["[9, 1]", "[100, 0]", "[-3, 500]"]),
        ("float_range", ["[2.5, null]", "[10.0, 11]", "[-5, 0]"]),
        ("text", ['"b"', '"c"', '"a"']),
        ("datetime", ['"2024-01-01T00:00:00"', '"2025-01-01T00:00:00"', '"2023-06-01T00:00:00"']),
        ("choice", ['"M"', '"Z"', '"A"']),
    ],
)
def test_an_extra_field_sorts_by_its_type_with_no_value_last(make_vendor, field_type, stored):
    field = [Definition("k", field_type)]
    middle, top, bottom = (make_vendor(k=value) for value in stored)
    missing, broken = make_vendor(), make_vendor(k="null")
    ascending = vendor_order(field, "k", "asc")
    descending = vendor_order(field, "k", "desc")
    assert ascending[:3] == [bottom, middle, top]
    assert descending[:3] == [top, middle, bottom]
    assert set(ascending[3:]) == set(descending[3:]) == {missing, broken}


def test_a_boolean_field_sorts_false_before_true(make_vendor):
    field = [Definition("b", "boolean")]
    yes, no, unset = make_vendor(b="true"), make_vendor(b="false"), make_vendor()
    assert vendor_order(field, "b", "asc") == [no, yes, unset]
    assert vendor_order(field, "b", "desc") == [yes, no, unset]


def test_values_that_do_not_cast_sort_as_no_value(make_vendor):
    field = [Definition("n", "integer")]
    good = make_vendor(n="7")
    odd = [make_vendor(n=value) for value in ("1.5", "abc", "99999999999999999999", "[1,2]", '"7"')]
    assert vendor_order(field, "n", "desc") == [good, *odd]
    ranges = [Definition("n", "float_range")]
    assert vendor_order(ranges, "n", "asc")[0] == odd[3]


def test_extra_and_plain_sort_fields_combine_in_the_order_given(make_vendor):
    fields = [Definition("g", "text"), Definition("n", "integer")]
    a2, b1, a1 = make_vendor(g='"a"', n="2"), make_vendor(g='"b"', n="1"), make_vendor(g='"a"', n="1")
    assert vendors_found(fields, sort="extra.g:asc,extra.n:asc") == [a1, a2, b1]
    assert vendors_found(fields, sort="extra.n:asc,id:desc") == [a1, b1, a2]
    assert vendors_found(fields, **{"extra.g": '"a"', "sort": "extra.n:desc"}) == [a2, a1]


def test_a_spool_sorts_by_its_own_extra_field(shelf, tenant):
    for spool, value in zip(shelf, ["30", "10", "0", None, "20"], strict=True):
        if value is not None:
            Event.objects.create(
                tenant=tenant, type="extra", resource="s", resource_id=spool.pk, payload={"slot": value}
            )
    definitions = definitions_of({"spool": [Definition("slot", "integer")]})
    found = query.find(params(sort="extra.slot:asc"), spool_rows(), SPOOLS, definitions)
    assert numbers(found) == [2, 5, 1, 4]


# --- the pieces an endpoint may use alone ---------------------------------------------------


def test_filtered_narrows_without_ordering_for_a_grouped_list(shelf):
    rows = query.filtered(params(location="pantry", sort="nope"), spool_rows(), SPOOLS)
    assert sorted(numbers(rows)) == [1, 5]
    assert not rows.query.order_by


def test_a_repeated_parameter_is_its_last_value(shelf):
    assert numbers(query.find(QueryDict("location=pantry&location=room"), spool_rows(), SPOOLS)) == [2]
