"""Reading an account's audit log (the entries are written by parley/audit.py, inside the
transaction of each change they record; nothing here writes).

Newest first is the table's own order (key (account_id, id), ids from a counter). A
listing is one Query of the account's partition, read newest first until the page is
full; its total is one Query with Select=COUNT over the same partition and filter. Both
examine at most MAX_EXAMINED entries, so a request's cost is bounded however long the
log grows (docs/data-model.md: AuditLogsTable)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ...models.audit_log import AuditLog

PER_PAGE = 15  # Chatwoot's page of audit logs
MAX_EXAMINED = 10_000  # entries a request reads at most (each Query page is at most 1 MB)
MAX_PAGE = MAX_EXAMINED // PER_PAGE


@dataclass(frozen=True)
class Page:
    entries: list[AuditLog]
    total: int  # the matching entries among the newest MAX_EXAMINED
    truncated: bool  # the account has more entries than were examined


def _condition(auditable_type: str | None, action: str | None, user_id: int | None,
               since: datetime | None, until: datetime | None):
    condition = None
    for part in (AuditLog.auditable_type == auditable_type if auditable_type else None,
                 AuditLog.action == action if action else None,
                 AuditLog.user_id == user_id if user_id is not None else None,
                 AuditLog.created_at >= since if since else None,
                 AuditLog.created_at <= until if until else None):
        if part is not None:
            condition = part if condition is None else condition & part
    return condition


def _pages(account_id: int, condition, wanted: Callable[[], int] = lambda: MAX_EXAMINED, **kwargs):
    """The raw Query responses, newest first, until MAX_EXAMINED entries were read: yields
    (response, cut): cut when entries remain unread past the bound. `wanted()`: how many
    more to read next (a listing reads no further than its page needs)."""
    connection = AuditLog._get_connection()
    hash_key = AuditLog._serialize_keys(account_id)[0]
    examined, start = 0, None
    while examined < MAX_EXAMINED:
        response = connection.query(hash_key, filter_condition=condition, limit=min(MAX_EXAMINED - examined, wanted()),
                                    exclusive_start_key=start, scan_index_forward=False, **kwargs)
        examined += response.get("ScannedCount", 0)
        start = response.get("LastEvaluatedKey")
        yield response, start is not None and examined >= MAX_EXAMINED
        if not start:
            return


def count(account_id: int, condition=None) -> tuple[int, bool]:
    """How many entries match among the newest MAX_EXAMINED, and whether there were more:
    Select=COUNT (no item is sent back), each response reading at most 1 MB."""
    total, cut = 0, False
    for response, cut in _pages(account_id, condition, select="COUNT"):
        total += response.get("Count", 0)
    return total, cut


def page(account_id: int, number: int = 1, *, auditable_type: str | None = None, action: str | None = None,
         user_id: int | None = None, since: datetime | None = None, until: datetime | None = None) -> Page:
    """Page `number` (PER_PAGE entries, newest first) of the matching entries, and their total."""
    condition = _condition(auditable_type, action, user_id, since, until)
    skip, entries = (number - 1) * PER_PAGE, []
    matched = 0
    def wanted() -> int:  # with a filter, read in steps of 100: not every entry read matches
        return skip + PER_PAGE - matched if condition is None else max(100, skip + PER_PAGE - matched)

    for response, _ in _pages(account_id, condition, wanted):
        for raw in response.get("Items", []):
            if matched >= skip:
                entries.append(AuditLog.from_raw_data(raw))
            matched += 1
            if len(entries) == PER_PAGE:
                break
        if len(entries) == PER_PAGE:
            break
    total, truncated = count(account_id, condition)
    return Page(entries, total, truncated)
