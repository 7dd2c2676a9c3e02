"""Failure counters (sign-in attempts), one item per key and fixed window, read as a
sliding window.

An UpdateItem ADD counts atomically across concurrent Lambdas; the item expires by TTL
when the window after it is over, so the table never needs cleaning. A check weighs the
previous window by how much of it still overlaps the last `window_seconds`: with fixed
windows alone, failures just before a boundary were forgotten just after it (twice the
limit in a burst, and a limit that lapsed mid-attack).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import TooManyRequests
from ..models.throttle import ThrottleWindow


@dataclass(frozen=True)
class Limit:
    name: str
    max_failures: int
    window_seconds: int

    def key(self, subject: str, now: float) -> tuple[str, int]:
        window_end = (int(now) // self.window_seconds + 1) * self.window_seconds
        return f"{self.name}:{subject}:{window_end}", window_end


def check(limits: list[tuple[Limit, str]], message: str) -> None:
    """Raise 429 if any (limit, subject) has used up its failures in the last window."""
    now = time.time()
    current, previous = {}, {}
    for limit, subject in limits:
        key, window_end = limit.key(subject, now)
        current[key] = (limit, subject, window_end)
        previous[limit.key(subject, now - limit.window_seconds)[0]] = (limit, subject)
    counts = {item.key: item.count for item in ThrottleWindow.batch_get([*current, *previous])}
    earlier = {(limit.name, subject): counts.get(key, 0) for key, (limit, subject) in previous.items()}
    for key, (limit, subject, window_end) in current.items():
        overlap = (window_end - now) / limit.window_seconds  # of the previous window, still in the last one
        if counts.get(key, 0) + earlier[(limit.name, subject)] * overlap >= limit.max_failures:
            raise TooManyRequests(message, retry_after=max(1, window_end - int(now)))


def record_failure(limits: list[tuple[Limit, str]]) -> None:
    now = time.time()
    for limit, subject in limits:
        key, window_end = limit.key(subject, now)
        ThrottleWindow(key).update(actions=[ThrottleWindow.count.add(1),
                                            ThrottleWindow.expires_at.set(window_end + limit.window_seconds)])
