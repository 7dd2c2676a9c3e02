"""One Lambda container: a process that runs one function, one invocation at a time.

Started by local/runtime.py through a forkserver that has already imported the heavy
libraries below, so a new container costs a fork plus the function's own imports (its
cold start), as on Lambda. The container gets the function's own environment and its own
sys.path (its folder, then the layer), imports `app.py` by path, then answers invocations
sent over its pipe until the pipe closes. A handler's exception is printed as Lambda logs
it and reported back; the container stays warm, as Lambda's does.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
import uuid
from multiprocessing.connection import Connection
from pathlib import Path

from .usage import meter_dynamodb

# What every function imports; the forkserver imports it once (set_forkserver_preload).
PRELOAD = ("boto3", "botocore.session", "botocore.client", "pydantic", "pynamodb.models", "pynamodb.connection",
           "aws_lambda_powertools", "aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.batch")


class LambdaContext:
    """What a Python handler gets as `context` on Lambda (the attributes Powertools reads)."""

    def __init__(self, spec: dict):
        self.function_name = spec["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["arn"]
        self.memory_limit_in_mb = spec["memory_size"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec['name']}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + spec["timeout"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _load(spec: dict):
    for path in (spec["layer"], spec["code_dir"]):  # ends with the function's folder first, as /var/task is
        sys.path.insert(0, path)
    module_spec = importlib.util.spec_from_file_location(f"parley_fn_{spec['function_id']}", Path(spec["app_path"]))
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, spec["handler"])


def serve(conn: Connection, spec: dict) -> None:
    """The container's main loop. Replies: ("ready",) once loaded, then per invocation
    ("ok", result, usage) or ("error", summary, usage), usage being the DynamoDB units
    the invocation consumed (local/usage.py)."""
    os.environ.update(spec["environment"])
    meter = meter_dynamodb()  # before the function's imports make any client
    try:
        handler = _load(spec)
    except BaseException as exc:
        print(f"[{spec['function_id']}] init failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        conn.send(("error", f"init failed: {type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):  # the runner closed the pipe (or died): this container ends
            return
        try:
            result = handler(event, LambdaContext(spec))
        except Exception as exc:
            print(f"[{spec['function_id']}] invocation failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:2000], meter.take()))
        else:
            conn.send(("ok", result, meter.take()))
