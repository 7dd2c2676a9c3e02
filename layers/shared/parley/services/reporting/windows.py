"""A report's time window: Chatwoot's since / until / group_by / timezone_offset /
business_hours query parameters, validated (422 naming the parameter), and the group
edges they mean in local time (docs/reports.md, "How reports are read").

- since and until are epoch seconds; both are floored to 15 minutes (the finest rollup
  bucket), and the window is [since, until).
- timezone_offset is Chatwoot's: hours east of UTC as a decimal ("5.5", "5.75", "-3.5"),
  a whole number of quarter hours from -12 to +14. Groups are local periods of that fixed
  offset: hours, days (local midnight), weeks (Monday), months, years. The first and last
  groups are clipped to the window; each group's `timestamp` is its local period's start.
- A window is at most MAX_DAYS long; group_by hour at most HOUR_MAX_DAYS.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ...errors import Invalid

QUARTER, HOUR, DAY = 900, 3600, 86400
GROUP_BYS = ("hour", "day", "week", "month", "year")
MAX_DAYS = 731  # two years (one may be a leap year)
HOUR_MAX_DAYS = 31
CHANNEL_MAX_DAYS = 183  # summary_reports/channel: six months, as Chatwoot limits it
DEFAULT_DAYS = 7  # a window without since: the last week, like Chatwoot's dashboard
_EPOCH = re.compile(r"^\d{1,11}$")
_OFFSET = re.compile(r"^[+-]?\d{1,2}(\.\d{1,4})?$")


@dataclass(frozen=True)
class Window:
    since: int
    until: int
    offset_minutes: int = 0
    group_by: str = "day"
    business_hours: bool = False

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.offset_minutes))

    def previous(self) -> "Window":
        """The period of the same length just before (the summary's `previous`)."""
        length = self.until - self.since
        return Window(self.since - length, self.since, self.offset_minutes, self.group_by, self.business_hours)


def epoch(value: str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    if not _EPOCH.match(str(value).strip()):
        raise Invalid(f"{field} must be a time in seconds since the epoch", field=field)
    return int(str(value).strip())


def offset_minutes(value: str | None) -> int:
    """Chatwoot's timezone_offset (decimal hours) in minutes; 422 unless a whole number of
    quarter hours within -12..+14."""
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if not _OFFSET.match(text):
        raise Invalid("timezone_offset must be hours east of UTC, e.g. 5.5 or -3.5", field="timezone_offset")
    hours = float(text)
    minutes = hours * 60
    if not -12 * 60 <= minutes <= 14 * 60 or not math.isclose(minutes / 15, round(minutes / 15), abs_tol=1e-6):
        raise Invalid("timezone_offset must be a whole number of quarter hours from -12 to 14",
                      field="timezone_offset")
    return int(round(minutes))


def flag(value: str | None, field: str) -> bool:
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise Invalid(f"{field} must be true or false", field=field)


def window(since: str | None = None, until: str | None = None, group_by: str | None = None,
           timezone_offset: str | None = None, business_hours: str | None = None, *,
           now: float | None = None, max_days: int = MAX_DAYS) -> Window:
    """The validated window of a report's query parameters."""
    start, end = epoch(since, "since"), epoch(until, "until")
    grouping = group_by or "day"
    if grouping not in GROUP_BYS:
        raise Invalid(f"group_by must be one of: {', '.join(GROUP_BYS)}", field="group_by")
    offset = offset_minutes(timezone_offset)
    hours = flag(business_hours, "business_hours")
    if end is None:
        end = int(time.time() if now is None else now)
    if start is None:
        start = end - DEFAULT_DAYS * DAY
    if start > end:
        raise Invalid("since must not be after until", field="since")
    start, end = start - start % QUARTER, end - end % QUARTER
    if end - start > max_days * DAY:
        raise Invalid(f"since..until may span at most {max_days} days", field="since")
    if grouping == "hour" and end - start > HOUR_MAX_DAYS * DAY:
        raise Invalid(f"group_by hour may span at most {HOUR_MAX_DAYS} days", field="group_by")
    return Window(start, end, offset, grouping, hours)


def period_start(at: int, group_by: str, offset_minutes: int) -> int:
    """The start (epoch) of the local period of `group_by` holding `at`."""
    tz = timezone(timedelta(minutes=offset_minutes))
    local = datetime.fromtimestamp(at, tz)
    if group_by == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if group_by == "week":
            local -= timedelta(days=local.weekday())  # Monday
        elif group_by == "month":
            local = local.replace(day=1)
        elif group_by == "year":
            local = local.replace(month=1, day=1)
    return int(local.timestamp())


def next_period(start: int, group_by: str, offset_minutes: int) -> int:
    tz = timezone(timedelta(minutes=offset_minutes))
    local = datetime.fromtimestamp(start, tz)
    if group_by == "hour":
        return start + HOUR
    if group_by == "day":
        return start + DAY
    if group_by == "week":
        return start + 7 * DAY
    if group_by == "month":
        local = local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)
    else:
        local = local.replace(year=local.year + 1)
    return int(local.timestamp())


def groups(w: Window) -> tuple[list[int], list[int]]:
    """(edges, timestamps): the group edges [since, boundaries..., until] (each a multiple
    of 900: every real offset is whole quarter hours) and each group's local period start."""
    if w.until <= w.since:
        return [w.since], []
    first = period_start(w.since, w.group_by, w.offset_minutes)
    edges, stamps = [w.since], [first]
    at = next_period(first, w.group_by, w.offset_minutes)
    while at < w.until:
        edges.append(at)
        stamps.append(at)
        at = next_period(at, w.group_by, w.offset_minutes)
    edges.append(w.until)
    return edges, stamps
