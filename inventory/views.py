from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.schema import errors
from core.errors import ErrorCode
from inventory import services
from inventory.filters import InventoryTransactionFilter, MaterialFilter, SpoolFilter
from inventory.models import InventoryTransaction, Material, Spool
from inventory.serializers import (
    InventoryTransactionSerializer,
    MaterialSerializer,
    SpoolAdjustmentSerializer,
    SpoolSerializer,
)
from tenants.mixins import TenantScopedViewMixin


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED)}))
class MaterialViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    queryset = Material.objects
    serializer_class = MaterialSerializer
    filterset_class = MaterialFilter


@extend_schema_view(
    create=extend_schema(responses={201: SpoolSerializer, **errors(ErrorCode.BUSY)}),
    destroy=extend_schema(responses={204: None, **errors(ErrorCode.PROTECTED, ErrorCode.BUSY)}),
)
class SpoolViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    queryset = Spool.objects
    serializer_class = SpoolSerializer
    filterset_class = SpoolFilter
    manager_actions = ("destroy", "adjust")

    def get_queryset(self):
        return super().get_queryset().with_material()

    def get_serializer_class(self):
        return SpoolAdjustmentSerializer if self.action == "adjust" else SpoolSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_spool(
            tenant=self.request.tenant, user=self.request.user, draft=services.SpoolDraft(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_spool(
            spool=serializer.instance, changes=services.SpoolChanges(**serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.delete_spool(spool=instance)

    @extend_schema(
        request=SpoolAdjustmentSerializer,
        responses={200: SpoolSerializer, **errors(ErrorCode.BELOW_ZERO, ErrorCode.TOO_HEAVY, ErrorCode.BUSY)},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """Correct a spool's weight: writes one `adjustment`, `count` or `waste` ledger row."""
        spool = self.get_object()
        adjustment = SpoolAdjustmentSerializer(data=request.data)
        adjustment.is_valid(raise_exception=True)
        services.adjust_spool(
            spool=spool, user=request.user, adjustment=services.Adjustment(**adjustment.validated_data)
        )
        return Response(SpoolSerializer(spool, context=self.get_serializer_context()).data, status=status.HTTP_200_OK)


class InventoryTransactionViewSet(
    TenantScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The ledger: read-only; rows are written by spool purchases, adjustments and production runs."""

    queryset = InventoryTransaction.objects
    serializer_class = InventoryTransactionSerializer
    filterset_class = InventoryTransactionFilter

    def get_queryset(self):
        return super().get_queryset().with_references()
