"""The floors of the run list and detail, the queue and dispatch: the same SQL as the API's views, in
bare Django views.

Like ../shared/bench/floor.py for the spools: `.values()` rows turned into JSON with
`JsonResponse`, routed through the project's middleware (which resolves the token's tenant
and opens the request's row-security transaction, as for the API), with no DRF, no
serializer, no filter set and no totals. The same statements as the API's: the page of
runs with printer and creator, a count, the items with their products, the materials with
their spools and materials. `make bench` reports the API's CPU per request over this one's.

The queue's floor reads what the queue does (production.floor.QueueState: the planned runs' order,
the reserving lines, their spools, the materials' stock, the busy printers; then the page of
planned runs in dispatch order with their children) and leaves the arithmetic to the API. The
dispatch's floor calls the dispatch service itself from a bare view: its statements (locks, reads,
writes, the event) are the work; the API adds only DRF's request, permissions and the answer.
"""

from django.db.models import Sum
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns
from inventory.models import Spool
from production.models import Printer, ProductionRun, ProductionRunItem, ProductionRunMaterial
from production.services.dispatch import dispatch, queued_runs
from production.status_codes import PRINTING_STATUSES
from tenants.scoping import active_tenant_id

RUN_FIELDS = (
    "id", "run_number", "status", "printer_id", "printer__name", "started_at", "completed_at", "duration_hours",
    "estimated_print_time_hours", "slicer_software", "bed_temperature_c", "nozzle_temperature_c", "quality_rating",
    "quality_notes", "failure_reason", "notes", "original_run_id", "created_by__username", "created_at", "updated_at",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "run_id", "product_id", "product__sku", "product__name", "quantity", "successful_quantity",
    "failed_quantity", "bed_position", "notes",
)  # fmt: skip
MATERIAL_FIELDS = (
    "id", "run_id", "spool_id", "spool__code", "spool__material__name", "spool__material__kind",
    "spool__material__color_name", "spool__material__color_hex", "estimated_model_g", "estimated_flushed_g",
    "estimated_tower_g", "spool_weight_before_g", "spool_weight_after_g", "actual_model_g", "actual_flushed_g",
    "actual_tower_g", "cost_per_gram",
)  # fmt: skip


def with_children(runs):
    by_id = {run["id"]: {**run, "items": [], "materials": []} for run in runs}
    for item in ProductionRunItem.objects.filter(run_id__in=by_id).order_by("created_at", "id").values(*ITEM_FIELDS):
        by_id[item["run_id"]]["items"].append(item)
    materials = ProductionRunMaterial.objects.filter(run_id__in=by_id).order_by("created_at", "id")
    for material in materials.values(*MATERIAL_FIELDS):
        by_id[material["run_id"]]["materials"].append(material)
    return list(by_id.values())


def run_list(request):
    runs = ProductionRun.objects.filter(tenant_id=active_tenant_id()).order_by("-started_at", "-run_number")
    page = with_children(runs.values(*RUN_FIELDS)[:20])
    return JsonResponse({"count": runs.count(), "next": None, "previous": None, "results": page})


def run_detail(request, pk):
    return JsonResponse(with_children(ProductionRun.objects.filter(pk=pk).values(*RUN_FIELDS))[0])


def queue(request):
    tenant_id = active_tenant_id()
    order = list(queued_runs(tenant_id).values_list("pk", flat=True))
    lines = list(
        ProductionRunMaterial.objects.filter(tenant_id=tenant_id)
        .reserving()
        .values("pk", "run_id", "spool_id", "material_id", "spool__material_id", "reserved_g")
    )
    spools = list(
        Spool.objects.filter(
            tenant_id=tenant_id, pk__in={line["spool_id"] for line in lines if line["spool_id"]}
        ).values("pk", "current_weight_g", "is_active", "material_id")
    )
    materials = {line["material_id"] or line["spool__material_id"] for line in lines}
    stock = list(
        Spool.objects.filter(tenant_id=tenant_id, material__in=materials, is_active=True)
        .order_by()
        .values("material")
        .annotate(total=Sum("current_weight_g"))
    )
    busy = list(
        ProductionRun.objects.filter(
            tenant_id=tenant_id, status__in=PRINTING_STATUSES, printer__isnull=False
        ).values_list("printer_id", flat=True)
    )
    runs = queued_runs(tenant_id)
    page = with_children(runs.values(*RUN_FIELDS, "priority", "planned_start")[:20])
    return JsonResponse(
        {
            "count": runs.count(),
            "next": None,
            "previous": None,
            "results": page,
            "known": [len(order), len(spools), len(stock), len(busy)],
        }
    )


@csrf_exempt
def dispatch_run(request, pk):
    run = dispatch(printer=Printer.objects.get(pk=pk), user=None)
    return JsonResponse({"id": run.pk, "run_number": run.run_number, "status": run.status})


urlpatterns = [
    *project_urlpatterns,
    path("floor/production-runs/", run_list),
    path("floor/production-runs/<uuid:pk>/", run_detail),
    path("floor/queue/", queue),
    path("floor/printers/<uuid:pk>/dispatch/", dispatch_run),
]
