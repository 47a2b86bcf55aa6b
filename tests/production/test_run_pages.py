"""The run list's page (production.run_pages) is ProductionRunSerializer's output, byte for byte.

Varied runs (planned, in progress, completed, failed, cancelled, reprints, material-only lines,
no printer, no creator, no items, no price, zero successful units, weighings, rounding ties,
a moment beyond the calendar) in tenants of three time zones are rendered through the serializer
and through the page, and the JSON bytes compared; the list endpoint's answer is compared with the
serializer path's too. A guard checks that the runs exercise every field with a value (and every
field that may be null with a null), so a dropped or differently written field shows.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api.renderers import JSONRenderer
from production import run_pages
from production.floor_views import QueueViewSet
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunPriority
from production.serializers import ProductionRunSerializer
from production.services import (
    Completion,
    Failure,
    ItemOutcome,
    MaterialActuals,
    RunChanges,
    cancel_run,
    complete_run,
    fail_run,
    update_run,
)
from production.views import ProductionRunViewSet
from tenants.time_zones import tenant_time_zone
from tests.conftest import client_for
from tests.support.pages import answers_both_ways, assert_same_answers

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"
QUEUE = "/api/v1/queue/"
UTC = datetime.UTC
# Keys whose value may be null in the serializer's output (the guard wants a null of each).
NULLABLE = {
    "planned_start", "printer", "printer_name", "started_at", "completed_at", "duration_hours",
    "estimated_print_time_hours", "bed_temperature_c", "nozzle_temperature_c", "quality_rating", "original_run",
    "created_by", "actual_total_g", "variance_g", "variance_percent", "material_cost", "cost_per_successful_unit",
    "items.successful_quantity", "items.failed_quantity", "materials.spool", "materials.spool_code",
    "materials.material", "materials.spool_weight_before_g", "materials.spool_weight_after_g",
    "materials.actual_model_g", "materials.actual_flushed_g", "materials.actual_tower_g", "materials.actual_total_g",
    "materials.cost_per_gram", "materials.variance_g", "materials.variance_percent",
}  # fmt: skip


def grams(text):
    return Decimal(text)


@pytest.fixture(params=["UTC", "Asia/Kolkata", "America/New_York"])
def farm(request, make_tenant, make_member, make_run, make_product, make_spool, make_material, make_printer):
    """A tenant in the parameter's time zone with runs of every shape the list shows."""
    tenant = make_tenant("zoned", run_prefix="ZN", timezone=request.param)
    user = make_member(tenant, "member")
    printer = make_printer(tenant, name="P1S — ✓")
    pla = make_material(tenant, name="PLA Basic", color_name="Jade", color_hex="#00AE42")
    petg = make_material(tenant, name="PETG HF", kind="PETG", color_name="", color_hex="#FFFFFF")
    priced = make_spool(tenant, pla, initial_weight_g=grams("5000.00"), purchase_price=grams("62.50"))
    tie = make_spool(tenant, pla, initial_weight_g=grams("4000.00"), purchase_price=grams("50.00"))  # 0.0125/g
    unpriced = make_spool(tenant, petg, initial_weight_g=grams("5000.00"), purchase_price=None)
    products = [make_product(tenant, name=f"Widget {n}") for n in range(3)]
    winter = datetime.datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    summer = datetime.datetime(2026, 7, 15, 9, 30, 12, 345678, tzinfo=UTC)

    def run(items=None, materials=None, **fields):
        return make_run(tenant, user=fields.pop("user", user), items=items, materials=materials, **fields)

    def line(spool=priced, model="10.00", **extra):
        return {"spool": spool, "estimated_model_g": grams(model), **extra}

    three = [{"product": product, "quantity": 4} for product in products]

    # Planned: a material-only line, no printer, a start planned in the tenant's summer time.
    run(
        status="planned",
        priority=RunPriority.URGENT,
        planned_start=summer,
        items=[{"product": products[0], "quantity": 3, "bed_position": "A1", "notes": "naïve \u2028 ✓"}],
        materials=[{"material": petg, "estimated_model_g": grams("12.34"), "estimated_tower_g": grams("0.66")}],
    )
    # Planned with nothing on it yet.
    run(status="planned", priority=RunPriority.LOW, items=[], materials=[])
    # In progress on a printer, no creator, three items, two lines (one unpriced), slicer settings.
    run(
        user=None,
        printer=printer,
        started_at=winter,
        estimated_print_time_hours=grams("7.25"),
        slicer_software="OrcaSlicer 2.2",
        bed_temperature_c=60,
        nozzle_temperature_c=220,
        notes="line\nbreak",
        items=three,
        materials=[line(estimated_flushed_g=grams("1.05")), line(unpriced, "3.00")],
    )
    # Completed from the recorded parts, with a rating.
    done = run(printer=printer, started_at=winter, items=three, materials=[line(model="8.00"), line(tie, "3.00")])
    lines = list(done.materials.order_by("created_at", "id"))
    complete_run(
        run=done,
        user=user,
        completion=Completion(
            completed_at=winter + datetime.timedelta(hours=5, minutes=17),
            quality_rating=5,
            quality_notes="clean",
            materials=(
                # 8.01 g against 8.00: +0.125 %, a tie the percent rounds to even.
                MaterialActuals(id=lines[0].pk, actual_model_g=grams("8.01")),
                MaterialActuals(id=lines[1].pk, actual_model_g=grams("1.00"), actual_tower_g=grams("0.00")),
            ),
        ),
    )
    # Completed from weighings, with a third of the cost per unit.
    weighed = run(
        started_at=summer,
        items=[{"product": products[1], "quantity": 3}],
        materials=[line(model="20.00")],
    )
    (weighed_line,) = weighed.materials.all()
    complete_run(
        run=weighed,
        user=user,
        completion=Completion(
            completed_at=summer + datetime.timedelta(hours=1),
            materials=(
                MaterialActuals(
                    id=weighed_line.pk, spool_weight_before_g=grams("900.00"), spool_weight_after_g=grams("876.55")
                ),
            ),
        ),
    )
    # Completed with no successful unit: no cost per unit.
    lost = run(started_at=winter, items=[{"product": products[2], "quantity": 2}], materials=[line(model="5.00")])
    (lost_item,) = lost.items.all()
    complete_run(
        run=lost,
        user=user,
        completion=Completion(
            completed_at=winter + datetime.timedelta(hours=2),
            use_estimates=True,
            items=(ItemOutcome(id=lost_item.pk, successful_quantity=0, failed_quantity=2),),
        ),
    )
    # Failed with a reason and part of one line written off.
    failed = run(printer=printer, started_at=summer, items=three, materials=[line(model="30.00"), line(unpriced)])
    fail_run(
        run=failed,
        user=user,
        failure=Failure(
            failure_reason="spaghetti",
            completed_at=summer + datetime.timedelta(minutes=45),
            materials=(
                MaterialActuals(id=failed.materials.order_by("created_at", "id")[0].pk, actual_model_g=grams("4.50")),
            ),
        ),
    )
    # Cancelled.
    cancel_run(run=run(started_at=winter, items=three[:2]), user=user)
    # Reprints of the completed and of the failed run.
    run(original_run=done, started_at=summer, items=three[:1], materials=[line(model="8.00")])
    update_run(run=run(started_at=winter), user=user, changes=RunChanges(original_run=failed))
    # Queued: on the busy printer and short of filament; on an idle printer and fed.
    run(status="planned", printer=printer, items=three[:1], materials=[line(model="9000.00"), line(tie, "2.00")])
    idle = make_printer(tenant, name="P2")
    run(status="planned", priority=RunPriority.HIGH, printer=idle, items=three[:2], materials=[line(tie, "2.50")])
    # Stored by hand (the admin, older data): a line naming a spool and another material, a planned
    # start beyond the calendar's end in some zones (shown in UTC), an odd cost per gram.
    odd = run(status="planned", items=three[:1], materials=[{"material": pla, "estimated_model_g": grams("1.00")}])
    ProductionRun.objects.filter(pk=odd.pk).update(planned_start=datetime.datetime(9999, 12, 31, 23, 0, tzinfo=UTC))
    ProductionRunMaterial.objects.filter(run=odd).update(
        spool=unpriced, cost_per_gram=grams("0.0335"), actual_model_g=grams("0.30")
    )
    ProductionRunItem.objects.filter(run=odd).update(successful_quantity=1, failed_quantity=None)
    return tenant


