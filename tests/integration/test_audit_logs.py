"""The audit hook (parley/audit.py, issue 12): an audited change and its entry are one
transaction, so each change leaves exactly one entry, and a change that fails leaves none."""
from __future__ import annotations

import pytest
from pynamodb.exceptions import TransactWriteError

from parley.models.audit_log import AuditLog

real_engine = pytest.mark.dynamodb_local


def entries(account_id: int, auditable_type: str = "Team") -> list[AuditLog]:
    """The account's entries of one type, newest first (the world's own memberships are
    audited too, as AccountUser)."""
    return [e for e in AuditLog.query(account_id, scan_index_forward=False) if e.auditable_type == auditable_type]


@real_engine
def test_a_declared_kind_is_audited_on_create_update_and_delete(api, world):
    teams = f"/api/v1/accounts/{world.account_id}/teams"
    created = api.post(teams, world.admin.token, body={"name": "billing", "description": "money"})
    assert created.status == 200, created.json
    team_id = created.json["id"]
    assert api.patch(f"{teams}/{team_id}", world.admin.token, body={"description": "invoices"}).status == 200
    assert api.patch(f"{teams}/{team_id}", world.admin.token, body={"description": "invoices"}).status == 200  # no change
    assert api.delete(f"{teams}/{team_id}", world.admin.token).status == 200

    logged = entries(world.account_id)
    assert [(e.action, e.auditable_type, e.auditable_id) for e in logged] == [
        ("destroy", "Team", team_id), ("update", "Team", team_id), ("create", "Team", team_id)]
    assert logged[1].audited_changes == {"description": ["money", "invoices"]}
    assert {e.user_id for e in logged} == {world.admin.id}
    assert {e.username for e in logged} == {world.admin.email}
    assert all(e.expires_at and e.request_uuid for e in logged)
    assert entries(world.other_account_id) == []


@real_engine
def test_a_change_that_fails_leaves_no_entry_and_a_failed_entry_fails_the_change(api, world, monkeypatch):
    teams = f"/api/v1/accounts/{world.account_id}/teams"
    assert api.post(teams, world.admin.token, body={"name": "billing"}).status == 200
    assert api.post(teams, world.admin.token, body={"name": "Billing"}).status == 409  # the name's claim fails
    assert len(entries(world.account_id)) == 1

    # An entry that cannot be written (here: its id is already taken) cancels its change.
    from parley import ids
    taken, next_id = entries(world.account_id)[0].id, ids.next_id
    monkeypatch.setattr(ids, "next_id", lambda counter: taken if counter.endswith("/AuditLog") else next_id(counter))
    team_id = api.get(teams, world.admin.token).json[0]["id"]
    assert api.patch(f"{teams}/{team_id}", world.admin.token, body={"description": "lost"}).status == 500
    monkeypatch.undo()
    assert api.get(f"{teams}/{team_id}", world.admin.token).json["description"] != "lost"
    assert len(entries(world.account_id)) == 1


def test_a_request_caller_is_forgotten_when_the_request_ends(api, world):
    """Work done after a request on the same thread (the next invocation of a warm
    container, a consumer the local stack runs) is not put down to that request's caller."""
    from parley.services.account import teams

    assert api.get(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token).status == 200
    team = teams.create(world.account_id, "after the request")
    (made,) = [e for e in entries(world.account_id) if e.auditable_id == team.id]
    assert (made.user_id, made.username, made.remote_address) == (None, None, None)
