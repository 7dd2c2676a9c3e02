"""Notifications: made by the notify consumer from domain events (mentions in private
notes, assignments, new conversations and messages), each visible to its user only, and
pushed live to that user's sockets alone."""
from __future__ import annotations

import json

import boto3

from tests import event_pipe
from tests.conftest import LambdaContext, load_function
from tests.integration.test_realtime import Sockets, connect


def pump(rule: str, target: str, function: str) -> int:
    """Hand what EventBridge delivered for one rule target to its function, as the local
    runner does. Returns how many events were handled."""
    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=f"test-{rule}-{target}-delivery")["QueueUrl"]
    handled = 0
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return handled
        for message in batch:
            load_function(function).lambda_handler(json.loads(message["Body"]), LambdaContext())
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1


def notify() -> int:
    return pump("DomainEventsToNotifyRule", "notify", "notify")


def mention(person_id: int, name: str) -> str:
    return f"[@{name}](mention://user/{person_id}/{name.replace(' ', '%20')})"


def conversation_with_visitor(website) -> int:
    visitor = website.widget.start()
    assert website.widget.say(visitor, "Hello, I need help").status == 200
    conversations = website.widget.call("GET", "conversations", visitor).json
    return conversations[0]["id"] if isinstance(conversations, list) else conversations["id"]


def note(api, world, person, number: int, content: str):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{number}/messages", person.token,
                     body={"content": content, "private": True})
    assert reply.status == 200, reply.json
    return reply.json


def listing(api, world, person, **query):
    reply = api.get(f"/api/v1/accounts/{world.account_id}/notifications", person.token, query=query or None)
    assert reply.status == 200, reply.json
    return reply.json["data"]


def of_type(data: dict, kind: str) -> list[dict]:
    return [n for n in data["payload"] if n["notification_type"] == kind]


def opt_in(api, world, person, *kinds: str) -> None:
    """Select push flags for `kinds` besides the defaults (assignment and mention): the
    other types are off for a new agent, as in Chatwoot."""
    flags = ["push_conversation_assignment", "push_conversation_mention"] + [f"push_{k}" for k in kinds]
    reply = api.patch(f"/api/v1/accounts/{world.account_id}/notification_settings", person.token,
                      body={"notification_settings": {"selected_push_flags": flags}})
    assert reply.status == 200, reply.json


def test_a_mention_notifies_the_mentioned_agent_who_can_see_it(api, world, website):
    from parley.services.access import members

    outsider, _ = members.add_agent(world.account_id, name="Olive Out", email="olive@acme.test", role="agent")
    number = conversation_with_visitor(website)
    notify()
    text = (f"{mention(world.admin.id, 'Ada Admin')} and {mention(outsider.user_id, 'Olive Out')} "
            f"and {mention(world.other_admin.id, 'Gloria Globex')} and {mention(world.agent.id, 'Aaron Agent')}")
    note(api, world, world.agent, number, text)
    notify()

    mine = listing(api, world, world.admin)
    [mentioned] = of_type(mine, "conversation_mention")
    assert mentioned["primary_actor_type"] == "Conversation" and mentioned["primary_actor_id"] == number
    assert mentioned["primary_actor"]["id"] == number and mentioned["read_at"] is None
    assert mentioned["push_message_title"] == f"You have been mentioned in conversation (#{number})"
    assert "@Ada Admin" in mentioned["push_message_body"] and "mention://" not in mentioned["push_message_body"]
    assert mentioned["secondary_actor"]["sender"]["id"] == world.agent.id
    assert mentioned["user"]["id"] == world.admin.id
    assert mine["meta"] == {"unread_count": 1, "count": 1, "current_page": 1}
    # Olive cannot see the inbox, Gloria is in another account, Aaron wrote the note.
    from parley.services.conversation import notifications
    assert notifications.total_count(world.account_id, outsider.user_id) == 0
    assert notifications.total_count(world.other_account_id, world.other_admin.id) == 0
    assert not of_type(listing(api, world, world.agent), "conversation_mention")
    # ... and the mentioned administrator now takes part in the conversation.
    people = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{number}/participants", world.admin.token)
    assert [p["id"] for p in people.json] == [world.admin.id]


