"""local/runtime.py: the toy template's functions in a pool of containers, each a process
that runs one function and one invocation at a time, as Lambda does. The faults are real:
a handler that hangs past its Timeout, a process that dies mid-invocation."""
from __future__ import annotations

import threading
import time

import boto3
import pytest
from moto import mock_aws

from local.cfn import build_stack
from local.runtime import FunctionCrashed, FunctionError, FunctionTimeout, Runtime

from .conftest import TOY_TEMPLATE


def get(path: str, **query) -> dict:
    return {"rawPath": path, "queryStringParameters": {k: str(v) for k, v in query.items()}}


@pytest.fixture(scope="module")
def stack():
    with mock_aws():
        return build_stack(boto3.Session(region_name="us-east-1", aws_access_key_id="testing",
                                         aws_secret_access_key="testing"), prefix="toy", template_path=TOY_TEMPLATE)


@pytest.fixture
def runtime(stack):
    stack.functions["WebFunction"].timeout = 2  # so the hang test is short
    rt = Runtime(stack, {"TOY_OVERRIDE": "local"}, max_containers=3)
    yield rt
    rt.stop()


def test_a_container_stays_warm_and_keeps_its_own_environment(runtime):
    first = runtime.invoke("WebFunction", get("/pid", value="one"))
    second = runtime.invoke("WebFunction", get("/pid", value="two"))
    assert first["pid"] == second["pid"] and runtime.cold_starts == 1  # warm: the same process
    assert first["toy"] == "yes"  # the template's Globals variables
    # A function that writes os.environ writes its own container's, not the runner's.
    import os
    assert "TOY_WRITTEN" not in os.environ


def test_invocations_of_one_function_run_side_by_side_in_separate_containers(runtime):
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(runtime.invoke("WebFunction", get("/sleep", s=1))))
               for _ in range(3)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started < 2.5  # three 1-second invocations at once, not one after another
    assert len({r["pid"] for r in results}) == 3


def test_a_full_pool_stops_an_idle_container_of_another_function(runtime):
    for _ in range(3):
        threading.Thread(target=runtime.invoke, args=("WebFunction", get("/sleep", s=0.2))).start()
    time.sleep(0.1)
    # The pool (3) is busy with WebFunction: the consumer waits for a container to come free.
    assert runtime.invoke("ConsumerFunction", {"detail": {}}) == {"ok": True}
    assert runtime.containers().get("ConsumerFunction") == 1 and sum(runtime.containers().values()) <= 3


def test_an_invocation_past_its_timeout_is_stopped_and_its_container_replaced(runtime, capsys):
    hung = runtime.invoke("WebFunction", get("/pid"))["pid"]
    with pytest.raises(FunctionTimeout, match="timed out after 2 seconds"):
        runtime.invoke("WebFunction", get("/sleep", s=30))
    assert "Task timed out" in capsys.readouterr().err
    after = runtime.invoke("WebFunction", get("/pid"))["pid"]
    assert after != hung  # the hung container was killed; a new one answers


def test_a_container_that_dies_mid_invocation_is_replaced(runtime):
    before = runtime.invoke("WebFunction", get("/pid"))["pid"]
    with pytest.raises(FunctionCrashed, match="died"):
        runtime.invoke("WebFunction", get("/exit"))
    assert runtime.invoke("WebFunction", get("/pid"))["pid"] != before


def test_a_handler_exception_is_reported_and_the_container_stays_warm(runtime):
    pid = runtime.invoke("WebFunction", get("/pid"))["pid"]
    with pytest.raises(FunctionError, match="RuntimeError: boom"):
        runtime.invoke("WebFunction", get("/boom"))
    assert runtime.invoke("WebFunction", get("/pid"))["pid"] == pid
