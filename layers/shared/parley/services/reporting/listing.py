"""Reading reporting events (GET /api/v1/accounts/{id}/reporting_events and a
conversation's): the account's are one Query of its time-index (newest first, since/until
as its key range, inbox / user / name as filters) that counts the matches and keeps the
page's; it stops after the DynamoDB page in which MAX_EXAMINED events were examined, so a
request's cost is bounded however many an account has (docs/data-model.md). A conversation's are one Query of the
conversation-index, oldest first (Chatwoot's order)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...models.reporting import ReportingEvent
from . import timeline

PER_PAGE = 25  # Chatwoot's page of reporting events
MAX_EXAMINED = 10_000
MAX_PAGE = MAX_EXAMINED // PER_PAGE
EXAMINED_PAGE = 1000  # events a DynamoDB page examines
CONVERSATION_LIMIT = 1000  # a conversation's events a request returns at most


@dataclass(frozen=True)
class Page:
    events: list[ReportingEvent]
    count: int


def _range(since: datetime | None, until: datetime | None):
    if since and until:
        return ReportingEvent.created_at.between(since, until)
    if since:
        return ReportingEvent.created_at >= since
    if until:
        return ReportingEvent.created_at <= until
    return None


def _filter(inbox_id: int | None, user_id: int | None, name: str | None):
    condition = None
    for part in (ReportingEvent.inbox_id == inbox_id if inbox_id is not None else None,
                 ReportingEvent.user_id == user_id if user_id is not None else None,
                 ReportingEvent.name == name if name else None):
        if part is not None:
            condition = part if condition is None else condition & part
    return condition


def page(account_id: int, number: int, *, since: datetime | None = None, until: datetime | None = None,
         inbox_id: int | None = None, user_id: int | None = None, name: str | None = None) -> Page:
    """Page `number` (1-based) of the account's events, newest first, and how many match
    (among the newest MAX_EXAMINED)."""
    if name is not None and name not in timeline.EVENT_NAMES:
        return Page([], 0)
    key, condition = _range(since, until), _filter(inbox_id, user_id, name)
    pages = ReportingEvent.time_index.query(account_id, key, filter_condition=condition, scan_index_forward=False,
                                            page_size=EXAMINED_PAGE).page_iter
    skip, count, examined, found = (number - 1) * PER_PAGE, 0, 0, []
    for raw in pages:
        for item in raw.get("Items", []):
            if skip <= count < skip + PER_PAGE:
                found.append(ReportingEvent.from_raw_data(item))
            count += 1
        examined += raw.get("ScannedCount", 0)
        if examined >= MAX_EXAMINED:
            break
    return Page(found, count)


def of_conversation(account_id: int, display_id: int) -> list[ReportingEvent]:
    return list(ReportingEvent.conversation_index.query(f"{account_id}#{display_id}", limit=CONVERSATION_LIMIT))
