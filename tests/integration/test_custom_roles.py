"""Custom roles (issue 12, item 2): Chatwoot's /custom_roles, custom_role_id on agents, and
what each permission lets an agent see and do, on every door a conversation or a contact
has (list, meta, filter, search, one conversation, sockets, notifications)."""
from __future__ import annotations

import pytest

from tests.integration.test_realtime import Sockets, connect

EVERY = ["conversation_manage", "conversation_unassigned_manage", "conversation_participating_manage",
         "contact_manage", "report_manage", "knowledge_base_manage"]


def roles_path(world, account_id=None) -> str:
    return f"/api/v1/accounts/{account_id or world.account_id}/custom_roles"


def make_role(api, world, name: str, granted: list[str]) -> dict:
    reply = api.post(roles_path(world), world.admin.token,
                     body={"custom_role": {"name": name, "description": f"{name} people", "permissions": granted}})
    assert reply.status == 200, reply.json
    return reply.json


def give_role(api, world, user_id: int, role_id: int | None):
    reply = api.patch(f"/api/v1/accounts/{world.account_id}/agents/{user_id}", world.admin.token,
                      body={"role": "agent", "custom_role_id": role_id})
    assert reply.status == 200, reply.json
    return reply.json


@pytest.fixture
def sockets(aws):
    recorder = Sockets()
    yield recorder
    recorder.close()


# ---------------------------------------------------------------- CRUD


def test_role_crud_in_chatwoots_shape(api, world):
    from parley.models.audit_log import AuditLog

    created = make_role(api, world, "Triage", ["contact_manage", "conversation_unassigned_manage", "contact_manage"])
    assert set(created) == {"id", "account_id", "name", "description", "permissions", "created_at", "updated_at"}
    assert created["permissions"] == ["conversation_unassigned_manage", "contact_manage"]  # Chatwoot's order, once
    assert created["account_id"] == world.account_id and created["description"] == "Triage people"
    listed = api.get(roles_path(world), world.admin.token)
    assert listed.status == 200 and [r["id"] for r in listed.json] == [created["id"]]
    one = f"{roles_path(world)}/{created['id']}"
    assert api.get(one, world.admin.token).json == created

    changed = api.patch(one, world.admin.token, body={"custom_role": {"permissions": ["report_manage"],
                                                                       "name": "Reports"}})
    assert changed.status == 200, changed.json
    assert changed.json["permissions"] == ["report_manage"] and changed.json["name"] == "Reports"
    assert changed.json["description"] == "Triage people"  # untouched
    assert api.delete(one, world.admin.token).status == 200
    assert api.get(one, world.admin.token).status == 404
    assert api.get(roles_path(world), world.admin.token).json == []

    audited = [(e.auditable_type, e.action) for e in AuditLog.query(world.account_id)
               if e.auditable_type == "CustomRole"]
    assert sorted(audited) == sorted([("CustomRole", "create"), ("CustomRole", "update"), ("CustomRole", "destroy")])


def test_role_bad_input_changes_nothing(api, world):
    role = make_role(api, world, "Support", ["conversation_manage"])
    one = f"{roles_path(world)}/{role['id']}"
    for bad in ({"name": "X", "permissions": ["conversation_manage", "billing_manage"]},
                {"name": "X", "permissions": ["administrator"]},
                {"name": "", "permissions": []},
                {"name": "   ", "permissions": []},
                {"permissions": []},
                {"name": "X", "permissions": "conversation_manage"},
                {"name": "X", "permissions": [1]},
                {"name": "X", "extra": 1},
                {"name": "Support", "permissions": []},
                {"name": "support", "permissions": []}):  # taken, whatever the case: 422 as Chatwoot
        reply = api.post(roles_path(world), world.admin.token, body=bad)
        assert reply.status == 422, (bad, reply.json)
    for bad in ({"permissions": ["nope"]}, {"name": ""}, {"name": None}, {"secret": 1}):
        assert api.patch(one, world.admin.token, body=bad).status == 422, bad
    assert api.get(roles_path(world), world.admin.token).json == [role]
    reply = api.post(roles_path(world), world.admin.token, body={"name": "X", "permissions": ["nope"]})
    assert "nope" in reply.json["error"]


