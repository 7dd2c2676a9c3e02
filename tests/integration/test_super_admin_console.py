"""The super-admin console's API (/super_admin/api/v1): accounts, users, platform apps,
installation-wide bots, the installation's audit log and the instance status. Every
action on an account leaves exactly one entry in that account's audit log (user_type
SuperAdmin); actions on a user one in each of its accounts; a refused action none; an
administrator or agent is refused (403, and the permission matrix walks every route)."""
from __future__ import annotations

import json

import boto3
import pytest

from tests.integration.channel_support import drain, queue_url
from tests.integration.test_password_reset import mailer, reset_tokens, set_password, sign_in  # noqa: F401 (fixture)

SA = "/super_admin/api/v1"
real_engine = pytest.mark.dynamodb_local  # transactions, version and condition checks on a real engine too


def _entries(account_id: int, auditable_type: str | None = None) -> list:
    """An account's entries, newest first (of one type when given: the world's memberships
    are audited too)."""
    from parley.models.audit_log import AuditLog

    return [e for e in AuditLog.query(account_id, scan_index_forward=False)
            if auditable_type is None or e.auditable_type == auditable_type]


def _ok(reply, status: int = 200):
    assert reply.status == status, reply.json
    return reply.json


# ---------------------------------------------------------------- accounts

def test_accounts_list_search_paginate_and_count(api, world):
    t = world.super_admin.token
    for n in range(5):
        _ok(api.post(f"{SA}/accounts", t, body={"name": f"Shop {n}", "domain": f"shop{n}.example"}))
    # Acme's counts: two members, an inbox, a conversation from its widget.
    inbox = _ok(api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                         body={"name": "Site", "channel": {"type": "web_widget"}}))
    from tests.conftest import Widget

    widget = Widget(api, inbox["website_token"])
    assert widget.say(widget.start(), "hello").status == 200

    first = _ok(api.get(f"{SA}/accounts", t, query={"per_page": 3}))
    assert [a["name"] for a in first["payload"]] == ["Shop 4", "Shop 3", "Shop 2"]  # newest first
    rest = _ok(api.get(f"{SA}/accounts", t, query={"per_page": 3, "before": first["meta"]["next_before"]}))
    assert [a["name"] for a in rest["payload"]] == ["Shop 1", "Shop 0", "Globex"]
    last = _ok(api.get(f"{SA}/accounts", t, query={"per_page": 3, "before": rest["meta"]["next_before"]}))
    assert [a["name"] for a in last["payload"]] == ["Acme"] and last["meta"]["next_before"] is None
    assert last["payload"][0]["counts"] == {"members": 2, "inboxes": 1, "conversations": 1}

    assert [a["name"] for a in _ok(api.get(f"{SA}/accounts", t, query={"q": "SHOP 3"}))["payload"]] == ["Shop 3"]
    assert [a["name"] for a in _ok(api.get(f"{SA}/accounts", t, query={"q": "shop1.example"}))["payload"]] == ["Shop 1"]
    assert [a["id"] for a in _ok(api.get(f"{SA}/accounts", t, query={"q": str(world.account_id)}))["payload"]] \
        == [world.account_id]  # a number is an id
    assert _ok(api.get(f"{SA}/accounts", t, query={"q": "999999"}))["payload"] == []
    assert _ok(api.get(f"{SA}/accounts", t, query={"q": "nothing like it"}))["payload"] == []
    for bad in ({"per_page": 0}, {"per_page": 101}, {"before": "x"}, {"q": "x" * 300}):
        assert api.get(f"{SA}/accounts", t, query=bad).status == 422, bad


