"""The ASGI application: HTTP through Django (every middleware, as under WSGI), websockets through Channels.

`make run` serves it with uvicorn; see the README's deployment notes.
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django runs each ASGI request's sync code in a thread of its own, and a persistent connection
# belongs to its thread: without a pool, a burst of concurrent requests (Spoolman clients fire
# 100 `use` reports at once) leaves one idle connection per thread until PostgreSQL refuses more.
# A PostgreSQL ASGI process therefore takes connections from a pool (config/settings.py) unless
# DATABASE_POOL_SIZE says otherwise; SQLite ignores it. Only a process that starts here (a server)
# gets that default: one whose settings are already read (the tests) keeps its environment as it is.
if not settings.configured:
    os.environ.setdefault("DATABASE_POOL_SIZE", "10")
django_application = get_asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from spoolman.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
