"""events.from_bus: the one "is this one of ours?" guard every bus consumer uses (through
events.BusConsumer). An event reaches the bus as the event log's stream record (through
the EventLogPipe) or, for ephemeral events, as itself; anything else is dropped, because
retrying cannot fix it."""
from __future__ import annotations

import json

import pytest

from parley import events

DETAIL = {"id": "e-1", "event": "message.created", "account_id": 1, "seq": 3, "data": {"id": 9}}


def piped(detail, event_name: str = "INSERT") -> dict:
    """What the EventLogPipe puts on the bus for one event-log record."""
    text = detail if isinstance(detail, str) else json.dumps(detail)
    image = {"account_id": {"N": "1"}, "seq": {"N": "3"}, "event": {"S": "message.created"}, "detail": {"S": text}}
    return {"source": "parley", "detail-type": "message.created",
            "detail": {"eventName": event_name, "dynamodb": {"NewImage": image}}}


def test_an_event_log_record_from_the_pipe_is_read():
    assert events.from_bus(piped(DETAIL)) == DETAIL


def test_an_ephemeral_event_put_on_the_bus_directly_is_read():
    typing = {**DETAIL, "event": "conversation.typing_on", "seq": None}
    assert events.from_bus({"source": "parley", "detail-type": "conversation.typing_on", "detail": typing}) == typing


@pytest.mark.parametrize("event", [
    {}, {"detail": "x"}, {"detail": []}, {"detail": {"event": "message.created"}},
    {"detail": {"id": 1, "event": "message.created", "data": {}}},  # id must be a string
    {"source": "aws.s3", "detail": DETAIL},  # another service's event on the bus
    piped(DETAIL, "REMOVE"),  # the log's TTL deleting a record is not an event
    piped("not json"), piped({"id": "e-2", "event": "x"}),  # no data
    {"source": "parley", "detail": {"eventName": "INSERT", "dynamodb": {"NewImage": {}}}},
    "a string", None,
])
def test_anything_else_is_not_ours(event):
    assert events.from_bus(event) is None


class _Log:
    def __init__(self):
        self.warnings = []

    def warning(self, message, extra=None):
        self.warnings.append((message, extra))


def test_a_bus_consumer_hands_ours_on_and_drops_the_rest_with_a_warning():
    seen, log = [], _Log()
    consumer = events.BusConsumer(lambda detail, context: seen.append((detail, context)) or {"done": 1},
                                  logger=log, ignored={"done": 0})
    assert consumer(piped(DETAIL), "ctx") == {"done": 1}
    assert seen == [(DETAIL, "ctx")] and log.warnings == []
    assert consumer({"source": "aws.s3", "detail-type": "Object Created", "detail": DETAIL}, "ctx") == {"done": 0}
    assert consumer("a string", "ctx") == {"done": 0}
    assert len(seen) == 1
    assert log.warnings == [("ignored malformed event", {"detail_type": "Object Created"}),
                            ("ignored malformed event", {"detail_type": None})]
