"""The super-admin console's API (/super_admin/api/v1): accounts, users, platform apps,
installation-wide bots and the instance status; every destructive or account-changing
action audited; administrators and agents refused (403)."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

SA = "/super_admin/api/v1"


def _entries(account_id: int) -> list:
    from parley.models.audit_log import AuditLog

    return list(AuditLog.query(account_id, scan_index_forward=False))


def test_smoke(api, world):
    t = world.super_admin.token
    r = api.get(f"{SA}/accounts", t)
    assert r.status == 200, r.json
    print(r.json)
    r = api.get(f"{SA}/instance_status", t)
    assert r.status == 200, r.json
    print(r.json)