def test_roles_are_for_administrators_of_the_account(api, world):
    role = make_role(api, world, "Support", ["conversation_manage"])
    one = f"{roles_path(world)}/{role['id']}"
    other = api.post(roles_path(world, world.other_account_id), world.other_admin.token,
                     body={"name": "Globex role", "permissions": []}).json
    for method, path, body in (("GET", roles_path(world), None), ("POST", roles_path(world), {"name": "A"}),
                               ("GET", one, None), ("PATCH", one, {"name": "B"}), ("DELETE", one, None)):
        assert api.call(method, path, world.agent.token, body=body).status == 403, (method, path)
        assert api.call(method, path, world.other_admin.token, body=body).status == 404, (method, path)
        assert api.call(method, path, None, body=body).status == 401
    # Another account's role through Acme's path: not found, and untouched.
    theirs = f"{roles_path(world)}/{other['id']}"
    if other["id"] != role["id"]:
        assert api.get(theirs, world.admin.token).status == 404
    assert api.get(f"{roles_path(world)}/999999", world.admin.token).status == 404
    assert api.get(f"{roles_path(world)}/abc", world.admin.token).status == 404
    assert api.get(roles_path(world, world.other_account_id), world.other_admin.token).json[0]["name"] == "Globex role"


def test_assigning_a_role_to_an_agent(api, world):
    role = make_role(api, world, "Contacts only", ["contact_manage"])
    shown = give_role(api, world, world.agent.id, role["id"])
    assert shown["custom_role_id"] == role["id"]
    assert shown["custom_role"] == {"id": role["id"], "name": "Contacts only", "description": "Contacts only people",
                                    "permissions": ["contact_manage"]}
    agents = {a["id"]: a for a in api.get(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token).json}
    assert agents[world.agent.id]["custom_role_id"] == role["id"]
    assert "custom_role_id" not in agents[world.admin.id]
    profile = api.get("/api/v1/profile", world.agent.token).json
    entry = profile["accounts"][0]
    assert entry["custom_role_id"] == role["id"] and entry["custom_role"]["name"] == "Contacts only"
    assert entry["permissions"] == ["contact_manage", "custom_role"]  # Chatwoot's: the role's, then "custom_role"
    assert api.get("/api/v1/profile", world.admin.token).json["accounts"][0]["permissions"] == ["administrator"]

    # Another account's role, an unknown one, junk: refused, the agent keeps theirs.
    other = api.post(roles_path(world, world.other_account_id), world.other_admin.token,
                     body={"name": "Globex role", "permissions": ["conversation_manage"]}).json
    path = f"/api/v1/accounts/{world.account_id}/agents/{world.agent.id}"
    for bad in (other["id"] if other["id"] != role["id"] else 424242, 999999, 0, "x"):
        reply = api.patch(path, world.admin.token, body={"role": "agent", "custom_role_id": bad})
        assert reply.status == 422, (bad, reply.json)
    assert api.get("/api/v1/profile", world.agent.token).json["accounts"][0]["custom_role_id"] == role["id"]
    created = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                       body={"name": "Nora", "email": "nora@acme.test", "role": "agent", "custom_role_id": 999999})
    assert created.status == 422
    created = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                       body={"name": "Nora", "email": "nora@acme.test", "role": "agent", "custom_role_id": role["id"]})
    assert created.status == 200 and created.json["custom_role_id"] == role["id"]
    # An agent cannot give themselves a role.
    assert api.patch(path, world.agent.token, body={"role": "agent", "custom_role_id": None}).status == 403

    # null takes it away: the plain agent's rights again.
    cleared = give_role(api, world, world.agent.id, None)
    assert "custom_role_id" not in cleared
    assert api.get("/api/v1/profile", world.agent.token).json["accounts"][0]["permissions"] == ["agent"]


