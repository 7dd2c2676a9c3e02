"""The template's EventLogPipe in the in-process tests: the real local pipe
(local/streams.py) reading the event log's stream and putting each new event on moto's
bus, whose rules hand it to their targets' queues. Tests call `pump()` where EventBridge
would have delivered by then (before reading a rule target's queue).

On moto every test has a new stack, so a new pipe; on DynamoDB Local the tables (and
their streams) outlive a test, so one pipe per engine first moves past what earlier tests
wrote."""
from __future__ import annotations

import tempfile

from local.streams import StreamSources

_pipes: dict[str, StreamSources] = {}
_current: StreamSources | None = None
# Every pipe's checkpoint folder lives in this one, removed when the test process exits.
_state = tempfile.TemporaryDirectory(prefix="event-pipes-")


def _no_function(function_id: str, event) -> None:
    raise AssertionError(f"the event-log pipe targets the bus, not a function ({function_id})")


def start(session, stack, endpoints: dict | None) -> None:
    global _current
    endpoint = (endpoints or {}).get("dynamodb")
    if endpoint is None:
        _current = StreamSources(session, stack, _no_function, tempfile.mkdtemp(dir=_state.name))
        return
    if endpoint not in _pipes:
        _pipes[endpoint] = StreamSources(session, stack, _no_function, tempfile.mkdtemp(dir=_state.name),
                                         endpoints)
    _current = _pipes[endpoint]
    for consumer in _current.consumers:
        consumer.discard_pending()


def pump() -> None:
    """Put every event committed so far on the bus (what the pipe does within a second)."""
    assert _current is not None, "pump() outside the aws fixture"
    for consumer in _current.consumers:
        consumer.refreshed_at = 0.0  # look for the stream and its shards now
        while consumer.poll_once():
            pass
