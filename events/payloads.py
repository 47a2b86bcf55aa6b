"""An event as the feed shows it: the one place that renders it (the webhooks' body is the same)."""

from typing import Any

from events.models import Event
from events.serializers import EventSerializer


def event_payload(event: Event) -> dict[str, Any]:
    return EventSerializer(event).data