@real_engine
def test_account_create_edit_suspend_reactivate_audited(api, world):
    t = world.super_admin.token
    created = _ok(api.post(f"{SA}/accounts", t, body={
        "name": "Initech", "locale": "fr", "domain": "initech.example", "support_email": "help@initech.example",
        "limits": {"agents": 5, "inboxes": 2}, "features": ["help_center", "agent_bots"]}))
    a = created["id"]
    assert created["features"] == ["agent_bots", "help_center"] and created["limits"] == {"agents": 5, "inboxes": 2}
    [entry] = _entries(a)
    assert (entry.auditable_type, entry.action, entry.user_type, entry.user_id) == \
        ("Account", "create", "SuperAdmin", world.super_admin.id)

    edited = _ok(api.patch(f"{SA}/accounts/{a}", t, body={"name": "Initrode", "features": ["sla"], "limits": {"agents": 9}}))
    assert (edited["name"], edited["features"], edited["limits"]) == ("Initrode", ["sla"], {"agents": 9})
    update = _entries(a)[0]
    assert update.action == "update" and update.audited_changes["name"] == ["Initech", "Initrode"]
    assert update.audited_changes["features"] == [["agent_bots", "help_center"], ["sla"]]

    assert _ok(api.post(f"{SA}/accounts/{a}/suspend", t))["status"] == "suspended"
    assert _entries(a)[0].audited_changes == {"status": ["active", "suspended"]}
    assert _ok(api.post(f"{SA}/accounts/{a}/suspend", t))["status"] == "suspended"  # again: no change, no entry
    assert _ok(api.post(f"{SA}/accounts/{a}/reactivate", t))["status"] == "active"
    assert [e.action for e in _entries(a)] == ["update", "update", "update", "create"]
    assert _entries(a)[0].audited_changes == {"status": ["suspended", "active"]}

    # Bad input: 422 and nothing changed, nothing audited.
    for bad in ({"name": ""}, {"features": ["no_such_flag"]}, {"limits": {"agents": -1}}, {"limits": {"Bad Key": 1}},
                {"limits": {"agents": "many"}}, {"locale": "not a locale"}, {"status": "deleting"}, {"owner": 1}):
        assert api.patch(f"{SA}/accounts/{a}", t, body=bad).status == 422, bad
    for bad in ({}, {"name": "X", "features": ["nope"]}, {"name": "X", "limits": {"agents": -2}}):
        assert api.post(f"{SA}/accounts", t, body=bad).status == 422, bad
    assert len(_entries(a)) == 4
    assert _ok(api.get(f"{SA}/accounts/{a}", t))["name"] == "Initrode"
    assert api.get(f"{SA}/accounts/999999", t).status == 404
    assert api.post(f"{SA}/accounts/999999/suspend", t).status == 404
    assert "sla" in _ok(api.get(f"{SA}/accounts/features", t))["payload"]


def test_suspension_by_the_console_refuses_the_widget_until_reactivated(api, world, website):
    t = world.super_admin.token
    config = {"website_token": website.website_token}
    assert api.post("/api/v1/widget/config", query=config).status == 200
    _ok(api.post(f"{SA}/accounts/{world.account_id}/suspend", t))
    refused = api.post("/api/v1/widget/config", query=config)
    assert refused.status == 403 and refused.json["error"] == "Account is suspended"
    _ok(api.post(f"{SA}/accounts/{world.account_id}/reactivate", t))
    assert api.post("/api/v1/widget/config", query=config).status == 200


def test_account_members_listed_with_roles(api, world):
    members = _ok(api.get(f"{SA}/accounts/{world.account_id}/account_users", world.super_admin.token))["payload"]
    assert {(m["email"], m["role"]) for m in members} == {("admin@acme.test", "administrator"),
                                                          ("agent@acme.test", "agent")}


def test_account_members_added_changed_removed(api, world):
    t = world.super_admin.token
    path = f"{SA}/accounts/{world.other_account_id}/account_users"
    assert _ok(api.post(path, t, body={"email": "Agent@Acme.test", "role": "administrator"}))["role"] == "administrator"
    assert _ok(api.post(path, t, body={"user_id": world.agent.id, "role": "agent"}))["role"] == "agent"
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/conversations", world.agent.token).status == 200
    for bad in ({"email": "agent@acme.test", "role": "owner"}, {"role": "agent"},
                {"user_id": world.agent.id, "email": "agent@acme.test"}):
        assert api.post(path, t, body=bad).status == 422, bad
    assert api.post(path, t, body={"email": "nobody@nowhere.test"}).status == 404
    _ok(api.delete(f"{path}/{world.agent.id}", t))
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/conversations", world.agent.token).status == 404
    assert api.delete(f"{path}/{world.agent.id}", t).status == 404
    assert api.post(path, world.other_admin.token, body={"user_id": world.agent.id}).status == 403


