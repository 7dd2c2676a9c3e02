"""Snoozed conversations reopen on time through one schedule each (EventBridge Scheduler)."""
from __future__ import annotations

import json
import os
import time

import boto3
import pytest

from tests.conftest import LambdaContext, load_function
from tests.integration.test_conversations import start_chat


def schedules() -> dict[str, dict]:
    client = boto3.client("scheduler")
    group = os.environ["SCHEDULE_GROUP"]
    return {s["Name"]: client.get_schedule(Name=s["Name"], GroupName=group)
            for s in client.list_schedules(GroupName=group)["Schedules"]}


def fire(schedule: dict) -> dict:
    return load_function("scheduled").lambda_handler(json.loads(schedule["Target"]["Input"]), LambdaContext())


class Chat:
    """A visitor's new conversation, as its agent sees and snoozes it."""

    def __init__(self, api, world, website):
        self.api, self.token = api, world.agent.token
        self.visitor, self.id = start_chat(website)
        self.path = f"/api/v1/accounts/{world.account_id}/conversations/{self.id}"

    def toggle(self, status: str, until: int | None = None):
        body = {"status": status} if until is None else {"status": status, "snoozed_until": until}
        return self.api.post(f"{self.path}/toggle_status", self.token, body=body)

    def status(self) -> str:
        return self.api.get(self.path, self.token).json["status"]


@pytest.fixture
def chat(api, world, website) -> Chat:
    return Chat(api, world, website)


def test_snooze_creates_one_schedule_and_it_reopens_the_conversation(world, chat):
    until = int(time.time()) + 3600
    snoozed = chat.toggle("snoozed", until)
    assert snoozed.status == 200 and snoozed.json["payload"]["current_status"] == "snoozed"
    found = schedules()
    assert list(found) == [f"reopen_snoozed-{world.account_id}-{chat.id}"]
    schedule = next(iter(found.values()))
    moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(until))
    assert schedule["ScheduleExpression"] == f"at({moment})" and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == os.environ["SCHEDULED_FUNCTION_ARN"]
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == os.environ["SCHEDULE_DLQ_ARN"]
    assert fire(schedule) == {"done": True}
    assert chat.status() == "open"


def test_snoozing_again_moves_the_schedule_and_a_stale_one_does_nothing(chat):
    first = int(time.time()) + 600
    chat.toggle("snoozed", first)
    stale = next(iter(schedules().values()))
    later = first + 600
    chat.toggle("snoozed", later)
    assert len(schedules()) == 1 and str(time.gmtime(later).tm_min) in next(iter(schedules().values()))["ScheduleExpression"]
    assert fire(stale) == {"done": False}  # fired for the old time: the conversation stays snoozed
    assert chat.status() == "snoozed"


def test_reopening_or_a_reply_cancels_the_schedule(website, chat):
    until = int(time.time()) + 600
    chat.toggle("snoozed", until)
    chat.toggle("open")
    assert schedules() == {}
    chat.toggle("snoozed", until)
    website.widget.say(chat.visitor, "are you there?")  # the contact's message reopens it
    assert schedules() == {} and chat.status() == "open"


def test_bad_snooze_times_are_refused(chat):
    for until in (int(time.time()) - 10, int(time.time()) + 400 * 24 * 3600, -5):
        assert chat.toggle("snoozed", until).status == 422, until
    assert schedules() == {} and chat.status() == "open"


def test_scheduled_function_ignores_junk(aws):
    handler = load_function("scheduled").lambda_handler
    for event in ({}, {"task": "launch"}, {"task": "reopen_snoozed", "account_id": "x"}, None):
        assert handler(event, LambdaContext()) == {"done": False}