def serializer_bytes(queryset):
    return JSONRenderer().render(ProductionRunSerializer(queryset.with_details(), many=True).data)


def page_bytes(queryset):
    return JSONRenderer().render(run_pages.represent(queryset.values(*run_pages.RUN_COLUMNS)))


def test_the_page_is_the_serializers_output_byte_for_byte(farm):
    runs = ProductionRun.objects.for_tenant(farm)
    with tenant_time_zone(farm):
        expected = serializer_bytes(runs)
        assert page_bytes(runs) == expected
        # And the same values of the same types, not only the same text.
        data = ProductionRunSerializer(runs.with_details(), many=True).data
        assert run_pages.represent(runs.values(*run_pages.RUN_COLUMNS)) == data
    assert expected.count(b'"run_number"') == runs.count() == 13


def test_the_runs_exercise_every_field_with_a_value_and_every_nullable_one_with_null(farm):
    with tenant_time_zone(farm):
        data = run_pages.represent(ProductionRun.objects.for_tenant(farm).values(*run_pages.RUN_COLUMNS))
    seen: dict[str, set] = {}
    for run in data:
        for key, value in run.items():
            if key in ("items", "materials"):
                for child in value:
                    for name, child_value in child.items():
                        seen.setdefault(f"{key}.{name}", set()).add(repr(child_value))
            else:
                seen.setdefault(key, set()).add(repr(value))
    serializer_keys = set(ProductionRunSerializer().fields) - {"items", "materials"}
    serializer_keys |= {f"items.{name}" for name in ProductionRunSerializer().fields["items"].child.fields}
    serializer_keys |= {f"materials.{name}" for name in ProductionRunSerializer().fields["materials"].child.fields}
    assert set(seen) == serializer_keys
    without_value = [key for key, values in seen.items() if values <= {"None"}]
    assert without_value == []
    never_null = [key for key in NULLABLE if "None" not in seen[key]]
    assert never_null == []
    # Every field that varies in the data varies in the output (a constant output would pass as "same").
    assert [key for key, values in seen.items() if len(values) < 2] == []


