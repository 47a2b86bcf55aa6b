"""Webhook deliveries through the real worker (`db_worker`) to a local receiver: every change once per
delivery id, signed; retried after a 500; given up 24 h after the event (the clock moved, not slept)."""

import datetime

import pytest
from django_tasks_db.models import DBTaskResult

from events import webhooks
from events.models import DeliveryStatus, Event, WebhookDelivery
from tests.support.webhooks import Receiver, make_scheduled_tasks_due, poll, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver listens on 127.0.0.1


def add_webhook(client, receiver, event_types=("*",)):
    response = client.post("/api/v1/webhooks/", {"url": receiver.url, "event_types": list(event_types)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def deliver_all(expected):
    """Run the worker until `expected` deliveries are no longer pending (or a minute passed)."""

    def settled():
        run_worker()
        return WebhookDelivery.objects.exclude(status=DeliveryStatus.PENDING).count()

    return poll(settled, lambda done: done >= expected)


def change_things(client, manager_client, tenant, make_material):
    material = make_material(tenant)
    spool = client.post(
        "/api/v1/spools/", {"code": "SP-1", "material": str(material.pk), "initial_weight_g": "100"}, format="json"
    ).json()
    manager_client.post(f"/api/v1/spools/{spool['id']}/adjust/", {"type": "count", "new_weight_g": "10"})
    client.patch(f"/api/v1/spools/{spool['id']}/", {"location": "Rack B"}, format="json")
    return spool


def test_every_change_reaches_the_receiver_once_signed(api, owner_api, tenant, make_material, allow_loopback):
    with Receiver() as receiver:
        hook = add_webhook(owner_api, receiver)
        change_things(api, owner_api, tenant, make_material)
        expected = list(Event.objects.filter(tenant=tenant).order_by("xact_id", "id"))

        deliver_all(len(expected))

    assert [r.event["id"] for r in receiver.received] == [event.pk for event in expected]
    assert [r.event["type"] for r in receiver.received] == [
        "spool.created",
        "spool.adjusted",
        "spool.low_stock",
        "spool.updated",
    ]
    assert all(r.signed_with(hook["secret"]) for r in receiver.received)
    assert all(r.headers["X-Printfarm-Event"] == r.event["type"] for r in receiver.received)
    delivery_ids = [r.headers["X-Printfarm-Delivery"] for r in receiver.received]
    assert len(set(delivery_ids)) == len(delivery_ids)
    assert set(delivery_ids) == {str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)}
    feed = owner_api.get("/api/v1/events/").json()["results"]
    assert [r.event for r in receiver.received] == feed  # the body is the feed's event
    log = owner_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert {(entry["status"], entry["attempts"], entry["response_status"]) for entry in log} == {("delivered", 1, 200)}


def test_a_forged_signature_does_not_verify(api, owner_api, tenant, make_material, allow_loopback):
    with Receiver() as receiver:
        add_webhook(owner_api, receiver)
        change_things(api, owner_api, tenant, make_material)
        deliver_all(4)

    assert not receiver.received[0].signed_with("whsec_someone-else")


def test_a_webhook_gets_only_its_event_types(api, owner_api, tenant, make_material, allow_loopback):
    with Receiver() as receiver:
        add_webhook(owner_api, receiver, event_types=["spool.low_stock", "spool.empty"])
        change_things(api, owner_api, tenant, make_material)
        deliver_all(1)

    assert [r.event["type"] for r in receiver.received] == ["spool.low_stock"]


def test_changes_before_the_webhook_existed_are_not_delivered(api, owner_api, tenant, make_material, allow_loopback):
    make_material(tenant)
    api.post("/api/v1/materials/", {"name": "Old", "kind": "PLA"}, format="json")
    with Receiver() as receiver:
        add_webhook(owner_api, receiver)
        new = api.post("/api/v1/materials/", {"name": "New", "kind": "PLA"}, format="json").json()
        deliver_all(1)

    assert [r.event["payload"]["id"] for r in receiver.received] == [new["id"]]


def test_a_500_is_retried_with_the_same_delivery_id(api, owner_api, tenant, allow_loopback):
    with Receiver(statuses=[500, 200]) as receiver:
        hook = add_webhook(owner_api, receiver)
        api.post("/api/v1/materials/", {"name": "PLA", "kind": "PLA"}, format="json")
        poll(lambda: (run_worker(), receiver.received)[1], lambda received: received)

        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
        assert delivery.next_attempt_at - delivery.last_attempt_at == datetime.timedelta(seconds=30)
        run_worker()  # the retry waits for its time
        assert len(receiver.received) == 1

        make_scheduled_tasks_due()
        run_worker()

    first, second = receiver.received
    assert first.headers["X-Printfarm-Delivery"] == second.headers["X-Printfarm-Delivery"] == str(delivery.pk)
    assert first.body == second.body
    assert first.signed_with(hook["secret"]) and second.signed_with(hook["secret"])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)


def test_backoff_doubles_up_to_an_hour():
    assert [webhooks.backoff(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_a_delivery_is_given_up_24_hours_after_its_event(api, owner_api, tenant, allow_loopback, monkeypatch):
    with Receiver(statuses=[500]) as receiver:
        add_webhook(owner_api, receiver)
        api.post("/api/v1/materials/", {"name": "PLA", "kind": "PLA"}, format="json")
        poll(lambda: (run_worker(), receiver.received)[1], lambda received: received)
        delivery = WebhookDelivery.objects.get()

        # 23 h 59 min after the event, the next retry (60 s after this second attempt) would pass 24 h: given up.
        monkeypatch.setattr(webhooks, "now", lambda: delivery.created_at + datetime.timedelta(hours=23, minutes=59))
        make_scheduled_tasks_due()
        run_worker()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("failed", 2)

    assert len(receiver.received) == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing left to retry


def test_a_delivery_within_24_hours_keeps_being_retried(api, owner_api, tenant, allow_loopback, monkeypatch):
    with Receiver(statuses=[500]) as receiver:
        add_webhook(owner_api, receiver)
        api.post("/api/v1/materials/", {"name": "PLA", "kind": "PLA"}, format="json")
        poll(lambda: (run_worker(), receiver.received)[1], lambda received: received)
        delivery = WebhookDelivery.objects.get()

        monkeypatch.setattr(webhooks, "now", lambda: delivery.created_at + datetime.timedelta(hours=20))
        make_scheduled_tasks_due()
        run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.next_attempt_at == delivery.created_at + datetime.timedelta(hours=20, seconds=60)


def test_an_address_that_became_private_is_not_called(api, owner_api, tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as receiver:
        add_webhook(owner_api, receiver)
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
        api.post("/api/v1/materials/", {"name": "PLA", "kind": "PLA"}, format="json")
        poll(lambda: (run_worker(), WebhookDelivery.objects.filter(attempts=1).first())[1], bool)

    delivery = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert (delivery.status, delivery.response_status) == ("pending", None)
    assert delivery.last_error.startswith("private_webhook_url")
