"""Chatwoot's v2 reports, read from the rollups (services/reporting/rollups.py), never from
the conversations: a report costs the buckets it asks for, whatever the data
(docs/reports.md, "How reports are read").

Every function takes a validated `windows.Window` and returns Chatwoot's shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import Invalid, NotFound
from ...models.conversation import Conversation
from ...models.inbox import CHANNEL_TYPES, Inbox
from ...models.reporting import ReportingEvent
from ..account import accounts, labels, teams
from ..inbox import inboxes
from . import live_counts, rollups, timeline, windows
from .rollups import Totals

# Chatwoot's metric -> (rollup metric, how it is read)
METRICS: dict[str, tuple[str, str]] = {
    "conversations_count": ("conversations", "count"),
    "incoming_messages_count": ("incoming_messages", "count"),
    "outgoing_messages_count": ("outgoing_messages", "count"),
    "avg_first_response_time": ("first_response", "average"),
    "avg_resolution_time": ("resolution", "average"),
    "reply_time": ("reply_time", "average"),
    "resolutions_count": ("resolution", "count"),
    "bot_resolutions_count": ("bot_resolution", "count"),
    "bot_handoffs_count": ("bot_handoff", "count"),
}
TYPES = ("account", "agent", "inbox", "label", "team")
SUMMARY_KEYS = ("avg_first_response_time", "avg_resolution_time", "conversations_count", "incoming_messages_count",
                "outgoing_messages_count", "reply_time", "resolutions_count")
BOT_SUMMARY_KEYS = ("bot_resolutions_count", "bot_handoffs_count")
DISTRIBUTION_LABELS = ("0-1h", "1-4h", "4-8h", "8-24h", "24h+")


@dataclass(frozen=True)
class Scope:
    """What a report is about: the rollup dimension and its id."""
    dimension: str
    id: object


def metric_of(value: str | None) -> tuple[str, str]:
    if value not in METRICS:
        raise Invalid(f"metric must be one of: {', '.join(METRICS)}", field="metric")
    return METRICS[value]


def scope(account_id: int, type_: str | None, id_: str | None) -> Scope:
    """The dimension a `type` / `id` pair names; 422 for an unknown type or a missing id,
    404 for an id that is not the account's."""
    kind = type_ or "account"
    if kind not in TYPES:
        raise Invalid(f"type must be one of: {', '.join(TYPES)}", field="type")
    if kind == "account":
        return Scope("account", 0)
    if id_ is None or not str(id_).isdigit():
        raise Invalid(f"id must be the {kind}'s id", field="id")
    number = int(id_)
    if kind == "agent":
        if accounts.membership(account_id, number) is None:
            raise NotFound("Agent not found")
        return Scope("agent", number)
    if kind == "inbox":
        inboxes.get_inbox(account_id, number)
        return Scope("inbox", number)
    if kind == "team":
        teams.get(account_id, number)
        return Scope("team", number)
    return Scope("label", labels.get(account_id, number).data["title"])


def _phases(account_id: int, w: windows.Window) -> dict[int, int]:
    """The account's phases, adding the window's offset's (a report asks for it); the
    first time, also those of its inboxes' time zones."""
    return rollups.ensure_phase(account_id, rollups.phase_of(w.offset_minutes),
                                also=lambda: inbox_phases(account_id))