def test_the_list_answers_what_the_serializer_path_answers(farm, make_member, monkeypatch):
    api = client_for(make_member(farm, "viewer"), farm)
    queries = [
        {"page_size": 100},
        {"page_size": 5, "page": 2},
        {"ordering": "completed_at"},
        {"status": "completed,failed", "ordering": "-run_number"},
        {"cursor": "", "page_size": 4},
    ]

    def ask():
        pages = [api.get(RUNS, query) for query in queries]
        # A cursor page's next link leads on from the page's last row (its token read from a `.values()` row).
        return [*pages, api.get(pages[-1].json()["next"])]

    written, serialized = answers_both_ways(monkeypatch, ProductionRunViewSet, ask)

    assert_same_answers([*queries, "next"], written, serialized)
    assert {page.status_code for page in written} == {200}
    assert len(written[0].json()["results"]) == 13
    assert len(written[-1].json()["results"]) == 4


def test_a_runs_detail_answers_what_the_serializer_path_answers(farm, make_member, monkeypatch):
    api = client_for(make_member(farm, "viewer"), farm)
    urls = [f"{RUNS}{pk}/" for pk in ProductionRun.objects.for_tenant(farm).values_list("pk", flat=True)]
    urls += [f"{RUNS}00000000-0000-0000-0000-000000000000/", f"{RUNS}not-a-uuid/"]

    written, serialized = answers_both_ways(monkeypatch, ProductionRunViewSet, lambda: [api.get(url) for url in urls])

    assert_same_answers(urls, written, serialized)
    assert [answer.status_code for answer in written] == [200] * 13 + [404, 404]


def test_the_queue_answers_what_its_serializer_path_answers(farm, make_member, monkeypatch):
    api = client_for(make_member(farm, "viewer"), farm)
    queries = [{}, {"page_size": 2, "page": 2}, {"printer": "P2"}, {"printer": "P1S — ✓"}]

    written, serialized = answers_both_ways(monkeypatch, QueueViewSet, lambda: [api.get(QUEUE, q) for q in queries])

    assert_same_answers(queries, written, serialized)
    assert {page.status_code for page in written} == {200}
    runs = written[0].json()["results"]
    assert len(runs) == 5
    assert {run["ready"] for run in runs} == {True, False}
    assert {line["shortage_g"] for run in runs for line in run["materials"]} > {"0.00"}


def test_the_page_reads_items_and_materials_in_one_statement_each(farm):
    runs = list(ProductionRun.objects.for_tenant(farm).values(*run_pages.RUN_COLUMNS))
    with CaptureQueriesContext(connection) as captured:
        run_pages.represent(runs)
    assert len(captured) == 2
    with CaptureQueriesContext(connection) as captured:
        assert run_pages.represent([]) == []
    assert len(captured) == 0
