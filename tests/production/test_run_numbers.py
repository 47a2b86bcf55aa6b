"""Run numbers `{run_prefix}-{YYYYMMDD}-{NNN}`: SPEC 5.5."""

import datetime
import re
from unittest import mock

import pytest

from production.models import ProductionRun, RunNumberCounter
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"


def at(moment):
    """Freeze the clock the run service reads when it numbers a run."""
    return mock.patch("production.services.runs.timezone.now", return_value=moment)


def create(api):
    response = api.post(RUNS, {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["run_number"]


def test_run_number_has_prefix_local_date_and_three_digits(api):
    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        number = create(api)

    assert number == "ACME-20240701-001"
    assert re.fullmatch(r"[A-Z0-9]{2,10}-\d{8}-\d{3,}", number)


def test_run_number_is_read_only(api):
    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        response = api.post(RUNS, {"run_number": "HACK-1"}, format="json")
        assert response.status_code == 201
        run = response.json()
        patched = api.patch(f"{RUNS}{run['id']}/", {"run_number": "HACK-2"}, format="json")

    assert response.json()["run_number"] == "ACME-20240701-001"
    assert patched.status_code == 200
    assert patched.json()["run_number"] == "ACME-20240701-001"


def test_run_numbers_count_per_day_from_001(api):
    with at(datetime.datetime(2024, 7, 1, 23, 59, tzinfo=datetime.UTC)):
        first_day = [create(api) for _ in range(3)]
    with at(datetime.datetime(2024, 7, 2, 0, 1, tzinfo=datetime.UTC)):
        second_day = [create(api) for _ in range(2)]

    assert first_day == ["ACME-20240701-001", "ACME-20240701-002", "ACME-20240701-003"]
    assert second_day == ["ACME-20240702-001", "ACME-20240702-002"]


@pytest.mark.parametrize(
    ("zone", "moment", "local_day"),
    [
        # 20:00 UTC on the 10th is 09:00 on the 11th in Auckland (NZDT, +13).
        ("Pacific/Auckland", datetime.datetime(2024, 3, 10, 20, 0, tzinfo=datetime.UTC), "20240311"),
        # 05:00 UTC on the 15th is 21:00 on the 14th in Los Angeles (PST, -8).
        ("America/Los_Angeles", datetime.datetime(2024, 1, 15, 5, 0, tzinfo=datetime.UTC), "20240114"),
    ],
)
def test_run_number_date_is_the_tenants_local_day(make_tenant, make_member, zone, moment, local_day):
    tenant = make_tenant("farm", run_prefix="FARM", timezone=zone)
    api = client_for(make_member(tenant), tenant)

    with at(moment):
        number = create(api)

    assert moment.strftime("%Y%m%d") != local_day
    assert number == f"FARM-{local_day}-001"
    assert RunNumberCounter.objects.get(tenant=tenant).day == datetime.date.fromisoformat(local_day)


def test_local_day_boundary_starts_a_new_count(make_tenant, make_member):
    tenant = make_tenant("kiwi", run_prefix="KIWI", timezone="Pacific/Auckland")
    api = client_for(make_member(tenant), tenant)

    # 11:59 and 12:00 UTC straddle midnight in Auckland (NZST, +12, in July).
    with at(datetime.datetime(2024, 7, 1, 11, 59, tzinfo=datetime.UTC)):
        before_midnight = create(api)
    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        after_midnight = create(api)

    assert before_midnight == "KIWI-20240701-001"
    assert after_midnight == "KIWI-20240702-001"


def test_a_fourth_digit_appears_after_999(api, tenant):
    moment = datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)
    with at(moment):
        assert create(api) == "ACME-20240701-001"
        RunNumberCounter.objects.filter(tenant=tenant, day=datetime.date(2024, 7, 1)).update(last_number=999)
        assert create(api) == "ACME-20240701-1000"
        assert create(api) == "ACME-20240701-1001"


def test_run_numbers_are_not_reused_after_a_soft_delete(api, manager_api, tenant):
    moment = datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)
    with at(moment):
        create(api)
        last = api.post(RUNS, {}, format="json").json()
        assert last["run_number"] == "ACME-20240701-002"
        assert manager_api.delete(f"{RUNS}{last['id']}/").status_code == 204
        assert not ProductionRun.objects.filter(pk=last["id"]).exists()

        following = create(api)

    assert following == "ACME-20240701-003"
    assert ProductionRun.all_objects.get(pk=last["id"]).run_number == "ACME-20240701-002"
    assert ProductionRun.all_objects.filter(tenant=tenant, run_number="ACME-20240701-002").count() == 1


def test_two_tenants_count_independently(api, other_api):
    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        ours = [create(api), create(api)]
        theirs = create(other_api)
        ours.append(create(api))

    assert ours == ["ACME-20240701-001", "ACME-20240701-002", "ACME-20240701-003"]
    assert theirs == "GLX-20240701-001"


def test_two_tenants_with_the_same_prefix_get_the_same_number(make_tenant, make_member):
    first, second = make_tenant("one", run_prefix="SAME"), make_tenant("two", run_prefix="SAME")

    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        numbers = [create(client_for(make_member(tenant), tenant)) for tenant in (first, second)]

    assert numbers == ["SAME-20240701-001", "SAME-20240701-001"]


def test_a_refused_create_does_not_use_up_a_number(api, tenant, make_spool, make_product):
    spool = make_spool(tenant)
    with at(datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)):
        refused = api.post(
            RUNS,
            {
                "items": [{"product": str(make_product(tenant).pk), "quantity": 1}],
                "materials": [{"spool": str(spool.pk), "estimated_model_g": "5000.00"}],
            },
            format="json",
        )
        assert refused.status_code == 409
        number = create(api)

    assert number == "ACME-20240701-001"


def test_a_run_of_the_past_is_created_and_numbered_on_its_own_day(tenant):
    from production.services import RunDraft, create_run

    past = datetime.datetime(2024, 3, 1, 23, 30, tzinfo=datetime.UTC)
    run = create_run(tenant=tenant, user=None, draft=RunDraft.from_data({"started_at": past}), created_at=past)
    today = create_run(tenant=tenant, user=None, draft=RunDraft.from_data({}))

    assert run.run_number == "ACME-20240301-001"
    assert ProductionRun.objects.get(pk=run.pk).created_at == past
    assert today.run_number.endswith("-001") and today.run_number != run.run_number