def test_deleting_a_role_in_use_clears_it_from_its_agents(api, world):
    from parley.services.account import accounts

    role = make_role(api, world, "Nothing", [])
    give_role(api, world, world.agent.id, role["id"])
    contacts = f"/api/v1/accounts/{world.account_id}/contacts"
    assert api.get(contacts, world.agent.token).status == 403
    assert api.delete(f"{roles_path(world)}/{role['id']}", world.admin.token).status == 200
    assert accounts.membership(world.account_id, world.agent.id).custom_role_id is None
    assert api.get(contacts, world.agent.token).status == 200  # back to the plain agent's rights


# ---------------------------------------------------------------- permissions.py


def test_permissions_of_each_kind_of_member(world):
    from parley import permissions
    from parley.services.access import custom_roles
    from parley.services.account import accounts

    admin = accounts.membership(world.account_id, world.admin.id)
    agent = accounts.membership(world.account_id, world.agent.id)
    assert permissions.permissions_of(admin) == frozenset(EVERY)
    assert permissions.permissions_of(agent) == {"conversation_manage", "contact_manage"}
    role = custom_roles.create(world.account_id, "Reports", "", ["report_manage"])
    agent.custom_role_id = role.id
    assert permissions.permissions_of(agent) == {"report_manage"}
    permissions.require(agent, "report_manage")
    with pytest.raises(Exception) as refused:
        permissions.require(agent, "knowledge_base_manage")
    assert getattr(refused.value, "status", None) == 403
    with pytest.raises(ValueError):
        permissions.require(agent, "made_up")
    admin.custom_role_id = role.id  # administrators keep every right, whatever role they carry
    assert permissions.permissions_of(admin) == frozenset(EVERY)


def test_the_role_costs_one_read_and_only_for_agents_with_one(world, monkeypatch):
    from parley import permissions
    from parley.models.account_object import AccountObject
    from parley.services.access import custom_roles
    from parley.services.account import accounts

    reads = []
    original = AccountObject.get.__func__

    def counting(cls, *args, **kwargs):
        reads.append(args)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(AccountObject, "get", classmethod(counting))
    agent = accounts.membership(world.account_id, world.agent.id)
    for _ in range(3):
        permissions.permissions_of(agent)
        permissions.has(agent, "contact_manage")
    assert reads == []
    role = custom_roles.create(world.account_id, "Contacts", "", ["contact_manage"])
    agent.custom_role_id = role.id
    for _ in range(3):
        permissions.permissions_of(agent)
        permissions.conversation_scope(agent)
    assert len(reads) == 1


# ---------------------------------------------------------------- conversations


def _ids(reply) -> list[int]:
    assert reply.status == 200, reply.json
    data = reply.json.get("data", reply.json)
    return sorted(c["id"] for c in data["payload"])


def _views(api, world, token) -> dict:
    """What each door shows the caller: the list, meta, filter, search and one GET."""
    base = f"/api/v1/accounts/{world.account_id}"
    listed = api.get(f"{base}/conversations", token, query={"status": "all"})
    meta = api.get(f"{base}/conversations/meta", token, query={"status": "all"}).json["meta"]
    filtered = api.post(f"{base}/conversations/filter", token, body={"payload": [
        {"attribute_key": "status", "filter_operator": "not_equal_to", "values": ["snoozed"]}]})
    searched = api.get(f"{base}/search/conversations", token, query={"q": "Visitor"})
    messages = api.get(f"{base}/search/messages", token, query={"q": "needle"})
    return {"list": _ids(listed), "all_count": meta["all_count"], "filter": _ids(filtered),
            "search": sorted(c["id"] for c in searched.json["payload"]["conversations"]),
            "messages": sorted(m["conversation_id"] for m in messages.json["payload"]["messages"])}


