"""A run's nested lists: its items, materials and history (`production-runs/{run_id}/...`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.generics import get_object_or_404

from core.api.schema import errors
from core.errors import ErrorCode
from production import services
from production.filters import (
    RunHistoryFilter,
    RunItemFilter,
    RunMaterialFilter,
)
from production.models import (
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryEntry,
)
from production.serializers import (
    RunHistoryEntrySerializer,
    RunItemSerializer,
    RunMaterialSerializer,
)
from tenants.mixins import TenantScopedViewMixin

RUN_ID = OpenApiParameter("run_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The production run's id.")


def run_child_schema(serializer, *, write_errors, delete_errors):
    """The schema of an endpoint under `/production-runs/{run_id}/`: the run id, and its services' errors."""
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
        self.run = get_object_or_404(ProductionRun.objects.for_tenant(request.tenant), pk=self.kwargs["run_id"])

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
    """The products of one run: how many to print, and after it ends how many succeeded or failed."""

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
    """The spools of one run: the estimated grams, and the weighings or actual grams once it ends."""

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
    Read-only; viewers may read it too."""

    queryset = RunHistoryEntry.objects
    serializer_class = RunHistoryEntrySerializer
    filterset_class = RunHistoryFilter

    def get_queryset(self):
        return super().get_queryset().select_related("user")