def test_account_deletion_audited_at_start_concluded_at_end_and_kept(api, world):
    from parley.models.account import Account

    t = world.super_admin.token
    g = world.other_account_id
    deleted = _ok(api.delete(f"{SA}/accounts/{g}", t))
    assert deleted["status"] == "deleting"
    [entry] = _entries(g, "Account")
    assert (entry.action, entry.auditable_type, entry.user_type, entry.comment) == \
        ("destroy", "Account", "SuperAdmin", None)
    assert entry.audited_changes["status"] == ["active", "deleting"]
    # Asked again while under way: the job is re-queued, the deletion is not audited twice.
    _ok(api.delete(f"{SA}/accounts/{g}", t))
    assert len(_entries(g, "Account")) == 1
    while boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url("AccountJobsQueue"),
                                                   AttributeNames=["ApproximateNumberOfMessages"]
                                                   )["Attributes"]["ApproximateNumberOfMessages"] != "0":
        drain("AccountJobsQueue", "account_jobs")
    with pytest.raises(Account.DoesNotExist):
        Account.get(g)
    [kept] = _entries(g, "Account")  # the account's data is gone; its audit log stays until its TTL
    assert (kept.action, kept.comment) == ("destroy", "completed") and kept.expires_at
    assert api.get(f"{SA}/accounts/{g}", t).status == 404


# ---------------------------------------------------------------- users

def test_users_list_search_paginate(api, world):
    t = world.super_admin.token
    for n in range(4):
        _ok(api.post(f"{SA}/users", t, body={"name": f"Zed {n}", "email": f"zed{n}@people.test"}))
    page = _ok(api.get(f"{SA}/users", t, query={"per_page": 2}))
    assert [u["email"] for u in page["payload"]] == ["zed3@people.test", "zed2@people.test"]
    more = _ok(api.get(f"{SA}/users", t, query={"per_page": 2, "before": page["meta"]["next_before"]}))
    assert [u["email"] for u in more["payload"]] == ["zed1@people.test", "zed0@people.test"]
    assert [u["email"] for u in _ok(api.get(f"{SA}/users", t, query={"q": "ZED 2"}))["payload"]] == ["zed2@people.test"]
    assert [u["email"] for u in _ok(api.get(f"{SA}/users", t, query={"q": "acme.test"}))["payload"]] == \
        ["agent@acme.test", "admin@acme.test"]
    assert [u["id"] for u in _ok(api.get(f"{SA}/users", t, query={"q": "agent@acme.test"}))["payload"]] == \
        [world.agent.id]
    assert [u["id"] for u in _ok(api.get(f"{SA}/users", t, query={"q": str(world.admin.id)}))["payload"]] == \
        [world.admin.id]
    assert api.get(f"{SA}/users", t, query={"per_page": 500}).status == 422


