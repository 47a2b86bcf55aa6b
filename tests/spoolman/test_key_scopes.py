"""Key scopes: a `printer` key reads and reports; a `manage` key acts as its creator, with the creator's role now.

The `endpoint` decorator's `manage` marks which writes need a manage key (and which role of its
creator); a refusal is Spoolman's 403 `{"message": ...}` and writes nothing.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError, ErrorCode, InvalidInput
from events.models import Event
from inventory.models import InventoryTransaction, TransactionType
from spoolman import consumers, services
from spoolman.api import endpoint
from spoolman.models import IntegrationKey, KeyScope
from tenants.models import Membership, Role
from tests.support import spoolman_endpoints as endpoints
from tests.support.clients import SpoolmanClient
from tests.support.webhooks import poll, wait_until_the_feed_serves_everything

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.spoolman_endpoints")]


@pytest.fixture
def make_manage_key(tenant, make_member):
    """A manage key (no printer) created by a new user of `role`; returns (issued, user)."""

    def make(role="admin", *, username=None, printer=None):
        creator = make_member(tenant, "admin", username or f"{role}-creator")
        issued = services.create_key(
            tenant=tenant,
            user=creator,
            draft=services.KeyDraft(scope=KeyScope.MANAGE, printer=printer, name="spoolman-ui"),
        )
        Membership.objects.filter(tenant=tenant, user=creator).update(role=role)  # its role from now on
        return issued, creator

    return make


def set_role(tenant, user, role):
    Membership.objects.filter(tenant=tenant, user=user).update(role=role)


# --- issuing ----------------------------------------------------------------------------------


def test_an_admin_s_manage_key_needs_no_printer_and_authenticates_with_its_creator_s_role(make_manage_key, tenant):
    issued, creator = make_manage_key("admin")

    key = services.authenticate(issued.secret)

    assert (key.pk, key.scope, key.printer, key.tenant, key.created_by) == (
        issued.key.pk,
        KeyScope.MANAGE,
        None,
        tenant,
        creator,
    )
    assert key.role == Role.ADMIN


def test_existing_and_default_keys_are_printer_keys_with_no_member_role(issued, printer):
    key = services.authenticate(issued.secret)

    assert (key.scope, key.printer, key.role) == (KeyScope.PRINTER, printer, None)


def test_a_printer_key_needs_its_printer(tenant, make_member):
    with pytest.raises(InvalidInput):
        services.create_key(tenant=tenant, user=make_member(tenant, "admin"), draft=services.KeyDraft())

    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        IntegrationKey.objects.create(tenant=tenant, scope=KeyScope.PRINTER, printer=None, prefix="p", digest="d")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_may_not_issue_manage_keys(tenant, make_member, role):
    with pytest.raises(DomainError) as refused:
        services.create_key(
            tenant=tenant, user=make_member(tenant, role), draft=services.KeyDraft(scope=KeyScope.MANAGE)
        )

    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert not IntegrationKey.objects.exists()


def test_an_admin_of_another_tenant_may_not_issue_a_manage_key_here(tenant, other_tenant, make_member):
    with pytest.raises(DomainError):
        services.create_key(
            tenant=tenant, user=make_member(other_tenant, "admin"), draft=services.KeyDraft(scope=KeyScope.MANAGE)
        )


def test_authentication_is_one_statement_with_the_creator_s_role(make_manage_key):
    issued, _ = make_manage_key("member")

    with CaptureQueriesContext(connection) as queries:
        key = services.authenticate(issued.secret)
        assert (key.role, key.tenant.slug, key.created_by.username) == (Role.MEMBER, "acme", "member-creator")

    assert len(queries.captured_queries) == 1


# --- writes of a manage key: its creator's current role ----------------------------------------


def test_a_member_s_manage_key_reports_use_as_its_creator_without_a_printer(make_manage_key, spool):
    issued, creator = make_manage_key("member")

    response = SpoolmanClient(issued.secret).put(f"spool/{spool.number}/use", {"use_weight": 10})

    assert response.status_code == 200, response.content
    (row,) = InventoryTransaction.objects.filter(spool=spool, type=TransactionType.PRINTER_USE)
    assert (row.user, row.printer_id, row.weight_change_g) == (creator, None, Decimal("-10.00"))
    assert issued.key.prefix in row.description
    (event,) = Event.objects.filter(resource_id=spool.pk, type="spool.adjusted")
    assert (event.actor, event.actor_label) == (creator, creator.username)


def test_a_manage_key_with_a_printer_is_attributed_to_that_printer(make_manage_key, spool, printer):
    issued, _ = make_manage_key("member", printer=printer)

    SpoolmanClient(issued.secret).put(f"spool/{spool.number}/use", {"use_weight": 10})

    (row,) = InventoryTransaction.objects.filter(spool=spool, type=TransactionType.PRINTER_USE)
    assert row.printer_id == printer.pk and printer.name in row.description


def test_a_viewer_s_manage_key_reads_but_may_not_write(make_manage_key, spool):
    issued, _ = make_manage_key("viewer")
    client = SpoolmanClient(issued.secret)

    assert client.get(f"spool/{spool.number}").status_code == 200
    used = client.put(f"spool/{spool.number}/use", {"use_weight": 10})
    weighed = client.put(f"spool/{spool.number}/measure", {"weight": 900})

    for refused in (used, weighed):
        assert refused.status_code == 403
        assert set(refused.json()) == {"message"} and "viewer" in refused.json()["message"]
    assert not InventoryTransaction.objects.filter(spool=spool).exclude(type=TransactionType.PURCHASE).exists()


def test_a_role_change_applies_to_the_very_next_request(make_manage_key, tenant, spool):
    issued, creator = make_manage_key("member")
    client = SpoolmanClient(issued.secret)
    assert client.put(f"spool/{spool.number}/use", {"use_weight": 1}).status_code == 200

    set_role(tenant, creator, Role.VIEWER)
    assert client.put(f"spool/{spool.number}/use", {"use_weight": 1}).status_code == 403

    set_role(tenant, creator, Role.OWNER)
    assert client.put(f"spool/{spool.number}/use", {"use_weight": 1}).status_code == 200


def test_a_creator_who_left_the_tenant_leaves_the_key_unknown_at_the_next_request(make_manage_key, tenant, spool):
    issued, creator = make_manage_key("admin")
    client = SpoolmanClient(issued.secret)
    assert client.get("spool").status_code == 200

    Membership.objects.filter(tenant=tenant, user=creator).delete()

    refused = client.get("spool")
    assert refused.status_code == 401 and refused.json() == {"message": "Unknown or revoked integration key."}


def test_a_deactivated_creator_s_key_authenticates_nothing(make_manage_key):
    issued, creator = make_manage_key("admin")
    creator.is_active = False
    creator.save(update_fields=["is_active"])

    assert SpoolmanClient(issued.secret).get("spool").status_code == 401


def test_a_printer_key_does_not_depend_on_its_creator_s_membership(issued, tenant, member):
    Membership.objects.filter(tenant=tenant, user=member).delete()

    assert SpoolmanClient(issued.secret).get("spool").status_code == 200


def test_a_revoked_manage_key_is_refused_at_the_next_request(make_manage_key):
    issued, _ = make_manage_key("owner")
    client = SpoolmanClient(issued.secret)
    assert client.get("spool").status_code == 200

    services.revoke_key(key=issued.key)

    assert client.get("spool").status_code == 401


# --- the decorator's `manage` -----------------------------------------------------------------


def call(view, secret, method):
    return SpoolmanClient(secret).client.generic(
        method, f"/spoolman/{secret}/api/v1/test-{view}", "{}", content_type="application/json"
    )


@pytest.fixture(autouse=True)
def no_calls():
    endpoints.calls.clear()


def test_every_key_reads_an_endpoint_whose_writes_need_a_manage_key(issued, make_manage_key):
    viewer, _ = make_manage_key("viewer")

    for secret in (issued.secret, viewer.secret):
        assert call("catalogue", secret, "GET").status_code == 200


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_printer_key_s_write_on_a_manage_endpoint_is_a_403_message_and_runs_nothing(issued, method):
    refused = call("catalogue", issued.secret, method)

    assert refused.status_code == 403
    assert list(refused.json()) == ["message"] and "manage key" in refused.json()["message"]
    assert endpoints.calls == []


@pytest.mark.parametrize(
    ("role", "post", "delete"),
    [("viewer", 403, 403), ("member", 200, 403), ("admin", 200, 200), ("owner", 200, 200)],
)
def test_a_manage_key_writes_what_its_creator_s_role_may(make_manage_key, role, post, delete):
    issued, _ = make_manage_key(role)

    assert call("catalogue", issued.secret, "POST").status_code == post
    answered = call("catalogue", issued.secret, "DELETE")
    assert answered.status_code == delete
    if delete == 403:
        assert "admin" in answered.json()["message"]
    else:
        assert answered.json() == {"method": "DELETE", "role": role}


def test_a_read_named_in_manage_is_closed_to_printer_keys_and_lesser_roles(issued, make_manage_key):
    viewer, _ = make_manage_key("viewer", username="v")
    member, _ = make_manage_key("member", username="m")

    assert call("closed-read", issued.secret, "GET").status_code == 403
    assert call("closed-read", viewer.secret, "GET").status_code == 403
    assert call("closed-read", member.secret, "GET").status_code == 200
    assert call("closed-read", issued.secret, "POST").status_code == 403  # the other writes: a manage key's


def test_a_role_named_in_manage_holds_for_every_write(issued, make_manage_key):
    member, _ = make_manage_key("member")
    admin, _ = make_manage_key("admin")

    assert [call("admins-only", secret, "POST").status_code for secret in (issued.secret, member.secret)] == [403, 403]
    assert call("admins-only", admin.secret, "POST").status_code == 200


def test_a_view_may_ask_for_a_higher_role_for_part_of_a_body(make_manage_key):
    member, _ = make_manage_key("member")
    owner, _ = make_manage_key("owner")

    def patch(secret, body):
        return SpoolmanClient(secret).client.patch(
            f"/spoolman/{secret}/api/v1/test-weight", body, content_type="application/json"
        )

    assert patch(member.secret, {"comment": "x"}).status_code == 200
    refused = patch(member.secret, {"weight": 1})
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    assert patch(owner.secret, {"weight": 1}).status_code == 200
    assert endpoints.calls == ["PATCH", "PATCH"]


def test_an_unknown_role_in_manage_fails_where_the_endpoint_is_declared():
    with pytest.raises(ValueError):
        endpoint("POST", write=True, manage="superuser")


# --- websockets -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the feed serves committed changes only
def test_a_manage_key_s_websocket_is_served_until_its_creator_leaves(make_manage_key, tenant, spool):
    issued, creator = make_manage_key("member")
    key = services.authenticate(issued.secret)  # what the consumer's connect does
    wait_until_the_feed_serves_everything(tenant)  # the setup's events are not changes to serve
    cursor = consumers.latest_event_id(tenant)
    SpoolmanClient(issued.secret).put(f"spool/{spool.number}/use", {"use_weight": 10})

    # (PostgreSQL's feed holds a change back while an older transaction of the cluster runs.)
    served, messages, cursor = poll(lambda: consumers.poll_for(key, cursor), lambda result: result[1])
    assert served and [message["payload"]["id"] for message in messages] == [spool.number]

    Membership.objects.filter(tenant=tenant, user=creator).delete()
    served, messages, _ = consumers.poll_for(key, cursor)
    assert (served, messages) == (False, [])
