"""One-time EventBridge Scheduler schedules: work that is due at a time, per item.

A snoozed conversation gets one schedule "at" its snoozed_until that invokes the
scheduled function once and deletes itself. Nothing sweeps all conversations, and a
schedule that fires late or twice is harmless: the function re-checks the conversation.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from functools import lru_cache

from .settings import get_settings


@lru_cache(maxsize=1)
def _client():
    import boto3

    settings = get_settings()
    return boto3.client("scheduler", region_name=settings.region)


def _name(kind: str, account_id: int, item_id: int | str) -> str:
    return f"{kind}-{account_id}-{item_id}"


def at(kind: str, account_id: int, item_id: int | str, when: int, payload: dict) -> None:
    """Run `payload` through the scheduled function at epoch second `when` (replacing any
    schedule this item already had)."""
    client = _client()
    moment = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    arguments = {
        "Name": _name(kind, account_id, item_id),
        "GroupName": os.environ["SCHEDULE_GROUP"],
        "ScheduleExpression": f"at({moment})",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {
            "Arn": os.environ["SCHEDULED_FUNCTION_ARN"],
            "RoleArn": os.environ["SCHEDULER_ROLE_ARN"],
            "Input": json.dumps({"task": kind, **payload}),
            "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": os.environ["SCHEDULE_DLQ_ARN"]},
        },
    }
    try:
        client.create_schedule(**arguments)
    except client.exceptions.ConflictException:
        client.update_schedule(**arguments)


def cancel(kind: str, account_id: int, item_id: int | str) -> None:
    client = _client()
    try:
        client.delete_schedule(Name=_name(kind, account_id, item_id), GroupName=os.environ["SCHEDULE_GROUP"])
    except client.exceptions.ResourceNotFoundException:
        pass  # it already fired, or never existed
