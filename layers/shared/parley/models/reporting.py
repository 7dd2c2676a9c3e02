"""Chatwoot's reporting events (services/reporting/, docs/reports.md)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from .base import TimestampedModel, global_index, table_meta


class ReportingEvent(TimestampedModel):
    """Access: an account's events by id; by when they happened (time-index on created_at,
    which is the event's end, as Chatwoot creates it then: the live consumer and the
    rebuild give the same); a conversation's events (conversation-index, by id). `key` is
    the natural key that made it (services/reporting/timeline.py), claimed with it so it is
    never recorded twice. updated_at is when it was recorded."""

    Meta = table_meta("reporting_events_table")

    account_id = NumberAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    name = UnicodeAttribute()
    value = NumberAttribute()  # seconds
    value_in_business_hours = NumberAttribute()
    event_start_time = UTCDateTimeAttribute()
    event_end_time = UTCDateTimeAttribute()
    inbox_id = NumberAttribute(null=True)
    user_id = NumberAttribute(null=True)
    conversation_id = NumberAttribute(null=True)  # the display id
    conversation_key = UnicodeAttribute(null=True)  # "<account id>#<display id>"
    key = UnicodeAttribute()

    conversation_index = global_index("conversation-index", conversation_key=UnicodeAttribute(hash_key=True),
                                      id=NumberAttribute(range_key=True))
    time_index = global_index("time-index", account_id=NumberAttribute(hash_key=True),
                              created_at=UTCDateTimeAttribute(range_key=True))
