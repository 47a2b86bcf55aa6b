import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import tables
from core.api.browsable import action_links
from core.api.exports import PDFRenderer, SVGRenderer
from core.api.pages import WrittenPageMixin
from core.api.schema import errors
from core.errors import ErrorCode, InvalidInput
from core.locking import locking_read
from core.prepared import Slot
from events.services import tenant_has_active_webhook
from inventory import labels, services, spool_pages
from inventory.filters import InventoryTransactionFilter, MaterialFilter, SpoolFilter, VendorFilter
from inventory.models import InventoryTransaction, Material, Spool, Vendor
from inventory.serializers import (
    MAX_LABELS,
    InventoryTransactionSerializer,
    LabelSheetSerializer,
    MaterialSerializer,
    SpoolAdjustmentSerializer,
    SpoolSerializer,
    SpoolWeighInSerializer,
    VendorSerializer,
)
from tenants import natural_keys
from tenants.mixins import TenantScopedViewMixin
from tenants.scoping import ScopedQuery

LABEL_RENDERERS = [SVGRenderer, PDFRenderer]
LABEL_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["svg", "pdf"],
    description="`svg` (the default; also `Accept: image/svg+xml`) or `pdf` (also `Accept: application/pdf`).",
)
LABEL_RESPONSES = {
    (200, "image/svg+xml"): OpenApiTypes.BINARY,
    (200, "application/pdf"): OpenApiTypes.BINARY,
}


class VendorViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """Filament vendors (Spoolman's): deleting one leaves its materials without a vendor."""

    queryset = Vendor.objects
    serializer_class = VendorSerializer
    filterset_class = VendorFilter

    def perform_create(self, serializer):
        serializer.instance = services.create_vendor(
            tenant=self.request.tenant,
            user=self.request.user,
            fields=services.VendorFields(**serializer.validated_data),
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_vendor(
            vendor=serializer.instance,
            user=self.request.user,
            changes=services.VendorChanges(**serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.delete_vendor(vendor=instance, user=self.request.user)


MATERIAL_WRITE_ERRORS = errors(ErrorCode.AMBIGUOUS_VENDOR)


@extend_schema_view(
    create=extend_schema(responses={201: MaterialSerializer, **MATERIAL_WRITE_ERRORS}),
    update=extend_schema(responses={200: MaterialSerializer, **MATERIAL_WRITE_ERRORS}),
    partial_update=extend_schema(responses={200: MaterialSerializer, **MATERIAL_WRITE_ERRORS}),
    destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED)}),
)
class MaterialViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """Filament materials: kind, vendor, colour, and when their spools count as low on stock."""

    queryset = Material.objects
    serializer_class = MaterialSerializer
    filterset_class = MaterialFilter

    def get_queryset(self):
        return super().get_queryset().select_related("vendor").with_reservations()

    def perform_create(self, serializer):
        serializer.instance = services.create_material(
            tenant=self.request.tenant,
            user=self.request.user,
            fields=services.MaterialFields(**serializer.validated_data),
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_material(
            material=serializer.instance,
            user=self.request.user,
            changes=services.MaterialFieldChanges(**serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.delete_material(material=instance, user=self.request.user)


@functools.cache
def spool_of_id(*, locked: bool) -> ScopedQuery:
    """The spool of an id as the spool endpoints show it (`for_floor`; `locked`: `FOR UPDATE OF` the spool, as
    core.locking.locking_queryset reads it), compiled once per process: building and compiling this query (the
    floor's subqueries, the columns of spool and material) cost each request for one spool about 0.7 ms of CPU.

    The locked read is a write's (`adjust/`, `measure/`): it also answers `webhooks_active`, whether the tenant
    has an active webhook, which the write's event needs (events.services.record_events), so that question is
    no statement of its own, as in a printer's report (spoolman.services)."""

    def build():
        spools = Spool.objects.for_floor()
        if locked:
            spools = spools.select_for_update(of=("self",)).annotate(webhooks_active=tenant_has_active_webhook())
        return spools.filter(pk=Slot("id", Spool._meta.pk))[:1]

    return ScopedQuery(build)


def webhooks_active_of(spool: Spool) -> bool | None:
    """What the write's locked read of `spool` answered for its tenant's webhooks (`spool_of_id`), or None
    when the spool was read another way (a detail narrowed by the list's filters): then the event asks."""
    return getattr(spool, "webhooks_active", None)


@extend_schema_view(
    create=extend_schema(responses={201: SpoolSerializer, **errors(ErrorCode.BUSY)}),
    destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED, ErrorCode.BUSY)}),
)
class SpoolViewSet(WrittenPageMixin, TenantScopedViewMixin, viewsets.ModelViewSet):
    """Filament spools and their weights; a weight changes only through the ledger (purchase, adjustments, runs)."""

    queryset = Spool.objects
    serializer_class = SpoolSerializer
    filterset_class = SpoolFilter
    manager_actions = ("destroy", "adjust")
    page_actions = ("list", "retrieve")  # JSON through inventory.spool_pages
    read_actions = ("labels",)  # its POST names the spools of a sheet and changes nothing
    # The body each action takes, so the browsable API shows its form.
    action_serializers = {"adjust": SpoolAdjustmentSerializer, "measure": SpoolWeighInSerializer}

    def page_links(self, data):
        """The browsable spool page's links: its history (ledger rows), the runs that used it, the actions the
        user may take (weigh in, adjust) and its label; the list's: the label sheet of the spools it shows."""
        if self.action == "list":
            return self.label_sheet_links()
        if not (self.detail and isinstance(data, dict) and "code" in data):
            return []
        spool_id = data["id"]
        label = reverse("spool-label", args=[spool_id])
        links = [
            ("History (ledger rows)", f"{reverse('inventory-transaction-list')}?spool={spool_id}"),
            ("Runs that used it", f"{reverse('production-run-list')}?spool={spool_id}"),
            *action_links(
                self,
                self.request,
                [
                    ("Weigh in...", reverse("spool-measure", args=[spool_id]), "measure"),
                    ("Adjust...", reverse("spool-adjust", args=[spool_id]), "adjust"),
                ],
            ),
            ("Label (SVG)", label),
            ("Label (PDF)", f"{label}?format=pdf"),
        ]
        return [(label, self.request.build_absolute_uri(url)) for label, url in links]

    def html_table(self, data):
        """The browsable spool list as a table: colour, what is left (with a bar), what is free and where it is
        loaded (when the API gives them: `available_g`, `loaded_in`)."""
        rows = tables.results_of(data) if self.action == "list" else None
        if rows is None:
            return None
        present = set(rows[0]) if rows else set()
        headers = ["Code", "No.", "Material", "Kind", "Remaining"]
        headers += [
            header for field, header in (("available_g", "Available"), ("loaded_in", "Loaded in")) if field in present
        ]
        headers += ["Location", "Active"]
        url = self.request.build_absolute_uri
        body = []
        for row in rows:
            cells = [
                tables.link(row["code"], url(reverse("spool-detail", args=[row["id"]]))),
                tables.text(row.get("number")),
                tables.swatch(row["color_hex"], " ".join(filter(None, [row["material_name"], row["color_name"]]))),
                tables.text(row["material_kind"]),
                tables.bar(
                    f"{row['current_weight_g']} g of {row['initial_weight_g']} g ({row['remaining_percent']} %)",
                    row["remaining_percent"],
                ),
            ]
            if "available_g" in present:
                cells.append(
                    tables.signed_grams(row["available_g"])
                    if str(row["available_g"]).startswith("-")
                    else tables.grams(row["available_g"])
                )
            if "loaded_in" in present:
                loaded = row["loaded_in"]
                cells.append(
                    tables.link(
                        f"{loaded['printer_name']}, slot {loaded['slot']}",
                        url(reverse("printer-detail", args=[loaded["printer"]])),
                    )
                    if loaded
                    else tables.text("")
                )
            cells += [tables.text(row["location"]), tables.yes_no(row["is_active"])]
            body.append(cells)
        return tables.Table(headers, body, empty="No spool matches.")

    def label_sheet_links(self):
        """The A4 label sheet of the spools the list's filters select (all of them, not one page), SVG and PDF."""
        query = self.request.query_params.copy()
        for name in ("page", "page_size", "cursor", "format"):
            query.pop(name, None)
        sheet = reverse("spool-labels")
        links = []
        for label, file_format in (
            ("Label sheet of this list (PDF)", "pdf"),
            ("Label sheet of this list (SVG)", "svg"),
        ):
            query["format"] = file_format
            links.append((label, self.request.build_absolute_uri(f"{sheet}?{query.urlencode()}")))
        return links

    def get_queryset(self):
        spools = super().get_queryset()
        if self.action == "list" and self.json_page():
            # Filtered and counted as bare spools (no filter reads for_floor's columns); page_queryset reads the
            # page's columns, so the count is no clone of theirs stripped again on each request.
            return spools
        return spools.for_floor()

    def page_queryset(self, listed):
        return listed.for_floor().values(*spool_pages.SPOOL_COLUMNS)  # the JSON list: inventory.spool_pages

    def get_object(self):
        """DRF's, through a query compiled once when no filter of the list narrows it (`spool_of_id`): the spool
        of the path's id, the same 404 for an id that is not a UUID or names no spool of the tenant, the same
        permission check, and `FOR UPDATE OF` the spool when core.locking.lock_on_read reads it."""
        if self.filterset_class.base_filters.keys() & self.request.query_params.keys():
            return super().get_object()  # the list's filters narrow a detail too (DRF's filter_queryset)
        try:
            found = spool_of_id(locked=locking_read()).run(id=self.kwargs[self.lookup_field])
        except DjangoValidationError:
            raise Http404 from None  # not a UUID: DRF's get_object_or_404 answers so
        if not found:
            raise Http404("No Spool matches the given query.")  # Django's get_object_or_404's words
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def represent_page(self, rows):
        return spool_pages.represent(rows)

    def retrieve(self, request, *args, **kwargs):
        if not self.json_page():
            return super().retrieve(request, *args, **kwargs)  # the browsable page: its forms want the serializer
        return Response(spool_pages.represent_spool(self.get_object()))

    def get_serializer_class(self):
        return self.action_serializers.get(self.action, SpoolSerializer)

    def file_response(self, document, filename):
        extension = self.request.accepted_renderer.format
        return Response(document, headers={"Content-Disposition": f'inline; filename="{filename}.{extension}"'})

    @extend_schema(parameters=[LABEL_FORMAT], responses=LABEL_RESPONSES)
    @action(detail=True, methods=["get"], renderer_classes=LABEL_RENDERERS)
    def label(self, request, pk=None):
        """The spool's label (70 x 37 mm): code, material and kind, a colour swatch, the current weight, and a
        QR code of the spool's URL. SVG by default, PDF with `?format=pdf`. Errors are JSON."""
        spool = self.get_object()
        entry = labels.Label.of(spool, labels.spool_url(request, spool))
        as_pdf = request.accepted_renderer.format == "pdf"
        document = labels.pdf(entry) if as_pdf else labels.svg(entry)
        return self.file_response(document, f"spool-{spool.pk}-label")

    @extend_schema(
        methods=["GET"],
        parameters=[
            LABEL_FORMAT,
            OpenApiParameter(
                "ids",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Comma-separated spool ids, codes or numbers, printed in this order; without it, the "
                f"spools the list's filters select, in their order. At most {MAX_LABELS} labels (a URL holds about "
                "100 ids: POST them for more).",
            ),
        ],
        # 404: a `format` other than svg or pdf (DRF's answer to an unknown format).
        responses={**LABEL_RESPONSES, **errors(ErrorCode.INVALID, ErrorCode.NOT_FOUND)},
        filters=True,  # the list's filters select the spools when `ids` is not given
    )
    @extend_schema(
        methods=["POST"],
        parameters=[LABEL_FORMAT],
        request=LabelSheetSerializer,
        responses={**LABEL_RESPONSES, **errors(ErrorCode.INVALID, ErrorCode.NOT_FOUND)},
    )
    @action(detail=False, methods=["get", "post"], renderer_classes=LABEL_RENDERERS)
    def labels(self, request):
        """A printable A4 sheet of labels (3 x 8 a page) for several spools.

        `POST` `{"ids": [...]}` is the same as `GET ?ids=`, for more spools than a URL can name; it
        changes nothing, and viewers may send it too."""
        spools = self.filter_queryset(self.get_queryset())
        if request.method == "POST":
            body = LabelSheetSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            wanted = list(dict.fromkeys(str(value).strip() for value in body.validated_data["ids"]))
        else:
            raw_ids = request.query_params.get("ids")
            wanted = (
                None if raw_ids is None else list(dict.fromkeys(p.strip() for p in raw_ids.split(",") if p.strip()))
            )
        if wanted is not None:
            if not wanted or len(wanted) > MAX_LABELS:
                raise ValidationError({"ids": [f"Give 1 to {MAX_LABELS} spool ids or codes, comma-separated."]})
            found = natural_keys.resolve(spools, wanted)
            missing = [value for value in wanted if value not in found]
            if missing:
                raise ValidationError(
                    {"ids": [f"No spool of this tenant has the id or code {value!r}." for value in missing]}
                )
            spools = [found[value] for value in wanted]
        else:
            spools = list(spools[: MAX_LABELS + 1])
            if len(spools) > MAX_LABELS:
                raise ValidationError(
                    {"detail": f"More than {MAX_LABELS} spools: narrow the filters.", "code": "invalid"}
                )
            if not spools:
                raise InvalidInput("No spool matches the filters.", code=ErrorCode.INVALID)
        document = labels.sheet(request, spools, as_pdf=request.accepted_renderer.format == "pdf")
        return self.file_response(document, "spool-labels")

    def perform_create(self, serializer):
        serializer.instance = services.create_spool(
            tenant=self.request.tenant, user=self.request.user, draft=services.SpoolDraft(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_spool(
            spool=serializer.instance,
            user=self.request.user,
            changes=services.SpoolChanges(**serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.delete_spool(spool=instance, user=self.request.user)

    @extend_schema(
        request=SpoolAdjustmentSerializer,
        responses={200: SpoolSerializer, **errors(ErrorCode.BELOW_ZERO, ErrorCode.TOO_HEAVY, ErrorCode.BUSY)},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """Correct a spool's weight: writes one `adjustment`, `count` or `waste` ledger row."""
        spool = self.get_locked_object()
        adjustment = SpoolAdjustmentSerializer(data=request.data)
        adjustment.is_valid(raise_exception=True)
        services.adjust_spool(
            spool=spool,
            user=request.user,
            adjustment=services.Adjustment(**adjustment.validated_data),
            webhooks_active=webhooks_active_of(spool),
        )
        return Response(spool_pages.represent_spool(spool), status=status.HTTP_200_OK)  # read for_floor()

    @extend_schema(
        request=SpoolWeighInSerializer,
        responses={
            200: SpoolSerializer,
            **errors(ErrorCode.NO_EMPTY_WEIGHT, ErrorCode.BELOW_ZERO, ErrorCode.TOO_HEAVY, ErrorCode.BUSY),
        },
    )
    @action(detail=True, methods=["post"])
    def measure(self, request, pk=None):
        """Record what the scale says (members and up): the spool on its reel, `gross_weight_g`; the spool's
        empty weight is subtracted, as Spoolman's `measure` does, and the difference to its current weight is
        booked as one `adjustment` ledger row with the reason `weigh-in`."""
        spool = self.get_locked_object()
        weighing = SpoolWeighInSerializer(data=request.data)
        weighing.is_valid(raise_exception=True)
        services.weigh_in(
            spool=spool,
            user=request.user,
            weighing=services.WeighIn(**weighing.validated_data),
            webhooks_active=webhooks_active_of(spool),
        )
        return Response(spool_pages.represent_spool(spool), status=status.HTTP_200_OK)  # read for_floor()


class InventoryTransactionViewSet(
    TenantScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The ledger: read-only; rows are written by spool purchases, adjustments and production runs."""

    queryset = InventoryTransaction.objects
    serializer_class = InventoryTransactionSerializer
    filterset_class = InventoryTransactionFilter

    def get_queryset(self):
        return super().get_queryset().with_references()

    def html_table(self, data):
        """The browsable ledger as a table: signed grams, the spool, run and printer as links."""
        rows = tables.results_of(data) if self.action == "list" else None
        if rows is None:
            return None
        url = self.request.build_absolute_uri
        body = []
        for row in rows:
            run = row["production_run"]
            printer = row["printer"]
            body.append(
                [
                    tables.link(
                        tables.when(row["occurred_at"]).text,
                        url(reverse("inventory-transaction-detail", args=[row["id"]])),
                    ),
                    tables.link(row["spool_code"], url(reverse("spool-detail", args=[row["spool"]]))),
                    tables.text(row["type"]),
                    tables.signed_grams(row["weight_change_g"]),
                    tables.grams(row["weight_after_g"]),
                    tables.link(row["production_run_number"], url(reverse("production-run-detail", args=[run])))
                    if run
                    else tables.text(""),
                    tables.link(row["printer_name"], url(reverse("printer-detail", args=[printer])))
                    if printer
                    else tables.text(""),
                    tables.text(row["user"] or ""),
                    tables.text(row["description"]),
                ]
            )
        headers = ["Occurred", "Spool", "Type", "Change", "After", "Run", "Printer", "By", "Description"]
        return tables.Table(headers, body, empty="No ledger row matches.")

    def page_links(self, data):
        """The browsable ledger row's links: its spool and the run that wrote it."""
        if not (self.detail and isinstance(data, dict) and "spool" in data):
            return []
        links = [(f"Spool {data.get('spool_code') or data['spool']}", reverse("spool-detail", args=[data["spool"]]))]
        if data.get("production_run"):
            label = f"Run {data.get('production_run_number') or data['production_run']}"
            links.append((label, reverse("production-run-detail", args=[data["production_run"]])))
        return [(label, self.request.build_absolute_uri(url)) for label, url in links]
