from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api.schema import errors
from core.errors import ErrorCode
from production import services
from production.filters import (
    PrinterFilter,
    ProductFilter,
    ProductionRunFilter,
    RunEventFilter,
    RunItemFilter,
    RunMaterialFilter,
)
from production.models import (
    Printer,
    Product,
    ProductionRun,
    ProductionRunEvent,
    ProductionRunItem,
    ProductionRunMaterial,
)
from production.serializers import (
    CompleteRunSerializer,
    FailRunSerializer,
    PrinterSerializer,
    ProductionRunSerializer,
    ProductionRunUpdateSerializer,
    ProductSerializer,
    RunEventSerializer,
    RunItemSerializer,
    RunMaterialSerializer,
)
from tenants.mixins import TenantScopedViewMixin


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED)}))
class ProductViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
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
class PrinterViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    queryset = Printer.objects
    serializer_class = PrinterSerializer
    filterset_class = PrinterFilter


def items_csv_summary(items):
    return "; ".join(f"{item['product_sku']} x{item['quantity']}" for item in items)


def materials_csv_summary(materials):
    return "; ".join(f"{material['spool_code']} {material['estimated_total_g']} g" for material in materials)


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
class ProductionRunViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """Production runs; state changes go through `production.services`."""

    queryset = ProductionRun.objects
    serializer_class = ProductionRunSerializer
    filterset_class = ProductionRunFilter
    manager_actions = ("destroy", "reopen")
    # The body each action takes, so the browsable API shows the right form; cancel/ and
    # reopen/ take none (a bare POST button).
    action_serializers = {
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

    def get_queryset(self):
        queryset = super().get_queryset()
        # A write locks and reloads the run in its service; only what is read needs its children.
        return queryset.with_details() if self.request.method in SAFE_METHODS else queryset

    def detail_response(self, run, status_code=status.HTTP_200_OK):
        # A service that changed the run has serialized it for its event already (production.services._run_event).
        data = getattr(run, "api_representation", None)
        if data is None:
            run = ProductionRun.objects.for_tenant(self.request.tenant).with_details().get(pk=run.pk)
            data = ProductionRunSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

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
    def complete(self, request, pk=None):
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
    def fail(self, request, pk=None):
        """Mark the run failed; materials with actual usage are written off as `waste`."""
        return self.run_action(services.fail_run, FailRunSerializer, "failure", services.Failure)

    @extend_schema(
        request=None, responses={200: ProductionRunSerializer, **errors(ErrorCode.INVALID_TRANSITION, ErrorCode.BUSY)}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
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
    def reopen(self, request, pk=None):
        """Back to in_progress, reversing every usage/waste row of the run (admins and owners)."""
        return self.run_action(services.reopen_run)


RUN_ID = OpenApiParameter("run_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The production run's id.")


def run_child_schema(serializer, *, write_errors, delete_errors):
    """The schema of an endpoint under `/production-runs/{run_pk}/`: the run id, and its services' errors."""
    write = {"parameters": [RUN_ID], "responses": {200: serializer, **errors(*write_errors)}}
    return extend_schema_view(
        list=extend_schema(parameters=[RUN_ID]),
        retrieve=extend_schema(parameters=[RUN_ID]),
        create=extend_schema(parameters=[RUN_ID], responses={201: serializer, **errors(*write_errors)}),
        update=extend_schema(**write),
        partial_update=extend_schema(**write),
        destroy=extend_schema(parameters=[RUN_ID], responses={204: None, **errors(*delete_errors)}),
    )


class RunScopedMixin:
    """Endpoints under `/production-runs/{run_id}/`: rows of that run only.

    The path's run is resolved before any body is validated: another tenant's run, or a
    soft-deleted one, is a 404, never a 400.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.run = get_object_or_404(ProductionRun.objects.for_tenant(request.tenant), pk=self.kwargs["run_pk"])

    def get_queryset(self):
        return super().get_queryset().filter(run=self.run)

    def csv_name(self):
        return f"{self.run.run_number}-{super().csv_name()}"


class RunChildViewSet(RunScopedMixin, TenantScopedViewMixin, viewsets.ModelViewSet):
    """Base of the item and material endpoints of a run."""

    manager_actions = ()


@run_child_schema(
    RunItemSerializer,
    write_errors=(
        ErrorCode.INVALID_QUANTITIES,
        ErrorCode.TOO_MANY_UNITS,
        ErrorCode.MATERIAL_KIND_MISMATCH,
        ErrorCode.RUN_LOCKED,
        ErrorCode.BUSY,
    ),
    delete_errors=(ErrorCode.RUN_LOCKED, ErrorCode.BUSY),
)
class RunItemViewSet(RunChildViewSet):
    queryset = ProductionRunItem.objects
    serializer_class = RunItemSerializer
    filterset_class = RunItemFilter

    def get_queryset(self):
        return super().get_queryset().select_related("product")

    def perform_create(self, serializer):
        serializer.instance = services.add_item(
            run=self.run, user=self.request.user, draft=services.ItemDraft(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_item(
            item=serializer.instance, user=self.request.user, changes=services.ItemChanges(**serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.remove_item(item=instance, user=self.request.user)


@run_child_schema(
    RunMaterialSerializer,
    write_errors=(
        ErrorCode.SPOOL_INACTIVE,
        ErrorCode.MATERIAL_KIND_MISMATCH,
        ErrorCode.INVALID_WEIGHING,
        ErrorCode.DUPLICATE_SPOOL,
        ErrorCode.DOES_NOT_EXIST,
        ErrorCode.INSUFFICIENT_STOCK,
        ErrorCode.RUN_LOCKED,
        ErrorCode.BUSY,
    ),
    delete_errors=(ErrorCode.RUN_LOCKED, ErrorCode.BUSY),
)
class RunMaterialViewSet(RunChildViewSet):
    queryset = ProductionRunMaterial.objects
    serializer_class = RunMaterialSerializer
    filterset_class = RunMaterialFilter

    def get_queryset(self):
        return super().get_queryset().select_related("spool__material")

    def perform_create(self, serializer):
        serializer.instance = services.add_material(
            run=self.run, user=self.request.user, draft=services.MaterialDraft(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_material(
            material=serializer.instance,
            user=self.request.user,
            changes=services.MaterialChanges(**serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.remove_material(material=instance, user=self.request.user)


@extend_schema_view(list=extend_schema(parameters=[RUN_ID]))
class RunHistoryViewSet(RunScopedMixin, TenantScopedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The run's history, newest first: who created, changed, completed, failed, cancelled,
    reopened, deleted or restored it (or its items and materials), when, and what changed.
    Read-only (viewers too); the services write it."""

    queryset = ProductionRunEvent.objects
    serializer_class = RunEventSerializer
    filterset_class = RunEventFilter

    def get_queryset(self):
        return super().get_queryset().select_related("user")
