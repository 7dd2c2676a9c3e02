"""Attempt counters (sign-in, password checks), one item per key and fixed window, read
as a sliding window.

An attempt is reserved before the work it guards (a password hash) runs: one
TransactWriteItems of conditional ADDs, each refused once its subject's attempts in the
last window are used up. Reading the count first and recording a failure afterwards let
every parallel guess pass the read. A successful attempt gives its reservation back, so
only failures (and attempts still in flight) count.

The item expires by TTL when the window after it is over, so the table never needs
cleaning. The previous window weighs by how much of it still overlaps the last
`window_seconds`: with fixed windows alone, failures just before a boundary were
forgotten just after it (twice the limit in a burst, and a limit that lapsed mid-attack).
"""
from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError

from ... import dynamo
from ...errors import TooManyRequests
from ...models.throttle import ThrottleWindow


@dataclass(frozen=True)
class Limit:
    name: str
    max_failures: int
    window_seconds: int

    def key(self, subject: str, now: float) -> tuple[str, int]:
        window_end = (int(now) // self.window_seconds + 1) * self.window_seconds
        return f"{self.name}:{subject}:{window_end}", window_end


def source(address: str | None) -> str:
    """The subject for a source address: an IPv6 host gets a whole /64 (one customer's
    subnet, free to rotate through), so the /64 is what is counted."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:  # ::ffff:198.51.100.7 is that IPv4 host
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def reserve(limits: list[tuple[Limit, str]], message: str) -> list[str]:
    """Take one attempt from every (limit, subject), all or none; 429 if any is used up.
    Returns the keys to `release` if the attempt succeeds."""
    now = time.time()
    previous = {limit.key(subject, now - limit.window_seconds)[0]: (limit, subject) for limit, subject in limits}
    counts = {item.key: item.count for item in ThrottleWindow.batch_get(list(previous))}
    earlier = {(limit.name, subject): counts.get(key, 0) for key, (limit, subject) in previous.items()}
    keys, retry_after = [], 1
    try:
        with dynamo.transaction() as tx:
            for limit, subject in limits:
                key, window_end = limit.key(subject, now)
                retry_after = max(retry_after, window_end - int(now))
                overlap = (window_end - now) / limit.window_seconds  # of the previous window, still in the last one
                # The previous window's weight is rounded up: a burst that straddles the
                # boundary must not gain a fractional extra attempt (this window holds < room).
                room = limit.max_failures - math.ceil(earlier[(limit.name, subject)] * overlap)
                if room <= 0:
                    raise TooManyRequests(message, retry_after=retry_after)
                tx.update(ThrottleWindow(key),
                          actions=[ThrottleWindow.count.add(1),
                                   ThrottleWindow.expires_at.set(window_end + limit.window_seconds)],
                          condition=ThrottleWindow.count.does_not_exist() | (ThrottleWindow.count < room))
                keys.append(key)
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            raise TooManyRequests(message, retry_after=retry_after) from None
        raise
    return keys


def release(keys: list[str]) -> None:
    """Give reserved attempts back (the attempt succeeded)."""
    for key in keys:
        try:  # never recreate an item TTL already removed: it would have no expiry
            ThrottleWindow(key).update(actions=[ThrottleWindow.count.add(-1)], condition=ThrottleWindow.count.exists())
        except UpdateError:
            pass


def clear(limit: Limit, subject: str) -> None:
    """Forget a subject's attempts (the windows the sliding count reads); the owner proved
    who they are another way."""
    now = time.time()
    for at in (now, now - limit.window_seconds):
        ThrottleWindow(limit.key(subject, at)[0]).delete()
