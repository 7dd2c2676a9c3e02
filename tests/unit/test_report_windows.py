"""A report's window and its local groups (services/reporting/windows.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from parley.errors import Invalid
from parley.services.reporting import windows


def local(*args, offset: int) -> int:
    return int(datetime(*args, tzinfo=timezone(timedelta(minutes=offset))).timestamp())


@pytest.mark.parametrize("text,minutes", [("5.5", 330), ("5.75", 345), ("-3.5", -210), ("0", 0), ("", 0),
                                          ("+14", 840), ("-12", -720), ("9.25", 555)])
def test_offsets(text, minutes):
    assert windows.offset_minutes(text) == minutes


@pytest.mark.parametrize("text", ["5.6", "+05:30", "15", "-12.25", "abc", "5.5.5", "nan", "1e1"])
def test_bad_offsets(text):
    with pytest.raises(Invalid) as exc:
        windows.offset_minutes(text)
    assert exc.value.errors[0]["field"] == "timezone_offset"


def test_days_weeks_months_at_quarter_hour_offsets():
    since, until = local(2026, 1, 30, 10, offset=345), local(2026, 3, 3, offset=345)
    w = windows.window(str(since), str(until), "month", "5.75")
    edges, stamps = windows.groups(w)
    assert stamps == [local(2026, 1, 1, offset=345), local(2026, 2, 1, offset=345), local(2026, 3, 1, offset=345)]
    assert edges == [since, local(2026, 2, 1, offset=345), local(2026, 3, 1, offset=345), until]
    weeks = windows.groups(windows.window(str(since), str(until), "week", "-3.5"))[1]
    assert all(datetime.fromtimestamp(t, timezone(timedelta(minutes=-210))).weekday() == 0 for t in weeks)
    assert all(e % 900 == 0 for e in edges)
    days = windows.groups(windows.window(str(local(2026, 3, 1, offset=330)), str(local(2026, 3, 4, offset=330)),
                                         "day", "5.5"))
    assert days[1] == [local(2026, 3, d, offset=330) for d in (1, 2, 3)]
    year = windows.groups(windows.window(str(since), str(until), "year", "5.75"))[1]
    assert year == [local(2026, 1, 1, offset=345)]


def test_since_and_until_floor_to_quarters_and_limits():
    w = windows.window("1000", "5000")
    assert (w.since, w.until) == (900, 4500)
    assert w.previous().since == 900 - 3600 and w.previous().until == 900
    for args, field in [(("5000", "1000"), "since"), (("0", str(732 * 86400)), "since"),
                        (("0", str(32 * 86400), "hour"), "group_by"), (("0", "100", "fortnight"), "group_by"),
                        (("x", "100"), "since"), (("0", "1.5"), "until")]:
        with pytest.raises(Invalid) as exc:
            windows.window(*args)
        assert exc.value.errors[0]["field"] == field
    assert windows.window("0", str(31 * 86400), "hour").group_by == "hour"
    with pytest.raises(Invalid):
        windows.flag("maybe", "business_hours")
