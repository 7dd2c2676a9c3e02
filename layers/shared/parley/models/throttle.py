from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import table_meta


class ThrottleWindow(Model):
    """Failures counted in a fixed window ("sign_in:email:a@b.c"), gone by TTL afterwards."""

    Meta = table_meta("throttle_table")

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @classmethod
    def release(cls, key: str) -> None:
        """Give one count of the window back (an open socket's slot, services/access/connections.py)."""
        cls(key).update(actions=[cls.count.add(-1)])
