"""Lambda's init phase: a function's imports, and HttpApiFunction's route modules on a
request's first use (docs/benchmarks.md "Cold start").

CPython's cyclic garbage collector runs every few hundred allocations. While modules load
nearly everything allocated lives as long as the container, so those passes free next to
nothing, yet they were a fifth of a cold start. `loading()` pauses the collector around the
imports, then freezes what they made (gc.freeze: later collections skip it; what the
modules drop is still freed by reference counting)."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def loading() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