def inbox_phases(account_id: int) -> list[int]:
    """The phases of the account's inboxes' time zones (winter and summer offsets), the
    most used first."""
    counts: dict[int, int] = {}
    for inbox in inboxes_of(account_id):
        try:
            zone = ZoneInfo(inbox.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            continue
        year = datetime.now(timezone.utc).year
        for month in (1, 7):
            offset = zone.utcoffset(datetime(year, month, 15, 12))
            minutes = int(offset.total_seconds() // 60) if offset is not None else 0
            if minutes % 15 == 0:
                phase = rollups.phase_of(minutes)
                counts[phase] = counts.get(phase, 0) + 1
    return [phase for phase, _ in sorted(counts.items(), key=lambda pair: -pair[1]) if phase]


def _value(totals: Totals, rollup_metric: str, how: str, business_hours: bool):
    if how == "count":
        return totals.count(rollup_metric)
    return totals.average(rollup_metric, business_hours)


def timeseries(account_id: int, metric: str, where: Scope, w: windows.Window) -> list[dict]:
    """GET /reports: [{value, timestamp}] per group ({value, timestamp, count} for an
    average), every group present (zero when empty), oldest first."""
    rollup_metric, how = metric_of(metric)
    edges, stamps = windows.groups(w)
    found = rollups.totals(account_id, where.dimension, [where.id], edges, _phases(account_id, w))[where.id]
    rows = []
    for stamp, totals in zip(stamps, found):
        row = {"value": _value(totals, rollup_metric, how, w.business_hours), "timestamp": stamp}
        if how == "average":
            row["count"] = totals.count(rollup_metric)
        rows.append(row)
    return rows


def _figures(totals: Totals, keys, business_hours: bool) -> dict:
    return {key: _value(totals, *METRICS[key], business_hours) for key in keys}


def summary(account_id: int, where: Scope, w: windows.Window, keys=SUMMARY_KEYS) -> dict:
    """GET /reports/summary: the window's figures and `previous` (the period of the same
    length just before), read together (one set of keys)."""
    previous = w.previous()
    found = rollups.totals(account_id, where.dimension, [where.id], [previous.since, w.since, w.until],
                           _phases(account_id, w))[where.id]
    figures = _figures(found[1], keys, w.business_hours)
    figures["previous"] = _figures(found[0], keys, w.business_hours)
    return figures


def bot_summary(account_id: int, where: Scope, w: windows.Window) -> dict:
    return summary(account_id, where, w, BOT_SUMMARY_KEYS)


# ------------------------------------------------------------------ summary reports (tables)

def _row_figures(totals: Totals, business_hours: bool) -> dict:
    def average(metric: str):
        return totals.average(metric, business_hours) if totals.count(metric) else None

    return {"conversations_count": totals.count("conversations"),
            "resolved_conversations_count": totals.count("resolution"),
            "avg_resolution_time": average("resolution"),
            "avg_first_response_time": average("first_response"),
            "avg_reply_time": average("reply_time")}


def members_of(account_id: int) -> list[tuple[int, str, str]]:
    """(user id, name, email) of the account's agents, by name."""
    return [(user.id, user.name, user.email) for _, user in accounts.members(account_id)]


def agents_of(account_id: int):
    """[(membership, user)] of the account, by name."""
    return accounts.members(account_id)


def teams_of(account_id: int):
    return teams.all_of(account_id)


def inboxes_of(account_id: int) -> list[Inbox]:
    return sorted(Inbox.account_index.query(account_id), key=lambda inbox: inbox.id)


def table_rows(account_id: int, kind: str, w: windows.Window) -> list[dict]:
    """GET /summary_reports/<agent|team|inbox|label>: one row per agent / team / inbox /
    label of the account: {id, conversations_count, resolved_conversations_count,
    avg_resolution_time, avg_first_response_time, avg_reply_time} (averages null without
    events; seconds, within business hours when asked). Labels also carry their title,
    and every row its `name`, for the CSV."""
    if kind == "agent":
        named = [(user_id, name) for user_id, name, _ in members_of(account_id)]
        ids = [user_id for user_id, _ in named]
    elif kind == "inbox":
        named = [(inbox.id, inbox.name) for inbox in inboxes_of(account_id)]
        ids = [i for i, _ in named]
    elif kind == "team":
        named = [(team.id, team.data.get("name", "")) for team in teams.all_of(account_id)]
        ids = [i for i, _ in named]
    elif kind == "label":
        items = labels.all_of(account_id)
        named = [(label.id, label.data["title"]) for label in items]
        ids = [label.data["title"] for label in items]
    else:
        raise Invalid("Unknown summary report", field="type")
    if not ids:
        return []
    found = rollups.totals(account_id, kind, ids, [w.since, w.until], _phases(account_id, w))
    rows = []
    for (row_id, name), key in zip(named, ids):
        row = {"id": row_id, **_row_figures(found[key][0], w.business_hours)}
        row["name"] = name
        if kind == "label":
            row["title"] = name
        rows.append(row)
    return rows


def channel_type(inbox: Inbox) -> str:
    """Chatwoot's channel type of an inbox ("Channel::WebWidget"): the channel dimension's id."""
    return CHANNEL_TYPES.get(inbox.channel_type, inbox.channel_type)


def channel_types(account_id: int) -> list[str]:
    return sorted({channel_type(inbox) for inbox in inboxes_of(account_id)})


def channel_summary(account_id: int, w: windows.Window, live: dict[str, dict[str, int]]) -> dict:
    """GET /summary_reports/channel: per channel type {open, resolved, pending, snoozed,
    total}: `total` the conversations created in the window and `resolved` the window's
    resolutions (rollups); open / pending / snoozed are the live counts now (`live`, from
    the count buckets), as rollups cannot follow where each conversation created in a
    window is now (docs/api-coverage/reports.md)."""
    kinds = sorted(set(channel_types(account_id)) | set(live))
    if not kinds:
        return {}
    found = rollups.totals(account_id, "channel", kinds, [w.since, w.until], _phases(account_id, w))
    result = {}
    for kind in kinds:
        totals = found[kind][0]
        now = live.get(kind, {})
        result[kind] = {"open": now.get("open", 0), "resolved": totals.count("resolution"),
                        "pending": now.get("pending", 0), "snoozed": now.get("snoozed", 0),
                        "total": totals.count("conversations")}
    return result


def live_by_channel(account_id: int) -> dict[str, dict[str, int]]:
    """{channel type: {status: conversations now}} from the count buckets (one Query)."""
    kinds = {inbox.id: channel_type(inbox) for inbox in inboxes_of(account_id)}
    result: dict[str, dict[str, int]] = {}
    for inbox_id, counts in live_counts.per_inbox(account_id).items():
        if inbox_id in kinds:
            mine = result.setdefault(kinds[inbox_id], {})
            for status, n in counts.items():
                mine[status] = mine.get(status, 0) + n
    return result


def first_response_distribution(account_id: int, w: windows.Window) -> dict:
    """GET /reports/first_response_time_distribution: per channel type, how many first
    responses took 0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+ (rollup counters, no event read)."""
    kinds = channel_types(account_id)
    if not kinds:
        return {}
    found = rollups.totals(account_id, "channel", kinds, [w.since, w.until], _phases(account_id, w))
    return {kind: {label: int(found[kind][0][f"first_response_d{i}"]) for i, label in enumerate(DISTRIBUTION_LABELS)}
            for kind in kinds}


def traffic(account_id: int, w: windows.Window) -> list[tuple[int, list[int]]]:
    """The conversation traffic heatmap: [(local day start, [conversations per local hour
    0..23])] over the window, in its offset (hours outside the window count 0)."""
    hourly = windows.Window(w.since, w.until, w.offset_minutes, "hour", False)
    series = timeseries(account_id, "conversations_count", Scope("account", 0), hourly)
    days: dict[int, list[int]] = {}
    for row in series:
        day = windows.period_start(row["timestamp"], "day", w.offset_minutes)
        hour = (row["timestamp"] - day) // 3600
        days.setdefault(day, [0] * 24)[hour] += row["value"]
    return sorted(days.items())


# ------------------------------------------------------------------ per-conversation export

EXPORT_MAX_DAYS = 93
EXPORT_MAX_EVENTS = 20_000  # events one export reads at most (then it says it stopped)


@dataclass
class ConversationMetrics:
    """One conversation's reporting events in a window, summed (seconds; within business
    hours when asked)."""
    display_id: int
    first_response: float | None = None
    replies: int = 0
    reply_total: float = 0
    resolutions: int = 0
    resolution_total: float = 0
    reopened: int = 0
    bot_handoff: float | None = None
    bot_resolved: bool = False

    @property
    def avg_reply(self) -> float | None:
        return self.reply_total / self.replies if self.replies else None


def conversation_metrics(account_id: int, w: windows.Window) -> tuple[list[tuple[ConversationMetrics, object]], bool]:
    """GET /reports/conversations_export: every conversation with a reporting event in the
    window (the time-index Query of the account's events, at most EXPORT_MAX_EVENTS read),
    its metrics and the conversation as stored now (BatchGet, 100 a request):
    ([(metrics, conversation or None)], stopped early)."""
    since = datetime.fromtimestamp(w.since, timezone.utc)
    until = datetime.fromtimestamp(w.until - 1, timezone.utc)
    found: dict[int, ConversationMetrics] = {}
    read = 0
    stopped = False
    for event in ReportingEvent.time_index.query(account_id, ReportingEvent.created_at.between(since, until),
                                                 page_size=1000):
        read += 1
        if read > EXPORT_MAX_EVENTS:
            stopped = True
            break
        if event.conversation_id is None:
            continue
        row = found.setdefault(int(event.conversation_id), ConversationMetrics(int(event.conversation_id)))
        value = float(event.value_in_business_hours if w.business_hours else event.value)
        if event.name == timeline.FIRST_RESPONSE:
            row.first_response = value
        elif event.name == timeline.REPLY_TIME:
            row.replies += 1
            row.reply_total += value
        elif event.name == timeline.RESOLVED:
            row.resolutions += 1
            row.resolution_total += value
        elif event.name == timeline.OPENED:
            row.reopened += 1
        elif event.name == timeline.BOT_HANDOFF:
            row.bot_handoff = value
        elif event.name == timeline.BOT_RESOLVED:
            row.bot_resolved = True
    ids = sorted(found)
    stored = {}
    for start in range(0, len(ids), 100):
        for conversation in Conversation.batch_get([(account_id, i) for i in ids[start:start + 100]]):
            stored[int(conversation.display_id)] = conversation
    return [(found[i], stored.get(i)) for i in ids], stopped


def export_names(account_id: int) -> dict[str, dict]:
    """Names the export shows: inboxes, agents, teams by id."""
    return {"inbox": {inbox.id: inbox.name for inbox in inboxes_of(account_id)},
            "agent": {user_id: name for user_id, name, _ in members_of(account_id)},
            "team": {team.id: team.data.get("name", "") for team in teams_of(account_id)}}
