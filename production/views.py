from functools import cached_property

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from production import services
from production.filters import PrinterFilter, ProductFilter, ProductionRunFilter
from production.models import Printer, Product, ProductionRun, ProductionRunItem, ProductionRunMaterial
from production.serializers import (
    CompleteRunSerializer,
    FailRunSerializer,
    PrinterSerializer,
    ProductionRunSerializer,
    ProductSerializer,
    RunItemSerializer,
    RunMaterialSerializer,
)
from tenants.mixins import TenantScopedViewMixin


class ProductViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter


class PrinterViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    queryset = Printer.objects.all()
    serializer_class = PrinterSerializer
    filterset_class = PrinterFilter


class ProductionRunViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """Production runs; state changes go through `production.services`."""

    queryset = ProductionRun.objects.with_details()
    serializer_class = ProductionRunSerializer
    filterset_class = ProductionRunFilter
    manager_actions = ("destroy", "reopen")
    action_serializers = {"complete": CompleteRunSerializer, "fail": FailRunSerializer}

    def get_serializer_class(self):
        return self.action_serializers.get(self.action, ProductionRunSerializer)

    def detail_response(self, run, status_code=status.HTTP_200_OK):
        run = self.get_queryset().get(pk=run.pk)
        return Response(ProductionRunSerializer(run, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.create_run(tenant=request.tenant, user=request.user, data=serializer.validated_data)
        return self.detail_response(run, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        run = self.get_object()
        serializer = self.get_serializer(run, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        run = services.update_run(run=run, user=request.user, data=serializer.validated_data)
        return self.detail_response(run)

    def perform_destroy(self, instance):
        services.delete_run(run=instance, user=self.request.user)

    def run_action(self, operation, body_serializer=None):
        run = self.get_object()
        kwargs = {}
        if body_serializer is not None:
            body = body_serializer(data=self.request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            kwargs["data"] = body.validated_data
        return self.detail_response(operation(run=run, user=self.request.user, **kwargs))

    @extend_schema(request=CompleteRunSerializer, responses=ProductionRunSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record the outcome and deduct each material's actual grams from its spool (one `usage` row each)."""
        return self.run_action(services.complete_run, CompleteRunSerializer)

    @extend_schema(request=FailRunSerializer, responses=ProductionRunSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """Mark the run failed; materials with actual usage are written off as `waste`."""
        return self.run_action(services.fail_run, FailRunSerializer)

    @extend_schema(request=None, responses=ProductionRunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an in-progress run; no inventory moves."""
        return self.run_action(services.cancel_run)

    @extend_schema(request=None, responses=ProductionRunSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Back to in_progress, reversing every usage/waste row of the run (admins and owners)."""
        return self.run_action(services.reopen_run)


RUN_ID = OpenApiParameter("run_pk", str, OpenApiParameter.PATH, description="The production run's id.")


class RunChildViewSet(TenantScopedViewMixin, viewsets.ModelViewSet):
    """Base of the endpoints under `/production-runs/{run_id}/`: rows of that run only."""

    manager_actions = ()

    @cached_property
    def run(self):
        return get_object_or_404(ProductionRun.objects.for_tenant(self.request.tenant), pk=self.kwargs["run_pk"])

    def get_queryset(self):
        return super().get_queryset().filter(run=self.run)


@extend_schema_view(
    **{
        name: extend_schema(parameters=[RUN_ID])
        for name in ("list", "create", "retrieve", "update", "partial_update", "destroy")
    }
)
class RunItemViewSet(RunChildViewSet):
    queryset = ProductionRunItem.objects.select_related("product")
    serializer_class = RunItemSerializer

    def perform_create(self, serializer):
        serializer.instance = services.add_item(run=self.run, data=serializer.validated_data)

    def perform_update(self, serializer):
        services.update_item(item=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.remove_item(item=instance)


@extend_schema_view(
    **{
        name: extend_schema(parameters=[RUN_ID])
        for name in ("list", "create", "retrieve", "update", "partial_update", "destroy")
    }
)
class RunMaterialViewSet(RunChildViewSet):
    queryset = ProductionRunMaterial.objects.select_related("spool__material")
    serializer_class = RunMaterialSerializer

    def perform_create(self, serializer):
        serializer.instance = services.add_material(run=self.run, data=serializer.validated_data)

    def perform_update(self, serializer):
        services.update_material(material=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.remove_material(material=instance)
