"""The farm floor's views: a printer's slots and the queue (the runs' own actions, start/, are in views.py)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from core.api.pages import WrittenPageMixin
from core.api.schema import errors
from core.errors import ErrorCode
from production import floor, run_pages
from production.browsable import QueuePagesMixin, SlotPagesMixin
from production.models import (
    Printer,
    PrinterSlot,
    ProductionRun,
)
from production.serializers import (
    PrinterSlotSerializer,
    QueueRunSerializer,
    SlotLoadSerializer,
)
from production.services import dispatch, slots
from production.views import items_csv_summary, materials_csv_summary
from tenants import natural_keys
from tenants.mixins import TenantScopedViewMixin

PRINTER_ID = OpenApiParameter(
    "printer_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The printer's id (or name)."
)
SLOT = OpenApiParameter("slot", OpenApiTypes.INT, OpenApiParameter.PATH, description="The slot, 0-based.")


@extend_schema_view(
    list=extend_schema(parameters=[PRINTER_ID], responses=PrinterSlotSerializer(many=True)),
    retrieve=extend_schema(parameters=[PRINTER_ID, SLOT], responses=PrinterSlotSerializer),
    update=extend_schema(
        parameters=[PRINTER_ID, SLOT],
        request=SlotLoadSerializer,
        responses={200: PrinterSlotSerializer, **errors(ErrorCode.SPOOL_INACTIVE, ErrorCode.BUSY)},
    ),
)
class PrinterSlotViewSet(SlotPagesMixin, TenantScopedViewMixin, viewsets.GenericViewSet):
    """A printer's filament slots (`slot_count` of them, 0-based) and the spool loaded in each.

    `PUT {slot}/` with `{"spool": id | code | number | null}` loads a spool there (null unloads);
    a spool loaded in another slot moves. Viewers read; members and up load.
    """

    queryset = PrinterSlot.objects
    serializer_class = PrinterSlotSerializer
    lookup_field = "slot"
    lookup_value_regex = "[0-9]+"
    pagination_class = None  # at most 32 entries, one per slot, always whole

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The path's printer first: another tenant's printer is a 404 before any body is read.
        printer_key = self.kwargs["printer_id"]
        printer = natural_keys.resolve(Printer.objects.for_tenant(request.tenant), [printer_key]).get(printer_key)
        if printer is None:
            raise Http404("No such printer.")
        self.printer = printer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's walk: no request tenant
            return PrinterSlot.objects.none()
        return super().get_queryset().filter(printer=self.printer)

    def get_renderers(self):
        # A printer's slots are a handful of entries, always whole: JSON (and the browsable page), no CSV.
        return [renderer() for renderer in self.renderer_classes]

    def get_serializer_class(self):
        return SlotLoadSerializer if self.action == "update" else PrinterSlotSerializer

    def slot_number(self):
        slot = int(self.kwargs["slot"])
        slots.check_slot(self.printer, slot)
        return slot

    def list(self, request, *args, **kwargs):
        entries = floor.printer_slots(self.printer)
        return Response(PrinterSlotSerializer(entries, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(PrinterSlotSerializer(floor.printer_slots(self.printer)[self.slot_number()]).data)

    def update(self, request, *args, **kwargs):
        slot = self.slot_number()
        body = SlotLoadSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        entry = slots.load_slot(
            printer=self.printer, user=request.user, load=slots.SlotLoad(slot=slot, spool=body.validated_data["spool"])
        )
        return Response(PrinterSlotSerializer(entry).data)


QUEUE_PRINTER = OpenApiParameter(
    "printer",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="A printer's id or name: only the runs that would start on it now (none while it prints).",
)


@extend_schema_view(list=extend_schema(parameters=[QUEUE_PRINTER]))
class QueueViewSet(
    WrittenPageMixin, QueuePagesMixin, TenantScopedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """The planned runs in dispatch order (priority urgent to low, then planned_start earliest first with
    none last, then the oldest plan), each as in the run detail with `ready` and per line `shortage_g`."""

    queryset = ProductionRun.objects
    serializer_class = QueueRunSerializer
    filter_backends = []  # the order is the dispatch order; `?printer=` is read below
    csv_summaries = {"items": items_csv_summary, "materials": materials_csv_summary}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's walk: no request tenant
            return ProductionRun.objects.none()
        runs = self.printer_window(dispatch.queued_runs(self.request.tenant))
        # The JSON page reads its own columns (production.run_pages).
        return runs.values(*run_pages.RUN_COLUMNS) if self.json_page() else runs.with_details()

    def printer_window(self, runs):
        """`?printer=`: the queued runs that printer would take now (none while it is busy)."""
        printer = self.printer_filter()
        if printer is None:
            return runs
        if dispatch.busy_with(printer) is not None:
            return runs.none()
        window = dispatch.fitting_window(printer)
        return runs.filter(pk__in=[run.pk for run, reason in window if reason is None])

    def represent_page(self, rows):
        page = run_pages.represent(rows)
        queue = floor.QueueState(self.request.tenant)
        # QueueRunSerializer's additions, last as it adds them: each line's `shortage_g`, the run's `ready`.
        for run, row in zip(page, rows, strict=True):
            for line in run["materials"]:
                line["shortage_g"] = f"{queue.shortage(line['id']):.2f}"
            run["ready"] = queue.run_ready(row["id"], row["printer_id"])
        return page

    def printer_filter(self):
        value = self.request.query_params.get("printer")
        if value is None:
            return None
        printer = natural_keys.resolve(Printer.objects.for_tenant(self.request.tenant), [value]).get(value)
        if printer is None:
            raise serializers.ValidationError({"printer": [f"No printer of this tenant has the id or name {value!r}."]})
        return printer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["queue"] = floor.QueueState(self.request.tenant)
        return context
