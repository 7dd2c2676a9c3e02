from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import table_meta


class Counter(Model):
    """Atomic counters behind Chatwoot's integer ids ("User", "Account", "Account#3/Conversation")."""

    Meta = table_meta("counters_table")

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)
