"""The Spoolman-compatible API with the requests Moonraker, OctoPrint-Spoolman and Home Assistant send."""

import json
import math
from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction
from spoolman import services
from tests.support.clients import SpoolmanClient
from tests.support.ledger import assert_ledger_balances

pytestmark = pytest.mark.django_db


def uses(spool):
    return list(InventoryTransaction.objects.filter(spool=spool, type="printer_use").order_by("sequence"))


def test_info_and_health_answer_in_spoolmans_shape(spoolman):
    info = spoolman.get("info")
    assert info.status_code == 200
    assert info.json()["version"].startswith("0.")
    assert spoolman.get("health").json() == {"status": "healthy"}


def test_an_unknown_or_revoked_key_is_a_401_message(issued):
    assert SpoolmanClient("pfk_nope").get("spool").status_code == 401
    services.revoke_key(key=issued.key)

    response = SpoolmanClient(issued.secret).get("spool")

    assert response.status_code == 401
    assert set(response.json()) == {"message"}


def test_a_spool_is_shown_with_its_number_filament_and_vendor(spoolman, spool, pla):
    body = spoolman.get(f"spool/{spool.number}").json()

    assert body["id"] == spool.number
    assert body["remaining_weight"] == 1000.0
    assert body["initial_weight"] == 1000.0
    assert body["spool_weight"] == 200.0
    assert body["used_weight"] == 0.0
    assert body["archived"] is False
    assert body["filament"]["id"] == pla.number
    assert body["filament"]["material"] == "PLA"
    assert body["filament"]["diameter"] == 1.75
    assert body["filament"]["density"] == 1.24
    assert body["filament"]["vendor"]["name"] == "Prusament"
    assert body["extra"] == {}


def test_an_unknown_spool_is_a_404_message(spoolman):
    response = spoolman.get("spool/999")
    assert response.status_code == 404
    assert response.json() == {"message": "No spool with ID 999 found."}
    assert spoolman.put("spool/999/use", {"use_weight": 1}).status_code == 404


def test_another_tenants_spool_is_not_found(spoolman, other_tenant, make_spool, tenant):
    theirs = make_spool(other_tenant)
    assert theirs.number == 1  # the same number as this tenant's first spool would have

    assert spoolman.get(f"spool/{theirs.number}").status_code == 404


def test_the_list_filters_and_pages_like_spoolman(spoolman, tenant, make_spool, make_material, pla):
    petg = make_material(tenant, name="PETG", kind="PETG", brand="", material_name="PETG")
    make_spool(tenant, pla, location="Shelf A")
    make_spool(tenant, petg, location="Shelf B")
    make_spool(tenant, pla, location="Dryer", is_active=False)

    assert [s["id"] for s in spoolman.get("spool").json()] == [1, 2]
    assert [s["id"] for s in spoolman.get("spool", allow_archived="true").json()] == [1, 2, 3]
    assert [s["id"] for s in spoolman.get("spool", **{"filament.material": "petg"}).json()] == [2]
    assert [s["id"] for s in spoolman.get("spool", location='"Shelf A",dry', allow_archived="1").json()] == [1, 3]
    paged = spoolman.get("spool", limit=1, offset=1, allow_archived="true")
    assert [s["id"] for s in paged.json()] == [2]
    assert paged["X-Total-Count"] == "3"


def test_bad_query_parameters_are_422_messages(spoolman):
    for params in ({"allow_archived": "maybe"}, {"limit": "-1"}, {"offset": "x"}):
        response = spoolman.get("spool", **params)
        assert response.status_code == 422, params
        assert "message" in response.json()


def test_use_weight_books_a_printer_use_row_for_the_printer(spoolman, spool, printer):
    response = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 12.345})

    assert response.status_code == 200
    assert response.json()["remaining_weight"] == 987.655  # exact: whole cents booked, 0.005 g carried
    (row,) = uses(spool)
    assert (row.weight_change_g, row.printer, row.production_run) == (Decimal("-12.34"), printer, None)
    assert_ledger_balances(spool)


