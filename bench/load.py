"""Fill a running local stack with conversations, fast: the items bench/scale.py builds
(the same pynamodb items the services write: contacts with their index entries and
claims, conversations, one message each with its search terms, count buckets, id
counters), written straight to the stack's DynamoDB Local with BatchWriteItem from
THREADS threads (one HTTP connection each) instead of through the API.

It runs as a child process (`python -m bench.load`) so that `parley` is imported with
the stack's table names and endpoint, never with whatever a benchmark of this process
set up before (the in-process ones use moto and the test tables).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from local.cfn import REGION, Resolver, load_template
from local.process import ROOT, LocalStack

THREADS = 8
BATCH = 25  # BatchWriteItem's limit
ENDPOINT = re.compile(r"DynamoDB Local: (http://\S+)")


def dynamodb_endpoint(stack: LocalStack) -> str:
    """DynamoDB Local's URL, from the banner `python -m local` prints."""
    found = ENDPOINT.search(stack.log.read_text())
    if not found:
        raise RuntimeError(f"no 'DynamoDB Local: ...' line in {stack.log}")
    return found.group(1)


def stack_environment(prefix: str = "parley-local") -> dict[str, str]:
    """The functions' shared variables (table names ...) for the stack `python -m local` builds."""
    template = load_template()
    resolver = Resolver(template, prefix, {"Stage": "local"}, {})
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return {name: str(resolver.resolve(value)) for name, value in variables.items()}


def load(stack: LocalStack, conversations: int, already: int = 0, seed: int = 4) -> float:
    """Add conversations `already + 1 .. conversations` to the stack's first account (in
    its website inbox and a second API inbox); the seconds it took."""
    account = stack.seed["account"]["id"]
    env = {**os.environ, **stack_environment(), "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint(stack),
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
           "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.load", json.dumps({
        "account": account, "inbox": stack.seed["website_inbox"]["id"],
        "agents": [stack.seed["administrator"]["id"], stack.seed["agent"]["id"]],
        "second_inbox": second_inbox(stack), "already": already, "conversations": conversations, "seed": seed})],
        cwd=ROOT, env=env, check=True)
    return time.perf_counter() - began


def second_inbox(stack: LocalStack) -> int:
    """An API inbox in the account (made once through the API, so it is a real one)."""
    import httpx

    auth = {"api_access_token": stack.seed["administrator"]["access_token"]}
    base = f"{stack.base_url}/api/v1/accounts/{stack.seed['account']['id']}/inboxes"
    found = [i for i in httpx.get(base, headers=auth, timeout=30).json()["payload"] if i["name"] == "Bench API"]
    if found:
        return found[0]["id"]
    created = httpx.post(base, headers=auth, json={"name": "Bench API", "channel": {"type": "api"}}, timeout=30)
    created.raise_for_status()
    return created.json()["id"]


class BatchTables:
    """`put(model)` as bench/scale.py's builders call it, in batches of 25 per table from
    a pool of threads; `close()` waits for every batch and raises the first failure."""

    def __init__(self):
        import boto3

        self._local = threading.local()
        self._session = boto3.Session()
        self._pool = ThreadPoolExecutor(THREADS)
        self._pending: dict[str, list[dict]] = {}
        self._futures: list[Future] = []
        self.items = 0

    def _client(self):
        if not hasattr(self._local, "client"):
            self._local.client = self._session.client("dynamodb")
        return self._local.client

    def put(self, model) -> None:
        table = model.Meta.table_name
        rows = self._pending.setdefault(table, [])
        rows.append({"PutRequest": {"Item": model.serialize()}})
        self.items += 1
        if len(rows) == BATCH:
            self._futures.append(self._pool.submit(self._write, table, rows))
            self._pending[table] = []

    def _write(self, table: str, rows: list[dict]) -> None:
        request, delay = {table: rows}, 0.05
        while request:
            request = self._client().batch_write_item(RequestItems=request).get("UnprocessedItems") or None
            if request:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def close(self) -> None:
        for table, rows in self._pending.items():
            if rows:
                self._futures.append(self._pool.submit(self._write, table, rows))
        self._pending = {}
        for future in self._futures:
            future.result()
        self._pool.shutdown()


def main(spec: dict) -> None:
    from bench import scale

    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    tables = BatchTables()
    rng = random.Random(spec["seed"] + spec["already"])
    already, total = spec["already"], spec["conversations"]
    per_contact = scale.CONVERSATIONS_PER_CONTACT
    contacts = scale.make_contacts(tables, spec["account"], spec["inbox"], already // per_contact,
                                   total // per_contact - already // per_contact)
    scale.seed(tables, spec["account"], [spec["inbox"], spec["second_inbox"]], spec["agents"], contacts,
               already + 1, total - already, rng)
    tables.close()
    print(f"loaded {total - already} conversations ({tables.items} items)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("spec", help="JSON: account, inbox, second_inbox, agents, already, conversations, seed")
    main(json.loads(parser.parse_args().spec))


# DynamoDB Local commits every write to its SQLite file: on this machine's disk a
# BatchWriteItem of 25 items ran at ~105 items/s, on tmpfs at ~660/s (20,000
# conversations are ~210,000 items). So the prepared states, and the copies the
# benchmarks start stacks on, live in memory when /dev/shm is there.
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
CACHE = (SCRATCH / "parley-bench") if SCRATCH else ROOT / ".local" / "bench"  # kept between runs


def prepared(sizes: tuple[int, ...]) -> dict[int, tuple[Path, float | None]]:
    """A stopped stack's state dir holding each number of conversations (growing one
    state from the smallest size to the largest), and the seconds loading took (None if
    the state was already in CACHE from an earlier run). Copy a state before starting a
    stack on it: a benchmark must not change the cached one."""
    import shutil

    from local.process import free_port

    found: dict[int, tuple[Path, float | None]] = {}
    work = CACHE / "loading"
    already = 0
    for size in sorted(sizes):
        done = CACHE / f"{size}-conversations"
        if done.is_dir():
            found[size] = (done, None)
            already = size
            continue
        if work.exists():
            shutil.rmtree(work)
        if already:
            shutil.copytree(found[already][0], work)
        else:
            work.mkdir(parents=True)
        stack = LocalStack(work, free_port())
        stack.start()
        try:
            seconds = load(stack, size, already)
        finally:
            stack.stop()
        work.rename(done)
        found[size] = (done, seconds)
        already = size
    return found


def copy_of(state: Path, into: Path) -> Path:
    """A copy of a prepared state, for one benchmark run."""
    import shutil

    target = into / "state"
    shutil.copytree(state, target)
    return target
