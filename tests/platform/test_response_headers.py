"""Every response carries the same security headers, whatever path the request took through the middleware.

Pinned for the responses the middleware treats differently: a token request (resolved before
the view), an anonymous one (401), a token request's 404, a browsable API page and the admin
(sessions), and ReDoc, whose page carries a per-response CSP nonce. Production's values
(DEBUG off, HSTS on, a request the proxy received over HTTPS).
"""

import re

import pytest
from django.test import Client, override_settings

from tests.support.clients import browser_for, token_client

HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}
PRODUCTION = override_settings(
    DEBUG=False, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "worker-src": "'self' blob:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
ALWAYS = {"Content-Type", "Content-Length", "Content-Security-Policy", *SECURITY_HEADERS}


def directives(response):
    """The response's Content-Security-Policy, directive by directive (django-csp orders them by a set)."""
    parts = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in parts}


def assert_security_headers(response, policy=POLICY):
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert directives(response) == policy


@pytest.fixture
def spool_url(tenant, make_spool):
    return f"/api/v1/spools/{make_spool(tenant, code='S1').pk}/"


@pytest.mark.django_db
def test_a_token_requests_answers_carry_the_security_headers(member, tenant, spool_url):
    with PRODUCTION:
        client = token_client(member, tenant)
        found = client.get(spool_url, **HTTPS)
        missing = client.get("/api/v1/spools/00000000-0000-0000-0000-000000000000/", **HTTPS)

    for response, status in ((found, 200), (missing, 404)):
        assert response.status_code == status
        assert_security_headers(response)
        assert set(response.headers) == ALWAYS | {"Vary", "Allow"}
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Vary"] == "Accept"
        assert not response.cookies


@pytest.mark.django_db
def test_an_anonymous_api_answer_carries_the_security_headers(tenant):
    with PRODUCTION:
        response = Client().get("/api/v1/spools/", **HTTPS)

    assert response.status_code == 401
    assert_security_headers(response)
    assert set(response.headers) == ALWAYS | {"Vary", "Allow", "WWW-Authenticate"}
    assert response.headers["Vary"] == "Accept, Cookie"


@pytest.mark.django_db
def test_session_pages_carry_the_security_headers(member, tenant, admin_user):
    with PRODUCTION:
        browsable = browser_for(member).get(f"/api/v1/spools/?tenant={tenant.slug}", HTTP_ACCEPT="text/html", **HTTPS)
        login = Client().get("/admin/login/", **HTTPS)
        admin = browser_for(admin_user).get("/admin/", **HTTPS)

    assert browsable.status_code == 200
    assert_security_headers(browsable)
    assert set(browsable.headers) == ALWAYS | {"Vary", "Allow"}
    assert browsable.headers["Content-Type"] == "text/html; charset=utf-8"
    for page in (login, admin):
        assert page.status_code == 200
        assert_security_headers(page)
        assert set(page.headers) == ALWAYS | {"Vary", "Expires", "Cache-Control"}
        assert page.headers["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert "csrftoken" in login.cookies


@pytest.mark.django_db
def test_a_pages_nonce_is_its_own_and_never_reaches_another_response(member, tenant, spool_url):
    with PRODUCTION:
        browser = browser_for(member)
        pages = [browser.get("/api/v1/redoc/", **HTTPS) for _ in range(2)]
        after = token_client(member, tenant).get(spool_url, **HTTPS)

    nonces = []
    for page in pages:
        nonce = re.search(r'<script nonce="([^"]+)">', page.content.decode()).group(1)
        assert_security_headers(page, {**POLICY, "script-src": f"'self' 'nonce-{nonce}'"})
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert_security_headers(after)
