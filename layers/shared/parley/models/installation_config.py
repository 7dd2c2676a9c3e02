from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute

from .base import TimestampedModel, table_meta

SCOPE = "installation"


class InstallationConfig(TimestampedModel):
    """One installation config key. All keys share one partition, so the whole config is
    one Query (it is small: tens of keys)."""

    Meta = table_meta("installation_config_table")

    scope = UnicodeAttribute(hash_key=True, default=SCOPE)
    name = UnicodeAttribute(range_key=True)
    value = JSONAttribute(null=True)
    type = UnicodeAttribute(default="string")  # string | integer | boolean | secret | url | email
    locked = BooleanAttribute(default=False)
    public = BooleanAttribute(default=False)
    description = UnicodeAttribute(null=True)
