"""Fixed-window failure counters (sign-in attempts), one item per key and window.

An UpdateItem ADD counts atomically across concurrent Lambdas; the item expires by TTL
when its window is over, so the table never needs cleaning.
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
    """Raise 429 if any (limit, subject) has used up its failures in the current window."""
    now = time.time()
    windows = {}
    for limit, subject in limits:
        key, window_end = limit.key(subject, now)
        windows[key] = (limit, window_end)
    for item in ThrottleWindow.batch_get(list(windows)):
        limit, window_end = windows[item.key]
        if item.count >= limit.max_failures:
            raise TooManyRequests(message, retry_after=max(1, window_end - int(now)))


def record_failure(limits: list[tuple[Limit, str]]) -> None:
    now = time.time()
    for limit, subject in limits:
        key, window_end = limit.key(subject, now)
        ThrottleWindow(key).update(actions=[ThrottleWindow.count.add(1), ThrottleWindow.expires_at.set(window_end)])
