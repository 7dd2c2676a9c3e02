"""The template's functions, run side by side the way Lambda runs them.

Each "container" is a process that runs one function and takes one invocation at a time,
staying warm between invocations (local/worker.py): the handlers assume exactly that
(Powertools' resolver keeps the current event on the router, batch processors are module
globals). Concurrency comes from more containers, never from threads in one.

Containers fork from a forkserver that has imported boto3, pydantic, pynamodb and
Powertools once, so a cold start costs the function's own imports. The pool is bounded
(`PARLEY_LOCAL_CONTAINERS`, default 20): on a 2-core machine the handlers spend most of
an invocation waiting on DynamoDB Local and the AWS endpoint, so more containers than
cores overlap that waiting, while each one (~60 MB) costs memory and a cold start. The
template has 12 functions, each kept warm, and a burst wants more: 10 webhook senders
plus two pollers for each of six consumers is ~22 at once. With 12 the ingest burst
stopped and restarted idle containers 74 times in 136 s; 20 covers the burst with the
memory of a browser tab (~1.2 GB). When the pool is full an idle container of another
function is stopped (least recently used first), else the invocation waits for one.

An invocation that outlives its function's Timeout is stopped by killing its container
(as Lambda does) and raises `FunctionTimeout`; a container that dies raises
`FunctionCrashed`. The event sources then retry as AWS would; the gateway answers 503/500.
"""
from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from . import worker
from .cfn import ACCOUNT, REGION, ROOT, Stack

LAYER = ROOT / "layers" / "shared"
DEFAULT_CONTAINERS = 20
# An invocation that waited longer than this for its container says so in the log.
SLOW_ACQUIRE_SECONDS = 2.0
# Time a container may take to start (fork + the function's imports) on a loaded machine.
INIT_TIMEOUT = 30.0


class InvocationError(Exception):
    """The function did not return a result; the message says why."""


class FunctionError(InvocationError):
    """The handler raised (its traceback is in the log, as Lambda logs it)."""


class FunctionTimeout(InvocationError):
    pass


class FunctionCrashed(InvocationError):
    pass


@dataclass(eq=False)
class Container:
    function_id: str
    process: Any
    conn: Connection
    last_used: float = field(default_factory=time.monotonic)

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["local.worker", *worker.PRELOAD])
    return context


