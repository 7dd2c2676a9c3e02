"""Everything of the local stack but its front door: DynamoDB Local, the AWS endpoint
(the runner's queues and bus, moto for the rest), the template's resources built on them,
the pool of function containers, the event sources and the stream consumers.

`python -m local` adds the gateway, the seed and the snapshots on top; tests/e2e start
it with a small template of their own. One place assembles the parts, so the tests run
what `make dev` runs.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import boto3
from moto.moto_api._internal.models import moto_api_backend

from .aws import MotoServer
from .bus import Bus
from .cfn import REGION, TEMPLATE, Stack, build_stack
from .dynamodb import DynamoDBLocal
from .process import free_port
from .queues import Queues
from .runtime import Runtime
from .sources import EventSources
from .streams import StreamSources

MOTO_SERVICES = ("sqs", "s3", "events", "scheduler", "ses")


class Engines:
    """`state_dir` None keeps everything in memory (tests); otherwise DynamoDB Local's
    files are in `state_dir/dynamodb`, the queue journal in `state_dir/queues` and the
    stream checkpoints in `state_dir/streams.json`. `dynamodb` may be a DynamoDB Local
    that is already running (tests share one per worker; then use a `prefix` of their own)."""

    def __init__(self, state_dir: Path | None, template_path: Path = TEMPLATE, prefix: str = "parley-local",
                 parameters: dict[str, str] | None = None, dynamodb_port: int | None = None,
                 dynamodb: DynamoDBLocal | None = None):
        self.state_dir = state_dir
        self.template_path, self.prefix, self.parameters = template_path, prefix, parameters or {}
        self._own_dynamodb = dynamodb is None
        self.dynamodb = dynamodb or DynamoDBLocal(dynamodb_port or free_port(), state_dir / "dynamodb" if state_dir else None,
                                                  log=state_dir / "dynamodb.log" if state_dir else None)
        self.aws = MotoServer()
        self.queues = Queues(state_dir / "queues" if state_dir else None, endpoint=self.aws.endpoint)
        self.aws.engines["AmazonSQS"] = self.queues.handle
        self.bus = Bus(self.queues, self.aws.lock)
        self.aws.engines["AWSEvents"] = self.bus.handle
        self.session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        self.stack: Stack | None = None
        self.runtime: Runtime | None = None
        self.sources: EventSources | None = None
        self.streams: StreamSources | None = None
        self._scratch: tempfile.TemporaryDirectory | None = None

    @property
    def endpoints(self) -> dict[str, str]:
        return {**{name: self.aws.endpoint for name in MOTO_SERVICES}, "dynamodb": self.dynamodb.endpoint}

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoints[service])

    def start(self, overrides: dict[str, str] | None = None) -> None:
        """Start the engines and build the template on them. Raises EngineError (with a
        message for a person) if DynamoDB Local cannot run. `overrides` go over every
        function's environment, after the endpoints."""
        if self._own_dynamodb:
            self.dynamodb.launch()  # the JVM's few seconds overlap the rest
        # moto's backends are this process's globals: a stack starts with none of an
        # earlier one's buckets, rules or mail (tests start several in one process).
        moto_api_backend.reset()
        self.aws.start()
        try:
            if self._own_dynamodb:
                self.dynamodb.wait_ready()
        except BaseException:
            self.aws.stop()
            raise
        self.stack = build_stack(self.session, prefix=self.prefix, parameters=self.parameters,
                                 template_path=self.template_path, endpoints=self.endpoints)
        environment = {"AWS_ENDPOINT_URL": self.aws.endpoint, "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint,
                       **(overrides or {})}
        self.runtime = Runtime(self.stack, environment)
        self.sources = EventSources(self.stack, self.runtime, self.queues, self.client("scheduler"))
        checkpoints = self.state_dir
        if checkpoints is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="parley-streams-")
            checkpoints = Path(self._scratch.name)
        self.streams = StreamSources(self.session, self.stack, self.runtime.invoke, checkpoints, self.endpoints)

    def start_consumers(self) -> None:
        """Start delivering: queue and bus events, schedules, table streams."""
        self.sources.start()
        self.streams.start()

    @property
    def environment(self) -> dict[str, str]:
        return dict(self.runtime.overrides)

    def stop(self) -> None:
        if self.streams:
            self.streams.stop()
        if self.sources:
            self.sources.stop()
        if self.runtime:
            self.runtime.stop()
        self.aws.stop()
        self.queues.close()
        if self._own_dynamodb:
            self.dynamodb.stop()
        if self._scratch:
            self._scratch.cleanup()
