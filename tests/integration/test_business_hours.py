"""Inbox working hours, greeting and out-of-office replies."""
from __future__ import annotations

import calendar
import time
from types import SimpleNamespace

import pytest

from tests.integration.test_conversations import start_chat
from tests.spec import assert_matches

TEMPLATE = 3
GREETING = "Hi! An agent will be with you shortly."
AWAY = "We are away right now and will answer in the morning."


def week(**days) -> list[dict]:
    """Seven rows: each day closed unless given as (open_h, open_m, close_h, close_m) or 'all'."""
    rows = []
    for day in range(7):
        hours = days.get(f"d{day}")
        row = {"day_of_week": day, "closed_all_day": hours is None, "open_all_day": hours == "all",
               "open_hour": None, "open_minutes": None, "close_hour": None, "close_minutes": None}
        if isinstance(hours, tuple):
            row.update(open_hour=hours[0], open_minutes=hours[1], close_hour=hours[2], close_minutes=hours[3])
        rows.append(row)
    return rows


OPEN_ALWAYS = week(**{f"d{d}": "all" for d in range(7)})
CLOSED_ALWAYS = week()


def inbox_path(world, website) -> str:
    return f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}"


def configure(api, world, website, **settings):
    reply = api.patch(inbox_path(world, website), world.admin.token, body=settings)
    assert reply.status == 200, reply.json
    return reply.json


def templates(api, world, conversation_id) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages", world.admin.token)
    assert reply.status == 200, reply.json
    return [m for m in reply.json["payload"] if m["message_type"] == TEMPLATE]


@pytest.fixture
def clock(monkeypatch):
    """Set the time the out-of-office check sees (epoch seconds)."""
    from parley.services.messaging import auto_messages

    def set_to(moment: float):
        monkeypatch.setattr(auto_messages, "time", SimpleNamespace(time=lambda: moment))
    return set_to


def utc(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M"))


# ---------------------------------------------------------------- settings

def test_inbox_shows_chatwoot_default_hours_and_takes_an_update(api, world, website):
    shown = api.get(inbox_path(world, website), world.admin.token).json
    assert shown["timezone"] == "UTC" and shown["working_hours_enabled"] is False
    assert [d["day_of_week"] for d in shown["working_hours"]] == list(range(7))
    assert shown["working_hours"][0]["closed_all_day"] and shown["working_hours"][1]["open_hour"] == 9
    hours = week(d1=(8, 30, 17, 45), d2="all", d3=(9, 0, 12, 0))
    updated = configure(api, world, website, working_hours_enabled=True, working_hours=hours,
                        timezone="America/New_York", out_of_office_message=AWAY, greeting_enabled=True,
                        greeting_message=GREETING)
    assert_matches(updated, "patch", "/api/v1/accounts/{account_id}/inboxes/{id}")
    again = api.get(inbox_path(world, website), world.admin.token).json
    assert_matches(again, "get", "/api/v1/accounts/{account_id}/inboxes/{id}/")
    assert again["working_hours"][1] == {"day_of_week": 1, "closed_all_day": False, "open_hour": 8, "open_minutes": 30,
                                         "close_hour": 17, "close_minutes": 45, "open_all_day": False}
    assert again["working_hours"][2]["open_all_day"] and again["working_hours"][0]["closed_all_day"]
    assert (again["timezone"], again["out_of_office_message"], again["greeting_message"]) == \
        ("America/New_York", AWAY, GREETING)
    assert again["working_hours_enabled"] and again["greeting_enabled"]
    assert api.patch(inbox_path(world, website), world.agent.token, body={"timezone": "UTC"}).status == 403
    created = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Night desk", "channel": {"type": "api"}, "timezone": "Asia/Kolkata", "working_hours_enabled": True,
        "working_hours": OPEN_ALWAYS, "out_of_office_message": AWAY})
    assert created.status == 200, created.json
    assert created.json["timezone"] == "Asia/Kolkata" and all(d["open_all_day"] for d in created.json["working_hours"])
    refused = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Bad desk", "channel": {"type": "api"}, "timezone": "Nowhere/Land"})
    assert refused.status == 422
    listed = api.get(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token).json["payload"]
    assert sorted(i["name"] for i in listed) == ["Acme website", "Night desk"]  # nothing half-created


