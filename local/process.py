"""Start and stop `python -m local` (what `make dev` runs) as a child process with its own
port and state dir: used by the end-to-end and browser tests and by the benchmarks."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
READY = "Parley is running at"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_stack(prefix: str) -> Iterator["LocalStack"]:
    """A stack of its own, with empty state in a temporary folder, running for the block."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        stack = LocalStack(Path(tmp) / "state", free_port())
        stack.state_dir.mkdir()
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()


class LocalStack:
    """One `python -m local` process with its own port and state dir."""

    def __init__(self, state_dir: Path, port: int):
        self.state_dir, self.port = state_dir, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.log = state_dir.parent / f"{state_dir.name}.log"
        self.process: subprocess.Popen | None = None
        self.env_extra: dict[str, str] = {}  # more variables for the stack (tests)
        self.exit_code: int | None = None  # why a start failed

    def start(self, timeout: float = 90) -> None:
        # Generous: a fresh clone compiles every module and seeds argon2 hashes on first
        # start, and CI runs it beside the other xdist worker; a healthy start takes seconds.
        # A developer's shell, not this test run's environment (tests/conftest.py sets
        # the functions' variables for in-process tests).
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT", "PARLEY_LOCAL_CONTAINERS")}
        env.update(PORT=str(self.port), PARLEY_STATE_DIR=str(self.state_dir), PYTHONUNBUFFERED="1", **self.env_extra)
        self.log.write_text("")
        with self.log.open("a") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while READY not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.exit_code = self.process.poll()
                self.stop()
                raise RuntimeError(f"python -m local did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop it the way a developer does (Ctrl-C); its exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code, self.process = self.process.returncode, None
        return code

    @property
    def seed(self) -> dict:
        return json.loads((self.state_dir / "seed.json").read_text())
