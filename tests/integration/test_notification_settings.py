"""Notification settings (Chatwoot's GET/PATCH /notification_settings): per user per
account, validated, and honoured by the notify consumer."""
from __future__ import annotations

from tests.integration.test_notifications import conversation_with_visitor, listing, mention, note, notify, of_type

ALL = ("conversation_creation", "conversation_assignment", "conversation_mention",
       "assigned_conversation_new_message", "participating_conversation_new_message",
       "sla_missed_first_response", "sla_missed_next_response", "sla_missed_resolution")
# A missed SLA notifies by default (services/sla): push flags on, as assignments and mentions.
DEFAULT_PUSH = ["push_conversation_assignment", "push_conversation_mention", "push_sla_missed_first_response",
                "push_sla_missed_next_response", "push_sla_missed_resolution"]


def path(account_id: int) -> str:
    return f"/api/v1/accounts/{account_id}/notification_settings"


def test_a_new_agent_has_chatwoots_defaults(api, world):
    reply = api.get(path(world.account_id), world.agent.token)
    assert reply.status == 200, reply.json
    body = reply.json
    assert body["user_id"] == world.agent.id and body["account_id"] == world.account_id
    assert isinstance(body["id"], int)
    assert body["selected_email_flags"] == ["email_conversation_assignment", "email_conversation_mention"]
    assert body["selected_push_flags"] == DEFAULT_PUSH
    assert body["all_email_flags"] == [f"email_{t}" for t in ALL]
    assert body["all_push_flags"] == [f"push_{t}" for t in ALL]
    assert api.get(path(world.account_id), world.agent.token).json["id"] == body["id"]  # stable


def test_patch_replaces_the_given_lists_and_rejects_unknown_flags(api, world):
    base = path(world.account_id)
    reply = api.patch(base, world.agent.token, body={"notification_settings": {
        "selected_email_flags": ["email_conversation_creation", "email_conversation_creation"],
        "selected_push_flags": []}})
    assert reply.status == 200, reply.json
    assert reply.json["selected_email_flags"] == ["email_conversation_creation"]
    assert reply.json["selected_push_flags"] == []
    # The flat form and PUT work too; an omitted list is kept.
    reply = api.put(base, world.agent.token, body={"selected_push_flags": [
        "push_participating_conversation_new_message", "push_conversation_mention"]})
    assert reply.status == 200, reply.json
    assert reply.json["selected_push_flags"] == ["push_conversation_mention", "push_participating_conversation_new_message"]
    assert reply.json["selected_email_flags"] == ["email_conversation_creation"]

    before = api.get(base, world.agent.token).json
    for bad in ({"selected_email_flags": ["email_conversation_creation", "email_everything"]},
                {"selected_email_flags": ["push_conversation_creation"]},  # a push flag in the email list
                {"selected_push_flags": ["conversation_creation"]},
                {"selected_push_flags": "push_conversation_mention"},
                {"selected_push_flags": [7]},
                {"selected_push_flags": ["push_conversation_mention"] * 21},
                {"selected_email_flags": [], "colour": "red"},
                {"notification_settings": {"selected_email_flags": ["nope"]}}):
        reply = api.patch(base, world.agent.token, body=bad)
        assert reply.status == 422, (bad, reply.status, reply.json)
    assert api.patch(base, world.agent.token, body=["x"]).status == 400
    assert api.get(base, world.agent.token).json == before  # nothing half-applied


def test_settings_are_per_user_and_per_account(api, world):
    from parley.services.access import members

    members.add_member(world.other_account_id, world.agent.id, "agent")
    mine = api.patch(path(world.account_id), world.agent.token, body={"selected_push_flags": []})
    assert mine.status == 200
    # The same user in another account, and another user in this one, keep the defaults.
    elsewhere = api.get(path(world.other_account_id), world.agent.token).json
    assert elsewhere["account_id"] == world.other_account_id
    assert elsewhere["selected_push_flags"] == DEFAULT_PUSH
    assert api.get(path(world.account_id), world.admin.token).json["selected_push_flags"] == DEFAULT_PUSH
    # Not a member: not found, nothing written.
    assert api.get(path(world.account_id), world.other_admin.token).status == 404
    assert api.patch(path(world.account_id), world.other_admin.token, body={"selected_push_flags": []}).status == 404
    assert api.get(path(999), world.agent.token).status == 404
    assert api.get(path(world.account_id)).status == 401


def test_leaving_the_account_drops_the_settings(api, world):
    from parley.services.access import members
    from parley.services.account import notification_settings

    member, _ = members.add_agent(world.account_id, name="Lou Leaver", email="lou@acme.test", role="agent")
    notification_settings.update(world.account_id, member.user_id, email=[], push=[])
    members.remove_member(member)
    members.add_member(world.account_id, member.user_id, "agent")
    again = notification_settings.get(world.account_id, member.user_id)
    assert again.data["push"] == DEFAULT_PUSH


def test_the_consumer_makes_only_the_selected_types(api, world, website):
    """New conversations and messages notify nobody by default; assignments and mentions
    do; either flag of a type turns it on; clearing both turns even mentions off."""
    base = path(world.account_id)
    number = conversation_with_visitor(website)  # Aaron is a member of the inbox
    notify()
    assert not of_type(listing(api, world, world.agent), "conversation_creation")
    conversation = f"/api/v1/accounts/{world.account_id}/conversations/{number}"
    assert api.post(f"{conversation}/assignments", world.admin.token, body={"assignee_id": world.agent.id}).status == 200
    assert api.post(f"{conversation}/messages", world.admin.token, body={"content": "First"}).status == 200
    notify()
    mine = listing(api, world, world.agent)
    assert len(of_type(mine, "conversation_assignment")) == 1
    assert not of_type(mine, "assigned_conversation_new_message")

    # An email flag alone is enough (Parley sends no email: the in-app one is made).
    assert api.patch(base, world.agent.token, body={"selected_email_flags": [
        "email_assigned_conversation_new_message", "email_conversation_creation"]}).status == 200
    assert api.post(f"{conversation}/messages", world.admin.token, body={"content": "Second"}).status == 200
    conversation_with_visitor(website)
    notify()
    mine = listing(api, world, world.agent)
    [heard] = of_type(mine, "assigned_conversation_new_message")
    assert heard["secondary_actor"]["content"] == "Second"
    assert len(of_type(mine, "conversation_creation")) == 1

    # Ada turns everything off: her mention is not made, Aaron's settings are untouched.
    assert api.patch(base, world.admin.token, body={"selected_email_flags": [], "selected_push_flags": []}).status == 200
    note(api, world, world.agent, number, f"Look {mention(world.admin.id, 'Ada Admin')}")
    notify()
    assert not of_type(listing(api, world, world.admin), "conversation_mention")
    note(api, world, world.admin, number, f"Back to you {mention(world.agent.id, 'Aaron Agent')}")
    notify()
    assert len(of_type(listing(api, world, world.agent), "conversation_mention")) == 1
