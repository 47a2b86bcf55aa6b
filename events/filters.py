import django_filters

from core.api.filters import BooleanFilter
from events.models import DeliveryStatus, Webhook, WebhookDelivery
from tenants.filters import TenantFilterSet


class WebhookFilter(TenantFilterSet):
    is_active = BooleanFilter(label="Active")

    class Meta:
        model = Webhook
        fields = ["is_active"]


class WebhookDeliveryFilter(TenantFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, label="Status")

    class Meta:
        model = WebhookDelivery
        fields = ["status"]
