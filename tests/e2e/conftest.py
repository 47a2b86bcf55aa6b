"""Browser tests: Playwright driving Debian's chromium against the app that pytest-django serves.

`make e2e` runs them (`pytest -m e2e`); `make test` leaves them out. The app is served on
127.0.0.1 by pytest-django's `live_server` (a threaded WSGI server in this process, with
static files served from the apps' finders, as `StaticLiveServerTestCase` does), so the
tests need no running server. Screenshots of each key step land in `artifacts/e2e/`
(git-ignored), kept as test artifacts.
"""

import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from inventory.models import Material, Spool, Vendor
from inventory.services import SpoolDraft, create_spool
from production.models import Product
from tenants.models import Tenant
from tenants.services import add_member, create_tenant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NOT_LOCAL = re.compile(r"^(https?|wss?)://(?!(127\.0\.0\.1|localhost)[:/])")
PASSWORD = "e2e-browser-password"

# Assertions wait as long as actions do: on a loaded 2-core machine ReDoc takes over 5 s to render.
expect.set_options(timeout=15_000)
# ReDoc parses the whole schema and lays out every operation in the page's script before it shows
# anything ("Loading..." meanwhile): 7 s here under load, 16-17 s at a load average of 15.
REDOC_RENDER_TIMEOUT_MS = 60_000

# pytest-django's live_server binds to this address (its default is "localhost"); it reads
# the variable when the session-scoped server starts, after this module is imported.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


@pytest.fixture(scope="module")
def chromium():
    """One headless chromium per test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (CI's .ci/run does).")
    # Playwright's sync API keeps an asyncio event loop running in this thread while it is
    # started, so Django takes the test's own ORM calls (creating data, checking the result
    # of a browser step) for calls from async code and refuses them (SynchronousOnlyOperation).
    # They are plain synchronous calls between browser steps: allow them, for as long as
    # Playwright runs and no longer (module scope keeps it away from the other tests).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def network_log():
    """Every request the page made (Playwright `Request` objects), in order."""
    return []


@pytest.fixture
def js_errors():
    """Uncaught JavaScript errors of the page: a broken script or asset shows up here."""
    return []


@pytest.fixture
def csp_violations():
    """What the browser refused under the page's Content-Security-Policy (chromium logs each one)."""
    return []


def record_csp_violation(message, violations):
    if "Content Security Policy" in message.text:
        violations.append(message.text)


@pytest.fixture
def page(chromium, live_server, network_log, js_errors, csp_violations):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.on("request", lambda request: network_log.append(request))  # a bound builtin confuses Playwright
    # Recorded above, then refused: a request to another host fails fast instead of hanging.
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    page.on("console", lambda message: record_csp_violation(message, csp_violations))
    yield page
    context.close()


def external_requests(requests):
    """URLs the page sent to another host.

    data: and blob: URLs never leave the browser, nor does a request that the page's own
    Content-Security-Policy blocked (Playwright still reports it, with the failure "csp").
    """
    return [
        request.url
        for request in requests
        if urlsplit(request.url).scheme not in ("data", "blob")
        and urlsplit(request.url).hostname not in LOCAL_HOSTS
        and request.failure != "csp"
    ]


def screenshot(page, name, *, full_page=True):
    """`artifacts/e2e/<name>.png`; ReDoc's page is too tall for a whole-page shot, it takes the viewport."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)


@dataclass
class Farm:
    tenant: Tenant
    member: object
    product: Product
    spool: Spool


@pytest.fixture
def farm(transactional_db):
    """A tenant with a member who can log in, one product and one full spool, made through the services."""
    tenant, _ = create_tenant(slug="acme", name="Acme Prints", run_prefix="ACME", timezone="Europe/Berlin")
    member = add_member(tenant=tenant, username="maker", role="member", password=PASSWORD)[0].user
    material = Material.objects.create(
        tenant=tenant,
        name="Prusament PLA",
        vendor=Vendor.objects.create(tenant=tenant, name="Prusa Polymers"),
        kind="PLA",
        color_name="Lipstick Red",
        color_hex="#C4112F",
    )
    spool = create_spool(
        tenant=tenant,
        user=member,
        draft=SpoolDraft(code="PLA-RED-001", material=material, initial_weight_g=Decimal("1000.00")),
    )
    product = Product.objects.create(
        tenant=tenant, sku="AXO-01", name="Axolotl", unit_weight_g=Decimal("18.50"), material_kind="PLA"
    )
    return Farm(tenant, member, product, spool)
