from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute
from pynamodb.models import Model

from .base import table_meta


class LoggedEvent(Model):
    """A sequenced domain event, kept 24 hours so a socket that dropped can resume.

    Access: an account's events after a sequence number (Query seq > since)."""

    Meta = table_meta("events_table")

    account_id = NumberAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    detail = JSONAttribute()
    expires_at = NumberAttribute()
