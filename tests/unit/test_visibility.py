"""realtime.may_see: who may see which event, in one place."""
from parley.models.connection import Connection
from parley.realtime import may_see


def socket(kind, account_id=1, role=None, scope=None):
    return Connection("c", account_id=account_id, kind=kind, role=role, scope=scope or {}, expires_at=0)


def event(account_id=1, **audience):
    return {"account_id": account_id, "audience": audience, "data": {}}


def test_accounts_never_mix():
    assert not may_see(socket("user", role="administrator"), event(account_id=2))
    assert not may_see(socket("contact", scope={"contact_id": 5}), event(account_id=2, contact_id=5))


def test_agents_see_their_inboxes_admins_see_all():
    agent = socket("user", role="agent", scope={"inbox_ids": [7]})
    admin = socket("user", role="administrator")
    assert may_see(agent, event(inbox_id=7)) and not may_see(agent, event(inbox_id=8))
    assert may_see(admin, event(inbox_id=8))
    assert may_see(agent, event())  # account-wide events (presence)


def test_contacts_see_only_their_public_events():
    contact = socket("contact", scope={"contact_id": 5, "inbox_id": 7})
    assert may_see(contact, event(inbox_id=7, contact_id=5))
    assert not may_see(contact, event(inbox_id=7, contact_id=5, private=True))
    assert not may_see(contact, event(inbox_id=7, contact_id=6))
    assert not may_see(contact, event(inbox_id=7))  # not addressed to any contact
    assert not may_see(contact, event())


def test_unknown_socket_kinds_see_nothing():
    assert not may_see(socket("robot"), event())


def test_an_event_for_one_user_reaches_only_that_user():
    mine = Connection("c", account_id=1, kind="user", user_id=5, role="agent", scope={"inbox_ids": [7]}, expires_at=0)
    admin = Connection("d", account_id=1, kind="user", user_id=6, role="administrator", scope={}, expires_at=0)
    contact = socket("contact", scope={"contact_id": 5})
    assert may_see(mine, event(user_id=5, private=True))
    assert not may_see(admin, event(user_id=5, private=True))
    assert not may_see(contact, event(user_id=5, private=True))
    assert not may_see(mine, event(account_id=2, user_id=5))
