"""Reports as Chatwoot shows them: live counts per agent / team, summary table rows, and
the CSV downloads (tables and the traffic heatmap)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from ..models.account import AccountUser
from ..models.user import User
from .users import thumbnail

SUMMARY_FIELDS = ("id", "conversations_count", "resolved_conversations_count", "avg_resolution_time",
                  "avg_first_response_time", "avg_reply_time")
TABLE_HEADERS = {
    "agent": "Agent name", "inbox": "Inbox name", "label": "Label title", "team": "Team name",
}
CSV_COLUMNS = (("conversations_count", "Conversations count"),
               ("resolved_conversations_count", "Resolved conversations count"),
               ("avg_first_response_time", "Avg first response time (seconds)"),
               ("avg_resolution_time", "Avg resolution time (seconds)"),
               ("avg_reply_time", "Avg reply time (seconds)"))


def live_agent(member: AccountUser, user: User, counts: dict, online: bool) -> dict:
    """An agent's row of GET /reports/conversations?type=agent (Chatwoot's shape)."""
    return {"id": user.id, "name": user.name, "email": user.email, "thumbnail": thumbnail(user),
            "availability": member.availability if online else "offline",
            "metric": {"open": counts.get("open", 0), "unattended": counts.get("unattended", 0)}}


def live_team(team_id: int, name: str, counts: dict) -> dict:
    return {"id": team_id, "name": name,
            "metric": {status: counts.get(status, 0) for status in ("open", "pending", "snoozed", "resolved")}}


def summary_row(row: dict) -> dict:
    """A summary_reports row: Chatwoot's fields (labels also carry their title)."""
    shown = {key: _number(row[key]) for key in SUMMARY_FIELDS}
    if "title" in row:
        shown["title"] = row["title"]
    return shown


def _number(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _date(at: int, offset_minutes: int) -> str:
    return datetime.fromtimestamp(at, timezone(timedelta(minutes=offset_minutes))).strftime("%Y-%m-%d")


def _offset_name(offset_minutes: int) -> str:
    sign = "+" if offset_minutes >= 0 else "-"
    return f"UTC{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"


def _safe(value) -> str:
    """A CSV cell that a spreadsheet never runs as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else str(_number(round(value, 2)) if isinstance(value, float) else value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def table_csv(kind: str, rows: list[dict], window) -> str:
    """/reports/agents|inboxes|labels|teams: the period, then one line per row."""
    lines = [[f"Reporting period {_date(window.since, window.offset_minutes)} to "
              f"{_date(max(window.until - 1, window.since), window.offset_minutes)}"
              + (" (business hours)" if window.business_hours else "")],
             [],
             [TABLE_HEADERS[kind], *(title for _, title in CSV_COLUMNS)]]
    for row in rows:
        lines.append([row["name"], *(row[key] for key, _ in CSV_COLUMNS)])
    return _write(lines)


def traffic_csv(days: list[tuple[int, list[int]]], window) -> str:
    """/reports/conversation_traffic: conversations per local day (rows) and hour (columns),
    in the window's offset."""
    lines = [[f"Conversations per hour ({_offset_name(window.offset_minutes)})", *(f"{h:02d}:00" for h in range(24))]]
    for day, hours in days:
        lines.append([_date(day, window.offset_minutes), *hours])
    return _write(lines)


CONVERSATION_COLUMNS = ("Conversation", "Inbox", "Status", "Assignee", "Team", "Labels", "Created at",
                        "First response time (seconds)", "Replies", "Avg reply time (seconds)", "Resolutions",
                        "Resolution time (seconds)", "Reopened", "Time with the bot (seconds)", "Resolved by the bot")


def _when(value, offset_minutes: int) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromtimestamp(int(value), timezone.utc)
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat(timespec="seconds")


def conversations_csv(rows, names: dict, window, stopped: bool) -> str:
    """/reports/conversations_export: one line per conversation with a reporting event in
    the period, its metrics summed over the period's events."""
    lines = [[f"Reporting period {_date(window.since, window.offset_minutes)} to "
              f"{_date(max(window.until - 1, window.since), window.offset_minutes)}"
              + (" (business hours)" if window.business_hours else "")], [], list(CONVERSATION_COLUMNS)]
    for metrics, conversation in rows:
        c = conversation
        lines.append([
            metrics.display_id,
            names["inbox"].get(c.inbox_id, c.inbox_id) if c is not None else "",
            c.status if c is not None else "deleted",
            names["agent"].get(c.assignee_id, "") if c is not None and c.assignee_id else "",
            names["team"].get(c.team_id, "") if c is not None and c.team_id else "",
            " ".join(c.labels or []) if c is not None else "",
            _when(c.created_at, window.offset_minutes) if c is not None else "",
            metrics.first_response, metrics.replies, metrics.avg_reply, metrics.resolutions,
            metrics.resolution_total if metrics.resolutions else None, metrics.reopened, metrics.bot_handoff,
            "yes" if metrics.bot_resolved else "no",
        ])
    if stopped:
        lines.append([])
        lines.append(["Stopped after the period's first 20,000 reporting events: ask for a shorter period."])
    return _write(lines)
