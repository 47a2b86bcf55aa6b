from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from bambu import selectors, services
from bambu.models import PrinterConnection
from bambu.serializers import PrinterConnectionSerializer, PrinterStatusSerializer
from production.models import Printer
from tenants.mixins import TenantScopedViewMixin


class IsTenantManager(BasePermission):
    """A printer's connection (its access code included) is an admin's or owner's business, reading included."""

    message = "Only admins and owners may manage printer connections."

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        return membership is not None and membership.can_manage


class PrinterScopedMixin:
    def get_printer(self) -> Printer:
        return get_object_or_404(Printer.objects.for_tenant(self.request.tenant), pk=self.kwargs["printer_id"])


class PrinterConnectionView(PrinterScopedMixin, TenantScopedViewMixin, generics.GenericAPIView):
    """How the printer bridge reaches a Bambu Lab printer on the LAN (MQTT over TLS).

    `PUT` creates or replaces it (`kind` bambu_lan, `host`, `port` 8883, `serial`, `access_code`);
    the access code is stored encrypted and never answered (`access_code_set`). The bridge
    connects to the new settings within seconds. `DELETE` removes it and the printer's status.
    """

    queryset = PrinterConnection.objects
    serializer_class = PrinterConnectionSerializer
    permission_classes = [IsAuthenticated, IsTenantManager]
    # Not a POST endpoint; a PUT is idempotent by itself.
    accepts_idempotency_key = False

    def get_object(self):
        connection = self.get_queryset().filter(printer=self.get_printer()).select_related("printer").first()
        if connection is None:
            raise Http404("This printer has no connection.")
        return connection

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def put(self, request, *args, **kwargs):
        printer = self.get_printer()
        existing = self.get_queryset().filter(printer=printer).first()
        serializer = self.get_serializer(existing, data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        connection = services.save_connection(
            tenant=request.tenant,
            printer=printer,
            user=request.user,
            settings=services.ConnectionSettings(
                kind=data["kind"],
                host=data["host"],
                port=data["port"],
                serial=data["serial"],
                access_code=data.get("access_code"),
            ),
        )
        answer = status.HTTP_200_OK if existing is not None else status.HTTP_201_CREATED
        return Response(self.get_serializer(connection).data, status=answer)

    def delete(self, request, *args, **kwargs):
        services.delete_connection(connection=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrinterStatusView(PrinterScopedMixin, TenantScopedViewMixin, generics.GenericAPIView):
    """What a connected printer last reported (through the bridge), beside what its runs say.

    `connection_state`: connected, disconnected, auth_failed (the access code was refused),
    not_configured. `trays`: the AMS trays and the external holder, each with the spool whose
    `rfid_uid` is the tray's RFID identity.
    """

    queryset = PrinterConnection.objects
    serializer_class = PrinterStatusSerializer

    @extend_schema(responses={200: PrinterStatusSerializer})
    def get(self, request, *args, **kwargs):
        return Response(PrinterStatusSerializer(selectors.printer_status(self.get_printer())).data)
