from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.api.schema import errors
from core.errors import ErrorCode
from events import selectors, services
from events.filters import WebhookDeliveryFilter, WebhookFilter
from events.models import Event, Webhook, WebhookDelivery
from events.serializers import (
    EVENT_TYPE_CHOICES,
    CreatedWebhookSerializer,
    EventFeedSerializer,
    EventSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from tenants.mixins import TenantScopedViewMixin
from tenants.permissions import TenantRolePermission

MAX_PAGE = 1000


class FeedQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=1, required=False)
    type = serializers.CharField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=100)

    def validate_type(self, value):
        types = [part.strip() for part in value.split(",") if part.strip()]
        unknown = sorted(set(types) - set(EVENT_TYPE_CHOICES))
        if unknown:
            raise serializers.ValidationError(f"Unknown event types: {', '.join(unknown)}.", code="invalid_choice")
        return types


FEED_PARAMETERS = [
    OpenApiParameter(
        "after",
        OpenApiTypes.INT,
        description="The id of the last event you processed (a page's `next_cursor`); without it, from the first.",
    ),
    OpenApiParameter(
        "type",
        OpenApiTypes.STR,
        description="Only these event types, comma-separated (`spool.low_stock,spool.empty`).",
    ),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"Events per page, 1-{MAX_PAGE} (default 100)."),
]


class EventFeedView(TenantScopedViewMixin, generics.GenericAPIView):
    """The tenant's events in commit order: follow `next_cursor` to catch up without missing or repeating one."""

    queryset = Event.objects
    serializer_class = EventSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(parameters=FEED_PARAMETERS, responses={200: EventFeedSerializer, **errors(ErrorCode.INVALID_CURSOR)})
    def get(self, request, *args, **kwargs):
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data.get("after"), query.validated_data["limit"]
        events = selectors.feed(
            tenant=request.tenant, after=after, types=query.validated_data.get("type", ()), limit=limit + 1
        )
        page, has_more = events[:limit], len(events) > limit
        next_cursor = page[-1].pk if page else after
        url = request.build_absolute_uri()
        next_url = replace_query_param(url, "after", next_cursor) if next_cursor is not None else url
        return Response(
            {
                "results": EventSerializer(page, many=True).data,
                "next_cursor": next_cursor,
                "next": next_url,
                "has_more": has_more,
            }
        )


class NoCSV:
    """A list that is configuration, not data to export: JSON only."""

    def get_renderers(self):
        return [renderer() for renderer in self.renderer_classes]


class ManagersOnly(TenantRolePermission):
    """Admins and owners only, reads included (a webhook's URL and log are integration secrets)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not request.membership.can_manage:
            self.message = f"Only admins and owners may manage webhooks; your role is {request.membership.role}."
            return False
        return True


WEBHOOK_URL_ERRORS = errors(ErrorCode.PRIVATE_WEBHOOK_URL, ErrorCode.UNRESOLVABLE_WEBHOOK_URL)


@extend_schema_view(
    create=extend_schema(responses={201: CreatedWebhookSerializer, **WEBHOOK_URL_ERRORS}),
    update=extend_schema(responses={200: WebhookSerializer, **WEBHOOK_URL_ERRORS}),
    partial_update=extend_schema(responses={200: WebhookSerializer, **WEBHOOK_URL_ERRORS}),
)
class WebhookViewSet(NoCSV, TenantScopedViewMixin, viewsets.ModelViewSet):
    """Webhooks (admins and owners): each POSTs the chosen event types, signed, to its URL (see the README)."""

    queryset = Webhook.objects
    serializer_class = WebhookSerializer
    # `{id}` in the path, so the nested router names it `{webhook_id}` under /webhooks/{webhook_id}/deliveries/.
    lookup_url_kwarg = "id"
    permission_classes = [*TenantScopedViewMixin.permission_classes[:-1], ManagersOnly]
    filterset_class = WebhookFilter

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = services.create_webhook(
            tenant=request.tenant, user=request.user, draft=services.WebhookDraft(**serializer.validated_data)
        )
        return Response(CreatedWebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.update_webhook(
            webhook=serializer.instance, changes=services.WebhookChanges(**serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.delete_webhook(webhook=instance)


WEBHOOK_ID = OpenApiParameter("webhook_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The webhook's id.")


@extend_schema_view(list=extend_schema(parameters=[WEBHOOK_ID]))
class WebhookDeliveryViewSet(NoCSV, TenantScopedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A webhook's deliveries, newest first: one per event, with its attempts and the last answer."""

    queryset = WebhookDelivery.objects
    serializer_class = WebhookDeliverySerializer
    permission_classes = WebhookViewSet.permission_classes
    filterset_class = WebhookDeliveryFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.webhook = get_object_or_404(Webhook.objects.for_tenant(request.tenant), pk=self.kwargs["webhook_id"])

    def get_queryset(self):
        return super().get_queryset().filter(webhook=self.webhook).select_related("event")
