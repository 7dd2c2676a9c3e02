"""Rollups written through rollups.add (in a transaction, as the reporting consumer does)
read back through rollups.totals, at UTC and at a quarter-hour offset with its phase."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from parley import dynamo
from parley.services.reporting import rollups
from parley.services.reporting.rollups import DAY, phase_of


def local(*args, offset_minutes: int) -> int:
    return int(datetime(*args, tzinfo=timezone(timedelta(minutes=offset_minutes))).timestamp())


def test_add_then_totals(aws):
    rollups.forget()
    account = 41
    nepal = phase_of(345)
    now = local(2026, 3, 1, offset_minutes=345)
    # The phase is added before the timeline: complete from its first day after the cache time.
    known = rollups.ensure_phase(account, nepal, now=now - DAY)
    assert known == {nepal: now}
    timeline = [  # (local day, hour, minute, agent, value)
        (1, 0, 5, 3, 600), (1, 23, 50, 3, 7200), (2, 0, 0, 4, 100), (2, 12, 0, 3, 30000), (3, 6, 44, 4, 90000),
    ]
    for day, hour, minute, agent, value in timeline:
        with dynamo.transaction() as tx:
            rollups.add(tx, account, "first_response", local(2026, 3, day, hour, minute, offset_minutes=345),
                        [("agent", agent), ("inbox", 9)], value=value, value_bh=value // 2)
    with dynamo.transaction() as tx:  # another account's occurrence never shows
        rollups.add(tx, account + 1, "first_response", now, [("agent", 3)], value=5)

    edges = [now + i * DAY for i in range(4)]
    by_day = rollups.totals(account, "account", [0], edges)[0]
    assert [t.count("first_response") for t in by_day] == [2, 2, 1]
    assert [t.total("first_response") for t in by_day] == [7800, 30100, 90000]
    assert [t.total_bh("first_response") for t in by_day] == [3900, 15050, 45000]
    assert by_day[0]["first_response_d0"] == 1 and by_day[0]["first_response_d1"] == 1
    assert by_day[2]["first_response_d4"] == 1

    agents = rollups.totals(account, "agent", [3, 4, 5], [edges[0], edges[-1]])
    assert {a: t[0].count("first_response") for a, t in agents.items()} == {3: 3, 4: 2, 5: 0}
    assert agents[3][0].average("first_response") == (600 + 7200 + 30000) / 3

    # The same days composed from UTC hours and quarters (no phase known) give the same sums.
    composed = rollups.totals(account, "account", [0], edges, known_phases={})[0]
    assert [t.values for t in composed] == [t.values for t in by_day]
    # A 15-minute group at the day's edge: only the occurrence at 00:05 local.
    edge = rollups.totals(account, "inbox", [9], [now, now + 900])[9][0]
    assert edge.count("first_response") == 1 and edge.total("first_response") == 600


def test_a_phase_filled_from_finer_buckets(aws):
    """The rebuild's way to make a phase's past days complete: compose them from UTC days,
    hours and quarters, then move complete_since back; the answers do not change, the keys
    read do (one per day)."""
    rollups.forget()
    account, india = 43, phase_of(330)
    start = local(2026, 4, 1, offset_minutes=330)
    for hour in range(0, 72, 5):
        with dynamo.transaction() as tx:
            rollups.add(tx, account, "conversations", start + hour * 3600 + 600, [("inbox", 2)])
    edges = [start + i * DAY for i in range(4)]
    composed = rollups.totals(account, "inbox", [2], edges, known_phases={})[2]
    known = rollups.ensure_phase(account, india, now=start + 10 * DAY, also=lambda: [phase_of(-300)])
    assert set(known) == {india, phase_of(-300)} and known[india] > edges[-1]
    assert rollups.fill_phase_days(account, india, [("account", 0), ("inbox", 2)], start, 3) == 6
    rollups.mark_complete_since(account, india, start)
    assert rollups.phases(account)[india] == start
    plan = rollups.plan(account, "inbox", [2], edges, rollups.grids_of(account))[2]
    assert plan == [[(f"{account}#inbox#2#d{india}", day)] for day in edges[:-1]]
    assert [t.values for t in rollups.totals(account, "inbox", [2], edges)[2]] == [t.values for t in composed]
    assert [t.count("conversations") for t in composed] == [5, 5, 5]