def _conversation(api, world, website, assignee: int | None) -> int:
    from parley.services.contact import contacts

    visitor = website.widget.start()
    assert website.widget.say(visitor, "a needle in the haystack").status == 200
    number = website.widget.call("GET", "conversations", visitor).json[0]["id"]
    contacts.update_contact(contacts.get_contact(world.account_id, visitor.contact_id), name=f"Visitor {number}",
                            email=f"visitor{number}@acme.test")  # a resolved contact: the search finds it
    path = f"/api/v1/accounts/{world.account_id}/conversations/{number}/assignments"
    assert api.post(path, world.admin.token, body={"assignee_id": assignee}).status == 200
    return number


@pytest.fixture
def three(api, world, website):
    """Three conversations in the agent's inbox: assigned to the agent, unassigned, and
    assigned to the administrator."""
    return {"mine": _conversation(api, world, website, world.agent.id),
            "unassigned": _conversation(api, world, website, None),
            "theirs": _conversation(api, world, website, world.admin.id)}


def _expect(views: dict, numbers: list[int]) -> None:
    numbers = sorted(numbers)
    assert views == {"list": numbers, "all_count": len(numbers), "filter": numbers, "search": numbers,
                     "messages": numbers}, views


def test_each_conversation_permission_shows_its_conversations(api, world, website, three):
    get = f"/api/v1/accounts/{world.account_id}/conversations/%d"
    _expect(_views(api, world, world.agent.token), list(three.values()))  # the plain agent: all of the inbox
    cases = [(["conversation_manage"], ["mine", "unassigned", "theirs"]),
             (["conversation_unassigned_manage"], ["mine", "unassigned"]),
             (["conversation_participating_manage"], ["mine"]),
             (["conversation_unassigned_manage", "conversation_participating_manage"], ["mine", "unassigned"]),
             (["contact_manage", "report_manage", "knowledge_base_manage"], [])]
    for granted, seen in cases:
        role = make_role(api, world, "+".join(granted), granted)
        give_role(api, world, world.agent.id, role["id"])
        _expect(_views(api, world, world.agent.token), [three[k] for k in seen])
        for key, number in three.items():
            status = api.get(get % number, world.agent.token).status
            assert status == (200 if key in seen else 404), (granted, key, status)
            toggled = api.post(f"{get % number}/toggle_priority", world.agent.token, body={"priority": "high"})
            assert toggled.status == (200 if key in seen else 404), (granted, key, toggled.status)
    _expect(_views(api, world, world.admin.token), list(three.values()))  # administrators: everything


def test_participating_agent_sees_a_conversation_once_a_participant(api, world, website, three, sockets):
    role = make_role(api, world, "Followers", ["conversation_participating_manage"])
    give_role(api, world, world.agent.id, role["id"])
    theirs = three["theirs"]
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    assert connect("agent", token=world.agent.token) == 200

    def frames() -> list[int]:
        return [f["data"]["id"] for f in sockets.frames["agent"] if f.get("event") == "conversation.updated"]

    def touch(number: int) -> None:  # a change of the conversation, published to the sockets allowed
        assert api.post(f"{base}/{number}/toggle_priority", world.admin.token,
                        body={"priority": "urgent"}).status == 200
        assert api.post(f"{base}/{number}/toggle_priority", world.admin.token, body={"priority": "low"}).status == 200

    touch(theirs)
    touch(three["mine"])
    assert set(frames()) == {three["mine"]}
    assert api.get(f"{base}/{theirs}", world.agent.token).status == 404
    assert api.get(f"{base}/{theirs}/messages", world.agent.token).status == 404
    assert api.get(f"{base}/{theirs}/participants", world.agent.token).status == 404
    assert theirs not in _views(api, world, world.agent.token)["list"]

    added = api.post(f"{base}/{theirs}/participants", world.admin.token, body={"user_ids": [world.agent.id]})
    assert added.status == 200, added.json
    _expect(_views(api, world, world.agent.token), [three["mine"], theirs])
    assert api.get(f"{base}/{theirs}", world.agent.token).status == 200
    touch(theirs)
    assert theirs in frames()  # the open socket's scope followed, no reconnect

    api.delete(f"{base}/{theirs}/participants", world.admin.token, body={"user_ids": [world.agent.id]})
    _expect(_views(api, world, world.agent.token), [three["mine"]])
    assert api.get(f"{base}/{theirs}", world.agent.token).status == 404
    before = len(frames())
    touch(theirs)
    assert len(frames()) == before


