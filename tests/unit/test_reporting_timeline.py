"""The metric definitions (services/reporting/timeline.py, docs/reports.md) on scripted
timelines with known answers: pure functions, no tables. The first test is docs/reports.md's
worked example, number for number."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from parley.models.inbox import Inbox
from parley.services.account import business_hours
from parley.services.reporting import timeline
from parley.services.reporting.timeline import Facts, Msg

IST = ZoneInfo("Asia/Kolkata")  # +05:30
USER, OTHER, BOT = 5, 6, 9


def ist(day: int, hour: int, minute: int = 0) -> int:
    """Epoch seconds of 2026-11-<day> hour:minute in India (2 November 2026 is a Monday)."""
    return int(datetime(2026, 11, day, hour, minute, tzinfo=IST).timestamp())


def inbox(enabled: bool = True, zone: str = "Asia/Kolkata") -> Inbox:
    # Chatwoot's default week: Monday to Friday 9:00-17:00, weekends closed.
    return Inbox(1, account_id=1, name="Support", channel_type="web_widget", working_hours_enabled=enabled,
                 timezone=zone)


def hours_of(box: Inbox):
    return lambda start, end: business_hours.open_seconds(box, start, end)


def customer(i: int, at: int) -> Msg:
    return Msg(i, at, timeline.INCOMING, sender_type="Contact", sender_id=1)


def agent(i: int, at: int, user: int = USER, **kw) -> Msg:
    return Msg(i, at, timeline.OUTGOING, sender_type="User", sender_id=user, **kw)


def events(found):
    return [(o.name, o.value, o.value_bh, o.user_id) for o in found if o.name]


def counts(found):
    tally = {}
    for o in found:
        if o.name is None:
            tally[o.metric] = tally.get(o.metric, 0) + 1
    return tally


def worked_example():
    """docs/reports.md, "A worked example"."""
    facts = Facts(account_id=1, display_id=7, inbox_id=1, created_at=ist(2, 8), bot_held=True,
                  bot_handoff_at=ist(2, 8, 30), assignee_id=USER,
                  marks=(("resolved", ist(2, 16, 30), USER), ("reopened", ist(3, 8), USER),
                         ("resolved", ist(3, 10), USER)))
    messages = [
        customer(1, ist(2, 8)),
        Msg(2, ist(2, 8, 5), timeline.OUTGOING, sender_type="AgentBot", sender_id=BOT),
        agent(3, ist(2, 8, 40), private=True),
        agent(4, ist(2, 9, 10)),
        customer(5, ist(2, 9, 20)),
        customer(6, ist(2, 9, 25)),
        agent(7, ist(2, 9, 50), content_attributes={"automation_rule_id": 3}),
        agent(8, ist(2, 10)),
        agent(9, ist(2, 10, 5)),
        Msg(10, ist(2, 16, 30), timeline.ACTIVITY),
        customer(11, ist(3, 8)),
        Msg(12, ist(3, 8, 1), timeline.TEMPLATE),  # an out-of-office reply
        agent(13, ist(3, 9, 30), user=OTHER),
    ]
    return facts, messages


def test_worked_example_of_docs_reports():
    facts, messages = worked_example()
    found = timeline.occurrences(facts, messages, hours_of(inbox()))
    assert events(found) == [
        ("conversation_bot_handoff", 1800, 0, None),
        ("first_response", 2400, 600, USER),
        ("reply_time", 2400, 2400, USER),
        ("conversation_resolved", 28800, 27000, USER),
        ("conversation_opened", 55800, 1800, USER),
        ("reply_time", 5400, 1800, OTHER),
        ("conversation_resolved", 7200, 3600, USER),
    ]
    assert counts(found) == {"conversations": 1, "incoming_messages": 4, "outgoing_messages": 6}
    keys = [o.key for o in found]
    assert len(keys) == len(set(keys))
    assert "first_response#7" in keys and "reply_time#8" in keys and "reply_time#13" in keys
    assert f"conversation_resolved#7#{ist(2, 16, 30)}" in keys and f"conversation_opened#7#{ist(3, 8)}" in keys


def test_without_working_hours_every_second_counts():
    facts, messages = worked_example()
    found = timeline.occurrences(facts, messages, hours_of(inbox(enabled=False)))
    assert all(o.value == o.value_bh for o in found if o.name)


def test_private_notes_bots_automation_and_templates_are_never_a_response():
    created = ist(2, 10)
    facts = Facts(1, 3, 1, created)
    messages = [customer(1, created), agent(2, created + 60, private=True),
                Msg(3, created + 120, timeline.OUTGOING, sender_type="AgentBot", sender_id=BOT),
                Msg(4, created + 130, timeline.OUTGOING, sender_type="Captain::Assistant", sender_id=2),
                agent(5, created + 140, content_attributes={"automation_rule_id": 1}),
                agent(6, created + 150, content_attributes={"campaign_id": 4}),
                Msg(7, created + 160, timeline.TEMPLATE), Msg(8, created + 170, timeline.ACTIVITY)]
    assert events(timeline.occurrences(facts, messages, hours_of(inbox()))) == []
    found = timeline.occurrences(facts, [*messages, agent(9, created + 600)], hours_of(inbox()))
    assert events(found) == [("first_response", 600, 600, USER)]


def test_a_bot_resolved_conversation_has_no_human_times():
    created = ist(2, 11)
    facts = Facts(1, 4, 1, created, bot_held=True, marks=(("resolved", created + 900, None),))
    messages = [customer(1, created), Msg(2, created + 5, timeline.OUTGOING, sender_type="Captain::Assistant")]
    assert events(timeline.occurrences(facts, messages, hours_of(inbox()))) == [
        ("conversation_bot_resolved", 900, 900, None)]


def test_reopened_after_a_bot_resolution_is_the_humans_own():
    created = ist(2, 11)
    facts = Facts(1, 4, 1, created, bot_held=True,
                  marks=(("resolved", created + 900, None), ("reopened", created + 1800, None),
                         ("resolved", created + 2400, USER)))
    assert events(timeline.occurrences(facts, [customer(1, created)], hours_of(inbox()))) == [
        ("conversation_bot_resolved", 900, 900, None), ("conversation_opened", 900, 900, None),
        ("conversation_resolved", 600, 600, USER)]


def test_the_weekend_is_outside_business_hours():
    friday = ist(6, 16)
    facts = Facts(1, 5, 1, friday, marks=(("resolved", ist(9, 10), USER),))
    found = timeline.occurrences(facts, [customer(1, friday), agent(2, ist(9, 9, 30))], hours_of(inbox()))
    # Friday 16:00 to Monday 9:30: 65.5 hours; open: Friday 16-17 and Monday 9-9:30.
    assert events(found) == [("first_response", 235800, 5400, USER), ("conversation_resolved", 237600, 7200, USER)]


def test_open_seconds_follows_daylight_saving():
    paris = inbox(zone="Europe/Paris")
    paris.working_hours = [{"day_of_week": d, "closed_all_day": False, "open_all_day": True, "open_hour": 0,
                            "open_minutes": 0, "close_hour": 0, "close_minutes": 0} for d in range(7)]
    start = int(datetime(2026, 10, 24, 12, tzinfo=ZoneInfo("Europe/Paris")).timestamp())
    assert business_hours.open_seconds(paris, start, start + 2 * 86400) == 2 * 86400  # open all day, 25 h Sunday
    assert business_hours.open_seconds(inbox(), ist(2, 17), ist(2, 9)) == 0  # an empty interval


def test_a_reopening_of_a_resolution_from_before_reporting_starts_a_new_period():
    created = ist(2, 10)
    facts = Facts(1, 6, 1, created, marks=(("reopened", ist(3, 10), USER), ("resolved", ist(3, 11), USER)))
    assert events(timeline.occurrences(facts, [customer(1, created)], hours_of(inbox()))) == [
        ("conversation_resolved", 3600, 3600, USER)]  # from the reopening, not from the creation