@real_engine
def test_user_create_edit_confirm_and_accounts(api, world):
    t = world.super_admin.token
    user = _ok(api.post(f"{SA}/users", t, body={"name": "Nina", "email": "Nina@People.test", "display_name": "N"}))
    assert user["email"] == "nina@people.test" and user["type"] is None
    assert api.post(f"{SA}/users", t, body={"name": "Dup", "email": "nina@people.test"}).status == 409
    for bad in ({"name": "X", "email": "not-an-email"}, {"email": "x@y.test"}, {"name": "X", "email": "x@y.test", "role": 1},
                {"name": "X", "email": "x@y.test", "password": "short"}):
        assert api.post(f"{SA}/users", t, body=bad).status == 422, bad
    # A user of no account: its actions are in the installation's log.
    assert [e["action"] for e in _ok(api.get(f"{SA}/audit_logs", t))["payload"]][0] == "create"

    # The agent (of Acme): an edit is audited in Acme's log, in one entry.
    before = len(_entries(world.account_id))
    edited = _ok(api.patch(f"{SA}/users/{world.agent.id}", t, body={"name": "Aaron A.", "email": "aaron@acme.test"}))
    assert (edited["name"], edited["email"]) == ("Aaron A.", "aaron@acme.test")
    entry = _entries(world.account_id)[0]
    assert (entry.auditable_type, entry.auditable_id, entry.action) == ("User", world.agent.id, "update")
    assert entry.audited_changes["email"] == ["agent@acme.test", "aaron@acme.test"]
    assert len(_entries(world.account_id)) == before + 1
    # The old e-mail is free again, the new one taken.
    assert api.patch(f"{SA}/users/{world.admin.id}", t, body={"email": "aaron@acme.test"}).status == 409
    assert api.patch(f"{SA}/users/{world.admin.id}", t, body={"email": "bad"}).status == 422
    assert len(_entries(world.account_id)) == before + 1

    from parley.models.user import User
    User.get(world.agent.id).update(actions=[User.confirmed.set(False)])
    assert _ok(api.post(f"{SA}/users/{world.agent.id}/confirm", t))["confirmed"] is True
    assert _entries(world.account_id)[0].audited_changes == {"confirmed": [False, True]}

    shown = _ok(api.get(f"{SA}/users/{world.agent.id}", t))
    assert [(a["id"], a["role"]) for a in shown["accounts"]] == [(world.account_id, "agent")]
    assert [(a["id"], a["role"]) for a in _ok(api.get(f"{SA}/users/{world.admin.id}/accounts", t))["payload"]] == \
        [(world.account_id, "administrator")]
    assert api.get(f"{SA}/users/999999", t).status == 404


def test_password_set_and_reset_mail_revoke_tokens(api, world, mailer):  # noqa: F811
    t = world.super_admin.token
    agent = f"/api/v1/accounts/{world.account_id}/conversations"
    assert api.post(f"{SA}/users/{world.agent.id}/reset_password", t, body={}).status == 422
    assert api.post(f"{SA}/users/{world.agent.id}/reset_password", t,
                    body={"password": "Short"}).status == 422  # too weak: nothing changed
    assert api.get(agent, world.agent.token).status == 200

    _ok(api.post(f"{SA}/users/{world.agent.id}/reset_password", t, body={"password": "Chosen-by-root-1!"}))
    assert api.get(agent, world.agent.token).status == 401  # a new password ends every session
    assert _entries(world.account_id)[0].audited_changes == {"password": "[FILTERED]"}
    assert sign_in(api, "agent@acme.test", "Chosen-by-root-1!").status == 200

    _ok(api.post(f"{SA}/users/{world.agent.id}/reset_password", t, body={"send_email": True}))
    [token] = reset_tokens("agent@acme.test")
    assert _entries(world.account_id)[0].action == "reset_password"
    assert set_password(api, token).status == 200

    fresh = sign_in(api, "agent@acme.test", "Fresh-start-42!").json["data"]["access_token"]
    assert api.get(agent, fresh).status == 200
    revoked = _ok(api.post(f"{SA}/users/{world.agent.id}/revoke_tokens", t))["revoked"]
    assert revoked >= 2
    assert api.get(agent, fresh).status == 401
    entry = _entries(world.account_id)[0]
    assert entry.action == "revoke_tokens" and entry.comment == f"completed: {revoked} tokens revoked"


def test_a_reset_mail_ses_refuses_is_reported_to_the_super_admin(api, world):
    """No verified sender: the public path answers alike, the console says it was not sent."""
    reply = api.post(f"{SA}/users/{world.agent.id}/reset_password", world.super_admin.token, body={"send_email": True})
    assert reply.status == 503 and "not sent" in reply.json["error"]


def test_super_admin_flag_and_the_guard_that_keeps_one(api, world):
    t = world.super_admin.token
    made = _ok(api.put(f"{SA}/users/{world.admin.id}/super_admin", t, body={"super_admin": True}))
    assert made["type"] == "SuperAdmin"
    assert _entries(world.account_id)[0].audited_changes == {"type": [None, "SuperAdmin"]}
    # Nobody removes themselves, so the caller (a super admin) always remains: 422, nothing changed.
    mine = api.put(f"{SA}/users/{world.super_admin.id}/super_admin", t, body={"super_admin": False})
    assert mine.status == 422
    assert api.delete(f"{SA}/users/{world.super_admin.id}", t).status == 422
    # The new super admin removes the first one; then the first one can no longer act.
    _ok(api.put(f"{SA}/users/{world.super_admin.id}/super_admin", world.admin.token, body={"super_admin": False}))
    assert api.get(f"{SA}/accounts", t).status == 403
    # And the last one cannot remove itself.
    assert api.put(f"{SA}/users/{world.admin.id}/super_admin", world.admin.token,
                   body={"super_admin": False}).status == 422
    assert api.put(f"{SA}/users/{world.admin.id}/super_admin", world.admin.token, body={"super_admin": "yes"}).status == 422


