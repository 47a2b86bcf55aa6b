from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import tables
from core.api.browsable import action_links, is_browsable
from core.api.pages import WrittenPageMixin
from core.api.schema import errors
from core.errors import ErrorCode
from production import payloads, run_pages, services
from production.browsable import PrinterPagesMixin
from production.filters import (
    PrinterFilter,
    ProductFilter,
    ProductionRunFilter,
)
from production.models import (
    Printer,
    Product,
    ProductionRun,
)
from production.serializers import (
    CompleteRunSerializer,
    FailRunSerializer,
    PrinterSerializer,
    ProductionRunSerializer,
    ProductionRunUpdateSerializer,
    ProductSerializer,
    StartRunSerializer,
)
from production.services import dispatch, slots
from production.status_codes import RunAction, allowed
from tenants.mixins import TenantScopedViewMixin


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED)}))
class ProductViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """The products the farm prints, by SKU, with their unit weight."""

    queryset = Product.objects
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def perform_create(self, serializer):
        serializer.instance = services.create_product(
            tenant=self.request.tenant,
            user=self.request.user,
            fields=services.ProductFields(**serializer.validated_data),
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_product(
            product=serializer.instance,
            user=self.request.user,
            changes=services.ProductChanges(**serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.delete_product(product=instance, user=self.request.user)


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED)}))
class PrinterViewSet(PrinterPagesMixin, TenantScopedViewMixin, viewsets.ModelViewSet):
    """The farm's printers; runs name the printer they ran on."""

    queryset = Printer.objects
    serializer_class = PrinterSerializer
    filterset_class = PrinterFilter
    lookup_url_kwarg = "id"  # nested paths then read {printer_id}, as the README names them

    def get_queryset(self):
        return super().get_queryset().with_current_run()

    @extend_schema(
        request=None,
        responses={
            200: ProductionRunSerializer,
            **errors(ErrorCode.PRINTER_BUSY, ErrorCode.NO_RUN_FITS, ErrorCode.BUSY),
        },
    )
    # Not named `dispatch`: that is the method every Django view answers requests with.
    @action(detail=True, methods=["post"], url_path="dispatch", serializer_class=serializers.Serializer)
    def dispatch_queue(self, request, id=None):
        """Start the first queued run that fits this printer now: every line's spool loaded in one of its
        slots, or a loaded spool of the line's material that can feed it (then assigned to the line).
        409 `printer_busy` while it prints; 409 `no_run_fits` lists the first queued runs and why not."""
        run = dispatch.dispatch(printer=self.get_object(), user=request.user)
        return Response(payloads.run_answer(run, context=self.get_serializer_context()))

    def perform_update(self, serializer):
        slot_count = serializer.validated_data.get("slot_count")
        if slot_count is not None:
            slots.ensure_slots_fit(printer=serializer.instance, slot_count=slot_count)
        serializer.save()


def items_csv_summary(items):
    return "; ".join(f"{item['product_sku']} x{item['quantity']}" for item in items)


def materials_csv_summary(materials):
    return "; ".join(f"{material['spool_code']} {material['estimated_total_g']} g" for material in materials)


# The confirmation step of the browsable API's cancel/ and reopen/ pages (their GET; the POST button confirms).
RUN_CONFIRMATIONS = {
    "cancel": "Cancel run {run}? It ends as cancelled and no inventory moves. Press POST below to confirm.",
    "reopen": "Reopen run {run}? Each of its usage and waste rows is reversed (the spools get their grams "
    "back) and the run is in progress again. Press POST below to confirm.",
}


def outcome_form_rows(run):
    """The rows of the browsable complete/ and fail/ forms: each item and material of `run`, by its label."""
    items = list(run.items.select_related("product"))
    materials = list(run.materials.select_related("spool"))
    rows = {
        "items": [
            {
                "id": str(item.pk),
                "successful_quantity": item.successful_quantity,
                "failed_quantity": item.failed_quantity,
            }
            for item in items
        ],
        "materials": [
            {
                "id": str(material.pk),
                **{
                    name: getattr(material, name)
                    for name in (
                        "actual_model_g",
                        "actual_flushed_g",
                        "actual_tower_g",
                        "spool_weight_before_g",
                        "spool_weight_after_g",
                    )
                },
            }
            for material in materials
        ],
    }
    labels = {str(item.pk): f"{item.product.sku} {item.product.name} x{item.quantity}" for item in items}
    labels |= {
        str(material.pk): f"{material.spool.code}: estimated {material.estimated_total_g} g, "
        f"spool now {material.spool.current_weight_g} g"
        for material in materials
    }
    return {"form_rows": rows, "row_labels": labels}


