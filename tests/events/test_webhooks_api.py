"""The webhooks API: admins and owners only, a secret shown once, no private or loopback URL."""

import pytest

from events.models import Webhook

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.215.14/printfarm"  # a literal public address: nothing to resolve


def create(client, url=PUBLIC_URL, event_types=("*",)):
    return client.post(HOOKS, {"url": url, "event_types": list(event_types)}, format="json")


def test_an_owner_creates_a_webhook_and_sees_its_secret_once(owner_api):
    created = create(owner_api, event_types=["spool.low_stock", "spool.empty"])

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["event_types"] == ["spool.low_stock", "spool.empty"]
    assert Webhook.objects.get(pk=body["id"]).secret == body["secret"]
    shown = owner_api.get(f"{HOOKS}{body['id']}/").json()
    listed = owner_api.get(HOOKS).json()["results"]
    assert "secret" not in shown and all("secret" not in hook for hook in listed)


def test_admins_manage_webhooks_too(manager_api):
    created = create(manager_api)
    url = f"{HOOKS}{created.json()['id']}/"

    changed = manager_api.patch(url, {"is_active": False, "event_types": ["run.completed"]}, format="json")
    deleted = manager_api.delete(url)

    assert (created.status_code, changed.status_code, deleted.status_code) == (201, 200, 204)
    assert changed.json()["is_active"] is False
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("role_api", ["api", "viewer_api"])
def test_members_and_viewers_may_not_see_or_create_webhooks(request, role_api, tenant, make_webhook):
    client = request.getfixturevalue(role_api)
    hook = make_webhook(tenant)

    responses = [
        client.get(HOOKS),
        client.get(f"{HOOKS}{hook.pk}/"),
        client.get(f"{HOOKS}{hook.pk}/deliveries/"),
        create(client),
    ]

    assert [response.status_code for response in responses] == [403] * 4


def test_another_tenants_webhook_is_a_404(owner_api, other_tenant, make_webhook):
    theirs = make_webhook(other_tenant)

    assert owner_api.get(f"{HOOKS}{theirs.pk}/").status_code == 404
    assert owner_api.get(f"{HOOKS}{theirs.pk}/deliveries/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_private_loopback_or_link_local_url_is_refused(owner_api, url):
    response = create(owner_api, url=url)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "private_webhook_url"
    assert not Webhook.objects.exists()


def test_a_host_that_does_not_resolve_is_refused(owner_api):
    response = create(owner_api, url="https://no-such-host.invalid/hook")

    assert response.status_code == 400
    assert response.json()["code"] == "unresolvable_webhook_url"


def test_changing_the_url_to_a_private_one_is_refused(owner_api):
    hook = create(owner_api).json()

    response = owner_api.patch(f"{HOOKS}{hook['id']}/", {"url": "http://127.0.0.1/x"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "private_webhook_url"
    assert Webhook.objects.get(pk=hook["id"]).url == PUBLIC_URL


def test_a_setting_allows_private_urls(owner_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True

    assert create(owner_api, url="http://127.0.0.1:9/hook").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/x", "event_types": ["*"]}, "url"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": ["spool.exploded"]}, "event_types"),
        ({"url": "not a url", "event_types": ["*"]}, "url"),
    ],
)
def test_bad_bodies_are_a_400_naming_the_field(owner_api, body, field):
    response = owner_api.post(HOOKS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
