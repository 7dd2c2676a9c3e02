"""One-time EventBridge Scheduler schedules: work that is due at a time, per item.

A snoozed conversation gets one schedule "at" its snoozed_until that invokes the
scheduled function once and deletes itself. Nothing sweeps all conversations, and a
schedule that fires late or twice is harmless: the function re-checks the conversation.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from . import aws
from .settings import get_settings


# The scheduled function's own ARN, when it schedules from inside itself (its environment
# cannot name it: a template cycle); set from the invocation by functions/scheduled.
_own_arn: str = ""


def target_self(invoked_function_arn: str) -> None:
    """Schedules made in this container target the function running it (its ARN without
    a version or alias)."""
    global _own_arn
    _own_arn = ":".join(invoked_function_arn.split(":")[:7])


def _target_arn(settings) -> str:
    return settings.scheduled_function_arn or _own_arn or settings.required("scheduled_function_arn")


def _name(kind: str, account_id: int, item_id: int | str) -> str:
    return f"{kind}-{account_id}-{item_id}"


def at(kind: str, account_id: int, item_id: int | str, when: int, payload: dict) -> None:
    """Run `payload` through the scheduled function at epoch second `when` (replacing any
    schedule this item already had)."""
    client, settings = aws.client("scheduler"), get_settings()
    moment = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    arguments = {
        "Name": _name(kind, account_id, item_id),
        "GroupName": settings.required("schedule_group"),
        "ScheduleExpression": f"at({moment})",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {
            "Arn": _target_arn(settings),
            "RoleArn": settings.required("scheduler_role_arn"),
            "Input": json.dumps({"task": kind, **payload}),
            "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": settings.required("schedule_dlq_arn")},
        },
    }
    try:
        client.create_schedule(**arguments)
    except client.exceptions.ConflictException:
        client.update_schedule(**arguments)


def cancel(kind: str, account_id: int, item_id: int | str) -> None:
    client = aws.client("scheduler")
    try:
        client.delete_schedule(Name=_name(kind, account_id, item_id), GroupName=get_settings().required("schedule_group"))
    except client.exceptions.ResourceNotFoundException:
        pass  # it already fired, or never existed
