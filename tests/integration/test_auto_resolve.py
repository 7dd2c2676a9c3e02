"""Auto-resolve after the account's auto_resolve_after: one schedule per conversation."""
from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import boto3
import pytest

from tests.conftest import LambdaContext, load_function
from tests.integration.test_conversations import start_chat

BYE = "We closed this conversation after a quiet spell. Write again any time!"


def schedules() -> dict[str, dict]:
    client = boto3.client("scheduler")
    group = os.environ["SCHEDULE_GROUP"]
    return {s["Name"]: client.get_schedule(Name=s["Name"], GroupName=group)
            for s in client.list_schedules(GroupName=group)["Schedules"] if s["Name"].startswith("auto_resolve-")}


def fire(schedule: dict) -> dict:
    """What EventBridge Scheduler does: delete the one-time schedule (ActionAfterCompletion
    DELETE) and invoke the scheduled function with its Input."""
    client = boto3.client("scheduler")
    try:
        client.delete_schedule(Name=schedule["Name"], GroupName=os.environ["SCHEDULE_GROUP"])
    except client.exceptions.ResourceNotFoundException:
        pass  # fired before (a duplicate delivery)
    return load_function("scheduled").lambda_handler(json.loads(schedule["Target"]["Input"]), LambdaContext())


def only(found: dict) -> dict:
    assert len(found) == 1, list(found)
    return next(iter(found.values()))


@pytest.fixture
def clock(monkeypatch):
    from parley.services.messaging import auto_resolve

    def set_to(moment: float):
        monkeypatch.setattr(auto_resolve, "time", SimpleNamespace(time=lambda: moment))
    return set_to


def settings(api, world, **values):
    reply = api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token, body=values)
    assert reply.status == 200, reply.json
    return reply.json


def conversation(api, world, conversation_id) -> dict:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}", world.admin.token).json


def messages(api, world, conversation_id) -> list[dict]:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]


def agent_says(api, world, conversation_id, text):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                     world.agent.token, body={"content": text})
    assert reply.status == 200, reply.json


def test_one_schedule_at_last_activity_plus_duration_and_none_per_message(api, world, website):
    settings(api, world, auto_resolve_after=60, auto_resolve_message=BYE)
    visitor, conversation_id = start_chat(website)
    schedule = only(schedules())
    job = json.loads(schedule["Target"]["Input"])
    last_activity = conversation(api, world, conversation_id)["last_activity_at"]
    assert job == {"task": "auto_resolve", "account_id": world.account_id, "conversation_id": conversation_id,
                   "deadline": job["deadline"]}
    assert last_activity + 3600 - 2 <= job["deadline"] <= last_activity + 3600 + 2
    assert schedule["Name"] == f"auto_resolve-{world.account_id}-{conversation_id}-{job['deadline']}"
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(job["deadline"]))
    assert schedule["ScheduleExpression"] == f"at({moment})" and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == os.environ["SCHEDULED_FUNCTION_ARN"]
    website.widget.say(visitor, "one more thing")
    agent_says(api, world, conversation_id, "sure")
    assert list(schedules()) == [schedule["Name"]]  # activity does not touch the Scheduler


def test_firing_early_moves_the_deadline_late_resolves_and_twice_is_harmless(api, world, website, clock):
    settings(api, world, auto_resolve_after=60, auto_resolve_message=BYE)
    visitor, conversation_id = start_chat(website)
    first = only(schedules())
    time.sleep(1.1)  # so the next message moves the deadline by at least a second
    website.widget.say(visitor, "hello again")
    agent_says(api, world, conversation_id, "on it")
    assert fire(first) == {"done": False}  # early: activity moved on
    second = only(schedules())
    assert second["Name"] != first["Name"]
    deadline = json.loads(second["Target"]["Input"])["deadline"]
    assert deadline > json.loads(first["Target"]["Input"])["deadline"]
    assert conversation(api, world, conversation_id)["status"] == "open"
    assert fire(first) == {"done": False}  # a stale schedule does nothing
    clock(deadline + 3 * 3600)  # late: hours after the deadline
    assert fire(second) == {"done": True}
    assert conversation(api, world, conversation_id)["status"] == "resolved"
    assert fire(second) == {"done": False}  # twice: nothing more
    sent = [m for m in messages(api, world, conversation_id) if m["message_type"] == 3]
    assert [m["content"] for m in sent] == [BYE] and sent[0]["sender"] is None
    assert schedules() == {}


