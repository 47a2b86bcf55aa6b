from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from production.models import Printer
from spoolman import services
from spoolman.models import IntegrationKey
from spoolman.serializers import IntegrationKeySerializer, IssuedKeySerializer
from tenants.mixins import TenantScopedViewMixin


class IsTenantManager(BasePermission):
    """Integration keys are an admin's or owner's business, reading their list included."""

    message = "Only admins and owners may manage integration keys."

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        return membership is not None and membership.can_manage


class IntegrationKeyViewSet(
    TenantScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A printer's integration keys for the Spoolman-compatible API (`/spoolman/<key>/api/v1/`).

    `POST` answers the secret once (`key`, and the `server_url` to paste into Moonraker); only
    its digest is stored, so a lost key is revoked and replaced. `DELETE` revokes: the key
    stays listed with `revoked_at` and authenticates nothing from then on.
    """

    queryset = IntegrationKey.objects
    serializer_class = IntegrationKeySerializer
    permission_classes = [IsAuthenticated, IsTenantManager]
    # The answer holds the secret, which must not be stored in clear as a replayable response.
    accepts_idempotency_key = False

    def get_printer(self):
        printers = Printer.objects.for_tenant(self.request.tenant)
        return get_object_or_404(printers, pk=self.kwargs["printer_id"])

    def get_queryset(self):
        return super().get_queryset().filter(printer=self.get_printer()).select_related("printer", "created_by")

    @extend_schema(responses={201: IssuedKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.create_key(
            tenant=request.tenant,
            user=request.user,
            draft=services.KeyDraft(printer=self.get_printer(), name=serializer.validated_data.get("name", "")),
        )
        context = {**self.get_serializer_context(), "secret": issued.secret}
        return Response(IssuedKeySerializer(issued.key, context=context).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_key(key=instance)