@real_engine
def test_a_removed_super_admin_cannot_finish_a_removal(world, aws):
    """Two super admins removing each other: the transaction checks the caller is still one."""
    from parley.errors import Invalid
    from parley.services.access import users
    from parley.services.lifecycle import console

    root = users.get_user(world.super_admin.id)
    other = console.set_super_admin(users.get_user(world.admin.id), True, root)
    stale_root = users.get_user(world.super_admin.id)  # as root's request read itself
    console.set_super_admin(users.get_user(world.super_admin.id), False, other)
    with pytest.raises(Invalid):
        console.set_super_admin(users.get_user(world.admin.id), False, stale_root)
    assert users.get_user(world.admin.id).is_super_admin


def test_user_deletion_audited_in_each_account(api, world):
    from parley.services.access import members

    t = world.super_admin.token
    members.add_member(world.other_account_id, world.agent.id, "agent")
    _ok(api.delete(f"{SA}/users/{world.agent.id}", t))
    for account_id in (world.account_id, world.other_account_id):
        entry = _entries(account_id, "User")[0]
        assert (entry.auditable_id, entry.action, entry.comment) == (world.agent.id, "destroy", "completed")
        left = _entries(account_id, "AccountUser")[0]  # and the membership it ended, once
        assert (left.auditable_id, left.action) == (world.agent.id, "destroy")
    assert api.get(f"{SA}/users/{world.agent.id}", t).status == 404
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.agent.token).status == 401


# ---------------------------------------------------------------- platform apps and bots

def test_platform_apps_list_create_show_once_revoke(api, world):
    t = world.super_admin.token
    created = _ok(api.post(f"{SA}/platform_apps", t, body={"name": "CRM sync"}))
    token = created["access_token"]
    listed = _ok(api.get(f"{SA}/platform_apps", t))["payload"]
    assert {a["name"] for a in listed} == {"Provisioner", "CRM sync"}
    assert all("access_token" not in a for a in listed)  # shown once, at creation
    assert api.post("/platform/api/v1/accounts", token, body={"name": "Via app"}).status == 200
    assert _ok(api.delete(f"{SA}/platform_apps/{created['id']}", t)) == {"revoked_tokens": 1}
    assert api.post("/platform/api/v1/accounts", token, body={"name": "Again"}).status == 401
    assert {a["name"] for a in _ok(api.get(f"{SA}/platform_apps", t))["payload"]} == {"Provisioner"}
    assert api.delete(f"{SA}/platform_apps/{created['id']}", t).status == 404
    log = [(e["auditable_type"], e["action"], e["comment"]) for e in _ok(api.get(f"{SA}/audit_logs", t))["payload"]]
    assert log[:2] == [("PlatformApp", "destroy", "completed: 1 tokens revoked"), ("PlatformApp", "create", None)]
    assert api.post(f"{SA}/platform_apps", t, body={"name": ""}).status == 422


