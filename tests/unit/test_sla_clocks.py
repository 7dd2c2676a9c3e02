"""SLA deadline arithmetic and the clocks' evaluation (services/sla): pure functions, no
AWS. Times are UTC unless an inbox's zone says otherwise."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "layers" / "shared"))

from parley.services.sla.applied import (ACTIVE, ACTIVE_WITH_MISSES, HIT, MISSED, Facts,  # noqa: E402
                                         evaluate)
from parley.services.sla.deadlines import Hours, due, open_seconds  # noqa: E402


def at(text: str, zone=timezone.utc) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def weekdays(open_hour=9, close_hour=17, timezone_name="UTC") -> Hours:
    """Monday to Friday open_hour-close_hour, closed at weekends (Chatwoot's rows, 0 = Sunday)."""
    rows = [{"day_of_week": d, "closed_all_day": d in (0, 6), "open_all_day": False, "open_hour": open_hour,
             "open_minutes": 0, "close_hour": close_hour, "close_minutes": 0} for d in range(7)]
    return Hours.of(rows, timezone_name)


HOUR = 3600
# 2026-12-04 is a Friday.


def test_wall_clock_deadline_counts_every_second():
    assert due(at("2026-12-04T16:30:00"), HOUR, None) == at("2026-12-04T17:30:00")
    assert open_seconds(at("2026-12-04T16:30:00"), at("2026-12-04T17:30:00"), None) == HOUR


def test_business_hours_deadline_stands_still_while_closed():
    hours = weekdays()
    # 30 minutes left on Friday, the other 30 after Monday's opening.
    assert due(at("2026-12-04T16:30:00"), HOUR, hours) == at("2026-12-07T09:30:00")
    # Started at night: runs from the next opening.
    assert due(at("2026-12-03T22:00:00"), HOUR, hours) == at("2026-12-04T10:00:00")
    # Within one open window.
    assert due(at("2026-12-04T10:00:00"), 2 * HOUR, hours) == at("2026-12-04T12:00:00")
    # Longer than a day of opening hours: 8 h a day.
    assert due(at("2026-12-03T09:00:00"), 10 * HOUR, hours) == at("2026-12-04T11:00:00")
    assert open_seconds(at("2026-12-04T16:30:00"), at("2026-12-07T09:30:00"), hours) == HOUR


def test_business_hours_in_the_inboxs_zone_with_a_half_hour_offset():
    hours = weekdays(timezone_name="Asia/Kolkata")  # +05:30: 09:00 local is 03:30 UTC
    assert due(at("2026-12-04T02:00:00"), HOUR, hours) == at("2026-12-04T04:30:00")


def test_a_week_without_open_hours_never_runs_out():
    rows = [{"day_of_week": d, "closed_all_day": True, "open_all_day": False, "open_hour": 9, "open_minutes": 0,
             "close_hour": 17, "close_minutes": 0} for d in range(7)]
    assert due(at("2026-12-04T10:00:00"), HOUR, Hours.of(rows, "UTC")) > at("2100-01-01T00:00:00")


def policy(**thresholds) -> dict:
    state = {"sla_status": ACTIVE, "sla_events": []}
    for name in ("first_response", "next_response", "resolution"):
        state[f"sla_{name}_time_threshold"] = thresholds.get(name)
    return state


def test_deadline_passing_while_the_office_is_closed_is_not_a_miss():
    hours = weekdays()
    state = policy(first_response=HOUR)
    facts = Facts(status="open", started_at=at("2026-12-04T16:30:00"), first_reply_at=None, waiting_since=None)
    # Friday 17:30 and all weekend: an hour of wall clock has passed, not of open time.
    saturday = evaluate(state, facts, hours, at("2026-12-05T12:00:00"))
    assert saturday.misses == [] and saturday.status == ACTIVE
    assert saturday.next_due == at("2026-12-07T09:30:00") and saturday.due_type == "frt"
    # Without business hours the same moment is a miss.
    wall = evaluate(state, facts, None, at("2026-12-05T12:00:00"))
    assert [m["event_type"] for m in wall.misses] == ["frt"] and wall.status == ACTIVE_WITH_MISSES
    # Answered Monday at 09:20: hit.
    answered = Facts(status="resolved", started_at=facts.started_at, first_reply_at=at("2026-12-07T09:20:00"),
                     waiting_since=None, resolved_at=at("2026-12-07T09:25:00"))
    settled = evaluate(state, answered, hours, at("2026-12-07T09:25:00"))
    assert settled.misses == [] and settled.status == HIT and settled.settled


def test_the_next_deadline_is_the_earliest_running_clock():
    state = policy(first_response=HOUR, resolution=8 * HOUR)
    facts = Facts(status="open", started_at=1000, first_reply_at=None, waiting_since=1000)
    out = evaluate(state, facts, None, 1500)
    assert (out.next_due, out.due_type) == (1000 + HOUR, "frt")
    replied = Facts(status="open", started_at=1000, first_reply_at=2000, waiting_since=None)
    out = evaluate(state, replied, None, 2500)
    assert (out.next_due, out.due_type, out.misses) == (1000 + 8 * HOUR, "rt", [])


def test_next_response_clock_runs_per_customer_wait_and_misses_once():
    state = policy(first_response=HOUR, next_response=600)
    waiting = Facts(status="open", started_at=0, first_reply_at=100, waiting_since=1000)
    assert evaluate(state, waiting, None, 1200).next_due == 1600
    missed = evaluate({**state, "nrt_wait": {"waiting_since": 1000, "message_id": 77}}, waiting, None, 1600)
    assert missed.misses == [{"event_type": "nrt", "meta": {"waiting_since": 1000, "message_id": 77},
                              "created_at": 1600}]
    recorded = {**state, "sla_events": [{"id": 1, **missed.misses[0]}]}
    again = evaluate(recorded, waiting, None, 5000)
    assert again.misses == [] and again.next_due is None and again.status == ACTIVE_WITH_MISSES
    # A new wait after the next reply has its own clock.
    later = Facts(status="open", started_at=0, first_reply_at=100, waiting_since=9000)
    assert evaluate(recorded, later, None, 9100).next_due == 9600


def test_a_late_reply_is_a_miss_even_before_the_schedule_fired():
    state = policy(first_response=HOUR)
    late = Facts(status="open", started_at=0, first_reply_at=HOUR + 5, waiting_since=None)
    assert [m["event_type"] for m in evaluate(state, late, None, HOUR + 6).misses] == ["frt"]
    state = {**policy(first_response=HOUR, next_response=600), "nrt_wait": {"waiting_since": 5000, "message_id": 9}}
    answered = Facts(status="open", started_at=0, first_reply_at=100, waiting_since=None)
    out = evaluate(state, answered, None, 5700, responded_at=5650)
    assert out.misses == [{"event_type": "nrt", "meta": {"waiting_since": 5000, "message_id": 9}, "created_at": 5600}]


def test_resolution_stops_every_clock_and_settles():
    state = policy(first_response=HOUR, next_response=600, resolution=2 * HOUR)
    resolved = Facts(status="resolved", started_at=0, first_reply_at=100, waiting_since=None, resolved_at=1000)
    out = evaluate(state, resolved, None, 10 * HOUR)  # evaluated long after: the clocks stopped at 1000
    assert out.misses == [] and out.next_due is None and out.status == HIT and out.settled
    # Resolved after the resolution deadline: missed.
    late = Facts(status="resolved", started_at=0, first_reply_at=100, waiting_since=None, resolved_at=3 * HOUR)
    out = evaluate(state, late, None, 3 * HOUR)
    assert [m["event_type"] for m in out.misses] == ["rt"] and out.status == MISSED
    # Settled is final.
    settled = {**state, "settled": True, "sla_status": HIT}
    assert evaluate(settled, Facts("open", 0, None, 50), None, 99 * HOUR).misses == []


def test_clocks_wait_while_a_bot_holds_the_conversation():
    state = policy(first_response=HOUR, resolution=HOUR)
    out = evaluate(state, Facts(status="pending", started_at=None, first_reply_at=None, waiting_since=10), None,
                   10 * HOUR)
    assert out.misses == [] and out.next_due is None and out.status == ACTIVE
