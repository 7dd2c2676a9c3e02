"""End-to-end harness: `python -m local` as a subprocess (what `make dev` runs), and a
helper that serves a gateway in-process on a free port for the faster tests."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from local.process import LocalStack, free_port  # noqa: F401  (fixtures below and other suites)

ROOT = Path(__file__).resolve().parents[2]
TOY_TEMPLATE = Path(__file__).resolve().parent / "toy" / "template.yaml"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path_factory.mktemp("local") / "state", free_port())
    stack.state_dir.mkdir()
    stack.start()
    yield stack
    stack.stop()


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve an ASGI app on a free port in a thread (as local/__main__ does); its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets", lifespan="off",
                                           log_level="warning", ws_max_size=128 * 1024))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
