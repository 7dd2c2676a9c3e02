"""Audit logs (issue 12, item 3): GET /api/v1/accounts/{id}/audit_logs in Chatwoot's shape,
for administrators only, never writable; and every audited action, called through the
HTTP API, leaves exactly one entry in each account it concerns (with its type, id, action,
user, changes, remote address and request id), while a refused one leaves none."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from parley.models.audit_log import AuditLog
from tests.conftest import PASSWORD
from tests.integration.test_password_reset import mailer  # noqa: F401 (fixture)
from tests.spec import assert_matches

IP = "198.51.100.77"
SPEC_PATH = "/api/v1/accounts/{account_id}/audit_logs"


def all_entries(account_id: int) -> list[AuditLog]:
    return list(AuditLog.query(account_id, scan_index_forward=False))


def logs(world) -> str:
    return f"/api/v1/accounts/{world.account_id}/audit_logs"


# ---------------------------------------------------------------- the route

@pytest.mark.dynamodb_local
def test_the_log_is_newest_first_paginated_schema_valid_and_filterable(api, world):
    teams = f"/api/v1/accounts/{world.account_id}/teams"
    made = [api.post(teams, world.admin.token, body={"name": f"team {n}"}, source_ip=IP).json["id"]
            for n in range(17)]
    api.patch(f"{teams}/{made[0]}", world.admin.token, body={"description": "first"}, source_ip=IP)
    before = len(all_entries(world.account_id))  # 18 team entries and the world's memberships

    first = api.get(logs(world), world.admin.token)
    assert first.status == 200, first.json
    assert_matches(first.json, "get", SPEC_PATH)
    assert (first.json["per_page"], first.json["current_page"], first.json["total_entries"]) == (15, 1, before)
    newest = first.json["audit_logs"][0]
    assert (newest["action"], newest["auditable_type"], newest["auditable_id"]) == ("update", "Team", made[0])
    assert newest["audited_changes"] == {"description": ["", "first"]}
    assert (newest["associated_type"], newest["associated_id"]) == ("Account", world.account_id)
    assert (newest["user_id"], newest["user_type"], newest["username"]) == (world.admin.id, "User", world.admin.email)
    assert newest["remote_address"] == IP and newest["request_uuid"]
    assert isinstance(newest["created_at"], int)
    ids = [e["id"] for e in first.json["audit_logs"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 15

    second = api.get(logs(world), world.admin.token, query={"page": 2})
    assert_matches(second.json, "get", SPEC_PATH)
    assert second.json["current_page"] == 2
    assert len(second.json["audit_logs"]) == before - 15
    assert max(e["id"] for e in second.json["audit_logs"]) < min(ids)

    creates = api.get(logs(world), world.admin.token, query={"auditable_type": "Team", "action": "create"}).json
    assert creates["total_entries"] == 17 and len(creates["audit_logs"]) == 15
    assert {(e["auditable_type"], e["action"]) for e in creates["audit_logs"]} == {("Team", "create")}
    by_user = api.get(logs(world), world.admin.token, query={"user_id": world.agent.id}).json
    assert by_user["total_entries"] == 0 and by_user["audit_logs"] == []

    stamp = newest["created_at"]
    later = api.get(logs(world), world.admin.token, query={"since": stamp + 3600}).json
    assert later["total_entries"] == 0
    window = api.get(logs(world), world.admin.token,
                     query={"since": "2000-01-01T00:00:00Z", "until": stamp + 3600, "action": "update"}).json
    assert [e["id"] for e in window["audit_logs"]] == [newest["id"]]


def test_a_request_reads_a_bounded_number_of_entries_however_long_the_log(api, world, monkeypatch):
    from bench.dynamo_ops import sdk_calls
    from parley.services.account import audit_logs
    teams = f"/api/v1/accounts/{world.account_id}/teams"
    for n in range(12):
        api.post(teams, world.admin.token, body={"name": f"bounded {n}"})
    everything = len(all_entries(world.account_id))
    monkeypatch.setattr(audit_logs, "MAX_EXAMINED", 8)
    scanned = []

    def seen(client, operation, params, response, seconds):
        if operation == "Query" and "audit" in params.get("TableName", "").lower():
            scanned.append(response.get("ScannedCount", 0))
    with sdk_calls(seen):
        reply = api.get(logs(world), world.admin.token, query={"action": "update"})  # matches nothing: reads to the bound
    assert reply.status == 200 and reply.json["total_entries"] == 0
    assert scanned and sum(scanned) <= 2 * 8, scanned  # the page's Queries and the count's, 8 entries each at most
    bounded = api.get(logs(world), world.admin.token).json
    assert everything > 8 and bounded["total_entries"] == 8
    assert len(bounded["audit_logs"]) == 8


@pytest.mark.dynamodb_local
def test_a_time_window_reaches_entries_older_than_the_bound(api, world, monkeypatch):
    """since/until become a key range (binary search over the ids), so the bound on
    entries read counts from the window's end: an old stretch of a long log is reachable."""
    import time as clock

    from parley.services.account import audit_logs
    teams = f"/api/v1/accounts/{world.account_id}/teams"
    old = [api.post(teams, world.admin.token, body={"name": f"old {n}"}).json["id"] for n in range(3)]
    clock.sleep(1.1)
    cut = int(clock.time())
    clock.sleep(1.1)
    for n in range(10):
        api.post(teams, world.admin.token, body={"name": f"new {n}"})
    monkeypatch.setattr(audit_logs, "MAX_EXAMINED", 6)
    newest = api.get(logs(world), world.admin.token).json
    assert not {e["auditable_id"] for e in newest["audit_logs"]} & set(old)  # beyond the bound from the top
    window = api.get(logs(world), world.admin.token, query={"until": cut, "auditable_type": "Team"}).json
    assert [e["auditable_id"] for e in window["audit_logs"]] == old[::-1]
    assert window["total_entries"] == 3
    after = api.get(logs(world), world.admin.token, query={"since": cut, "until": cut + 600}).json
    assert after["total_entries"] == 6 and all(e["created_at"] >= cut for e in after["audit_logs"])
    empty = api.get(logs(world), world.admin.token, query={"since": cut + 3600}).json
    assert (empty["total_entries"], empty["audit_logs"]) == (0, [])
    before_all = api.get(logs(world), world.admin.token, query={"until": "2000-01-01T00:00:00Z"}).json
    assert (before_all["total_entries"], before_all["audit_logs"]) == (0, [])


