"""Chatwoot's reporting events (services/reporting/, docs/reports.md)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from .base import TimestampedModel, global_index, table_meta


class ReportingEvent(TimestampedModel):
    """Access: an account's events by id (ids grow with recording: a page is a Query);
    a conversation's events (conversation-index, by id). `key` is the natural key that made
    it (services/reporting/timeline.py), claimed with it so it is never recorded twice."""

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