def test_ignore_waiting_keeps_conversations_whose_contact_waits(api, world, website, clock):
    settings(api, world, auto_resolve_after=10, auto_resolve_ignore_waiting=True)
    visitor, conversation_id = start_chat(website)  # the contact's message: waiting on an agent
    schedule = only(schedules())
    clock(json.loads(schedule["Target"]["Input"])["deadline"] + 60)
    assert fire(schedule) == {"done": False}
    assert conversation(api, world, conversation_id)["status"] == "open" and schedules() == {}
    agent_says(api, world, conversation_id, "Here is the answer")  # no longer waiting: scheduled again
    schedule = only(schedules())
    clock(json.loads(schedule["Target"]["Input"])["deadline"] + 60)
    assert fire(schedule) == {"done": True}
    assert conversation(api, world, conversation_id)["status"] == "resolved"
    assert [m for m in messages(api, world, conversation_id) if m["message_type"] == 3] == []  # no message set


def test_resolved_or_disabled_conversations_are_left_alone(api, world, website, clock):
    settings(api, world, auto_resolve_after=10)
    _, conversation_id = start_chat(website)
    schedule = only(schedules())
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    api.post(f"{base}/toggle_status", world.agent.token, body={"status": "pending"})
    clock(json.loads(schedule["Target"]["Input"])["deadline"] + 60)
    assert fire(schedule) == {"done": False}
    assert conversation(api, world, conversation_id)["status"] == "pending"
    # Switched off: the pending schedule finds nothing to do, and new activity schedules nothing.
    api.post(f"{base}/toggle_status", world.agent.token, body={"status": "open"})
    agent_says(api, world, conversation_id, "back")
    schedule = only(schedules())
    shown = settings(api, world, auto_resolve_after=None)
    assert "auto_resolve_after" not in shown["settings"]
    assert fire(schedule) == {"done": False}
    agent_says(api, world, conversation_id, "still here")
    assert schedules() == {} and conversation(api, world, conversation_id)["status"] == "open"


def test_a_shorter_duration_replaces_the_pending_schedule(api, world, website):
    settings(api, world, auto_resolve_after=1440)
    visitor, conversation_id = start_chat(website)
    day = only(schedules())
    settings(api, world, auto_resolve_after=30)
    website.widget.say(visitor, "ping")
    half_hour = only(schedules())  # the day-long one is gone
    assert json.loads(half_hour["Target"]["Input"])["deadline"] < json.loads(day["Target"]["Input"])["deadline"]


def test_account_settings_are_validated(api, world):
    path = f"/api/v1/accounts/{world.account_id}"
    for body in ({"auto_resolve_after": 9}, {"auto_resolve_after": 1_439_857}, {"auto_resolve_after": "soon"},
                 {"auto_resolve_ignore_waiting": "maybe"}, {"auto_resolve_message": "x" * 10_001}):
        assert api.patch(path, world.admin.token, body=body).status == 422, body
    assert api.patch(path, world.agent.token, body={"auto_resolve_after": 60}).status == 403
    assert "auto_resolve_after" not in api.get(path, world.admin.token).json["settings"]


def test_scheduled_function_ignores_junk_auto_resolve_tasks(aws):
    handler = load_function("scheduled").lambda_handler
    for event in ({"task": "auto_resolve"}, {"task": "auto_resolve", "account_id": 1, "conversation_id": "x",
                                              "deadline": 1}, {"task": ["auto_resolve"]}, [1, 2]):
        assert handler(event, LambdaContext()) == {"done": False}
    # Well formed, but for a conversation that does not exist.
    assert handler({"task": "auto_resolve", "account_id": 99, "conversation_id": 1, "deadline": 1},
                   LambdaContext()) == {"done": False}
