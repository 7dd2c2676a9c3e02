"""What Captain spends, per account and assistant per month, and the limits on it.
docs/captain.md "Usage and limits".

- Usage: one item per (account, month, assistant) in the account-objects table, key
  `captain_usage#<yyyymm>#<assistant id>`, numbers added by ONE UpdateItem (ADD) per
  customer question Captain answered or handed off (and per playground question that
  called a model): model calls, input and output tokens, cost in micro-dollars, answers and
  handoffs (customers' only). A month's figures are one Query on `captain_usage#<yyyymm>#`.
- Cost: tokens priced by PRICES (US dollars per million input / output tokens, list
  prices of December 2026, matched on the model id's longest known prefix); a model not in
  the table is priced at UNKNOWN_PRICE (on the expensive side, so a budget is never
  overrun by an unknown model); the offline provider makes no model call and costs 0.
- Budget: the account's provider settings `monthly_budget_usd` (services/captain/providers,
  item `captain_provider#0`); once this month's cost reaches it, every question is handed
  to the team (`budget_exhausted`) until the month ends or the budget is raised. No budget
  set: no limit.
- Rate limit: `rate_limit_per_minute` of the same settings (installation default
  CAPTAIN_RATE_LIMIT_PER_MINUTE), questions per account per sliding minute
  (services/account/throttle.py); over it, the question is handed off (`rate_limited`)."""
from __future__ import annotations

import math
import re
import time
from datetime import datetime, timezone

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from ... import global_config
from ...models.base import table_meta
from ...errors import Invalid
from ...models.throttle import ThrottleWindow
from ..account import throttle

