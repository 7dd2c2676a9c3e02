from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import table_meta


class LoggedEvent(Model):
    """A sequenced domain event, kept 24 hours so a socket that dropped can resume. The
    table is the outbox: its stream's INSERT records go to the event bus (EventLogPipe),
    with `event` as the detail-type and `detail` (a JSON string) inside.

    Access: an account's events after a sequence number (Query seq > since)."""

    Meta = table_meta("events_table")

    account_id = NumberAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    event = UnicodeAttribute(null=True)  # the event's name, for the pipe's detail-type
    detail = JSONAttribute()
    expires_at = NumberAttribute()
