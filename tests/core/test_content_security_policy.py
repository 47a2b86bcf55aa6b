"""The CSP middleware's cached policy is django-csp's, and yields to django-csp wherever a response has its own."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONE, SELF
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.content_security_policy import CSPMiddleware


def respond(middleware_class, path="/api/v1/spools/", *, status=200, use_nonce=False, **response_attributes):
    request = RequestFactory().get(path)
    response = HttpResponse(status=status)
    for name, value in response_attributes.items():
        setattr(response, name, value)

    def view(request):
        if use_nonce:
            str(request.csp_nonce)
        return response

    return request, middleware_class(view)(request)


def headers(response):
    return {name: response.headers.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"use_nonce": True},
        {"_csp_update": {"img-src": ["https://example.com"]}},
        {"_csp_replace": {"script-src": [NONE]}},
        {"_csp_exempt": True},
        {"status": 404},
        {"status": 500, "debug": True},
    ],
    ids=["settings", "nonce", "update", "replace", "exempt", "not-found", "debug-page"],
)
def test_the_headers_are_django_csps(case):
    case = dict(case)
    with override_settings(DEBUG=case.pop("debug", False)):
        _request, ours = respond(CSPMiddleware, **case)
        _request, theirs = respond(LibraryCSPMiddleware, **case)

    if case.get("use_nonce"):  # a nonce of each response's own
        assert ours.headers[HEADER] != theirs.headers[HEADER]
        assert "'nonce-" in ours.headers[HEADER]
    else:
        assert headers(ours) == headers(theirs)


def test_a_nonce_asked_for_after_the_header_is_written_is_refused():
    request, _response = respond(CSPMiddleware)

    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)


def test_changed_settings_change_the_cached_policy():
    policy = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "https://example.com"]}}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy,
        CONTENT_SECURITY_POLICY_REPORT_ONLY={**policy, "EXCLUDE_URL_PREFIXES": ["/admin/"]},
    ):
        _request, response = respond(CSPMiddleware)
        _request, excluded = respond(CSPMiddleware, "/admin/")
        expected = build_policy()

    assert response.headers[HEADER] == expected
    assert "img-src 'self' https://example.com" in response.headers[HEADER]
    assert response.headers[HEADER_REPORT_ONLY] == response.headers[HEADER]
    assert HEADER_REPORT_ONLY not in excluded.headers
    _request, afterwards = respond(CSPMiddleware)
    assert HEADER_REPORT_ONLY not in afterwards.headers
    assert "example.com" not in afterwards.headers[HEADER]