def run_page_links(view, request, data):
    """The browsable run page's links: the actions its status allows and the user's role may take, its
    ledger rows, spools, printer, items, materials and history."""
    run_id = data["id"]
    actions = [
        (
            f"{run_action.value.capitalize()}...",
            reverse(f"production-run-{run_action.value}", args=[run_id]),
            run_action.value,
        )
        for run_action in RunAction
        if allowed(data["status"], run_action)
    ]
    links = action_links(view, request, actions)
    links.append(("Ledger rows", f"{reverse('inventory-transaction-list')}?production_run={run_id}"))
    links += [
        (f"Spool {material['spool_code']}", reverse("spool-detail", args=[material["spool"]]))
        for material in data.get("materials", ())
    ]
    if data.get("printer"):
        links.append((f"Printer {data['printer_name']}", reverse("printer-detail", args=[data["printer"]])))
    links += [
        ("Items", reverse("run-item-list", args=[run_id])),
        ("Materials", reverse("run-material-list", args=[run_id])),
        ("History", reverse("run-history-list", args=[run_id])),
    ]
    return [(label, request.build_absolute_uri(url)) for label, url in links]


RUN_CONTENT_ERRORS = (
    ErrorCode.INVALID_QUANTITIES,
    ErrorCode.TOO_MANY_UNITS,
    ErrorCode.MATERIAL_KIND_MISMATCH,
    ErrorCode.SPOOL_INACTIVE,
)
RUN_UPDATE_SCHEMA = extend_schema(
    request=ProductionRunUpdateSerializer,
    responses={
        200: ProductionRunSerializer,
        **errors(ErrorCode.INVALID_ORIGINAL_RUN, ErrorCode.INVALID_TRANSITION, ErrorCode.RUN_LOCKED, ErrorCode.BUSY),
    },
)