def test_unassigned_agent_sees_a_conversation_leave_when_assigned_away(api, world, website, three, sockets):
    role = make_role(api, world, "Triage", ["conversation_unassigned_manage"])
    give_role(api, world, world.agent.id, role["id"])
    assert connect("agent", token=world.agent.token) == 200
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    number = three["unassigned"]
    assert api.post(f"{base}/{number}/assignments", world.admin.token, body={"assignee_id": world.admin.id}).status == 200
    assert api.post(f"{base}/{number}/assignments", world.admin.token, body={"assignee_id": None}).status == 200
    assigned = [f for f in sockets.frames["agent"] if f.get("event") == "assignee.changed"]
    # It saw the conversation go to someone else and come back, not what happened while away.
    assert [f["data"]["id"] for f in assigned] == [number, number]
    assert api.post(f"{base}/{three['theirs']}/toggle_priority", world.admin.token,
                    body={"priority": "high"}).status == 200
    assert not [f for f in sockets.frames["agent"] if f.get("event") == "conversation.updated"
                and f["data"]["id"] == three["theirs"]]


def test_bulk_actions_and_contact_conversations_follow_the_role(api, world, website, three):
    role = make_role(api, world, "Mine", ["conversation_participating_manage", "contact_manage"])
    give_role(api, world, world.agent.id, role["id"])
    base = f"/api/v1/accounts/{world.account_id}"
    reply = api.post(f"{base}/bulk_actions", world.agent.token, body={
        "type": "Conversation", "ids": [three["mine"], three["theirs"]], "fields": {"status": "resolved"}})
    assert reply.status == 404  # one hidden conversation: nothing changed
    assert api.get(f"{base}/conversations/{three['mine']}", world.agent.token).json["status"] == "open"
    theirs = api.get(f"{base}/conversations/{three['theirs']}", world.admin.token).json
    contact_id = theirs["meta"]["sender"]["id"]
    rows = api.get(f"{base}/contacts/{contact_id}/conversations", world.agent.token).json["payload"]
    assert rows == []
    assert api.get(f"{base}/contacts/{contact_id}/conversations", world.admin.token).json["payload"]


def test_a_role_without_conversations_starts_none(api, world, website):
    role = make_role(api, world, "Contacts", ["contact_manage"])
    give_role(api, world, world.agent.id, role["id"])
    contact = api.post(f"/api/v1/accounts/{world.account_id}/contacts", world.agent.token,
                       body={"name": "Cora", "inbox_id": website.id}).json
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations", world.agent.token,
                     body={"inbox_id": website.id, "contact_id": contact["payload"]["contact"]["id"]})
    assert reply.status == 403