def test_read_unread_read_all_and_delete_touch_only_your_own(api, world, website):
    opt_in(api, world, world.agent, "conversation_creation")
    number = conversation_with_visitor(website)
    for _ in range(2):
        note(api, world, world.agent, number, f"Look {mention(world.admin.id, 'Ada Admin')}")
    notify()
    base = f"/api/v1/accounts/{world.account_id}/notifications"
    first, second = listing(api, world, world.admin)["payload"]
    assert first["id"] > second["id"]  # newest first
    assert api.get(f"{base}/unread_count", world.admin.token).json == 2

    # Someone else's notification is not found, whatever they try; nothing changes.
    aaron_own = listing(api, world, world.agent)["payload"][0]["id"]
    for method in ("PATCH", "DELETE"):
        assert api.call(method, f"{base}/{first['id']}", world.agent.token).status == 404
    assert api.post(f"{base}/{first['id']}/unread", world.agent.token).status == 404
    assert api.patch(f"{base}/{aaron_own}", world.admin.token).status == 404
    assert api.get(base, world.other_admin.token).status == 404
    assert api.patch(f"{base}/abc", world.admin.token).status == 404
    assert api.get(f"{base}/unread_count", world.admin.token).json == 2

    read = api.patch(f"{base}/{first['id']}", world.admin.token)
    assert read.status == 200 and read.json["read_at"] and read.json["id"] == first["id"]
    assert api.get(f"{base}/unread_count", world.admin.token).json == 1
    assert api.post(f"{base}/{first['id']}/unread", world.admin.token).json["read_at"] is None
    assert api.get(f"{base}/unread_count", world.admin.token).json == 2

    assert api.post(f"{base}/read_all", world.admin.token, body={"primary_actor_type": "Conversation",
                                                                  "primary_actor_id": number + 100}).status == 200
    assert api.get(f"{base}/unread_count", world.admin.token).json == 2  # another conversation's: none
    assert api.post(f"{base}/read_all", world.admin.token, body={"primary_actor_type": "Inbox"}).status == 422
    assert api.post(f"{base}/read_all", world.admin.token).status == 200
    assert api.get(f"{base}/unread_count", world.admin.token).json == 0
    assert listing(api, world, world.agent)["meta"]["unread_count"] >= 1  # Aaron's untouched

    assert api.delete(f"{base}/{second['id']}", world.admin.token).status == 200
    assert listing(api, world, world.admin)["meta"] == {"unread_count": 0, "count": 1, "current_page": 1}
    assert api.delete(f"{base}/{second['id']}", world.admin.token).status == 404


def test_pages_of_fifteen(api, world, website):
    from parley.services.conversation import notifications

    for n in range(17):
        notifications.create(account_id=world.account_id, user_id=world.admin.id, notification_type="conversation_mention",
                             conversation={"id": 1}, secondary_actor=None, title=f"t{n}", body="", event_id=f"e{n}")
    first, second = listing(api, world, world.admin), listing(api, world, world.admin, page=2)
    assert len(first["payload"]) == 15 and len(second["payload"]) == 2
    assert second["meta"] == {"unread_count": 17, "count": 17, "current_page": 2}
    assert {n["id"] for n in first["payload"]}.isdisjoint(n["id"] for n in second["payload"])
    assert api.get(f"/api/v1/accounts/{world.account_id}/notifications", world.admin.token,
                   query={"page": "0"}).status == 422


