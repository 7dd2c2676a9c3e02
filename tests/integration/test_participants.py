"""Conversation participants: Chatwoot's participants endpoints, who may be one, and the
notifications participants get."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3

from tests import event_pipe
from tests.conftest import LambdaContext, load_function
from tests.integration.test_notifications import conversation_with_visitor, listing, notify, of_type, opt_in


def test_add_replace_remove_participants(api, world, website):
    from parley.services.access import members

    number = conversation_with_visitor(website)
    path = f"/api/v1/accounts/{world.account_id}/conversations/{number}/participants"
    assert api.get(path, world.agent.token).json == []

    added = api.post(path, world.agent.token, body={"user_ids": [world.admin.id, world.agent.id]})
    assert added.status == 200, added.json
    assert sorted(p["id"] for p in added.json) == sorted([world.admin.id, world.agent.id])
    assert {"id", "name", "email", "role", "availability_status", "thumbnail"} <= set(added.json[0])

    replaced = api.patch(path, world.admin.token, body={"user_ids": [world.admin.id]})
    assert [p["id"] for p in replaced.json] == [world.admin.id]
    removed = api.delete(path, world.admin.token, body={"user_ids": [world.admin.id, 999]})
    assert removed.status == 200 and removed.json == []

    # Not a member, another account's user, an agent who cannot see the inbox: 422, nothing changed.
    api.post(path, world.admin.token, body={"user_ids": [world.agent.id]})
    outsider, _ = members.add_agent(world.account_id, name="Olive Out", email="olive@acme.test", role="agent")
    for bad in ([999_999], [world.other_admin.id], [outsider.user_id], [world.admin.id, outsider.user_id]):
        reply = api.post(path, world.admin.token, body={"user_ids": bad})
        assert reply.status == 422, (bad, reply.json)
        assert api.patch(path, world.admin.token, body={"user_ids": bad}).status == 422
    for junk in ({"user_ids": "1"}, {"user_ids": ["x"]}, {"user_ids": [1], "extra": 1}, {}):
        assert api.post(path, world.admin.token, body=junk).status == 422
    assert [p["id"] for p in api.get(path, world.admin.token).json] == [world.agent.id]


def test_who_may_see_and_change_participants(api, world, website):
    from parley import tokens
    from parley.services.access import members, users

    number = conversation_with_visitor(website)
    path = f"/api/v1/accounts/{world.account_id}/conversations/{number}/participants"
    outsider, _ = members.add_agent(world.account_id, name="Olive Out", email="olive@acme.test", role="agent")
    outsider_token = tokens.issue(users.owner(outsider.user_id))
    assert api.get(path, outsider_token).status == 404  # not in the inbox: the conversation is not found
    assert api.post(path, outsider_token, body={"user_ids": [outsider.user_id]}).status == 404
    assert api.get(path, world.other_admin.token).status == 404
    assert api.get(path).status == 401
    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations/999/participants", world.admin.token).status == 404
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/conversations/{number}/participants",
                   world.other_admin.token).status == 404


def test_participants_hear_of_new_messages_but_not_their_own(api, world, website):
    for person in (world.agent, world.admin):
        opt_in(api, world, person, "participating_conversation_new_message")
    number = conversation_with_visitor(website)
    notify()  # the visitor's first message, before anyone took part
    base = f"/api/v1/accounts/{world.account_id}/conversations/{number}"
    api.post(f"{base}/participants", world.agent.token, body={"user_ids": [world.admin.id, world.agent.id]})
    assert api.post(f"{base}/messages", world.admin.token, body={"content": "I'll take a look"}).status == 200
    notify()
    [heard] = of_type(listing(api, world, world.agent), "participating_conversation_new_message")
    assert heard["primary_actor_id"] == number and heard["secondary_actor"]["content"] == "I'll take a look"
    assert not of_type(listing(api, world, world.admin), "participating_conversation_new_message")


def test_a_late_event_does_not_notify_who_joined_after_the_message(api, world, website):
    """EventBridge may deliver (or Lambda retry) a message's event after someone joined."""
    from parley.models.account_object import AccountObject
    from parley.services.conversation import conversations as service, participants

    opt_in(api, world, world.admin, "participating_conversation_new_message")  # else silent anyway
    number = conversation_with_visitor(website)
    sqs = boto3.client("sqs")
    event_pipe.pump()
    url = sqs.get_queue_url(QueueName="test-DomainEventsToNotifyRule-notify-delivery")["QueueUrl"]
    held = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    conversation = service.get_conversation(world.account_id, number)
    participants.add(conversation, [world.admin.id])
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    for item in AccountObject.query(world.account_id, AccountObject.key.startswith("participant#")):
        item.created_at = later
        item.save()
    for body in held:
        load_function("notify").lambda_handler(json.loads(body), LambdaContext())
    assert not of_type(listing(api, world, world.admin), "participating_conversation_new_message")