def test_installation_bots_crud(api, world):
    t = world.super_admin.token
    bot = _ok(api.post(f"{SA}/agent_bots", t, body={"name": "Greeter", "outgoing_url": "https://bot.example.com/h"}))
    assert bot["system_bot"] is True and bot["access_token"]
    # An installation-wide bot is offered to every account.
    listed = _ok(api.get(f"/api/v1/accounts/{world.account_id}/agent_bots", world.admin.token))
    assert bot["id"] in [b["id"] for b in listed]
    assert _ok(api.patch(f"{SA}/agent_bots/{bot['id']}", t, body={"name": "Welcomer"}))["name"] == "Welcomer"
    assert [b["name"] for b in _ok(api.get(f"{SA}/agent_bots", t))["payload"]] == ["Welcomer"]
    for bad in ({"name": ""}, {"outgoing_url": "ftp://x"}, {"outgoing_url": "http://127.0.0.1/x"}, {"colour": 1}):
        assert api.patch(f"{SA}/agent_bots/{bot['id']}", t, body=bad).status == 422, bad
    account_bot = _ok(api.post(f"/api/v1/accounts/{world.account_id}/agent_bots", world.admin.token, body={"name": "Own"}))
    assert api.get(f"{SA}/agent_bots/{account_bot['id']}", t).status == 404  # an account's bot is not installation-wide
    _ok(api.delete(f"{SA}/agent_bots/{bot['id']}", t))
    assert _ok(api.get(f"{SA}/agent_bots", t))["payload"] == []
    assert [e["action"] for e in _ok(api.get(f"{SA}/audit_logs", t))["payload"]][:3] == ["destroy", "update", "create"]


# ---------------------------------------------------------------- instance status

def test_instance_status_reports_queues_dead_letters_and_what_it_cannot_see(api, world):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue_url("DeliverDeadLetterQueue"), MessageBody=json.dumps({"failed": "delivery"}))
    sqs.send_message(QueueUrl=queue_url("ContactJobsQueue"), MessageBody=json.dumps({"job": "import"}))
    status = _ok(api.get(f"{SA}/instance_status", world.super_admin.token))
    from parley import VERSION

    assert status["version"] == VERSION
    assert status["stack"]["available"] is False and "not available locally" in status["stack"]["reason"]
    queues = {q["name"]: q for q in status["queues"]}
    assert set(queues) >= {"ingest", "deliver", "account_jobs", "contact_jobs", "webhook_deliveries"}
    assert queues["deliver"]["dlq_count"] == 1 and queues["contact_jobs"]["queue"]["waiting"] == 1
    assert queues["ingest"]["dlq_count"] == 0
    [error] = status["last_errors"]
    assert error["queue"] == "deliver" and "delivery" in error["body"]
    # Peeked, not consumed: the message is still there.
    again = _ok(api.get(f"{SA}/instance_status", world.super_admin.token))
    assert {q["name"]: q for q in again["queues"]}["deliver"]["dlq_count"] == 1
    assert status["event_bus"]["name"].startswith("parley-")
    bus = status["event_bus"]
    assert bus["oldest_unprocessed_event_queue"] == "deliver" and 0 <= bus["oldest_unprocessed_event_age_seconds"] < 60
    assert bus["backlog"] == {"deliver": 0, "webhook_deliveries": 0}
    sqs.send_message(QueueUrl=queue_url("DeliverQueue"), MessageBody="{}")
    assert _ok(api.get(f"{SA}/instance_status", world.super_admin.token))["event_bus"]["backlog"]["deliver"] == 1


def test_instance_status_with_empty_dead_letter_queues_has_no_oldest_event(api, world):
    bus = _ok(api.get(f"{SA}/instance_status", world.super_admin.token))["event_bus"]
    assert bus["oldest_unprocessed_event_age_seconds"] is None and bus["oldest_unprocessed_event_queue"] is None


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("caller", ["admin", "agent"])
def test_administrators_and_agents_are_refused_and_nothing_changes(api, world, caller):
    token = getattr(world, caller).token
    before = len(_entries(world.account_id))
    for method, path, body in (("GET", f"{SA}/accounts", None), ("POST", f"{SA}/accounts", {"name": "X"}),
                               ("POST", f"{SA}/accounts/{world.account_id}/suspend", None),
                               ("DELETE", f"{SA}/accounts/{world.account_id}", None),
                               ("PUT", f"{SA}/users/{getattr(world, caller).id}/super_admin", {"super_admin": True}),
                               ("POST", f"{SA}/users/{world.super_admin.id}/revoke_tokens", None),
                               ("GET", f"{SA}/instance_status", None)):
        assert api.call(method, path, token, body=body).status == 403, (method, path)
    assert len(_entries(world.account_id)) == before
    assert api.get(f"{SA}/accounts", world.super_admin.token).status == 200
