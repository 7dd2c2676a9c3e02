"""Helpers for tests that need to see the whole database."""
from __future__ import annotations

import os

import boto3

from local.cfn import global_refs, load_template


def table_variables() -> dict[str, str]:
    """Table logical id -> the environment variable naming it, read from template.yaml."""
    template = load_template()
    return {logical_id: name for name, logical_id in global_refs(template).items()
            if template["Resources"][logical_id]["Type"] == "AWS::DynamoDB::Table"}


def table_snapshot(ignore: tuple[str, ...] = ()) -> dict[str, list]:
    """Every item of every table (tests only: a Scan is never on a request path)."""
    client = boto3.client("dynamodb")
    snapshot = {}
    for logical_id, variable in table_variables().items():
        if logical_id in ignore:
            continue
        items = client.scan(TableName=os.environ[variable])["Items"]
        snapshot[logical_id] = sorted(repr(sorted(item.items())) for item in items)
    return snapshot