def test_use_length_is_converted_with_diameter_and_density(spoolman, spool):
    spoolman.put(f"spool/{spool.number}/use", {"use_length": 1000})

    expected = Decimal(str(math.floor(1.24 * math.pi * (1.75 / 2) ** 2 * 1000 / 1000 * 100) / 100))  # 2.98 g a metre
    assert -uses(spool)[0].weight_change_g == expected


def test_uses_below_a_cent_are_carried_until_they_make_one(spoolman, spool):
    response = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 0.004})

    assert response.status_code == 200
    assert response.json()["remaining_weight"] == 999.996  # exact, though no cent is booked yet
    assert uses(spool) == []
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 0.007})
    assert [row.weight_change_g for row in uses(spool)] == [Decimal("-0.01")]


def test_many_small_reports_book_what_was_printed_not_each_rounded(spoolman, spool):
    """A steady print reports about the same few hundredths every 5 s: rounding each would drift."""
    for _ in range(50):
        spoolman.put(f"spool/{spool.number}/use", {"use_weight": 0.006})  # each would round to 0.01

    assert sum(-row.weight_change_g for row in uses(spool)) == Decimal("0.30")
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("999.70")


def test_a_use_too_large_to_record_is_a_422(spoolman, spool):
    assert spoolman.put(f"spool/{spool.number}/use", {"use_weight": 100_000_000}).status_code == 422
    assert spoolman.put(f"spool/{spool.number}/use", {"use_length": 99_999_999_999}).status_code == 422
    assert uses(spool) == []


@pytest.mark.parametrize("body", [{"use_weight": "lots"}, {"use_weight": True}, {"use_length": []}])
def test_a_non_numeric_use_is_a_422_and_books_nothing(spoolman, spool, body):
    response = spoolman.put(f"spool/{spool.number}/use", body)

    assert response.status_code == 422
    assert set(response.json()) == {"message"}
    assert uses(spool) == []


@pytest.mark.parametrize("body", [{"use_weight": -1}, {"use_length": -0.5}])
def test_a_negative_use_uses_nothing_and_books_nothing(spoolman, spool, body):
    """Spoolman's used weight never drops through a use: a negative one is a use of 0 g (its dates set)."""
    response = spoolman.put(f"spool/{spool.number}/use", body)

    assert response.status_code == 200
    assert response.json()["remaining_weight"] == 1000.0
    assert response.json()["last_used"] is not None
    assert uses(spool) == []
    assert_ledger_balances(spool)


@pytest.mark.parametrize("raw", ["not json", "[1]", '{"use_weight": 1e999999}', "[" * 5000])
def test_a_malformed_body_is_a_4xx_never_a_500(spoolman, spool, raw):
    response = spoolman.client.put(spoolman.base + f"spool/{spool.number}/use", raw, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert uses(spool) == []


def test_a_use_beyond_the_stock_empties_the_spool_and_records_the_excess(spoolman, spool):
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 990})
    response = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 25})

    assert response.status_code == 200
    assert response.json()["remaining_weight"] == 0.0
    last = uses(spool)[-1]
    assert (last.weight_change_g, last.excess_g) == (Decimal("-10.00"), Decimal("15.00"))
    assert_ledger_balances(spool)


def test_measure_sets_the_weight_from_the_gross_weighing(spoolman, spool, printer):
    response = spoolman.put(f"spool/{spool.number}/measure", {"weight": 950})

    assert response.status_code == 200
    assert response.json()["remaining_weight"] == 750.0
    row = InventoryTransaction.objects.filter(spool=spool).order_by("-sequence").first()
    assert (row.type, row.weight_after_g, row.printer) == ("count", Decimal("750.00"), printer)
    # Lighter than its empty reel (200 g): all of it used, as Spoolman weighs.
    assert spoolman.put(f"spool/{spool.number}/measure", {"weight": 100}).json()["remaining_weight"] == 0.0
    assert_ledger_balances(spool)


