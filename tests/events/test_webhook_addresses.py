"""Webhook URLs: IPv6 forms that embed an IPv4 address are judged by that address too, when a webhook
is saved and again at each delivery; a port outside 1-65535 is a 400, not a 500."""

import pytest

from events import webhooks
from events.models import Event, Webhook, WebhookDelivery
from events.services import WebhookDraft, create_webhook

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/webhooks/"

# 127.0.0.1 (or another private IPv4) inside each IPv6 form that can lead to it.
EMBEDDING_A_PRIVATE_IPV4 = {
    "NAT64 well-known prefix": "64:ff9b::7f00:1",
    "NAT64 to the metadata service": "64:ff9b::a9fe:a9fe",
    "NAT64 local-use prefix": "64:ff9b:1::808:808",
    "6to4": "2002:7f00:1::",
    "6to4 of 10.0.0.1": "2002:a00:1::1",
    "Teredo, client 127.0.0.1": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "IPv4-mapped": "::ffff:127.0.0.1",
    "IPv4-compatible": "::127.0.0.1",
    "IPv4-translated": "::ffff:0:7f00:1",
}
# The same forms around a public address (8.8.8.8) are public.
EMBEDDING_A_PUBLIC_IPV4 = {
    "NAT64 well-known prefix": "64:ff9b::808:808",
    "6to4": "2002:808:808::1",
    "IPv4-mapped": "::ffff:8.8.8.8",
}


def create(client, url):
    return client.post(HOOKS, {"url": url, "event_types": ["*"]}, format="json")


@pytest.mark.parametrize("address", EMBEDDING_A_PRIVATE_IPV4.values(), ids=EMBEDDING_A_PRIVATE_IPV4)
def test_an_ipv6_address_embedding_a_private_ipv4_is_not_public(address):
    assert not webhooks.is_public(address)


@pytest.mark.parametrize("address", EMBEDDING_A_PUBLIC_IPV4.values(), ids=EMBEDDING_A_PUBLIC_IPV4)
def test_an_ipv6_address_embedding_a_public_ipv4_is_public(address):
    assert webhooks.is_public(address)


@pytest.mark.parametrize("address", EMBEDDING_A_PRIVATE_IPV4.values(), ids=EMBEDDING_A_PRIVATE_IPV4)
def test_a_url_embedding_a_private_ipv4_is_refused_when_saved(owner_api, address):
    response = create(owner_api, f"http://[{address}]/hook")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "private_webhook_url"
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("address", EMBEDDING_A_PUBLIC_IPV4.values(), ids=EMBEDDING_A_PUBLIC_IPV4)
def test_a_url_embedding_a_public_ipv4_is_accepted(owner_api, address):
    assert create(owner_api, f"https://[{address}]/hook").status_code == 201


@pytest.mark.parametrize("address", EMBEDDING_A_PRIVATE_IPV4.values(), ids=EMBEDDING_A_PRIVATE_IPV4)
def test_a_delivery_to_a_url_embedding_a_private_ipv4_is_not_sent(
    tenant, make_spool, make_webhook, address, monkeypatch
):
    """A URL saved before this check (or written by staff): the attempt refuses it and connects nowhere."""
    make_spool(tenant)  # an event to deliver
    monkeypatch.setattr("socket.create_connection", lambda *args, **kwargs: pytest.fail("connected"))
    hook = make_webhook(tenant, url=f"http://[{address}]/hook")
    delivery = WebhookDelivery.objects.create(
        tenant=tenant, webhook=hook, event=Event.objects.filter(tenant=tenant).first()
    )

    webhooks.attempt(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert delivery.last_error.startswith("private_webhook_url")


@pytest.mark.parametrize("port", ["99999", "65536", "0"])
def test_a_port_outside_the_tcp_range_is_a_400_naming_the_url(owner_api, port):
    response = create(owner_api, f"https://93.184.215.14:{port}/hook")

    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Webhook.objects.exists()


def test_the_service_refuses_a_port_outside_the_tcp_range(tenant):
    with pytest.raises(webhooks.InvalidInput, match="port"):
        create_webhook(
            tenant=tenant, user=None, draft=WebhookDraft(url="https://93.184.215.14:99999/hook", event_types=["*"])
        )
