"""The admin site is for staff (issue 21.6): its login page says so and links a tenant's own pages, a tenant
admin's right password there is no failed login, and the dashboard gives tenant admins a navigation of their own."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import PASSWORD
from tests.support.clients import browser_for

pytestmark = pytest.mark.django_db
LIMIT = 3


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def tenant_admin(tenant, make_member):
    return make_member(tenant, "admin", "boss")


def test_the_admin_login_page_says_it_is_for_staff_and_links_the_tenants_pages(client):
    html = client.get("/admin/login/").content.decode()

    assert "This sign-in is for the operator's staff." in html
    assert 'href="/api-auth/login/?next=/api/v1/"' in html
    assert 'href="/admin/dashboard/"' in html


def test_a_tenant_admins_right_password_is_told_where_to_go_and_counts_no_failure(tenant_admin):
    client = Client()

    responses = [client.post("/admin/login/", {"username": "boss", "password": PASSWORD}) for _ in range(LIMIT + 2)]

    assert {response.status_code for response in responses} == {200}
    assert "the admin site is for the operator&#x27;s staff only" in responses[-1].content.decode()
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.filter(username="boss").exists()
    # Not locked out: the tenant's own login still lets them in.
    assert client.post("/api-auth/login/", {"username": "boss", "password": PASSWORD}).status_code == 302


def test_a_wrong_password_on_the_admin_still_counts(tenant_admin):
    Client().post("/admin/login/", {"username": "boss", "password": "wrong"})

    assert AccessAttempt.objects.get(username="boss").failures_since_start == 1


def test_staff_still_log_in_to_the_admin(tenant_admin):
    get_user_model().objects.filter(pk=tenant_admin.pk).update(is_staff=True)
    client = Client()

    assert client.post("/admin/login/", {"username": "boss", "password": PASSWORD}).status_code == 302


def test_the_dashboard_gives_a_tenant_admin_their_own_navigation(tenant_admin):
    html = browser_for(tenant_admin).get("/admin/dashboard/").content.decode()

    nav = html[html.index('id="tenant-nav"') : html.index("</nav>", html.index('id="tenant-nav"'))]
    assert 'href="/api/v1/?tenant=acme"' in nav
    assert 'href="/api/v1/reports/?tenant=acme"' in nav
    assert 'href="/api/v1/production-runs/?tenant=acme"' in nav
    assert 'href="/admin/"' not in html  # no "Home" back to the staff admin


def test_staff_keep_the_admins_breadcrumbs_on_the_dashboard(tenant):
    staff = get_user_model().objects.create_user("root", password="x", is_staff=True, is_superuser=True)

    html = browser_for(staff).get("/admin/dashboard/").content.decode()

    assert 'id="tenant-nav"' not in html
    assert 'href="/admin/">Home</a>' in html