def test_an_idempotency_key_replays_the_first_answer_and_books_once(spoolman, spool):
    first = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 5}, **{"Idempotency-Key": "r-1"})
    again = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 5}, **{"Idempotency-Key": "r-1"})

    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert len(uses(spool)) == 1
    assert spoolman.put(f"spool/{spool.number}/use", {"use_weight": 6}, **{"Idempotency-Key": "r-1"}).status_code == 422


def test_filaments_and_vendors_are_listed(spoolman, pla, tenant, make_material):
    make_material(tenant, name="Other", brand="Prusament", kind="PETG")

    filaments = spoolman.get("filament")
    assert [f["id"] for f in filaments.json()] == [pla.number, pla.number + 1]
    assert filaments["X-Total-Count"] == "2"
    assert spoolman.get(f"filament/{pla.number}").json()["name"] == "Galaxy Black"
    assert spoolman.get("filament/99").status_code == 404
    assert [v["name"] for v in spoolman.get("vendor").json()] == ["Prusament"]


def test_the_key_may_not_do_anything_else(spoolman, spool):
    assert spoolman.client.post(spoolman.base + "spool", {}, content_type="application/json").status_code == 403
    assert spoolman.client.delete(spoolman.base + f"spool/{spool.number}").status_code == 403
    assert spoolman.client.put(spoolman.base + f"spool/{spool.number}", {}).status_code == 405
    assert spoolman.client.get(spoolman.base + "no-such-path").status_code == 404
    assert spoolman.client.post(spoolman.base + "backup").status_code == 403  # a manage key's (as Spoolman's: 500)
    assert (
        spoolman.client.get("/api/v1/spools/", HTTP_AUTHORIZATION=f"Token {spoolman.base.split('/')[2]}").status_code
        == 401
    )


# --- the exact requests of each client ------------------------------------------------------


def test_octoprint_spoolman_lists_spools_and_commits_a_length(issued, spool):
    """OctoPrint-Spoolman (python-requests): GET {url}/api/v1/spool, then PUT .../spool/<id>/use {"use_length"}."""
    octoprint = SpoolmanClient(issued.secret, HTTP_USER_AGENT="python-requests/2.31.0")
    assert [s["id"] for s in octoprint.get("spool").json()] == [spool.number]

    response = octoprint.client.put(
        octoprint.base + f"spool/{spool.number}/use",
        json.dumps({"use_length": 2500.5}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert uses(spool)[0].source == "octoprint"


def test_home_assistant_reads_info_spools_with_its_archived_flag_and_reports_weight(issued, tenant, make_spool, spool):
    """Home Assistant's integration (aiohttp): info, spool?allow_archived=False (Python's bool), use {"use_weight"}."""
    make_spool(tenant, is_active=False)
    home_assistant = SpoolmanClient(issued.secret, HTTP_USER_AGENT="HomeAssistant/2025.1 aiohttp/3.11")

    assert home_assistant.get("info").status_code == 200
    assert [s["id"] for s in home_assistant.get("spool", allow_archived="False").json()] == [spool.number]
    assert len(home_assistant.get("spool", allow_archived="True").json()) == 2
    for spool_shape in home_assistant.get("spool").json():
        assert all(isinstance(value, str) for value in spool_shape["extra"].values())  # it json.loads each

    response = home_assistant.put(f"spool/{spool.number}/use", {"use_weight": 3.5})
    assert response.status_code == 200
    assert uses(spool)[0].source == "homeassistant"


def test_a_material_without_brand_has_no_vendor_key(spoolman, tenant, make_spool, make_material):
    """Home Assistant reads `filament.get("vendor", {}).get("name")`: a null vendor breaks it, a missing one not."""
    spool = make_spool(tenant, make_material(tenant, brand=""))

    assert "vendor" not in spoolman.get(f"spool/{spool.number}").json()["filament"]


def test_the_key_s_root_answers_where_its_api_is(spoolman, issued):
    response = spoolman.client.get(f"/spoolman/{issued.secret}")

    assert response.status_code == 200
    assert response.json()["api"] == f"/spoolman/{issued.secret}/api/v1/"
