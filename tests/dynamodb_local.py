"""The `[dynamodb-local]` variant of tests marked `dynamodb_local` (tests/conftest.py).

moto is a test double: it accepts things DynamoDB refuses (and refuses a few it accepts),
so the tests of transactions, conditional writes and GSI queries also run against Amazon
DynamoDB Local. Each pytest-xdist worker starts ONE DynamoDB Local (in memory), lazily
when its first marked test runs, and builds the template's tables there once, with the
local stack's own code (local.cfn.build_stack). moto stays on for SQS, EventBridge, S3
and SES.

Every DynamoDB request goes there, whichever client sends it: a botocore `before-send`
handler, registered ahead of moto's, points it at DynamoDB Local while such a test runs.
That covers pynamodb's per-model connections, parley.dynamo's shared one and clients
made at import time (the automation function's idempotency store) without knowing
about any of those caches, and costs nothing when a worker alternates between variants.

Tests share the tables, so before and after each one every item of the template's tables
is deleted (the `world` fixture's fixed e-mails claim the same unique keys in every test).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from urllib.parse import urlsplit

import boto3
import botocore.handlers
import pytest
from moto.core.models import botocore_stubber

from local.cfn import table_names
from local.dynamodb import DynamoDBLocal
from local.process import free_port

MARKER = "dynamodb_local"
VARIANTS = ("moto", "dynamodb-local")

# DynamoDB Local's URL while a [dynamodb-local] test runs, else None (moto answers).
_endpoint: str | None = None
# The template's tables in the tests (tests/conftest.py builds them with prefix "test");
# the e2e tests sharing this engine use prefixes of their own.
TABLE_PREFIX = "test-"


def _to_dynamodb_local(request, event_name: str, **_) -> None:
    if _endpoint is None:
        return
    url = urlsplit(request.url)
    request.url = _endpoint + url.path + (f"?{url.query}" if url.query else "")


def install() -> None:
    """Register the redirect in every botocore session created from now on, before moto's
    stubber (which would answer the request itself). Call after importing moto and before
    creating any session."""
    builtin = botocore.handlers.BUILTIN_HANDLERS
    moto_at = next(i for i, (_, handler, *__) in enumerate(builtin) if handler is botocore_stubber)
    builtin.insert(moto_at, ("before-send.dynamodb", _to_dynamodb_local))


class Engine:
    """One worker's DynamoDB Local and the tables the tests share on it."""

    def __init__(self):
        self.server = DynamoDBLocal(free_port(), None)
        self.server.start()
        self.endpoint = self.server.endpoint
        self.client = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1")
        self._keys: dict[str, list[str]] = {}
        self.last_test: str | None = None

    def key(self, table: str) -> list[str]:
        """A table's key attributes, read once per table (other tests share this engine
        and make tables of their own: never list them all)."""
        if table not in self._keys:
            schema = self.client.describe_table(TableName=table)["Table"]["KeySchema"]
            self._keys[table] = [k["AttributeName"] for k in schema]
        return self._keys[table]

    def tables_with_prefix(self, prefix: str) -> set[str]:
        return {name for name in table_names(self.client) if name.startswith(prefix)}

    def empty(self, tables: set[str]) -> int:
        """Delete every item of these tables (tests write few: cheaper than new tables);
        how many there were."""
        deleted = 0
        for name in tables:
            names = {f"#k{i}": attribute for i, attribute in enumerate(self.key(name))}
            pages = self.client.get_paginator("scan").paginate(
                TableName=name, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
            items = [item for page in pages for item in page["Items"]]
            deleted += len(items)
            for start in range(0, len(items), 25):
                requests = [{"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]
                while requests:
                    unprocessed = self.client.batch_write_item(RequestItems={name: requests})["UnprocessedItems"]
                    requests = unprocessed.get(name, [])
        return deleted


@pytest.fixture(scope="session")
def dynamodb_local_engine():
    """This worker's DynamoDB Local. Not installed: every marked test fails with
    EngineError's message (CI must run them, so no skip)."""
    engine = Engine()
    yield engine
    engine.server.stop()


def parametrize(metafunc) -> None:
    """A marked test that uses `aws` runs once on moto and once on DynamoDB Local."""
    if metafunc.definition.get_closest_marker(MARKER) and "aws" in metafunc.fixturenames:
        metafunc.parametrize("aws", VARIANTS, indirect=True)


@contextmanager
def serving(request):
    """For the `aws` fixture: the endpoints build_stack takes ({"dynamodb": ...} in the
    dynamodb-local variant, None on moto); DynamoDB requests go there until the test ends."""
    global _endpoint
    if getattr(request, "param", "moto") == "moto":
        yield None
        return
    engine = request.getfixturevalue("dynamodb_local_engine")
    _endpoint = engine.endpoint
    # Empty before the test as well, and say which test left items: a leftover breaks every
    # later test on this worker (the `world` fixture's e-mails are taken). It happened while
    # DynamoDB Local kept one database per access key: the cleanup client, made outside
    # moto's mock, emptied other tables than the tests wrote (now -sharedDb, local/dynamodb.py).
    left = engine.empty(engine.tables_with_prefix(TABLE_PREFIX))
    if left:
        warnings.warn(f"{left} items were in the shared DynamoDB Local tables before {request.node.nodeid} "
                      f"(the previous [dynamodb-local] test on this worker: {engine.last_test})")
    engine.last_test = request.node.nodeid
    try:
        yield {"dynamodb": engine.endpoint}
    finally:
        _endpoint = None
        # Every table of the template, not only those a test was seen writing to: one
        # item missed (a write from a thread, after the test) broke every later test.
        engine.empty(engine.tables_with_prefix(TABLE_PREFIX))
