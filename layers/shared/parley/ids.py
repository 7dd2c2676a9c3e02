"""Chatwoot's integer ids, from atomic counters.

Global ids ("User", "Account") and per-account display ids ("Account#3/Conversation") are
each one UpdateItem ADD: no two callers can get the same number, and no scan is needed.
"""
from __future__ import annotations

from .models.counter import Counter


def next_id(counter: str) -> int:
    item = Counter(counter)
    item.update(actions=[Counter.value.add(1)])
    return int(item.value)


def account_counter(account_id: int, kind: str) -> str:
    return f"Account#{account_id}/{kind}"
