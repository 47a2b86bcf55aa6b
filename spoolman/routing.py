"""Spoolman's websockets under the key (spoolman.consumers): the root, each kind of record, each record."""

from django.urls import re_path

from spoolman.consumers import SpoolmanEventsConsumer

KEY = r"^spoolman/(?P<key>[A-Za-z0-9_-]{1,100})/api/v1/"
consumer = SpoolmanEventsConsumer.as_asgi()

websocket_urlpatterns = [
    re_path(KEY + r"?$", consumer),
    re_path(KEY + r"(?P<resource>vendor|filament|spool|setting)/?$", consumer),
    re_path(KEY + r"(?P<resource>vendor|filament|spool)/(?P<ident>[0-9]{1,9})/?$", consumer),
    re_path(KEY + r"(?P<resource>setting)/(?P<ident>[^/]{1,100})/?$", consumer),
]
