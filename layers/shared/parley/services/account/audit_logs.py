"""Reading an account's audit log (the entries are written by parley/audit.py, inside the
transaction of each change they record; nothing here writes).

Newest first is the table's own order (key (account_id, id), ids from a counter). A
listing is one Query of the account's partition, read newest first until the page is
full; its total is one Query with Select=COUNT over the same partition and filter. Both
examine at most MAX_EXAMINED entries, so a request's cost is bounded however long the
log grows (docs/data-model.md: AuditLogsTable). A time window (since, until) becomes a
range of ids, found by binary search, so the bound counts from the window's end and any
part of the log within its retention can be reached."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ... import ids
from ...models.audit_log import AuditLog
from ...models.counter import Counter

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


def _newest_at_or_below(account_id: int, entry_id: int) -> AuditLog | None:
    """The newest entry whose id is at most `entry_id` (ids have gaps: a cancelled
    transaction used one): a Query of one item."""
    return next(iter(AuditLog.query(account_id, AuditLog.id <= entry_id, scan_index_forward=False, limit=1,
                                    attributes_to_get=["account_id", "id", "created_at"])), None)


def _last_id_before(account_id: int, moment: datetime, *, inclusive: bool) -> int:
    """The highest id among entries created before `moment` (at or before, `inclusive`),
    0 if none: ids grow with time in an account (each is taken from its counter just before
    the entry is stamped), so a binary search over the id range finds it in ~log2(ids)
    one-item Queries, and a time window becomes a key range however old it is."""
    try:
        high = int(Counter.get(ids.account_counter(account_id, "AuditLog")).value)
    except Counter.DoesNotExist:
        return 0
    low = 0  # invariant: every entry with id <= low is before the moment
    while low < high:
        middle = (low + high + 1) // 2
        entry = _newest_at_or_below(account_id, middle)
        before = entry is None or (entry.created_at <= moment if inclusive else entry.created_at < moment)
        if before:
            low = middle
        else:
            high = entry.id - 1
    return low


EMPTY = object()  # a window no entry falls in


def _id_range(account_id: int, since: datetime | None, until: datetime | None):
    """The key condition a time window comes to (None without one, EMPTY for none)."""
    first = _last_id_before(account_id, since, inclusive=False) + 1 if since else None
    last = _last_id_before(account_id, until, inclusive=True) if until else None
    if first is not None and last is not None:
        return AuditLog.id.between(first, last) if first <= last else EMPTY
    if first is not None:
        return AuditLog.id >= first
    return AuditLog.id <= last if last is not None else None


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


def count(account_id: int, condition=None, key_range=None) -> tuple[int, bool]:
    """How many entries match among the newest MAX_EXAMINED, and whether there were more:
    Select=COUNT (no item is sent back), each response reading at most 1 MB."""
    total, cut = 0, False
    for response, cut in _pages(account_id, condition, select="COUNT", range_key_condition=key_range):
        total += response.get("Count", 0)
    return total, cut


def page(account_id: int, number: int = 1, *, auditable_type: str | None = None, action: str | None = None,
         user_id: int | None = None, since: datetime | None = None, until: datetime | None = None) -> Page:
    """Page `number` (PER_PAGE entries, newest first) of the matching entries, and their total."""
    condition = _condition(auditable_type, action, user_id, since, until)
    key_range = _id_range(account_id, since, until)
    if key_range is EMPTY:
        return Page([], 0, False)
    skip, entries = (number - 1) * PER_PAGE, []
    matched = 0

    def wanted() -> int:  # with a filter, read in steps of 100: not every entry read matches
        return skip + PER_PAGE - matched if condition is None else max(100, skip + PER_PAGE - matched)

    for response, _ in _pages(account_id, condition, wanted, range_key_condition=key_range):
        for raw in response.get("Items", []):
            if matched >= skip:
                entries.append(AuditLog.from_raw_data(raw))
            matched += 1
            if len(entries) == PER_PAGE:
                break
        if len(entries) == PER_PAGE:
            break
    total, truncated = count(account_id, condition, key_range)
    return Page(entries, total, truncated)
