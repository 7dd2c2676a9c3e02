"""Inboxes and inbox members through the Application API."""
from __future__ import annotations

import pytest

from tests.spec import assert_matches


def test_create_website_inbox_matches_spec(api, world, website):
    reply = api.get(f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}", world.admin.token)
    assert reply.status == 200
    assert_matches(reply.json, "get", "/api/v1/accounts/{account_id}/inboxes/{id}/")
    assert reply.json["channel_type"] == "Channel::WebWidget" and reply.json["widget_color"] == "#0f766e"
    assert "/packs/js/sdk.js" in reply.json["web_widget_script"] and website.website_token in reply.json["web_widget_script"]
    assert len(website.website_token) >= 20 and len(website.hmac_token) >= 30


def test_api_channel_inbox_has_identifier(api, world):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "API", "channel": {"type": "api", "webhook_url": "https://hooks.acme.test/x"}})
    assert reply.status == 200, reply.json
    assert reply.json["channel_type"] == "Channel::Api" and reply.json["inbox_identifier"]
    assert reply.json["webhook_url"] == "https://hooks.acme.test/x"


def test_agents_see_only_their_inboxes_and_never_the_hmac_token(api, world, website):
    other = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Other", "channel": {"type": "web_widget"}}).json
    listed = api.get(f"/api/v1/accounts/{world.account_id}/inboxes", world.agent.token)
    assert [i["id"] for i in listed.json["payload"]] == [website.id]
    assert "hmac_token" not in listed.json["payload"][0]
    assert api.get(f"/api/v1/accounts/{world.account_id}/inboxes/{other['id']}", world.agent.token).status == 404
    admin_list = api.get(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token).json["payload"]
    assert {i["id"] for i in admin_list} == {website.id, other["id"]} and all("hmac_token" in i for i in admin_list)


def test_update_and_delete_inbox(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}"
    updated = api.patch(base, world.admin.token, body={"name": "Renamed", "greeting_enabled": True,
                                                       "channel": {"welcome_tagline": "We reply fast",
                                                                   "hmac_mandatory": True}})
    assert updated.status == 200, updated.json
    assert updated.json["name"] == "Renamed" and updated.json["welcome_tagline"] == "We reply fast"
    assert updated.json["hmac_mandatory"] is True and updated.json["widget_color"] == "#0f766e"
    assert api.patch(base, world.agent.token, body={"name": "x"}).status == 403
    assert api.delete(base, world.admin.token).status == 200
    assert api.get(base, world.admin.token).status == 404
    # Its website token no longer opens a widget.
    assert website.widget.call("POST", "config").status == 404


def test_inbox_validation(api, world):
    base = f"/api/v1/accounts/{world.account_id}/inboxes"
    for bad in ({"name": "x"}, {"name": "x", "channel": {"type": "fax"}},
                {"name": "x", "channel": {"type": "web_widget", "widget_color": "red"}},
                {"name": "x", "channel": {"type": "web_widget", "website_url": "javascript:alert(1)"}},
                {"name": "", "channel": {"type": "web_widget"}},
                {"name": "x", "channel": {"type": "web_widget", "surprise": 1}}):
        assert api.post(base, world.admin.token, body=bad).status == 422, bad


def test_inbox_members(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/inbox_members"
    listed = api.get(f"{base}/{website.id}", world.agent.token)
    assert listed.status == 200 and [a["id"] for a in listed.json["payload"]] == [world.agent.id]
    both = api.patch(base, world.admin.token, body={"inbox_id": website.id, "user_ids": [world.agent.id, world.admin.id]})
    assert {a["id"] for a in both.json["payload"]} == {world.agent.id, world.admin.id}
    none = api.delete(base, world.admin.token, body={"inbox_id": website.id, "user_ids": [world.agent.id]})
    assert [a["id"] for a in none.json["payload"]] == [world.admin.id]
    # Someone from another account cannot be made a member.
    foreign = api.post(base, world.admin.token, body={"inbox_id": website.id, "user_ids": [world.other_admin.id]})
    assert foreign.status == 422


def test_another_accounts_inbox_is_404(api, world, website):
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/inboxes/{website.id}",
                   world.other_admin.token).status == 404
    assert api.patch(f"/api/v1/accounts/{world.other_account_id}/inboxes/{website.id}", world.other_admin.token,
                     body={"name": "mine now"}).status == 404
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/inbox_members", world.other_admin.token,
                    body={"inbox_id": website.id, "user_ids": [world.other_admin.id]}).status == 404


def test_trailing_slash_paths_of_the_spec_work(api, world, website):
    created = api.post(f"/api/v1/accounts/{world.account_id}/inboxes/", world.admin.token,
                       body={"name": "Slash", "channel": {"type": "web_widget"}})
    assert created.status == 200, created.json
    shown = api.get(f"/api/v1/accounts/{world.account_id}/inboxes/{created.json['id']}/", world.admin.token)
    assert shown.status == 200 and shown.json["name"] == "Slash"


def _inbox_row(inbox_id: int):
    from parley.models.inbox import Inbox

    try:
        return Inbox.get(inbox_id, consistent_read=True)
    except Inbox.DoesNotExist:
        return None


@pytest.mark.dynamodb_local
def test_an_inbox_write_and_its_event_commit_together_or_not_at_all(api, world, monkeypatch):
    """An inbox's create and update carry their event in the same transaction: a write
    that fails (its TransactWriteItems throttled past the SDK's retries, the event log's
    record in it) leaves neither the change nor the event; one that commits has exactly
    one event in the log, even if the function dies before it pushes anything."""
    from tests.integration.channel_support import logged, throttle_event_log_once
    from tests.integration.test_echo_id import Died, die_after_commit

    base = f"/api/v1/accounts/{world.account_id}/inboxes"
    state = throttle_event_log_once(monkeypatch)
    assert api.post(base, world.admin.token, body={"name": "Help", "channel": {"type": "api"}}).status == 500
    assert state["thrown"] == 1 and logged(world.account_id, "inbox.created") == []
    assert api.get(base, world.admin.token).json["payload"] == []
    created = api.post(base, world.admin.token, body={"name": "Help", "channel": {"type": "api"}})
    assert created.status == 200, created.json
    inbox_id = created.json["id"]
    assert [i["id"] for i in logged(world.account_id, "inbox.created")] == [inbox_id]
    assert [i["id"] for i in api.get(base, world.admin.token).json["payload"]] == [inbox_id]

    state = throttle_event_log_once(monkeypatch)
    assert api.patch(f"{base}/{inbox_id}", world.admin.token, body={"name": "Support"}).status == 500
    assert state["thrown"] == 1 and logged(world.account_id, "inbox.updated") == []
    assert _inbox_row(inbox_id).name == "Help"
    recover = die_after_commit(monkeypatch)
    with pytest.raises(Died):
        api.patch(f"{base}/{inbox_id}", world.admin.token, body={"name": "Support"})
    recover()
    assert _inbox_row(inbox_id).name == "Support"
    assert [i["name"] for i in logged(world.account_id, "inbox.updated")] == ["Support"]
    # The transaction keeps the version check: the next update goes through as usual.
    assert api.patch(f"{base}/{inbox_id}", world.admin.token, body={"name": "Support 2"}).status == 200
    assert [i["name"] for i in logged(world.account_id, "inbox.updated")] == ["Support", "Support 2"]
