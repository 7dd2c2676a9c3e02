"""An inbox's working hours: Chatwoot's seven rows (day_of_week 0 = Sunday), read in the
inbox's IANA timezone. Used to validate settings and to decide whether an out-of-office
reply is due."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import Invalid
from ...models.inbox import DEFAULT_WORKING_HOURS, Inbox, working_hours

FIELDS = ("day_of_week", "closed_all_day", "open_hour", "open_minutes", "close_hour", "close_minutes",
          "open_all_day")




def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid(f"{name!r} is not a known IANA timezone (e.g. Europe/Paris)", field="timezone") from None
    return name


def _number(entry: dict, key: str, low: int, high: int, day: int) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"working_hours day {day}: {key} must be a whole number from {low} to {high}",
                      field="working_hours")
    return value


def normalize(entries: list[dict], previous: list[dict] | None = None) -> list[dict]:
    """Seven valid rows sorted by day, or Invalid. A closed or all-day row may leave its
    times out (Chatwoot sends null); it keeps the inbox's earlier times for that day, so
    reopening the day in the dashboard brings them back."""
    if not isinstance(entries, list) or len(entries) != 7:
        raise Invalid("working_hours must have 7 entries, one per day of the week (0 = Sunday)",
                      field="working_hours")
    before = {row["day_of_week"]: row for row in (previous or DEFAULT_WORKING_HOURS)}
    rows: dict[int, dict] = {}
    for entry in entries:
        day = entry.get("day_of_week")
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise Invalid("working_hours: day_of_week must be 0 (Sunday) to 6 (Saturday)", field="working_hours")
        if day in rows:
            raise Invalid(f"working_hours: day {day} appears twice", field="working_hours")
        closed, all_day = bool(entry.get("closed_all_day")), bool(entry.get("open_all_day"))
        if closed and all_day:
            raise Invalid(f"working_hours day {day}: a day cannot be both closed and open all day",
                          field="working_hours")
        row = {"day_of_week": day, "closed_all_day": closed, "open_all_day": all_day}
        for key, high in (("open_hour", 23), ("open_minutes", 59), ("close_hour", 23), ("close_minutes", 59)):
            if entry.get(key) is None and (closed or all_day):
                row[key] = before.get(day, DEFAULT_WORKING_HOURS[day])[key]
            else:
                row[key] = _number(entry, key, 0, high, day)
        if not (closed or all_day) and \
                row["close_hour"] * 60 + row["close_minutes"] <= row["open_hour"] * 60 + row["open_minutes"]:
            raise Invalid(f"working_hours day {day}: closing time must be after opening time", field="working_hours")
        rows[day] = row
    return [{key: rows[day][key] for key in FIELDS} for day in range(7)]


def _window(row: dict, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The open interval [start, end) of `row` on the local date `day`, or None if closed."""
    if row["closed_all_day"]:
        return None
    if row["open_all_day"]:
        start = datetime.combine(day, time(0, 0), zone)
        return start, datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return (datetime.combine(day, time(row["open_hour"], row["open_minutes"]), zone),
            datetime.combine(day, time(row["close_hour"], row["close_minutes"]), zone))


def closed_since(inbox: Inbox, now: float) -> int | None:
    """None while the inbox is open at epoch second `now`; otherwise when the current closed
    period began (the end of the last open window; 0 if the week has no open hours)."""
    zone = ZoneInfo(inbox.timezone or "UTC")
    local = datetime.fromtimestamp(now, zone)
    rows = {row["day_of_week"]: row for row in working_hours(inbox)}
    for back in range(8):
        day = local.date() - timedelta(days=back)
        window = _window(rows[(day.weekday() + 1) % 7], day, zone)  # Python: Monday = 0; Chatwoot: Sunday = 0
        if window is None:
            continue
        start, end = window
        if back == 0 and local < start:
            continue  # today's hours have not begun: closed since an earlier day
        if local < end:
            return None
        return int(end.timestamp())
    return 0


def out_of_office_since(inbox: Inbox, now: float) -> int | None:
    """When the current closed period began, if an out-of-office reply applies now."""
    if not inbox.working_hours_enabled or not (inbox.out_of_office_message or "").strip():
        return None
    return closed_since(inbox, now)


def open_seconds(inbox: Inbox, start: float, end: float) -> float:
    """The seconds of [start, end) (epoch seconds) that fall within the inbox's working
    hours, read in its timezone (daylight saving included: a window is its local clock
    times on each date). An inbox whose working hours are off is open all the time: every
    second counts. Reporting's value_in_business_hours (services/reporting/timeline.py)."""
    if end <= start:
        return 0.0
    if not inbox.working_hours_enabled:
        return float(end - start)
    zone = ZoneInfo(inbox.timezone or "UTC")
    rows = {row["day_of_week"]: row for row in working_hours(inbox)}
    day = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)  # a window may begin the day before
    last = datetime.fromtimestamp(end, zone).date()
    total = 0.0
    while day <= last:
        window = _window(rows[(day.weekday() + 1) % 7], day, zone)  # Python: Monday = 0; Chatwoot: Sunday = 0
        if window is not None:
            low, high = max(start, window[0].timestamp()), min(end, window[1].timestamp())
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total
