"""Contact notes: Chatwoot's CRUD under a contact, authors, roles, tenant isolation, and
notes following their contact (deleted with it, moved by a merge)."""
from __future__ import annotations

from tests.integration.test_contacts import base, create


def notes(world, contact_id, account_id=None) -> str:
    return f"{base(world, account_id)}/{contact_id}/notes"


def test_create_list_show_update_delete(api, world):
    contact = create(api, world, email="nora@notes.test", name="Nora")
    path = notes(world, contact["id"])
    first = api.post(path, world.agent.token, body={"content": "Prefers email"})
    assert first.status == 200, first.json
    note = first.json
    assert note["content"] == "Prefers email" and note["contact_id"] == contact["id"]
    assert note["account_id"] == world.account_id and isinstance(note["created_at"], int)
    assert note["user"]["id"] == world.agent.id and note["user"]["name"] == "Aaron Agent"
    second = api.post(path, world.admin.token, body={"note": {"content": "Renewal in May"}})  # Chatwoot's nested form
    assert second.status == 200, second.json

    listed = api.get(path, world.agent.token)
    assert listed.status == 200
    assert [n["content"] for n in listed.json] == ["Renewal in May", "Prefers email"]  # newest first

    shown = api.get(f"{path}/{note['id']}", world.admin.token)
    assert shown.status == 200 and shown.json["content"] == "Prefers email"

    changed = api.patch(f"{path}/{note['id']}", world.agent.token, body={"content": "Prefers phone"})
    assert changed.status == 200, changed.json
    assert changed.json["content"] == "Prefers phone"
    assert api.get(f"{path}/{note['id']}", world.agent.token).json["content"] == "Prefers phone"

    assert api.delete(f"{path}/{note['id']}", world.agent.token).status == 200
    assert api.get(f"{path}/{note['id']}", world.agent.token).status == 404
    assert [n["id"] for n in api.get(path, world.agent.token).json] == [second.json["id"]]


def test_only_the_author_or_an_administrator_changes_a_note(api, world):
    contact = create(api, world, email="olga@notes.test")
    path = notes(world, contact["id"])
    by_admin = api.post(path, world.admin.token, body={"content": "Admin's note"}).json
    assert api.patch(f"{path}/{by_admin['id']}", world.agent.token, body={"content": "mine now"}).status == 403
    assert api.delete(f"{path}/{by_admin['id']}", world.agent.token).status == 403
    assert api.get(f"{path}/{by_admin['id']}", world.agent.token).json["content"] == "Admin's note"
    by_agent = api.post(path, world.agent.token, body={"content": "Agent's note"}).json
    assert api.patch(f"{path}/{by_agent['id']}", world.admin.token, body={"content": "edited"}).status == 200
    assert api.delete(f"{path}/{by_agent['id']}", world.admin.token).status == 200


def test_bad_input_changes_nothing(api, world):
    contact = create(api, world, email="pia@notes.test")
    path = notes(world, contact["id"])
    for bad in ({}, {"content": ""}, {"content": "   "}, {"content": "x" * 10_001}, {"content": 5},
                {"content": "ok", "extra": 1}, "not json", [1]):
        reply = api.post(path, world.agent.token, body=bad)
        assert 400 <= reply.status < 500, (bad, reply.status, reply.json)
    assert api.get(path, world.agent.token).json == []
    note = api.post(path, world.agent.token, body={"content": "kept"}).json
    assert api.patch(f"{path}/{note['id']}", world.agent.token, body={"content": ""}).status == 422
    assert api.get(f"{path}/{note['id']}", world.agent.token).json["content"] == "kept"
    for note_id in ("abc", "0", "-1", "99999999"):
        assert api.get(f"{path}/{note_id}", world.agent.token).status == 404
    assert api.get(notes(world, 99999999), world.agent.token).status == 404


def test_tenant_isolation(api, world):
    contact = create(api, world, email="quinn@notes.test")
    note = api.post(notes(world, contact["id"]), world.agent.token, body={"content": "secret"}).json
    outsider = world.other_admin.token
    # Globex's administrator, through Acme's URL and through Globex's own
    assert api.get(notes(world, contact["id"]), outsider).status == 404
    assert api.post(notes(world, contact["id"]), outsider, body={"content": "x"}).status == 404
    other = notes(world, contact["id"], world.other_account_id)
    assert api.get(other, outsider).status == 404
    assert api.get(f"{other}/{note['id']}", outsider).status == 404
    assert api.patch(f"{other}/{note['id']}", outsider, body={"content": "hacked"}).status == 404
    assert api.delete(f"{other}/{note['id']}", outsider).status == 404
    # a note id under another contact of the same account is not found either
    stranger = create(api, world, email="rae@notes.test")
    assert api.get(f"{notes(world, stranger['id'])}/{note['id']}", world.admin.token).status == 404
    assert api.get(f"{notes(world, contact['id'])}/{note['id']}", world.agent.token).json["content"] == "secret"


def test_notes_go_with_their_contact(api, world):
    from parley.models.account_object import AccountObject

    doomed = create(api, world, email="sam@notes.test")
    api.post(notes(world, doomed["id"]), world.agent.token, body={"content": "gone soon"})
    base_contact = create(api, world, email="tess@notes.test")
    mergee = create(api, world, email="tess.old@notes.test")
    api.post(notes(world, base_contact["id"]), world.agent.token, body={"content": "base note"})
    api.post(notes(world, mergee["id"]), world.agent.token, body={"content": "mergee note"})

    assert api.delete(f"{base(world)}/{doomed['id']}", world.admin.token).status == 200
    left = [row.data["content"] for row in AccountObject.query(world.account_id, AccountObject.key.startswith("contact_note#"))]
    assert "gone soon" not in left

    merged = api.post(f"/api/v1/accounts/{world.account_id}/actions/contact_merge", world.admin.token,
                      body={"base_contact_id": base_contact["id"], "mergee_contact_id": mergee["id"]})
    assert merged.status == 200, merged.json
    moved = api.get(notes(world, base_contact["id"]), world.agent.token).json
    assert sorted(n["content"] for n in moved) == ["base note", "mergee note"]
    assert all(n["contact_id"] == base_contact["id"] for n in moved)
