from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from .base import TimestampedModel, table_meta


class PlatformApp(TimestampedModel):
    """A system that provisions accounts and users through the Platform API."""

    Meta = table_meta("platform_apps_table")

    id = NumberAttribute(hash_key=True)
    name = UnicodeAttribute()