def apply_environment(env: dict[str, str]) -> None:
    """Set the functions' shared environment on this process (the runner's own code, the
    seed, and every container inherit it), before anything imports `parley`."""
    os.environ.update(env)
    os.environ.update(AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing")
    os.environ.pop("AWS_PROFILE", None)  # a profile from the shell would send calls elsewhere


class Runtime:
    """Invokes the stack's functions in a bounded pool of containers.

    `invocations` counts finished invocations; `wait_for_invocation` lets a caller sleep
    until the next one finishes."""

    def __init__(self, stack: Stack, overrides: dict[str, str] | None = None, max_containers: int | None = None):
        self.stack = stack
        self.overrides = overrides or {}  # what differs locally (endpoints), over each function's own variables
        self.max_containers = max_containers or int(os.environ.get("PARLEY_LOCAL_CONTAINERS") or DEFAULT_CONTAINERS)
        self.invocations = 0
        self.cold_starts = 0
        self._context = _context()
        self._lock = threading.Condition()
        self._idle: dict[str, list[Container]] = {fid: [] for fid in stack.functions}
        self._count = 0  # containers running or starting
        self._stopped = False
        self._activity = threading.Condition()
        self._usage: dict[str, dict[str, float]] = {}  # function id -> what AWS would bill (local/usage.py)

    # ------------------------------------------------------------ containers

    def _spec(self, function_id: str) -> dict:
        fn = self.stack.functions[function_id]
        name = self.stack.names.get(function_id, function_id)
        return {"function_id": function_id, "name": name, "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
                "memory_size": fn.memory_size, "timeout": fn.timeout, "environment": {**fn.environment, **self.overrides},
                "layer": str(LAYER), "code_dir": str(fn.code_dir), "app_path": str(fn.app_path),
                "handler": fn.handler.rsplit(".", 1)[1]}

    def _start(self, function_id: str) -> Container:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=worker.serve, args=(child, self._spec(function_id)),
                                        name=f"lambda-{function_id}", daemon=True)
        process.start()
        child.close()
        container = Container(function_id, process, parent)
        reply = self._receive(container, INIT_TIMEOUT)
        if reply[0] != "ready":
            container.stop()
            raise FunctionCrashed(f"{function_id}: the container did not start ({reply[-1]})")
        self.cold_starts += 1
        with self._activity:
            used = self._usage.setdefault(function_id, {"invocations": 0, "billed_ms": 0})
            used["cold_starts"] = used.get("cold_starts", 0) + 1
        return container

    @staticmethod
    def _receive(container: Container, timeout: float) -> tuple:
        """The container's next reply, ("died",) or ("timeout",). Waits on the process
        too: its pipe may not report a death at once (the forkserver that forked it may
        still hold a copy of its end)."""
        try:
            ready = multiprocessing.connection.wait([container.conn, container.process.sentinel], timeout)
            if not ready:
                return ("timeout",)
            if container.conn in ready:
                return container.conn.recv()
        except (EOFError, OSError):
            pass
        return ("died",)

    def _acquire(self, function_id: str) -> Container:
        """A warm idle container of the function, or a new one when the pool has room."""
        evicted = None
        with self._lock:
            while True:
                if self._stopped:
                    raise InvocationError("the local stack is stopping")
                idle = self._idle[function_id]
                if idle:
                    return idle.pop()
                if self._count < self.max_containers:
                    self._count += 1
                    break
                others = [c for cs in self._idle.values() for c in cs]
                if others:
                    evicted = min(others, key=lambda c: c.last_used)
                    self._idle[evicted.function_id].remove(evicted)
                    break  # its slot passes to the new container
                self._lock.wait()
        if evicted is not None:
            evicted.stop()
        try:
            return self._start(function_id)
        except BaseException:
            self._forget()
            raise

    def _release(self, container: Container) -> None:
        container.last_used = time.monotonic()
        with self._lock:
            if self._stopped:
                container.stop()
                return
            self._idle[container.function_id].append(container)
            self._lock.notify()

    def _forget(self) -> None:
        with self._lock:
            self._count -= 1
            self._lock.notify()

    # ------------------------------------------------------------ invocations

    def warm(self, function_ids: list[str] | None = None) -> None:
        """Start one container per function now (in parallel), not on the first request."""

        def start(fid: str) -> None:
            try:
                self._release(self._acquire(fid))
            except InvocationError as exc:
                print(f"[{fid}] could not be started: {exc}", file=sys.stderr, flush=True)

        threads = [threading.Thread(target=start, args=(fid,)) for fid in function_ids or self.stack.functions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def invoke(self, function_id: str, event: Any) -> Any:
        """Run one invocation in a container of the function; its result, or an
        InvocationError (the handler raised, timed out, or its container died)."""
        fn = self.stack.functions[function_id]
        asked = time.perf_counter()
        try:
            container = self._acquire(function_id)
            waited = time.perf_counter() - asked
            if waited > SLOW_ACQUIRE_SECONDS:  # what Lambda would show as throttling or a cold start
                print(f"[{function_id}] waited {waited:.1f} s for a container", file=sys.stderr, flush=True)
            try:
                container.conn.send(event)
            except (OSError, ValueError) as exc:
                container.stop()
                self._forget()
                raise FunctionCrashed(f"{function_id}: the container is gone ({exc})") from exc
            began = time.perf_counter()
            reply = self._receive(container, fn.timeout)
            self._meter(function_id, time.perf_counter() - began, reply[2] if len(reply) > 2 else {})
            if reply[0] in ("died", "timeout"):
                container.stop()
                self._forget()
                if reply[0] == "died":
                    raise FunctionCrashed(f"{function_id}: the container died during the invocation "
                                          f"(exit code {container.process.exitcode})")
                print(f"[{function_id}] Task timed out after {fn.timeout} s: container stopped",
                      file=sys.stderr, flush=True)
                raise FunctionTimeout(f"{function_id}: Task timed out after {fn.timeout} seconds")
            self._release(container)
            if reply[0] == "error":
                raise FunctionError(reply[1])
            return reply[1]
        finally:
            with self._activity:
                self.invocations += 1
                self._activity.notify_all()

    def _meter(self, function_id: str, seconds: float, dynamodb: dict[str, float]) -> None:
        """Lambda bills each invocation and its duration rounded up to 1 ms (a timed-out or
        crashed one too); the container reports the DynamoDB units it consumed."""
        with self._activity:
            used = self._usage.setdefault(function_id, {"invocations": 0, "billed_ms": 0})
            used["invocations"] += 1
            used["billed_ms"] += math.ceil(seconds * 1000)
            for key, amount in dynamodb.items():
                used[key] = used.get(key, 0) + amount

    def usage(self) -> dict[str, dict]:
        """Per function: invocations, billed_ms, memory_mb, cold_starts, and the DynamoDB requests,
        read_units, write_units (and failed_writes) its invocations consumed."""
        with self._activity:
            return {fid: {**used, "memory_mb": self.stack.functions[fid].memory_size}
                    for fid, used in self._usage.items()}

    def wait_for_invocation(self, seen: int, timeout: float) -> int:
        """Block until an invocation after `seen` finished (or `timeout`); the current count."""
        with self._activity:
            self._activity.wait_for(lambda: self.invocations != seen, timeout)
            return self.invocations

    def containers(self) -> dict[str, int]:
        """Idle containers per function (for tests and the benchmarks)."""
        with self._lock:
            return {fid: len(cs) for fid, cs in self._idle.items() if cs}

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            idle = [c for cs in self._idle.values() for c in cs]
            for cs in self._idle.values():
                cs.clear()
            self._lock.notify_all()
        for container in idle:
            container.stop()