def _row(day: int, **changes) -> list[dict]:
    rows = week(d1=(9, 0, 17, 0))
    rows[day] = {**rows[day], **changes}
    return rows


BAD = [
    {"working_hours": week()[:6]},
    {"working_hours": week() + week()[:1]},
    {"working_hours": week()[:6] + [{**week()[0]}]},  # Sunday twice, Saturday missing
    {"working_hours": _row(1, open_hour=24)},
    {"working_hours": _row(1, close_minutes=60)},
    {"working_hours": _row(1, open_hour=-1)},
    {"working_hours": _row(1, close_hour=8)},  # closes before it opens
    {"working_hours": _row(1, close_hour=9)},  # closes when it opens
    {"working_hours": _row(1, close_hour=None)},
    {"working_hours": _row(1, open_hour="nine")},
    {"working_hours": _row(2, closed_all_day=True, open_all_day=True)},
    {"working_hours": _row(3, day_of_week=7)},
    {"working_hours": _row(3, sneaky=True)},
    {"working_hours": None},
    {"working_hours": "always"},
    {"timezone": "Mars/Olympus_Mons"},
    {"timezone": "../../etc/passwd"},
    {"timezone": ""},
    {"timezone": None},
    {"timezone": "Europe/Paris", "working_hours": week()[:3]},  # half-valid: nothing may change
]


def test_bad_hours_or_timezone_are_refused_and_change_nothing(api, world, website):
    before = api.get(inbox_path(world, website), world.admin.token).json
    for body in BAD:  # one inbox for all cases: each must leave it exactly as it was
        reply = api.patch(inbox_path(world, website), world.admin.token, body=body)
        assert reply.status == 422, (body, reply.status, reply.json)
        assert reply.json["error"]
        assert api.get(inbox_path(world, website), world.admin.token).json == before, body


# ---------------------------------------------------------------- greeting

def test_greeting_is_sent_once_as_a_template_without_sender(api, world, website):
    configure(api, world, website, greeting_enabled=True, greeting_message=GREETING)
    visitor, conversation_id = start_chat(website)
    website.widget.say(visitor, "anyone?")
    sent = templates(api, world, conversation_id)
    assert [m["content"] for m in sent] == [GREETING]
    assert sent[0]["sender"] is None and "sender_type" not in sent[0]
    # The visitor sees it too, after their first message.
    shown = website.widget.call("GET", "messages", visitor).json["payload"]
    assert [m["content"] for m in shown] == ["Hello, I need help", GREETING, "anyone?"]


def test_no_greeting_when_disabled_or_when_an_agent_started_the_conversation(api, world, website):
    configure(api, world, website, greeting_enabled=False, greeting_message=GREETING)
    visitor, conversation_id = start_chat(website)
    assert templates(api, world, conversation_id) == []
    configure(api, world, website, greeting_enabled=True)
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages", world.agent.token,
             body={"content": "Hello from Acme"})
    website.widget.say(visitor, "thanks")
    assert templates(api, world, conversation_id) == []  # an agent already answered


# ---------------------------------------------------------------- out of office

def test_out_of_office_reply_once_per_closed_period_and_no_greeting_with_it(api, world, website):
    configure(api, world, website, working_hours_enabled=True, working_hours=CLOSED_ALWAYS,
              out_of_office_message=AWAY, greeting_enabled=True, greeting_message=GREETING)
    visitor, conversation_id = start_chat(website)
    website.widget.say(visitor, "hello??")
    assert [m["content"] for m in templates(api, world, conversation_id)] == [AWAY]


