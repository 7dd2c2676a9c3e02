"""`make dev` start time on an installed machine: from `python -m local` starting to the
"Parley is running" banner, on an empty state dir (first start: DynamoDB Local starts,
the template's tables are created, the seed is written) and on a state holding 20,000
conversations (a restart, with the data already on disk). Target: 10 s each.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.report import print_table
from local.process import LocalStack, free_port

RUNS = 3
CONVERSATIONS = 20_000
TARGET_SECONDS = 10.0


def started_in(state: Path) -> float:
    stack = LocalStack(state, free_port())
    began = time.perf_counter()
    stack.start()
    seconds = time.perf_counter() - began  # LocalStack.start returns once the banner is in the log
    stack.stop()
    return seconds


def run() -> None:
    from bench.load import copy_of, prepared

    full, _ = prepared((1000, CONVERSATIONS))[CONVERSATIONS]  # the same states bench/scale.py uses
    first, again = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="parley-start-") as tmp:
            state = Path(tmp) / "state"
            state.mkdir()
            first.append(started_in(state))
        with tempfile.TemporaryDirectory(prefix="parley-start-") as tmp:
            again.append(started_in(copy_of(full, Path(tmp))))
    rows = []
    for name, values in (("first start (empty state)", first), (f"restart, {CONVERSATIONS:,} conversations stored", again)):
        median = statistics.median(values)
        rows.append([name, f"{median:.1f}", f"{min(values):.1f}-{max(values):.1f}",
                     "ok" if median <= TARGET_SECONDS else "OVER"])
    print_table("make dev start time: process start -> \"Parley is running\" banner (s)",
                ["", "median", "range", f"≤ {TARGET_SECONDS:g} s"], rows,
                [f"{RUNS} runs of each, alternating; the banner is printed once the HTTP API and the first "
                 "sockets' functions are warm"])
