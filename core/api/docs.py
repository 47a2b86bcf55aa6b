"""ReDoc without any request to another host.

ReDoc's bundle draws "API docs by Redocly" under its menu with a logo from cdn.redoc.ly, an
`<img>` created by its script: the Content-Security-Policy refuses it (a console error), and
removing the link once rendered comes after the request. So the page loads the sidecar's
bundle through `redoc_bundle`, which serves it with that logo's URL replaced by an empty SVG
as a `data:` URL (the CSP allows `data:` images); everything else in it is unchanged.
"""

import functools
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularRedocView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_SVG = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
ONE_DAY = 24 * 60 * 60


@functools.cache
def patched_bundle():
    """The sidecar's ReDoc bundle with its remote logo replaced (read once per process)."""
    return Path(finders.find(REDOC_BUNDLE)).read_bytes().replace(REDOC_LOGO, BLANK_SVG)


@require_GET
def redoc_bundle(request):
    response = HttpResponse(patched_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response


class RedocView(SpectacularRedocView):
    """drf-spectacular's ReDoc page, loading the bundle from `redoc_bundle`."""

    @staticmethod
    def _redoc_standalone():
        return reverse("redoc-bundle")
