"""The project's URLs plus four Spoolman endpoints marked with the `endpoint` decorator's `manage`, as the
catalogue's endpoints mark theirs (tests/spoolman/test_key_scopes.py).

Used with `@pytest.mark.urls("tests.support.spoolman_endpoints")`.
"""

from django.urls import re_path

from config.urls import urlpatterns as project_urlpatterns
from spoolman.api import answer, body_of, endpoint, require_role
from tenants.models import Role

KEY = r"^spoolman/(?P<key>[A-Za-z0-9_-]{1,100})/api/v1/test-"
# The methods each view ran (a refused request runs none).
calls: list[str] = []


@endpoint("GET", "POST", "DELETE", write=True, manage={"DELETE": Role.ADMIN})
def catalogue_like(request):
    """Every key reads; a write needs a manage key (a member's), a delete an admin's or owner's."""
    calls.append(request.method)
    return answer({"method": request.method, "role": request.integration_key.role})


@endpoint("GET", "POST", write=True, manage={"GET": Role.MEMBER})
def closed_read(request):
    """Even its read needs a member's manage key."""
    calls.append(request.method)
    return answer({})


@endpoint("POST", write=True, manage=Role.ADMIN)
def admins_only(request):
    calls.append(request.method)
    return answer({})


@endpoint("PATCH", write=True, manage=True)
def weight_needs_admin(request):
    """A member's manage key changes it, but a change of its weight needs an admin's (a PATCH of a spool)."""
    if "weight" in body_of(request):
        require_role(request, Role.ADMIN)
    calls.append(request.method)
    return answer({})


urlpatterns = [
    re_path(KEY + r"weight/?$", weight_needs_admin),
    re_path(KEY + r"catalogue/?$", catalogue_like),
    re_path(KEY + r"closed-read/?$", closed_read),
    re_path(KEY + r"admins-only/?$", admins_only),
    *project_urlpatterns,
]