def test_no_out_of_office_reply_while_open_or_when_disabled(api, world, website):
    configure(api, world, website, working_hours_enabled=True, working_hours=OPEN_ALWAYS, out_of_office_message=AWAY)
    _, open_conversation = start_chat(website)
    assert templates(api, world, open_conversation) == []
    configure(api, world, website, working_hours_enabled=False, working_hours=CLOSED_ALWAYS)
    visitor = website.widget.start()
    conversation_id = website.widget.say(visitor, "hi").json["conversation_id"]
    assert templates(api, world, conversation_id) == []


def test_each_closed_period_gets_its_own_reply(api, world, website, clock):
    # Open Monday to Friday 9:00-17:00 UTC; 2025-01-06 is a Monday.
    configure(api, world, website, working_hours_enabled=True, out_of_office_message=AWAY,
              working_hours=week(**{f"d{d}": (9, 0, 17, 0) for d in range(1, 6)}))
    clock(utc("2025-01-06 20:00"))
    visitor, conversation_id = start_chat(website)
    clock(utc("2025-01-07 08:00"))  # the same night
    website.widget.say(visitor, "still there?")
    clock(utc("2025-01-07 12:00"))  # open
    website.widget.say(visitor, "hello at noon")
    assert len(templates(api, world, conversation_id)) == 1
    clock(utc("2025-01-07 18:30"))  # the next evening: a new closed period
    website.widget.say(visitor, "and now?")
    assert len(templates(api, world, conversation_id)) == 2
    clock(utc("2025-01-10 20:00"))  # Friday evening
    website.widget.say(visitor, "friday")
    clock(utc("2025-01-12 10:00"))  # Sunday: the same period that began Friday 17:00
    website.widget.say(visitor, "weekend")
    assert [m["content"] for m in templates(api, world, conversation_id)] == [AWAY, AWAY, AWAY]


def test_out_of_office_is_suppressed_after_an_agent_reply_in_the_last_five_minutes(api, world, website, clock):
    visitor, conversation_id = start_chat(website)
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages", world.agent.token,
             body={"content": "Let me check that for you"})
    configure(api, world, website, working_hours_enabled=True, working_hours=CLOSED_ALWAYS, out_of_office_message=AWAY)
    website.widget.say(visitor, "thanks, waiting")
    assert templates(api, world, conversation_id) == []  # the agent is in the conversation
    clock(time.time() + 6 * 60)
    website.widget.say(visitor, "hello? it has been a while")
    assert [m["content"] for m in templates(api, world, conversation_id)] == [AWAY]


@pytest.mark.parametrize("hours, expect_reply", [
    # Monday open all day and Tuesday closed, in Kolkata: 23:30 UTC Monday is 05:00 Tuesday there.
    (week(d1="all"), True),
    # Only Tuesday 04:30-06:00 in Kolkata: open then, although it is Monday night in UTC.
    (week(d2=(4, 30, 6, 0)), False),
])
def test_hours_are_read_in_the_inbox_timezone(api, world, website, clock, hours, expect_reply):
    configure(api, world, website, working_hours_enabled=True, working_hours=hours, timezone="Asia/Kolkata",
              out_of_office_message=AWAY)
    clock(utc("2025-01-06 23:30"))
    _, conversation_id = start_chat(website)
    assert [m["content"] for m in templates(api, world, conversation_id)] == ([AWAY] if expect_reply else [])


def test_muted_conversations_get_no_auto_reply(api, world, website):
    visitor, conversation_id = start_chat(website)
    base = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}"
    api.post(f"{base}/mute", world.agent.token)
    api.post(f"{base}/toggle_status", world.agent.token, body={"status": "resolved"})
    configure(api, world, website, greeting_enabled=True, greeting_message=GREETING)
    website.widget.say(visitor, "spam spam")  # stays resolved: muted
    assert api.get(base, world.agent.token).json["status"] == "resolved"
    assert templates(api, world, conversation_id) == []
