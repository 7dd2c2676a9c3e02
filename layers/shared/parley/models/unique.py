from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import table_meta


class UniqueClaim(Model):
    """`key` = "<kind>#<value>" (e.g. "user_email#a@b.c"); `target` = what holds it.
    Put with `attribute_not_exists` inside the owner's transaction, so two writers can
    never both claim a value."""

    Meta = table_meta("uniques_table")

    key = UnicodeAttribute(hash_key=True)
    target = UnicodeAttribute()
    claimed_at = NumberAttribute(null=True)  # epoch seconds, on claims that can go stale (ingest)
    expires_at = NumberAttribute(null=True)  # epoch seconds: the table's TTL removes short-lived claims (echo ids)
