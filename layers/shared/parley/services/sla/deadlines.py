"""SLA deadline arithmetic, pure: when a clock that started at `start` and may run for
`seconds` runs out, counting every second or only the inbox's open hours.

An SLA counted "only during business hours" runs while the inbox is open and stands
still while it is closed: a clock with one hour left at closing time runs out one hour
after the next opening. So a deadline that would have passed at night, on the wall
clock, is not missed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# The one definition of a day's open window (Chatwoot's rows, the inbox's timezone).
from ..account.business_hours import _window

MAX_DAYS = 366 * 3  # a week with no open hours at all never runs out: give up after this


@dataclass(frozen=True)
class Hours:
    """An inbox's working hours: its seven rows by Chatwoot day (0 = Sunday) and its zone."""
    rows: dict
    zone: ZoneInfo

    @classmethod
    def of(cls, rows: list[dict], timezone: str | None) -> "Hours":
        return cls({row["day_of_week"]: row for row in rows}, ZoneInfo(timezone or "UTC"))

    def windows(self, since: float):
        """Open windows [start, end) in epoch seconds, in order, from the one holding (or
        next after) `since` on."""
        day = datetime.fromtimestamp(since, self.zone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            window = _window(self.rows[(day.weekday() + 1) % 7], day, self.zone)
            day += timedelta(days=1)
            if window is None:
                continue
            start, end = window[0].timestamp(), window[1].timestamp()
            if end > since:
                yield max(start, since), end


def due(start: int, seconds: int | float, hours: Hours | None) -> int:
    """The epoch second a clock started at `start` with `seconds` to run runs out.
    `hours` None: every second counts."""
    if hours is None:
        return int(start + seconds)
    left = float(seconds)
    for begin, end in hours.windows(start):
        if begin + left <= end:
            return int(round(begin + left))
        left -= end - begin
    return 2**40  # never open: never due (the caller schedules nothing that far)


def open_seconds(start: int, end: int, hours: Hours | None) -> int:
    """How many of the seconds in [start, end) count."""
    if end <= start:
        return 0
    if hours is None:
        return end - start
    total = 0.0
    for begin, close in hours.windows(start):
        if begin >= end:
            break
        total += min(close, end) - begin
    return int(total)
