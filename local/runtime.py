"""The template's functions, run in this process the way Lambda runs them.

Each function's handler file is imported by path under its own module name (every
function has an `app.py`), with the layer and the function folders on sys.path, and
called with a Lambda-shaped context. Invocations run one at a time (see `Runtime.lock`).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import traceback
import uuid
from typing import Any, Callable

from .cfn import ACCOUNT, REGION, ROOT, Function, Stack

LAYER = ROOT / "layers" / "shared"


class LambdaContext:
    """What a Python handler gets as `context` on Lambda (the attributes Powertools reads)."""

    def __init__(self, function: Function, name: str):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        self.memory_limit_in_mb = function.memory_size
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def shared_environment(stack: Stack) -> dict[str, str]:
    """The one environment all functions get. They share a process here, so a function
    with its own value for a variable cannot be run locally; say so instead of guessing."""
    envs = [fn.environment for fn in stack.functions.values()]
    merged: dict[str, str] = {}
    for env in envs:
        for key, value in env.items():
            if merged.setdefault(key, value) != value:
                raise RuntimeError(f"functions disagree on {key}; the local stack runs them in one process "
                                   "and needs one value per variable")
    return merged


def _check_module_names(stack: Stack) -> None:
    """Two function folders with a module of the same name would shadow each other on the
    shared sys.path (on Lambda each function has its own /var/task)."""
    owners: dict[str, Function] = {}
    for fn in stack.functions.values():
        for entry in fn.code_dir.iterdir() if fn.code_dir.is_dir() else ():
            if entry == fn.app_path or entry.name.startswith((".", "__")):
                continue
            name = entry.stem if entry.suffix == ".py" else entry.name if (entry / "__init__.py").exists() else None
            other = owners.setdefault(name, fn) if name else fn
            if other.code_dir != fn.code_dir:
                raise RuntimeError(f"{fn.code_dir} and {other.code_dir} both define a module {name!r}")


class Runtime:
    """Loads and invokes handlers.

    `lock` serialises everything that touches moto (handlers, pollers, snapshots): moto's
    backends are not thread-safe, and a DynamoDB conditional write must stay atomic.
    `invocations` counts finished invocations, so pollers wake up as soon as a handler
    may have published something and the snapshotter knows when state may have changed.
    """

    def __init__(self, stack: Stack):
        self.stack = stack
        self.lock = threading.RLock()
        self.invocations = 0
        self._activity = threading.Condition()
        self._handlers: dict[str, Callable[[Any, LambdaContext], Any]] = {}
        _check_module_names(stack)
        # Lambda's order: the function's own folder, then the layer.
        for path in [LAYER, *{fn.code_dir for fn in stack.functions.values()}]:
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))

    def handler(self, function_id: str) -> Callable[[Any, LambdaContext], Any]:
        """The function's handler, importing its file on first use (a cold start)."""
        if function_id not in self._handlers:
            fn = self.stack.functions[function_id]
            spec = importlib.util.spec_from_file_location(f"parley_fn_{function_id}", fn.app_path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._handlers[function_id] = getattr(module, fn.handler.rsplit(".", 1)[1])
        return self._handlers[function_id]

    def invoke(self, function_id: str, event: Any) -> Any:
        """Run one invocation. A handler's exception is printed (as Lambda logs it) and raised."""
        fn = self.stack.functions[function_id]
        try:
            with self.lock:
                handler = self.handler(function_id)
                started = time.monotonic()
                try:
                    return handler(event, LambdaContext(fn, self.stack.names.get(function_id, function_id)))
                finally:
                    if (elapsed := time.monotonic() - started) > fn.timeout:
                        print(f"[{function_id}] took {elapsed:.1f} s, longer than its {fn.timeout} s Timeout: "
                              "Lambda would have stopped it", file=sys.stderr, flush=True)
        except Exception:
            print(f"[{function_id}] invocation failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
            raise
        finally:
            with self._activity:
                self.invocations += 1
                self._activity.notify_all()

    def wait_for_invocation(self, seen: int, timeout: float) -> int:
        """Block until an invocation after `seen` finished (or `timeout`); the current count."""
        with self._activity:
            self._activity.wait_for(lambda: self.invocations != seen, timeout)
            return self.invocations


def apply_environment(env: dict[str, str]) -> None:
    """Set the functions' environment on this process, before anything imports `parley`."""
    os.environ.update(env)
    os.environ.update(AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing")
    # AWS calls are answered in-process by moto; an endpoint or profile from the shell
    # would send them elsewhere.
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
