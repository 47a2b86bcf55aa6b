from django.urls import re_path

from spoolman.consumers import SpoolEventsConsumer

KEY = r"^spoolman/(?P<key>[A-Za-z0-9_-]{1,100})/api/v1/"

websocket_urlpatterns = [
    re_path(KEY + r"?$", SpoolEventsConsumer.as_asgi()),
    re_path(KEY + r"spool/?$", SpoolEventsConsumer.as_asgi()),
    re_path(KEY + r"spool/(?P<spool_id>[0-9]{1,9})/?$", SpoolEventsConsumer.as_asgi()),
]