def test_assignment_creation_and_new_message_notifications(api, world, website):
    opt_in(api, world, world.agent, "conversation_creation", "assigned_conversation_new_message")
    number = conversation_with_visitor(website)
    notify()
    [created] = of_type(listing(api, world, world.agent), "conversation_creation")
    assert created["primary_actor_id"] == number and "Acme website" in created["push_message_title"]
    assert not listing(api, world, world.admin)["payload"]  # not a member of the inbox

    base = f"/api/v1/accounts/{world.account_id}/conversations/{number}"
    assert api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": world.agent.id}).status == 200
    notify()
    [assigned] = of_type(listing(api, world, world.agent), "conversation_assignment")
    assert assigned["push_message_title"] == f"A conversation (#{number}) has been assigned to you"

    visitor_reply = api.post(f"{base}/messages", world.admin.token, body={"content": "On it"})
    assert visitor_reply.status == 200
    notify()
    [new_message] = of_type(listing(api, world, world.agent), "assigned_conversation_new_message")
    assert new_message["secondary_actor"]["content"] == "On it"
    # The assignee's own reply notifies nobody about it.
    api.post(f"{base}/messages", world.agent.token, body={"content": "Thanks"})
    notify()
    assert len(of_type(listing(api, world, world.agent), "assigned_conversation_new_message")) == 1


def test_the_consumer_is_idempotent_and_ignores_junk(api, world, website):
    from parley.services.conversation import notifications

    opt_in(api, world, world.agent, "conversation_creation")
    number = conversation_with_visitor(website)
    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="test-DomainEventsToNotifyRule-notify-delivery")["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    for body in bodies + bodies:  # EventBridge and Lambda may deliver twice
        load_function("notify").lambda_handler(json.loads(body), LambdaContext())
    assert notifications.total_count(world.account_id, world.agent.id) == 1
    from tests.integration.channel_support import logged

    # Its event commits with it, once: the second delivery writes and announces nothing.
    [created] = logged(world.account_id, "notification.created")
    assert created["unread_count"] == created["count"] == 1
    handler = load_function("notify").lambda_handler
    for junk in ({}, {"detail": "x"}, {"detail": {"event": "message.created", "id": "1", "data": []}},
                 {"detail": {"event": "message.created", "id": "2", "account_id": world.account_id,
                             "data": {"message_type": 1, "conversation": {"id": "x"}}}},
                 {"detail": {"event": "conversation.created", "id": "3", "account_id": world.account_id,
                             "data": {"id": number}}}):
        assert handler(junk, LambdaContext())["created"] == 0


def test_the_live_frame_reaches_only_the_notified_agent(api, world, website):
    number = conversation_with_visitor(website)
    recorder = Sockets()
    try:
        assert connect("admin-socket", token=world.admin.token) == 200
        assert connect("agent-socket", token=world.agent.token) == 200
        notify()  # the conversation's creation (Aaron has not opted in: nothing)
        recorder.frames.clear()
        note(api, world, world.agent, number, f"Please look {mention(world.admin.id, 'Ada Admin')}")
        notify()  # it pushes the notification to the sockets itself
    finally:
        recorder.close()
    admin_frames = [f for f in recorder.frames["admin-socket"] if f["event"] == "notification.created"]
    assert len(admin_frames) == 1
    data = admin_frames[0]["data"]
    assert data["notification"]["notification_type"] == "conversation_mention"
    assert data["unread_count"] == 1 and data["count"] == 1
    assert data["notification"]["user"]["id"] == world.admin.id
    assert not [f for f in recorder.frames["agent-socket"] if f["event"] == "notification.created"]


def test_the_consumer_logs_at_info_level(api, world, website):
    """The local stack and AWS log at INFO (tests at WARNING): the handler's own log line
    must not break it."""
    module = load_function("notify")
    conversation_with_visitor(website)
    level = module.logger.log_level
    module.logger.setLevel("INFO")
    try:
        assert notify() == 2  # conversation.created and message.created, without an error
    finally:
        module.logger.setLevel(level)
