"""What every pynamodb model shares: where its table lives and when it was written."""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.attributes import Attribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, Projection
from pynamodb.models import Model

from ..settings import get_settings


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def table_meta(setting: str) -> type:
    """A pynamodb Meta class for the table named by `Settings.<setting>`."""
    settings = get_settings()

    class Meta:
        table_name = getattr(settings, setting)
        region = settings.region
        max_retry_attempts = 3

    return Meta


def global_index(index_name: str, projection: Projection | None = None, **keys: Attribute) -> GlobalSecondaryIndex:
    """A global secondary index of the model it is assigned in: its name in the template,
    its key attributes (declared as the model declares them, one with hash_key=True and
    at most one with range_key=True) and its projection, every attribute unless given."""
    meta = type("Meta", (), {"index_name": index_name, "projection": projection or AllProjection()})
    name = "".join(part.title() for part in index_name.split("-"))  # "status-index": StatusIndex
    return type(name, (GlobalSecondaryIndex,), {"Meta": meta, **keys})()


class TimestampedModel(Model):
    created_at = UTCDateTimeAttribute(default_for_new=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)

    def save(self, *args, **kwargs):
        self.updated_at = utcnow()
        return super().save(*args, **kwargs)