def test_only_the_accounts_administrators_read_it(api, world):
    api.post(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token, body={"name": "secret plans"})
    assert api.get(logs(world), world.agent.token).status == 403
    assert api.get(logs(world), world.other_admin.token).status == 404
    assert api.get(logs(world), world.super_admin.token).status == 404
    assert api.get(logs(world), None).status == 401
    # Globex's own log holds nothing of Acme's.
    theirs = api.get(f"/api/v1/accounts/{world.other_account_id}/audit_logs", world.other_admin.token).json
    assert all(e["associated_id"] == world.other_account_id for e in theirs["audit_logs"])
    assert "Team" not in {e["auditable_type"] for e in theirs["audit_logs"]}


@pytest.mark.parametrize("params", [
    {"page": 0}, {"page": "two"}, {"page": 10_000}, {"auditable_type": "team; drop"}, {"action": "DESTROY"},
    {"user_id": "me"}, {"user_id": 0}, {"since": "yesterday"}, {"since": "2026-01-01T00:00:00"},  # no offset
    {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
])
def test_a_bad_query_is_refused(api, world, params):
    reply = api.get(logs(world), world.admin.token, query=params)
    assert reply.status == 422, (params, reply.json)


def test_no_route_writes_edits_or_deletes_an_entry(api, world):
    team = api.post(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token, body={"name": "kept"}).json
    entry = next(e for e in all_entries(world.account_id) if e.auditable_id == team["id"])
    snapshot = [e.attribute_values for e in all_entries(world.account_id)]
    forged = {"action": "destroy", "auditable_type": "Team", "auditable_id": team["id"], "audited_changes": {}}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in (logs(world), f"{logs(world)}/{entry.id}"):
            for token in (world.admin.token, world.super_admin.token):
                reply = api.call(method, path, token, body=forged)
                assert reply.status == 404, (method, path, reply.status)
    assert api.get(f"{logs(world)}/{entry.id}", world.admin.token).status in (404, 405)
    assert [e.attribute_values for e in all_entries(world.account_id)] == snapshot


# ---------------------------------------------------------------- every audited action

@dataclass
class Action:
    """One audited action through the HTTP API: `run(api, world, ctx)` does it and returns
    the reply; `refused` does a refused variant (or None). The expected entry is checked
    against `auditable_type`, `action`, the auditable id `ctx["id"]` and `changes(ctx)`."""
    auditable_type: str
    action: str
    run: Callable
    changes: Callable[[dict], dict]
    refused: Callable | None = None
    setup: Callable | None = None
    actor: str = "admin"


def _acme(w) -> str:
    return f"/api/v1/accounts/{w.account_id}"


def _new_agent(api, w, ctx):
    reply = api.post(f"{_acme(w)}/agents", w.admin.token, body={"name": "Nia", "email": "nia@acme.test", "role": "agent"},
                     source_ip=IP)
    ctx["id"] = reply.json["id"]
    return reply


def _contact(api, w, ctx, key="id", email="audited@acme.test"):
    reply = api.post(f"{_acme(w)}/contacts", w.admin.token, body={"name": "Cora", "email": email})
    ctx[key] = reply.json["payload"]["contact"]["id"]


def _inbox(api, w, ctx):
    reply = api.post(f"{_acme(w)}/inboxes", w.admin.token, body={"name": "Audited", "channel": {"type": "api"}})
    assert reply.status == 200, reply.json
    ctx["id"] = reply.json["id"]


def _sign_in(api, w, ctx):
    ctx["id"] = w.agent.id
    return api.post("/auth/sign_in", body={"email": w.agent.email, "password": PASSWORD}, source_ip=IP)


ACTIONS = {
    "sign-in": Action(
        "User", "sign_in", _sign_in, lambda ctx: {}, actor="agent",
        refused=lambda api, w, ctx: api.post("/auth/sign_in", body={"email": w.agent.email, "password": "wrong-one-1!"},
                                             source_ip=IP)),
    "sign-out": Action(
        "User", "sign_out",
        lambda api, w, ctx: (ctx.update(id=w.agent.id), api.delete("/auth/sign_out", ctx["token"], source_ip=IP))[1],
        lambda ctx: {}, actor="agent",
        setup=lambda api, w, ctx: ctx.update(token=api.post("/auth/sign_in", body={
            "email": w.agent.email, "password": PASSWORD}).json["data"]["access_token"])),
    "password change": Action(
        "User", "update",
        lambda api, w, ctx: (ctx.update(id=w.agent.id), api.put("/api/v1/profile", w.agent.token, source_ip=IP, body={
            "current_password": PASSWORD, "password": "Brand-new-pass-7!", "password_confirmation": "Brand-new-pass-7!"}))[1],
        lambda ctx: {"password": "[FILTERED]"}, actor="agent",
        refused=lambda api, w, ctx: api.put("/api/v1/profile", w.agent.token, source_ip=IP, body={
            "current_password": "not-it", "password": "Brand-new-pass-7!", "password_confirmation": "Brand-new-pass-7!"})),
    "access token reset": Action(
        "User", "update",
        lambda api, w, ctx: (ctx.update(id=w.agent.id),
                             api.post("/api/v1/profile/reset_access_token", w.agent.token, source_ip=IP))[1],
        lambda ctx: {"access_token": "[FILTERED]"}, actor="agent",
        refused=lambda api, w, ctx: api.post("/api/v1/profile/reset_access_token", "x" * 43, source_ip=IP)),
    "agent bot token reset": Action(
        "AgentBot", "update",
        lambda api, w, ctx: api.post(f"{_acme(w)}/agent_bots/{ctx['id']}/reset_access_token", w.admin.token, source_ip=IP),
        lambda ctx: {"access_token": "[FILTERED]"},
        setup=lambda api, w, ctx: ctx.update(id=api.post(f"{_acme(w)}/agent_bots", w.admin.token,
                                                         body={"name": "Audited bot"}).json["id"]),
        refused=lambda api, w, ctx: api.post(f"{_acme(w)}/agent_bots/{ctx['id']}/reset_access_token", w.agent.token,
                                             source_ip=IP)),
    "agent create": Action(
        "AccountUser", "create", _new_agent,
        lambda ctx: {"user_id": ctx["id"], "role": "agent", "custom_role_id": None, "availability": "online", "auto_offline": True},
        refused=lambda api, w, ctx: api.post(f"{_acme(w)}/agents", w.agent.token, source_ip=IP,
                                             body={"name": "Nia", "email": "nia@acme.test", "role": "agent"})),
    "agent role update": Action(
        "AccountUser", "update",
        lambda api, w, ctx: (ctx.update(id=w.agent.id), api.patch(f"{_acme(w)}/agents/{w.agent.id}", w.admin.token,
                                                                  body={"role": "administrator"}, source_ip=IP))[1],
        lambda ctx: {"role": ["agent", "administrator"]},
        refused=lambda api, w, ctx: api.patch(f"{_acme(w)}/agents/{w.agent.id}", w.admin.token,
                                              body={"role": "owner"}, source_ip=IP)),
    "agent availability update": Action(
        "AccountUser", "update",
        lambda api, w, ctx: (ctx.update(id=w.agent.id), api.post("/api/v1/profile/availability", w.agent.token, source_ip=IP,
                                                                 body={"availability": "busy", "account_id": w.account_id}))[1],
        lambda ctx: {"availability": ["online", "busy"]}, actor="agent",
        refused=lambda api, w, ctx: api.post("/api/v1/profile/availability", w.agent.token, source_ip=IP,
                                             body={"availability": "away", "account_id": w.account_id})),
    "agent delete": Action(
        "AccountUser", "destroy",
        lambda api, w, ctx: (ctx.update(id=w.agent.id),
                             api.delete(f"{_acme(w)}/agents/{w.agent.id}", w.admin.token, source_ip=IP))[1],
        lambda ctx: {"user_id": ctx["id"], "role": "agent", "custom_role_id": None, "availability": "online", "auto_offline": True},
        refused=lambda api, w, ctx: api.delete(f"{_acme(w)}/agents/{w.agent.id}", w.other_admin.token, source_ip=IP)),
    "inbox create": Action(
        "Inbox", "create",
        lambda api, w, ctx: (reply := api.post(f"{_acme(w)}/inboxes", w.admin.token, source_ip=IP, body={
            "name": "Audited", "channel": {"type": "api", "webhook_url": "https://hooks.example.com/in"}}),
                             ctx.update(id=reply.json["id"]))[0],
        lambda ctx: "name" in ctx["changes"] and ctx["changes"]["name"] == "Audited",
        refused=lambda api, w, ctx: api.post(f"{_acme(w)}/inboxes", w.admin.token, source_ip=IP,
                                             body={"name": "Audited", "channel": {"type": "carrier_pigeon"}})),
    "inbox update": Action(
        "Inbox", "update",
        lambda api, w, ctx: api.patch(f"{_acme(w)}/inboxes/{ctx['id']}", w.admin.token, body={"name": "Renamed"},
                                      source_ip=IP),
        lambda ctx: {"name": ["Audited", "Renamed"]}, setup=_inbox,
        refused=lambda api, w, ctx: api.patch(f"{_acme(w)}/inboxes/{ctx['id']}", w.agent.token, body={"name": "Mine"},
                                              source_ip=IP)),
    "inbox delete": Action(
        "Inbox", "destroy",
        lambda api, w, ctx: api.delete(f"{_acme(w)}/inboxes/{ctx['id']}", w.admin.token, source_ip=IP),
        lambda ctx: ctx["changes"].get("name") == "Audited", setup=_inbox,
        refused=lambda api, w, ctx: api.delete(f"{_acme(w)}/inboxes/{ctx['id']}", w.other_admin.token, source_ip=IP)),
    "contact delete": Action(
        "Contact", "destroy",
        lambda api, w, ctx: api.delete(f"{_acme(w)}/contacts/{ctx['id']}", w.admin.token, source_ip=IP),
        lambda ctx: {"name": "Cora", "email": "audited@acme.test", "phone_number": None, "identifier": None},
        setup=_contact,
        refused=lambda api, w, ctx: api.delete(f"{_acme(w)}/contacts/{ctx['id']}", w.agent.token, source_ip=IP)),
    "contact merge": Action(
        "Contact", "merge",
        lambda api, w, ctx: api.post(f"{_acme(w)}/actions/contact_merge", w.admin.token, source_ip=IP,
                                     body={"base_contact_id": ctx["id"], "mergee_contact_id": ctx["mergee"]}),
        lambda ctx: {"mergee_contact_id": ctx["mergee"], "mergee": {
            "name": "Cora", "email": "other@acme.test", "phone_number": None, "identifier": None}},
        setup=lambda api, w, ctx: (_contact(api, w, ctx), _contact(api, w, ctx, "mergee", "other@acme.test")),
        refused=lambda api, w, ctx: api.post(f"{_acme(w)}/actions/contact_merge", w.admin.token, source_ip=IP,
                                             body={"base_contact_id": ctx["id"], "mergee_contact_id": ctx["id"]})),
    "contact export": Action(
        "Contact", "export",
        lambda api, w, ctx: (reply := api.post(f"{_acme(w)}/contacts/export", w.admin.token, source_ip=IP,
                                               body={"column_names": ["name", "email"]}),
                             ctx.update(id=None, export=reply.json.get("id")))[0],
        lambda ctx: {"export_id": ctx["export"], "columns": ["name", "email"], "conditions": []},
        refused=lambda api, w, ctx: api.post(f"{_acme(w)}/contacts/export", w.admin.token, source_ip=IP,
                                             body={"column_names": ["password_hash"]})),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_audited_action_leaves_exactly_one_entry(api, world, name):
    case, ctx = ACTIONS[name], {}
    if case.setup:
        case.setup(api, world, ctx)
    known = {e.id for e in all_entries(world.account_id)}
    others = len(all_entries(world.other_account_id))

    if case.refused is not None:
        refused = case.refused(api, world, ctx)
        assert 400 <= refused.status < 500, (name, refused.status, refused.json)
        assert {e.id for e in all_entries(world.account_id)} == known, f"{name}: a refused change left an entry"

    reply = case.run(api, world, ctx)
    assert reply.status == 200, (name, reply.status, reply.json)
    new = [e for e in all_entries(world.account_id) if e.id not in known]
    assert len(new) == 1, (name, [(e.auditable_type, e.action) for e in new])
    entry = new[0]
    actor = getattr(world, case.actor)
    assert (entry.auditable_type, entry.action, entry.auditable_id) == (case.auditable_type, case.action, ctx["id"])
    assert (entry.user_id, entry.user_type, entry.username) == (actor.id, "User", actor.email)
    assert entry.remote_address == IP and entry.request_uuid
    ctx["changes"] = entry.audited_changes
    expected = case.changes(ctx)
    assert expected is True or entry.audited_changes == expected, (name, entry.audited_changes)
    assert len(all_entries(world.other_account_id)) == others  # nothing lands in another account

    shown = api.get(logs(world), world.admin.token, query={"action": case.action})
    if shown.status == 200:  # (an agent promoted or removed above may have changed who reads it)
        assert_matches(shown.json, "get", SPEC_PATH)
        assert shown.json["audit_logs"][0]["id"] == entry.id


def test_a_users_own_event_is_entered_in_each_of_their_accounts(api, world):
    from parley.services.access import members
    members.add_member(world.other_account_id, world.agent.id, "agent")
    before = {a: {e.id for e in all_entries(a)} for a in (world.account_id, world.other_account_id)}
    assert api.post("/auth/sign_in", body={"email": world.agent.email, "password": PASSWORD}, source_ip=IP).status == 200
    for account_id, known in before.items():
        new = [e for e in all_entries(account_id) if e.id not in known]
        assert [(e.auditable_type, e.auditable_id, e.action, e.remote_address) for e in new] == [
            ("User", world.agent.id, "sign_in", IP)]


def test_a_deleted_user_leaves_each_account_with_an_entry_by_the_platform_app(api, world):
    app = world.platform_token
    account = api.post("/platform/api/v1/accounts", app, body={"name": "Platformed"}).json["id"]
    user = api.post("/platform/api/v1/users", app, body={"name": "Pat", "email": "pat@platform.test"}).json["id"]
    assert api.post(f"/platform/api/v1/accounts/{account}/account_users", app,
                    body={"user_id": user, "role": "agent"}).status == 200
    known = {e.id for e in all_entries(account)}
    assert api.delete(f"/platform/api/v1/users/{user}", app, source_ip=IP).status == 200
    new = [e for e in all_entries(account) if e.id not in known]
    assert [(e.auditable_type, e.auditable_id, e.action, e.user_type, e.user_id, e.remote_address) for e in new] == [
        ("AccountUser", user, "destroy", "PlatformApp", world.platform_app_id, IP)]
    assert new[0].audited_changes["role"] == "agent"


def test_a_merge_and_an_export_are_concluded_with_their_outcome(api, world):
    from tests.integration.test_contact_import_export import run_jobs
    ctx: dict = {}
    ACTIONS["contact merge"].setup(api, world, ctx)
    assert ACTIONS["contact merge"].run(api, world, ctx).status == 200
    merge = next(e for e in all_entries(world.account_id) if e.action == "merge")
    assert merge.comment == "completed"

    started = api.post(f"{_acme(world)}/contacts/export", world.admin.token, body={})
    assert started.status == 200
    export = next(e for e in all_entries(world.account_id) if e.action == "export")
    assert export.comment is None  # started, not yet done
    run_jobs()
    export.refresh()
    assert export.comment == "completed: 1 contacts"


def test_a_merge_that_fails_half_way_is_concluded_as_failed(api, world, monkeypatch):
    from parley.services.contact import contact_notes
    ctx: dict = {}
    ACTIONS["contact merge"].setup(api, world, ctx)

    def broken(*args, **kwargs):
        raise RuntimeError("notes store unavailable")
    monkeypatch.setattr(contact_notes, "move_all", broken)
    assert ACTIONS["contact merge"].run(api, world, ctx).status == 500
    merge = next(e for e in all_entries(world.account_id) if e.action == "merge")
    assert merge.comment == "failed: RuntimeError"


def test_secrets_never_reach_an_entry(api, world):
    reply = api.post(f"{_acme(world)}/inboxes", world.admin.token, body={
        "name": "Bot", "channel": {"type": "telegram", "bot_token": "7000009:" + "S" * 35}})
    assert reply.status == 200, reply.json
    entry = next(e for e in all_entries(world.account_id) if e.auditable_type == "Inbox")
    text = str(entry.audited_changes)
    assert "S" * 35 not in text and "hmac_token" not in text and "[FILTERED]" in text


def test_an_sso_sign_in_is_audited_like_a_password_one_and_a_used_link_is_not(api, world):
    from tests.integration.test_platform import _sso_token
    app = world.platform_token
    account = api.post("/platform/api/v1/accounts", app, body={"name": "SSO"}).json["id"]
    user = api.post("/platform/api/v1/users", app, body={"name": "Sam", "email": "sam@sso.test"}).json["id"]
    assert api.post(f"/platform/api/v1/accounts/{account}/account_users", app,
                    body={"user_id": user, "role": "agent"}).status == 200
    link = _sso_token(api, app, user)
    known = {e.id for e in all_entries(account)}
    body = {"email": "sam@sso.test", "sso_auth_token": link}
    assert api.post("/auth/sign_in", body=body, source_ip=IP).status == 200
    assert api.post("/auth/sign_in", body=body, source_ip=IP).status == 401  # used up: no entry
    new = [e for e in all_entries(account) if e.id not in known]
    assert [(e.auditable_type, e.auditable_id, e.action, e.user_id, e.username, e.remote_address) for e in new] == [
        ("User", user, "sign_in", user, "sam@sso.test", IP)]


def test_a_password_reset_by_link_is_audited_as_the_users_and_a_bad_link_is_not(api, world, mailer):
    from tests.integration.test_password_reset import ask, reset_tokens, set_password
    known = {e.id for e in all_entries(world.account_id)}
    assert set_password(api, "x" * 43, source_ip=IP).status == 422
    assert {e.id for e in all_entries(world.account_id)} == known
    assert ask(api, world.agent.email).status == 200
    [token] = reset_tokens(world.agent.email)
    assert set_password(api, token, source_ip=IP).status == 200
    new = [e for e in all_entries(world.account_id) if e.id not in known]
    assert [(e.auditable_type, e.auditable_id, e.action, e.audited_changes, e.user_id, e.remote_address)
            for e in new] == [("User", world.agent.id, "update", {"password": "[FILTERED]"}, world.agent.id, IP)]


def test_a_token_reset_keeps_only_the_new_token(api, world):
    other = api.post("/auth/sign_in", body={"email": world.agent.email, "password": PASSWORD}).json["data"]["access_token"]
    reply = api.post("/api/v1/profile/reset_access_token", world.agent.token)
    assert reply.status == 200
    fresh = reply.json["access_token"]
    assert fresh not in (world.agent.token, other)
    assert api.get("/api/v1/profile", world.agent.token).status == 401
    assert api.get("/api/v1/profile", other).status == 401
    assert api.get("/api/v1/profile", fresh).status == 200
