"""The browsable API by hand: switching tenant in a browser session, and a form for every action's body."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from knox.models import AuthToken

from tests.conftest import client_for
from tests.support.clients import browser_for, post_form

TENANT_URL = "/api/v1/tenant/"
HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def multi_user(tenant, other_tenant, make_member):
    """A member of `tenant` (acme) and an owner of `other_tenant` (globex)."""
    user = make_member(tenant, "member", "multi")
    other_tenant.memberships.create(user=user, role="owner")
    return user


@pytest.fixture
def browser(multi_user):
    """A logged-in browser session of the user of two tenants."""
    return browser_for(multi_user)


def active_slug(response):
    assert response.status_code == 200, response.content
    return response.json()["slug"]


# --- the tenant a browser session acts for ------------------------------------------------


def test_browser_without_a_choice_gets_tenant_required(browser):
    response = browser.get(TENANT_URL)

    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"


def test_query_param_choice_is_kept_for_the_next_pages_of_the_session(browser):
    assert active_slug(browser.get(TENANT_URL, {"tenant": "globex"})) == "globex"

    assert active_slug(browser.get(TENANT_URL)) == "globex"
    assert browser.get("/api/v1/printers/").status_code == 200


def test_a_new_query_param_choice_replaces_the_kept_one(browser):
    browser.get(TENANT_URL, {"tenant": "globex"})

    assert active_slug(browser.get(TENANT_URL, {"tenant": "acme"})) == "acme"
    assert active_slug(browser.get(TENANT_URL)) == "acme"


def test_header_wins_over_the_kept_choice_and_is_not_kept(browser):
    browser.get(TENANT_URL, {"tenant": "globex"})

    assert active_slug(browser.get(TENANT_URL, HTTP_X_TENANT="acme")) == "acme"
    assert active_slug(browser.get(TENANT_URL)) == "globex"


def test_a_forbidden_choice_is_refused_and_not_kept(browser):
    browser.get(TENANT_URL, {"tenant": "globex"})

    assert browser.get(TENANT_URL, {"tenant": "no-such-tenant"}).status_code == 403
    assert active_slug(browser.get(TENANT_URL)) == "globex"


def test_a_kept_tenant_the_user_has_left_is_ignored(browser, multi_user, other_tenant):
    browser.get(TENANT_URL, {"tenant": "globex"})
    other_tenant.memberships.filter(user=multi_user).delete()

    # Back to the rules without a choice: the only membership left.
    assert active_slug(browser.get(TENANT_URL)) == "acme"


def test_token_requests_neither_keep_nor_use_the_browser_choice(browser, multi_user):
    _, token = AuthToken.objects.create(user=multi_user)
    browser.get(TENANT_URL, {"tenant": "globex"})

    # The same browser sending a token: the token, not the session, authenticates it.
    with_token = browser.get(TENANT_URL, HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.status_code == 400
    assert with_token.json()["code"] == "tenant_required"

    browser.get(TENANT_URL, {"tenant": "acme"}, HTTP_AUTHORIZATION=f"Token {token}")
    assert active_slug(browser.get(TENANT_URL)) == "globex"


# --- what the pages show ------------------------------------------------------------------


def tenant_bar(response):
    """The tenant bar of a browsable page (empty when the page has none)."""
    html = response.content.decode()
    start = html.find('id="tenant-switch"')
    return "" if start == -1 else html[start : html.index("</div>", start)]


def test_page_names_the_active_tenant_and_links_to_the_others_in_place(browser):
    bar = tenant_bar(browser.get("/api/v1/printers/", {"tenant": "acme"}, **HTML))

    assert 'id="active-tenant" data-slug="acme"' in bar
    assert 'href="/api/v1/printers/?tenant=globex"' in bar
    assert "?tenant=acme" not in bar


def test_page_without_a_choice_offers_every_tenant(browser):
    response = browser.get("/api/v1/printers/", **HTML)
    bar = tenant_bar(response)

    assert response.status_code == 400
    assert "tenant_required" in response.content.decode()
    assert 'id="active-tenant"' not in bar
    assert 'href="/api/v1/printers/?tenant=acme"' in bar
    assert 'href="/api/v1/printers/?tenant=globex"' in bar


def test_api_root_switches_through_the_tenant_page_and_shows_the_kept_choice(browser):
    browser.get(TENANT_URL, {"tenant": "globex"})

    bar = tenant_bar(browser.get("/api/v1/", **HTML))

    assert 'id="active-tenant" data-slug="globex"' in bar
    assert 'href="/api/v1/tenant/?tenant=acme"' in bar


def test_user_of_one_tenant_sees_it_without_switch_links(tenant, member):
    client = browser_for(member)

    bar = tenant_bar(client.get("/api/v1/printers/", **HTML))

    assert 'id="active-tenant" data-slug="acme"' in bar
    assert "tenant-choice" not in bar


# --- forms for the actions' bodies --------------------------------------------------------


def test_complete_action_offers_a_form_for_its_own_body(member_browser, tenant, make_run):
    run = make_run(tenant)

    form = post_form(member_browser.get(f"/api/v1/production-runs/{run.pk}/complete/", **HTML))

    assert 'name="completed_at"' in form
    assert 'name="use_estimates"' in form
    assert 'name="slicer_software"' not in form


def test_fail_action_offers_a_form_with_the_failure_reasons(member_browser, tenant, make_run):
    run = make_run(tenant)

    form = post_form(member_browser.get(f"/api/v1/production-runs/{run.pk}/fail/", **HTML))

    assert 'name="failure_reason"' in form
    assert 'value="spaghetti"' in form
    assert 'name="slicer_software"' not in form


@pytest.mark.parametrize("action", ["cancel", "reopen"])
def test_bodyless_actions_offer_a_bare_post_button(manager_browser, tenant, make_run, action):
    run = make_run(tenant)

    form = post_form(manager_browser.get(f"/api/v1/production-runs/{run.pk}/{action}/", **HTML))

    assert form is not None
    assert 'name="' not in form.replace('name="csrfmiddlewaretoken"', "")


def test_reopen_offers_no_form_to_a_member(member_browser, tenant, make_run):
    run = make_run(tenant)

    assert post_form(member_browser.get(f"/api/v1/production-runs/{run.pk}/reopen/", **HTML)) is None


def test_adjust_action_offers_a_form_for_the_adjustment(manager_browser, tenant, make_spool):
    spool = make_spool(tenant)

    form = post_form(manager_browser.get(f"/api/v1/spools/{spool.pk}/adjust/", **HTML))

    assert 'name="type"' in form
    assert 'name="new_weight_g"' in form
    assert 'name="delta_g"' in form
    assert 'name="code"' not in form


def test_run_item_form_offers_only_the_tenants_products(member_browser, tenant, other_tenant, make_run, make_product):
    run = make_run(tenant)
    own, foreign = make_product(tenant), make_product(other_tenant)

    form = post_form(member_browser.get(f"/api/v1/production-runs/{run.pk}/items/", **HTML))

    assert f'value="{own.pk}"' in form
    assert f'value="{foreign.pk}"' not in form


def test_run_material_form_offers_only_the_tenants_spools(member_browser, tenant, other_tenant, make_run, make_spool):
    run = make_run(tenant)
    own, foreign = make_spool(tenant), make_spool(other_tenant)

    form = post_form(member_browser.get(f"/api/v1/production-runs/{run.pk}/materials/", **HTML))

    assert f'value="{own.pk}"' in form
    assert f'value="{foreign.pk}"' not in form


def prefilled_raw_body(response):
    """The JSON body the browsable API pre-fills in its "Raw data" POST form."""
    match = re.search(r'<textarea[^>]*name="_content"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    return json.loads(unescape(match.group(1)))


def test_complete_accepts_its_prefilled_raw_body(member_browser, tenant, make_run):
    url = f"/api/v1/production-runs/{make_run(tenant).pk}/complete/"
    body = prefilled_raw_body(member_browser.get(url, **HTML))
    assert body["completed_at"] is None

    body["use_estimates"] = True
    response = member_browser.post(url, json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"


def test_fail_accepts_its_prefilled_raw_body_once_a_reason_is_chosen(member_browser, tenant, make_run):
    url = f"/api/v1/production-runs/{make_run(tenant).pk}/fail/"
    body = prefilled_raw_body(member_browser.get(url, **HTML))

    body["failure_reason"] = "warping"
    response = member_browser.post(url, json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["failure_reason"] == "warping"


@pytest.mark.parametrize(
    ("field", "value", "weight"), [("new_weight_g", "900.00", "900.00"), ("delta_g", "-25.50", "974.50")]
)
def test_adjust_accepts_its_prefilled_raw_body_with_one_of_the_weights(
    manager_browser, tenant, make_spool, field, value, weight
):
    spool = make_spool(tenant)
    url = f"/api/v1/spools/{spool.pk}/adjust/"
    body = prefilled_raw_body(manager_browser.get(url, **HTML))
    assert body["new_weight_g"] is None and body["delta_g"] is None

    body.update({"type": "count", field: value})
    response = manager_browser.post(url, json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal(weight)


def test_adjust_still_refuses_both_weights_or_neither(manager_browser, tenant, make_spool):
    url = f"/api/v1/spools/{make_spool(tenant).pk}/adjust/"

    neither = manager_browser.post(url, {"type": "count", "new_weight_g": None}, content_type="application/json")
    both = manager_browser.post(
        url, {"type": "count", "new_weight_g": "900", "delta_g": "-5"}, content_type="application/json"
    )

    assert neither.status_code == both.status_code == 400


def test_create_forms_start_from_the_model_defaults(member_browser):
    """An untouched checkbox would make an inactive spool, which no run can use."""
    spool_form = post_form(member_browser.get("/api/v1/spools/", **HTML))
    material_body = prefilled_raw_body(member_browser.get("/api/v1/materials/", **HTML))

    assert '<input type="checkbox" name="is_active" value="true" checked>' in spool_form
    assert Decimal(str(material_body["diameter_mm"])) == Decimal("1.75")


def test_token_clients_still_get_json(tenant, member):
    response = client_for(member, tenant).get("/api/v1/printers/")

    assert response["Content-Type"] == "application/json"
