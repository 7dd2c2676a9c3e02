"""What every pynamodb model shares: where its table lives and when it was written."""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.attributes import UTCDateTimeAttribute
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


class TimestampedModel(Model):
    created_at = UTCDateTimeAttribute(default_for_new=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)

    def save(self, *args, **kwargs):
        self.updated_at = utcnow()
        return super().save(*args, **kwargs)