@extend_schema_view(
    create=extend_schema(
        responses={
            201: ProductionRunSerializer,
            **errors(
                *RUN_CONTENT_ERRORS,
                ErrorCode.INVALID_WEIGHING,
                ErrorCode.DUPLICATE_SPOOL,
                ErrorCode.DOES_NOT_EXIST,
                ErrorCode.INSUFFICIENT_STOCK,
                ErrorCode.BUSY,
            ),
        }
    ),
    update=RUN_UPDATE_SCHEMA,
    partial_update=RUN_UPDATE_SCHEMA,
    destroy=extend_schema(responses={204: None, **errors(ErrorCode.RUN_HAS_INVENTORY, ErrorCode.BUSY)}),
)
class ProductionRunViewSet(WrittenPageMixin, TenantScopedViewMixin, viewsets.ModelViewSet):
    """Production runs: plan one with its items and materials, then complete, fail, cancel or reopen it."""

    queryset = ProductionRun.objects
    serializer_class = ProductionRunSerializer
    filterset_class = ProductionRunFilter
    # The path names the run `{id}`, so the nested router names it `{run_id}` under
    # `/production-runs/{run_id}/...` (drf-nested-routers builds it from this kwarg).
    lookup_url_kwarg = "id"
    manager_actions = ("destroy", "reopen")
    page_actions = ("list", "retrieve")  # JSON through production.run_pages
    # The body each action takes, so the browsable API shows the right form; cancel/ and
    # reopen/ take none (a bare POST button).
    action_serializers = {
        "start": StartRunSerializer,
        "complete": CompleteRunSerializer,
        "fail": FailRunSerializer,
        "cancel": serializers.Serializer,
        "reopen": serializers.Serializer,
    }
    # A CSV row per run: its items and materials as one column each (skus x quantities,
    # spool codes and estimated grams), beside items_summary and the totals.
    csv_summaries = {"items": items_csv_summary, "materials": materials_csv_summary}

    def get_serializer_class(self):
        return self.action_serializers.get(self.action, ProductionRunSerializer)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("complete", "fail") and is_browsable(self.request):
            # The browsable form lists the run's items and materials as rows to fill in.
            context.update(outcome_form_rows(self.get_object()))
        return context

    def action_page(self, request, action, *args, **kwargs):
        response = super().action_page(request, action, *args, **kwargs)
        confirmation = RUN_CONFIRMATIONS.get(action)
        if confirmation is not None and self.action_refusal is None:
            self.confirmation = confirmation.format(run=response.data["run_number"])
        return response

    def page_links(self, data):
        # A run's page, an action's, and the answer to a run created in the list's form.
        if isinstance(data, dict) and "run_number" in data and "status" in data:
            return run_page_links(self, self.request, data)
        return []

    def html_table(self, data):
        """The browsable run list as a table: number, status, printer, items and totals."""
        rows = tables.results_of(data) if self.action == "list" else None
        if rows is None:
            return None
        url = self.request.build_absolute_uri
        body = [
            [
                tables.link(row["run_number"], url(reverse("production-run-detail", args=[row["id"]]))),
                tables.text(row["status"].replace("_", " ")),
                tables.link(row["printer_name"], url(reverse("printer-detail", args=[row["printer"]])))
                if row.get("printer")
                else tables.text(""),
                tables.text(row["items_summary"]),
                tables.grams(row["estimated_total_g"]),
                tables.grams(row["actual_total_g"]),
                tables.signed_grams(row["variance_g"]),
                tables.when(row["started_at"]),
                tables.when(row["completed_at"]),
            ]
            for row in rows
        ]
        headers = ["Run", "Status", "Printer", "Items", "Estimated", "Actual", "Variance", "Started", "Ended"]
        return tables.Table(headers, body, empty="No run matches.")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.method not in SAFE_METHODS:
            return queryset  # a write locks and reloads the run in its service
        if self.json_page():
            return queryset.values(*run_pages.RUN_COLUMNS)  # the JSON list and detail: production.run_pages
        return queryset.with_details()

    def represent_page(self, rows):
        return run_pages.represent(rows)

    def retrieve(self, request, *args, **kwargs):
        if not self.json_page():
            return super().retrieve(request, *args, **kwargs)  # the browsable page: its forms want the instance
        # get_object's lookup, 404 and permission checks, on the run's row of columns (get_queryset).
        return Response(run_pages.represent([self.get_object()])[0])

    def detail_response(self, run, status_code=status.HTTP_200_OK):
        # The run as the write's event showed it (production.payloads), without reading it again.
        return Response(payloads.run_answer(run, context=self.get_serializer_context()), status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services.RunDraft.from_data(serializer.validated_data)
        run = services.create_run(tenant=request.tenant, user=request.user, draft=draft)
        return self.detail_response(run, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        run = self.get_object()
        serializer = self.get_serializer(run, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = services.RunChanges(**serializer.validated_data)
        run = services.update_run(run=run, user=request.user, changes=changes)
        return self.detail_response(run)

    def perform_destroy(self, instance):
        services.delete_run(run=instance, user=self.request.user)

    def run_action(self, operation, body_serializer=None, body_name=None, body_type=None):
        """Validate the action's body (if any), build the service's input from it, and call the service."""
        run = self.get_object()
        kwargs = {}
        if body_serializer is not None:
            body = body_serializer(data=self.request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            kwargs[body_name] = body_type.from_data(body.validated_data)
        return self.detail_response(operation(run=run, user=self.request.user, **kwargs))

    @extend_schema(
        request=StartRunSerializer,
        responses={
            200: ProductionRunSerializer,
            **errors(
                ErrorCode.PRINTER_REQUIRED,
                ErrorCode.SPOOL_INACTIVE,
                ErrorCode.INVALID_DATES,
                ErrorCode.INVALID_TRANSITION,
                ErrorCode.PRINTER_BUSY,
                ErrorCode.SPOOL_REQUIRED,
                ErrorCode.INSUFFICIENT_STOCK,
                ErrorCode.BUSY,
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def start(self, request, id=None):
        """Start a planned run (planned -> in_progress) on the body's printer or its own; a line naming only a
        material gets a spool of it (one loaded in the printer first). Refused when a line cannot be fed."""
        return self.run_action(dispatch.start_run, StartRunSerializer, "start", dispatch.Start)

    @extend_schema(
        request=CompleteRunSerializer,
        responses={
            200: ProductionRunSerializer,
            **errors(
                ErrorCode.UNKNOWN_ITEM,
                ErrorCode.UNKNOWN_MATERIAL,
                ErrorCode.INVALID_WEIGHING,
                ErrorCode.NO_ITEMS,
                ErrorCode.INVALID_QUANTITIES,
                ErrorCode.MISSING_ACTUALS,
                ErrorCode.INVALID_DATES,
                ErrorCode.INVALID_TRANSITION,
                ErrorCode.INSUFFICIENT_STOCK,
                ErrorCode.BUSY,
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, id=None):
        """Record the outcome and deduct each material's actual grams from its spool (one `usage` row each)."""
        return self.run_action(services.complete_run, CompleteRunSerializer, "completion", services.Completion)

    @extend_schema(
        request=FailRunSerializer,
        responses={
            200: ProductionRunSerializer,
            **errors(
                ErrorCode.UNKNOWN_MATERIAL,
                ErrorCode.INVALID_WEIGHING,
                ErrorCode.INVALID_DATES,
                ErrorCode.INVALID_TRANSITION,
                ErrorCode.INSUFFICIENT_STOCK,
                ErrorCode.BUSY,
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def fail(self, request, id=None):
        """Mark the run failed; materials with actual usage are written off as `waste`."""
        return self.run_action(services.fail_run, FailRunSerializer, "failure", services.Failure)

    @extend_schema(
        request=None, responses={200: ProductionRunSerializer, **errors(ErrorCode.INVALID_TRANSITION, ErrorCode.BUSY)}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        """Cancel an in-progress run; no inventory moves."""
        return self.run_action(services.cancel_run)

    @extend_schema(
        request=None,
        responses={
            200: ProductionRunSerializer,
            **errors(ErrorCode.TOO_HEAVY, ErrorCode.INVALID_TRANSITION, ErrorCode.BUSY),
        },
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, id=None):
        """Back to in_progress, reversing every usage/waste row of the run (admins and owners)."""
        return self.run_action(services.reopen_run)