KIND = "captain_usage"
DEFAULT_RATE_PER_MINUTE = 60
MICRO = 1_000_000
# US dollars per million tokens (input, output), list prices; longest matching prefix wins.
PRICES: dict[str, tuple[float, float]] = {
    "anthropic.claude-3-haiku": (0.25, 1.25),
    "anthropic.claude-3-5-haiku": (0.80, 4.00),
    "anthropic.claude-haiku-4-5": (1.00, 5.00),
    "anthropic.claude-3-5-sonnet": (3.00, 15.00),
    "anthropic.claude-sonnet-4": (3.00, 15.00),
    "amazon.nova-micro": (0.035, 0.14),
    "amazon.nova-lite": (0.06, 0.24),
    "amazon.nova-pro": (0.80, 3.20),
    "amazon.titan-embed-text-v2": (0.02, 0.0),
    "cohere.embed": (0.10, 0.0),
    "meta.llama3-1-8b": (0.22, 0.22),
    "meta.llama3-1-70b": (0.72, 0.72),
    "mistral.mistral-small": (1.00, 3.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "text-embedding-3-small": (0.02, 0.0),
    "text-embedding-3-large": (0.13, 0.0),
}
UNKNOWN_PRICE = (3.00, 15.00)


class Usage(Model):
    """A month's figures of one assistant (`captain_usage#<yyyymm>#<assistant>`)."""

    Meta = table_meta("account_objects_table")

    account_id = NumberAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    id = NumberAttribute(null=True)  # the assistant's id (so the account's listings read it like any object)
    calls = NumberAttribute(null=True)
    input_tokens = NumberAttribute(null=True)
    output_tokens = NumberAttribute(null=True)
    cost_micro_usd = NumberAttribute(null=True)
    answers = NumberAttribute(null=True)
    handoffs = NumberAttribute(null=True)


FIGURES = ("calls", "input_tokens", "output_tokens", "cost_micro_usd", "answers", "handoffs")


def month_of(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment if moment is not None else time.time(), timezone.utc).strftime("%Y%m")


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    return f"{year - 1}12" if number == 1 else f"{year}{number - 1:02d}"


def usage_key(month: str, assistant_id: int) -> str:
    return f"{KIND}#{month}#{assistant_id:012d}"


def price_of(model: str) -> tuple[float, float]:
    name = (model or "").lower()
    for prefix in ("us.", "eu.", "apac.", "global."):  # Bedrock inference profiles
        name = name.removeprefix(prefix)
    best = ""
    for known in PRICES:
        if name.startswith(known) and len(known) > len(best):
            best = known
    return PRICES[best] if best else UNKNOWN_PRICE


def cost_micro_usd(model: str, input_tokens: int, output_tokens: int) -> int:
    if not input_tokens and not output_tokens:
        return 0
    per_in, per_out = price_of(model)
    return int(round(input_tokens * per_in + output_tokens * per_out))  # $/1M tokens x tokens = micro-dollars


def record(account_id: int, assistant_id: int, decision, *, counted: bool = True,
           moment: float | None = None) -> None:
    """Add one decision's figures (a services/captain/answering.Decision) to its month: one
    UpdateItem. `counted`: a customer's question (an answer or a handoff is counted); the
    playground's questions add only what they spent."""
    used = decision.usage
    cost = cost_micro_usd(decision.model, used.input_tokens, used.output_tokens)
    item = Usage(account_id, usage_key(month_of(moment), assistant_id))
    item.update(actions=[
        Usage.id.set(assistant_id),
        Usage.calls.add(int(decision.calls)),
        Usage.input_tokens.add(int(used.input_tokens)),
        Usage.output_tokens.add(int(used.output_tokens)),
        Usage.cost_micro_usd.add(cost),
        Usage.answers.add(1 if counted and decision.action == "answer" else 0),
        Usage.handoffs.add(1 if counted and decision.handoff else 0),
    ])


def of_month(account_id: int, month: str) -> list[Usage]:
    """The month's items, one per assistant that spent something (one Query)."""
    return list(Usage.query(account_id, Usage.key.startswith(f"{KIND}#{month}#")))


def spent_micro_usd(account_id: int, month: str | None = None) -> int:
    return sum(int(item.cost_micro_usd or 0) for item in of_month(account_id, month or month_of()))


def settings(account_id: int) -> dict:
    """The account's limits: {monthly_budget_usd, rate_limit_per_minute}, each None when
    unset (services/captain/providers: the item `captain_provider#0`; one GetItem)."""
    from . import providers

    return providers.limits(account_id)


def rate_per_minute(configured) -> int:
    try:
        value = int(configured) if configured not in (None, "") else \
            int(global_config.get("CAPTAIN_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_PER_MINUTE))
    except (TypeError, ValueError):
        value = DEFAULT_RATE_PER_MINUTE
    return max(0, value)


def limited(account_id: int, assistant=None) -> str | None:
    """"budget_exhausted" or "rate_limited" when the account may not ask now, else None.
    Takes one question from the account's rate limit."""
    config = settings(account_id)
    budget = config.get("monthly_budget_usd")
    if budget not in (None, ""):
        try:
            cap = float(budget) * MICRO
        except (TypeError, ValueError):
            cap = None
        if cap is not None and spent_micro_usd(account_id) >= cap:
            return "budget_exhausted"
    per_minute = rate_per_minute(config.get("rate_limit_per_minute"))
    if per_minute > 0 and not take_question(account_id, per_minute):
        return "rate_limited"
    return None


def take_question(account_id: int, per_minute: int, now: float | None = None) -> bool:
    """Count one question against the account's sliding minute: False when the minute is
    used up. The windows are services/account/throttle.py's (`captain:<account>:<window
    end>`, the previous window weighed by its overlap, gone by TTL), counted by one
    conditional UpdateItem rather than a transaction: concurrent questions of one account
    are serialised by DynamoDB instead of cancelling each other (a cancelled transaction
    would read as "limit reached" and hand a customer off for nothing)."""
    now = time.time() if now is None else now
    limit = throttle.Limit("captain", per_minute, 60)
    key, window_end = limit.key(str(account_id), now)
    try:
        earlier = int(ThrottleWindow.get(limit.key(str(account_id), now - 60)[0]).count or 0)
    except ThrottleWindow.DoesNotExist:
        earlier = 0
    room = per_minute - math.ceil(earlier * (window_end - now) / 60)
    if room <= 0:
        return False
    try:
        ThrottleWindow(key).update(actions=[ThrottleWindow.count.add(1),
                                            ThrottleWindow.expires_at.set(window_end + 60)],
                                   condition=ThrottleWindow.count.does_not_exist() | (ThrottleWindow.count < room))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _figures(item: Usage | None) -> dict:
    shown = {name: int(getattr(item, name) or 0) if item is not None else 0 for name in FIGURES}
    shown["cost_usd"] = round(shown.pop("cost_micro_usd") / MICRO, 6)
    return shown


def month_param(text: str | None, moment: float | None = None) -> str | None:
    """The `month` query parameter ("YYYY-MM", a UTC month from 2000 to this one) as
    "YYYYMM"; None when not given. 422 naming `month` otherwise."""
    if text in (None, ""):
        return None
    found = re.fullmatch(r"([0-9]{4})-(0[1-9]|1[0-2])", str(text))
    if not found:
        raise Invalid("month must be a month as YYYY-MM, e.g. 2026-11", field="month")
    month = found[1] + found[2]
    if not "200001" <= month <= month_of(moment):
        raise Invalid("month must be a month from 2000-01 to this month", field="month")
    return month


def report(account_id: int, names: dict[int, str], moment: float | None = None, month: str | None = None) -> dict:
    """A month's figures (this month's unless `month`, "YYYYMM", is given) and the month
    before's, per assistant and in total (two Queries). `names`: the account's assistants
    by id (a deleted assistant's figures stay, unnamed). `budget_exhausted`: the shown
    month's cost reached the budget as it is set now."""
    current = month or month_of(moment)
    months = []
    config = settings(account_id)
    for month in (current, previous_month(current)):
        items = {int(item.id or 0): item for item in of_month(account_id, month)}
        rows = [{"assistant_id": assistant_id, "assistant_name": names.get(assistant_id), **_figures(item)}
                for assistant_id, item in sorted(items.items())]
        total = {name: sum(row[name] for row in rows) for name in ("calls", "input_tokens", "output_tokens",
                                                                       "answers", "handoffs")}
        total["cost_usd"] = round(sum(int(item.cost_micro_usd or 0) for item in items.values()) / MICRO, 6)
        months.append({"month": f"{month[:4]}-{month[4:]}", "assistants": rows, "total": total})
    budget = config.get("monthly_budget_usd")
    return {"current": months[0], "previous": months[1],
            "monthly_budget_usd": float(budget) if budget not in (None, "") else None,
            "budget_exhausted": budget not in (None, "") and months[0]["total"]["cost_usd"] >= float(budget),
            "rate_limit_per_minute": rate_per_minute(config.get("rate_limit_per_minute"))}