def test_contact_routes_need_contact_manage(api, world, website):
    from parley.services.contact import contacts

    contact = contacts.create_contact(world.account_id, email="c@acme.test", name="Cora").id
    base = f"/api/v1/accounts/{world.account_id}"
    routes = [("GET", f"{base}/contacts", None), ("GET", f"{base}/contacts/search", {"q": "cora"}),
              ("POST", f"{base}/contacts/filter", {"payload": [
                  {"attribute_key": "name", "filter_operator": "contains", "values": ["Cora"]}]}),
              ("POST", f"{base}/contacts", {"name": "New"}), ("GET", f"{base}/contacts/{contact}", None),
              ("PATCH", f"{base}/contacts/{contact}", {"name": "Cora B"}),
              ("GET", f"{base}/contacts/{contact}/conversations", None),
              ("GET", f"{base}/contacts/{contact}/labels", None),
              ("GET", f"{base}/contacts/{contact}/contactable_inboxes", None),
              ("GET", f"{base}/contacts/{contact}/notes", None),
              ("POST", f"{base}/contacts/{contact}/notes", {"content": "n"}),
              ("GET", f"{base}/search/contacts", {"q": "cora"})]

    def statuses() -> list[int]:
        out = []
        for method, path, body in routes:
            query = body if method == "GET" else None
            out.append(api.call(method, path, world.agent.token, body=None if method == "GET" else body,
                                query=query).status)
        return out

    assert set(statuses()) == {200}
    role = make_role(api, world, "Conversations", ["conversation_manage"])
    give_role(api, world, world.agent.id, role["id"])
    assert set(statuses()) == {403}
    everything = api.get(f"{base}/search", world.agent.token, query={"q": "cora"})
    assert everything.status == 200 and everything.json["payload"]["contacts"] == []
    role2 = make_role(api, world, "Contacts", ["contact_manage"])
    give_role(api, world, world.agent.id, role2["id"])
    assert set(statuses()) == {200}
    # Deleting, merging, importing and exporting stay administrators' (as in Chatwoot).
    assert api.delete(f"{base}/contacts/{contact}", world.agent.token).status == 403
    assert api.post(f"{base}/contacts/export", world.agent.token, body={}).status == 403


def test_notifications_follow_the_role(api, world, website, three):
    """A new conversation notifies the inbox's agents whose role shows it."""
    from parley import permissions

    role = make_role(api, world, "Followers", ["conversation_participating_manage"])
    give_role(api, world, world.agent.id, role["id"])
    inbox = website.id
    who = permissions.who_may_see_conversation
    agent, admin = world.agent.id, world.admin.id
    assert who(world.account_id, inbox, 99, None, {agent, admin}) == {admin}
    assert who(world.account_id, inbox, 99, agent, {agent, admin}) == {agent, admin}
    assert who(world.account_id, inbox, 99, admin, {agent}, following={agent}) == {agent}
    triage = make_role(api, world, "Triage", ["conversation_unassigned_manage"])
    give_role(api, world, agent, triage["id"])
    assert who(world.account_id, inbox, 99, None, {agent}) == {agent}
    assert who(world.account_id, inbox, 99, admin, {agent}, following={agent}) == set()


def test_the_notify_consumer_follows_the_role(api, world, website):
    """End to end: a new conversation notifies an agent whose role shows unassigned ones,
    not one whose role shows only followed ones; a mention makes the latter a participant,
    notified and able to open it."""
    from tests.integration.test_notifications import (conversation_with_visitor, listing, mention, note, notify,
                                                      of_type, opt_in)

    opt_in(api, world, world.agent, "conversation_creation")
    followers = make_role(api, world, "Followers", ["conversation_participating_manage"])
    give_role(api, world, world.agent.id, followers["id"])
    first = conversation_with_visitor(website)
    notify()
    assert not of_type(listing(api, world, world.agent), "conversation_creation")
    note(api, world, world.admin, first, f"{mention(world.agent.id, 'Aaron Agent')} can you look?")
    notify()
    [mentioned] = of_type(listing(api, world, world.agent), "conversation_mention")
    assert mentioned["primary_actor_id"] == first
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations/{first}", world.agent.token).status == 200

    triage = make_role(api, world, "Triage", ["conversation_unassigned_manage"])
    give_role(api, world, world.agent.id, triage["id"])
    second = conversation_with_visitor(website)
    notify()
    created = of_type(listing(api, world, world.agent), "conversation_creation")
    assert [n["primary_actor_id"] for n in created] == [second]
