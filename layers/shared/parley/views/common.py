from __future__ import annotations

from datetime import datetime


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def epoch(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None
