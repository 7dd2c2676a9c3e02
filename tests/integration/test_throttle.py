"""services/throttle.py: failures are counted over the last window, not per fixed window."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from parley.errors import TooManyRequests


def test_failures_just_before_a_window_boundary_still_count_after_it(aws, monkeypatch):
    from parley.services import throttle

    limit = throttle.Limit("test", max_failures=5, window_seconds=60)
    clock = {"now": 6_000_059.0}  # one second before a boundary
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: clock["now"]))
    for _ in range(5):
        throttle.record_failure([(limit, "someone")])
    with pytest.raises(TooManyRequests):
        throttle.check([(limit, "someone")], "slow down")
    # Just after it a fixed window would allow 5 more; the previous window still weighs
    # 59/60 of its 5, so one more failure is the most a burst across the boundary gains.
    clock["now"] = 6_000_061.0
    throttle.check([(limit, "someone")], "slow down")
    throttle.record_failure([(limit, "someone")])
    with pytest.raises(TooManyRequests):
        throttle.check([(limit, "someone")], "slow down")
    throttle.check([(limit, "someone else")], "slow down")  # subjects stay apart
    clock["now"] = 6_000_100.0  # 1 + 5 × 20/60 weighs less than 5
    throttle.check([(limit, "someone")], "slow down")
    clock["now"] = 6_000_121.0  # two windows on: nothing left
    throttle.check([(limit, "someone")], "slow down")
