"""The applied SLAs report, as Chatwoot's: the SLAs applied in a period, filtered by the
conversation's inbox, team, assignee and labels and by policy; the misses listed 25 a
page; metrics (total, misses, hit rate) and a CSV of the missed ones.

An account's applied SLAs are keyed by the time they were applied, so a period is one
key-range Query (paginated); the conversations of the rows are read by BatchGet only when
a conversation filter asks or for the rows shown. Cost follows the SLAs applied in the
period, never the account's conversations. A period holds at most MAX_ROWS."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ...errors import Invalid
from ...models.account_object import AccountObject
from ...models.conversation import Conversation
from ...models.inbox import Inbox
from ..account import teams
from ..conversation import conversations
from ...views.sla import applied_sla as rendered, sla_events
from .applied import ACTIVE_WITH_MISSES, KIND, MISSED, key_for

PAGE_SIZE = 25  # Chatwoot's RESULTS_PER_PAGE
MAX_ROWS = 50_000
MAX_RANGE_SECONDS = 2 * 366 * 24 * 60 * 60
MISSED_STATUSES = (MISSED, ACTIVE_WITH_MISSES)  # an SLA with at least one miss
CSV_HEADERS = ("Conversation ID", "SLA Policy Breached", "Assignee", "Team", "Inbox", "Labels", "Conversation Link",
               "Breached Events")


@dataclass
class Filters:
    since: int | None = None
    until: int | None = None
    inbox_id: int | None = None
    team_id: int | None = None
    sla_policy_id: int | None = None
    assigned_agent_id: int | None = None
    label_list: tuple[str, ...] = ()

    def check(self) -> None:
        if self.since is not None and self.until is not None:
            if self.since > self.until:
                raise Invalid("since must not be after until", field="since")
            if self.until - self.since > MAX_RANGE_SECONDS:
                raise Invalid("the period (since to until) may be at most 2 years", field="until")

    @property
    def on_conversation(self) -> bool:
        return any(v is not None for v in (self.inbox_id, self.team_id, self.assigned_agent_id)) or bool(self.label_list)


def _items(account_id: int, f: Filters) -> list[AccountObject]:
    low = key_for(max(f.since or 0, 0), 0)
    high = key_for(f.until if f.until is not None else 10**12 - 1, 10**12 - 1)
    rows = []
    for item in AccountObject.query(account_id, AccountObject.key.between(low, high), page_size=500):
        if f.sla_policy_id is None or item.data.get("sla_id") == f.sla_policy_id:
            rows.append(item)
        if len(rows) > MAX_ROWS:
            raise Invalid(f"more than {MAX_ROWS} applied SLAs in this period: ask for a shorter one", field="since")
    return rows


def _conversations(account_id: int, items: list[AccountObject]) -> dict[int, Conversation]:
    wanted = sorted({i.data["conversation_id"] for i in items})
    found: dict[int, Conversation] = {}
    for start in range(0, len(wanted), 100):
        for c in Conversation.batch_get([(account_id, d) for d in wanted[start:start + 100]]):
            found[c.display_id] = c
    return found


def _matches(c: Conversation | None, f: Filters) -> bool:
    if c is None:
        return False  # deleted since: not reported
    labels = {label.lower() for label in c.labels or []}
    return ((f.inbox_id is None or c.inbox_id == f.inbox_id) and (f.team_id is None or c.team_id == f.team_id)
            and (f.assigned_agent_id is None or c.assignee_id == f.assigned_agent_id)
            and all(label.lower() in labels for label in f.label_list))


def applied(account_id: int, f: Filters) -> tuple[list[AccountObject], dict[int, Conversation]]:
    """The applied SLAs of the period that pass the filters (oldest first), and the
    conversations read for them (all of them if a conversation filter asked, else none)."""
    f.check()
    items = [i for i in _items(account_id, f) if i.key.startswith(f"{KIND}#")]
    if not f.on_conversation:
        return items, {}
    found = _conversations(account_id, items)
    return [i for i in items if _matches(found.get(i.data["conversation_id"]), f)], found


def _missed(items: list[AccountObject]) -> list[AccountObject]:
    return [i for i in items if i.data.get("sla_status") in MISSED_STATUSES]


def metrics(account_id: int, f: Filters) -> dict:
    items, _ = applied(account_id, f)
    total, misses = len(items), len(_missed(items))
    rate = "100%" if misses == 0 else f"{round((total - misses) / total * 100, 2)}%"
    return {"total_applied_slas": total, "number_of_sla_misses": misses, "hit_rate": rate}


def page(account_id: int, f: Filters, number: int) -> dict:
    """The missed applied SLAs, newest first, PAGE_SIZE a page (Chatwoot's index)."""
    items, found = applied(account_id, f)
    missed = list(reversed(_missed(items)))
    shown = missed[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
    wanted = [i for i in shown if i.data["conversation_id"] not in found]
    found.update(_conversations(account_id, wanted))
    convs = [found[i.data["conversation_id"]] for i in shown if i.data["conversation_id"] in found]
    presented = {row["id"]: row for row in conversations.present(convs)}
    payload = []
    for item in shown:
        row = presented.get(item.data["conversation_id"])
        conversation = {"id": item.data["conversation_id"], "contact": {}, "labels": []}
        if row is not None:
            conversation.update(contact={"name": row["meta"]["sender"].get("name")}, labels=row["labels"])
            if row["meta"].get("assignee"):
                conversation["assignee"] = row["meta"]["assignee"]
        payload.append({"applied_sla": rendered(item), "conversation": conversation, "sla_events": sla_events(item)})
    return {"payload": payload, "meta": {"count": len(missed), "current_page": number}}


def download(account_id: int, f: Filters, base_url: str) -> str:
    """CSV of the missed applied SLAs (Chatwoot's columns), with a byte-order mark so
    spreadsheets read it as UTF-8. Cells starting with = + - @ are quoted as text."""
    items, found = applied(account_id, f)
    missed = _missed(items)
    found.update(_conversations(account_id, [i for i in missed if i.data["conversation_id"] not in found]))
    convs = [found[i.data["conversation_id"]] for i in missed if i.data["conversation_id"] in found]
    presented = {row["id"]: row for row in conversations.present(convs)}
    team_names = {t.id: t.data.get("name") for t in teams.all_of(account_id)}
    inbox_names = {i.id: i.name for i in Inbox.batch_get({c.inbox_id for c in convs})} if convs else {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for item in missed:
        c = found.get(item.data["conversation_id"])
        if c is None:
            continue
        assignee = (presented.get(c.display_id, {}).get("meta") or {}).get("assignee") or {}
        writer.writerow([_cell(v) for v in (
            c.display_id, item.data["sla_name"], assignee.get("name") or "", team_names.get(c.team_id) or "",
            inbox_names.get(c.inbox_id) or "", ",".join(c.labels or []),
            f"{base_url}/app/accounts/{account_id}/conversations/{c.display_id}",
            ", ".join(e["event_type"] for e in item.data.get("sla_events") or []))])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
