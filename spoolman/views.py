from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from production.models import Printer
from spoolman import services
from spoolman.filters import IntegrationKeyFilter
from spoolman.models import IntegrationKey, KeyScope
from spoolman.serializers import IntegrationKeySerializer, IssuedKeySerializer, TenantIntegrationKeySerializer
from tenants.mixins import TenantScopedViewMixin


class IsTenantManager(BasePermission):
    """Integration keys are an admin's or owner's business, reading their list included."""

    message = "Only admins and owners may manage integration keys."

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        return membership is not None and membership.can_manage


class KeyViewSet(
    TenantScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """What both key lists share: admins and owners only; the secret answered once; `DELETE` revokes."""

    queryset = IntegrationKey.objects
    permission_classes = [IsAuthenticated, IsTenantManager]
    # The answer holds the secret, which must not be stored in clear as a replayable response.
    accepts_idempotency_key = False

    def get_queryset(self):
        return super().get_queryset().select_related("printer", "created_by")

    def issue(self, draft):
        issued = services.create_key(tenant=self.request.tenant, user=self.request.user, draft=draft)
        context = {**self.get_serializer_context(), "secret": issued.secret}
        return Response(IssuedKeySerializer(issued.key, context=context).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_key(key=instance)


class IntegrationKeyViewSet(KeyViewSet):
    """A printer's integration keys for the Spoolman-compatible API (`/spoolman/<key>/api/v1/`).

    `POST` creates a `printer` key of this printer and answers the secret once (`key`, and the
    `server_url` to paste into Moonraker); only its digest is stored, so a lost key is revoked
    and replaced. `DELETE` revokes: the key stays listed with `revoked_at` and authenticates
    nothing from then on. The list shows the printer's keys of either scope.
    """

    serializer_class = IntegrationKeySerializer

    def get_printer(self):
        printers = Printer.objects.for_tenant(self.request.tenant)
        return get_object_or_404(printers, pk=self.kwargs["printer_id"])

    def get_queryset(self):
        return super().get_queryset().filter(printer=self.get_printer())

    @extend_schema(responses={201: IssuedKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services.KeyDraft(printer=self.get_printer(), name=serializer.validated_data.get("name", ""))
        return self.issue(draft)


class TenantIntegrationKeyViewSet(KeyViewSet):
    """The tenant's integration keys, every printer's and the `manage` keys (admins and owners).

    `POST {"scope": "manage", "name": "spoolman-ui"}` creates a manage key: Spoolman's whole API
    (its web UI, Home Assistant, OctoPrint-Spoolman, scripts) under `/spoolman/<key>/api/v1/`,
    acting as you, with the role you hold in the tenant at each request (if you leave the tenant
    it stops working). `POST {"scope": "printer", "printer": <id or name>}` creates a printer key,
    as `printers/{id}/integration-keys/` does. The secret is answered once; `DELETE` revokes.
    Filters: `?scope=`, `?printer=`, `?is_active=`.
    """

    serializer_class = TenantIntegrationKeySerializer
    filterset_class = IntegrationKeyFilter

    @extend_schema(responses={201: IssuedKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        draft = services.KeyDraft(
            scope=KeyScope(data.get("scope", KeyScope.PRINTER)), printer=data.get("printer"), name=data.get("name", "")
        )
        return self.issue(draft)
