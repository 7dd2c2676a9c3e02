"""Dashboard apps (Chatwoot's /dashboard_apps) and the integrations list and hooks
(/integrations/apps, /integrations/hooks): CRUD, the URL rules (https, no private
address), roles, tenant isolation, exactly one audit entry per change, Chatwoot's shapes."""
from __future__ import annotations

import pytest

from parley.models.audit_log import AuditLog
from tests.spec import assert_matches

real_engine = pytest.mark.dynamodb_local
APP_URL = "https://apps.example.com/crm"


def apps_path(account_id: int, app_id=None) -> str:
    return f"/api/v1/accounts/{account_id}/dashboard_apps" + (f"/{app_id}" if app_id is not None else "")


def frame(url: str) -> list[dict]:
    return [{"type": "frame", "url": url}]


def audit_entries(account_id: int, auditable_type: str) -> list[AuditLog]:
    return [e for e in AuditLog.query(account_id, scan_index_forward=False) if e.auditable_type == auditable_type]


@real_engine
def test_dashboard_app_crud_in_chatwoots_shape(api, world):
    a = world.account_id
    created = api.post(apps_path(a), world.admin.token,
                       body={"dashboard_app": {"title": "CRM", "content": frame(APP_URL)}})
    assert created.status == 200, created.json
    app = created.json
    assert set(app) == {"id", "title", "content", "created_at"}
    assert app["title"] == "CRM" and app["content"] == frame(APP_URL)
    assert isinstance(app["id"], int) and app["created_at"].endswith("Z")

    # Every member lists and reads them: agents see them beside conversations.
    listed = api.get(apps_path(a), world.agent.token)
    assert listed.status == 200 and listed.json == [app]
    assert api.get(apps_path(a, app["id"]), world.agent.token).json == app

    changed = api.patch(apps_path(a, app["id"]), world.admin.token,
                        body={"title": "Orders", "content": frame("https://apps.example.com/orders")})
    assert changed.status == 200, changed.json
    assert changed.json["title"] == "Orders" and changed.json["content"][0]["url"] == "https://apps.example.com/orders"
    assert api.patch(apps_path(a, app["id"]), world.admin.token, body={"title": "Orders 2"}).json["content"] == \
        frame("https://apps.example.com/orders")

    removed = api.delete(apps_path(a, app["id"]), world.admin.token)
    assert removed.status == 204
    assert api.get(apps_path(a, app["id"]), world.admin.token).status == 404
    assert api.get(apps_path(a), world.admin.token).json == []


@pytest.mark.parametrize("url, why", [
    ("http://apps.example.com/crm", "https"),
    ("https://127.0.0.1/app", "private"),
    ("https://10.1.2.3/app", "private"),
    ("https://169.254.169.254/latest/meta-data", "private"),
    ("https://localhost:8443/app", "local"),
    ("https://[::1]/app", "private"),
    ("https://[::ffff:127.0.0.1]/app", "private"),
    ("https://2130706433/app", "private"),  # 127.0.0.1 spelt as one number
    ("https://192.168.1.10/app", "private"),
    ("javascript:alert(1)", "https"),
    ("ftp://apps.example.com/", "https"),
])
def test_a_url_that_is_not_public_https_is_refused(api, world, url, why):
    a = world.account_id
    reply = api.post(apps_path(a), world.admin.token, body={"title": "Bad", "content": frame(url)})
    assert reply.status == 422, (url, reply.json)
    assert why in str(reply.json), reply.json
    assert api.get(apps_path(a), world.admin.token).json == []
    assert audit_entries(a, "DashboardApp") == []


def test_bad_bodies_are_refused_and_change_nothing(api, world):
    a = world.account_id
    bad = [
        {"content": frame(APP_URL)},  # no title
        {"title": "", "content": frame(APP_URL)},
        {"title": "   ", "content": frame(APP_URL)},
        {"title": "CRM"},  # no content
        {"title": "CRM", "content": []},
        {"title": "CRM", "content": frame(APP_URL) * 2},
        {"title": "CRM", "content": [{"type": "link", "url": APP_URL}]},
        {"title": "CRM", "content": [{"type": "frame"}]},
        {"title": "CRM", "content": frame(APP_URL), "user_id": 1},  # unknown field
        {"title": "x" * 256, "content": frame(APP_URL)},
        {"title": "CRM", "content": frame("https://apps.example.com/" + "a" * 2100)},
    ]
    for payload in bad:
        reply = api.post(apps_path(a), world.admin.token, body=payload)
        assert reply.status == 422, (payload, reply.status, reply.json)
    created = api.post(apps_path(a), world.admin.token, body={"title": "CRM", "content": frame(APP_URL)}).json
    for payload in ({"title": ""}, {"content": frame("http://apps.example.com/")}, {"content": frame("https://10.0.0.1/")}):
        assert api.patch(apps_path(a, created["id"]), world.admin.token, body=payload).status == 422, payload
    assert api.get(apps_path(a, created["id"]), world.admin.token).json == created
    assert len(audit_entries(a, "DashboardApp")) == 1  # the create only


def test_roles_and_other_accounts(api, world):
    a = world.account_id
    body = {"title": "CRM", "content": frame(APP_URL)}
    assert api.post(apps_path(a), world.agent.token, body=body).status == 403
    app = api.post(apps_path(a), world.admin.token, body=body).json
    assert api.patch(apps_path(a, app["id"]), world.agent.token, body={"title": "Mine"}).status == 403
    assert api.delete(apps_path(a, app["id"]), world.agent.token).status == 403
    # Another account's administrator: Acme's app and Acme's account are not found.
    other = world.other_admin.token
    for method in ("get", "patch", "delete"):
        kw = {"body": {"title": "Taken"}} if method == "patch" else {}
        assert getattr(api, method)(apps_path(a, app["id"]), other, **kw).status == 404
        # ... nor under Globex's own path: the id is Acme's.
        assert getattr(api, method)(apps_path(world.other_account_id, app["id"]), other, **kw).status == 404
    assert api.get(apps_path(a), other).status == 404
    assert api.get(apps_path(a), None).status == 401
    assert api.get(apps_path(a, app["id"]), world.admin.token).json["title"] == "CRM"


@real_engine
def test_each_change_leaves_exactly_one_audit_entry(api, world):
    a = world.account_id
    app = api.post(apps_path(a), world.admin.token, body={"title": "CRM", "content": frame(APP_URL)}).json
    api.patch(apps_path(a, app["id"]), world.admin.token, body={"title": "Orders"})
    api.patch(apps_path(a, app["id"]), world.admin.token, body={"title": "Orders"})  # no change: no entry
    api.delete(apps_path(a, app["id"]), world.admin.token)
    logged = audit_entries(a, "DashboardApp")
    assert [(e.action, e.auditable_id) for e in logged] == [
        ("destroy", app["id"]), ("update", app["id"]), ("create", app["id"])]
    assert logged[1].audited_changes == {"title": ["CRM", "Orders"]}
    assert logged[2].audited_changes["content"] == frame(APP_URL)
    assert {e.user_id for e in logged} == {world.admin.id}
    assert audit_entries(world.other_account_id, "DashboardApp") == []


def test_an_allowlisted_host_may_be_private_but_never_plain_http(api, world):
    """WEBHOOK_URL_ALLOWLIST (installation config, development only) rescues a named
    private host, as for webhooks; https is still required."""
    from parley import global_config

    a = world.account_id
    dev = {"title": "Dev", "content": frame("https://127.0.0.1:8443/app")}
    assert api.post(apps_path(a), world.admin.token, body=dev).status == 422
    global_config.update("WEBHOOK_URL_ALLOWLIST", "127.0.0.1")
    assert api.post(apps_path(a), world.admin.token, body=dev).status == 200
    assert api.post(apps_path(a), world.admin.token, body={"title": "Dev", "content": frame("http://127.0.0.1:8443/app")}).status == 422
    # Not on the list: refused as before.
    assert api.post(apps_path(a), world.admin.token, body={"title": "L", "content": frame("https://localhost:8443/")}).status == 422


# ---------------------------------------------------------------- integrations

INTEGRATIONS = "/api/v1/accounts/{account_id}/integrations/apps"
HOOKS = "/api/v1/accounts/{account_id}/integrations/hooks"
HOOK = "/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}"


def apps_of(api, world, token=None) -> dict[str, dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/integrations/apps", token or world.admin.token)
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "get", INTEGRATIONS)
    return {app["id"]: app for app in reply.json["payload"]}


def test_integrations_list_what_parley_runs_and_whether_each_is_enabled(api, world, website):
    a = world.account_id
    apps = apps_of(api, world)
    assert list(apps) == ["webhook", "dashboard_apps", "website", "api", "email", "telegram", "whatsapp", "twilio_sms"]
    assert {k for k, v in apps.items() if v["enabled"]} == {"website"}  # the `website` fixture's inbox
    assert apps["webhook"]["hook_type"] == "account" and apps["webhook"]["allow_multiple_hooks"] is True
    assert apps["website"]["hook_type"] == "inbox" and apps["webhook"]["hooks"] == []
    assert apps["webhook"]["action"] == f"/app/accounts/{a}/settings/webhooks"

    api.post(f"/api/v1/accounts/{a}/webhooks", world.admin.token, body={"url": "https://hooks.example.com/x"})
    api.post(apps_path(a), world.admin.token, body={"title": "CRM", "content": frame(APP_URL)})
    api.post(f"/api/v1/accounts/{a}/inboxes", world.admin.token, body={"name": "API", "channel": {"type": "api"}})
    apps = apps_of(api, world)
    assert {k for k, v in apps.items() if v["enabled"]} == {"webhook", "dashboard_apps", "website", "api"}
    [hook] = apps["webhook"]["hooks"]
    assert hook["settings"] == {"url": "https://hooks.example.com/x", "name": "",
                                "subscriptions": hook["settings"]["subscriptions"]}
    assert "secret" not in str(apps)

    # An agent sees what is enabled, not the settings nor the set-up links.
    agent_view = apps_of(api, world, world.agent.token)
    assert agent_view["webhook"]["enabled"] is True and "action" not in agent_view["webhook"]
    assert "settings" not in agent_view["webhook"]["hooks"][0]

    one = api.get(f"/api/v1/accounts/{a}/integrations/apps/dashboard_apps", world.agent.token)
    assert one.status == 200 and one.json["enabled"] is True and one.json["id"] == "dashboard_apps"
    assert api.get(f"/api/v1/accounts/{a}/integrations/apps/slack", world.admin.token).status == 404
    # Globex has none of it, and cannot read Acme's.
    assert api.get(f"/api/v1/accounts/{a}/integrations/apps", world.other_admin.token).status == 404
    globex = api.get(f"/api/v1/accounts/{world.other_account_id}/integrations/apps", world.other_admin.token).json
    assert not any(app["enabled"] for app in globex["payload"])


def test_webhook_hooks_are_the_accounts_webhooks(api, world):
    a = world.account_id
    hooks = f"/api/v1/accounts/{a}/integrations/hooks"
    created = api.post(hooks, world.admin.token, body={"app_id": "webhook", "status": 1, "settings": {
        "url": "https://hooks.example.com/h", "subscriptions": ["message_created"]}})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", HOOKS)
    hook = created.json
    assert hook["app_id"] == "webhook" and hook["status"] is True and hook["hook_type"] == "account"
    # It is a real webhook, which delivers (tests/integration/test_webhooks.py).
    [webhook] = api.get(f"/api/v1/accounts/{a}/webhooks", world.admin.token).json
    assert webhook["id"] == hook["id"] and webhook["subscriptions"] == ["message_created"]

    changed = api.patch(f"{hooks}/{hook['id']}", world.admin.token,
                        body={"hook": {"status": 1, "settings": {"subscriptions": ["contact_created"]}}})
    assert changed.status == 200, changed.json
    assert_matches(changed.json, "patch", HOOK)
    assert changed.json["settings"]["subscriptions"] == ["contact_created"]
    assert changed.json["settings"]["url"] == "https://hooks.example.com/h"

    assert api.delete(f"{hooks}/{hook['id']}", world.agent.token).status == 403
    assert api.delete(f"{hooks}/{hook['id']}", world.other_admin.token).status == 404
    assert api.delete(f"{hooks}/{hook['id']}", world.admin.token).status == 200
    assert api.get(f"/api/v1/accounts/{a}/webhooks", world.admin.token).json == []
    assert api.delete(f"{hooks}/{hook['id']}", world.admin.token).status == 404
    # Audited as what they are: one Webhook entry per change.
    assert [(e.action, e.auditable_id) for e in audit_entries(a, "Webhook")] == [
        ("destroy", hook["id"]), ("update", hook["id"]), ("create", hook["id"])]


def test_a_hook_that_would_do_nothing_is_refused(api, world, website):
    a = world.account_id
    hooks = f"/api/v1/accounts/{a}/integrations/hooks"
    webhook = {"url": "https://hooks.example.com/h"}
    refused = [
        {"app_id": "dashboard_apps", "settings": {}},  # its own API
        {"app_id": "website", "inbox_id": website.id, "settings": {}},  # a channel is an inbox
        {"app_id": "slack", "settings": {}},  # not something Parley runs
        {"app_id": "webhook", "status": 0, "settings": webhook},  # a webhook is always on
        {"app_id": "webhook", "status": "disabled", "settings": webhook},
        {"app_id": "webhook", "inbox_id": website.id, "settings": webhook},
        {"app_id": "webhook", "settings": {}},  # no url
        {"app_id": "webhook", "settings": {"url": "https://169.254.169.254/"}},
        {"app_id": "webhook", "settings": {"url": "https://hooks.example.com/h", "secret": "mine"}},
        {"app_id": "webhook", "settings": {"url": "https://hooks.example.com/h", "subscriptions": ["nope"]}},
        {"settings": webhook},
    ]
    for payload in refused:
        reply = api.post(hooks, world.admin.token, body=payload)
        assert reply.status == 422, (payload, reply.status, reply.json)
    assert api.get(f"/api/v1/accounts/{a}/webhooks", world.admin.token).json == []
    assert api.post(hooks, world.agent.token, body={"app_id": "webhook", "settings": webhook}).status == 403

    hook = api.post(hooks, world.admin.token, body={"app_id": "webhook", "settings": webhook}).json
    for payload in ({"status": 0}, {"settings": {"url": "http://10.0.0.1/"}}, {"settings": {"secret": "x"}}):
        assert api.patch(f"{hooks}/{hook['id']}", world.admin.token, body=payload).status == 422, payload
    assert api.patch(f"{hooks}/{hook['id']}", world.agent.token, body={"status": 1}).status == 403
    assert api.patch(f"{hooks}/{hook['id']}", world.other_admin.token, body={"status": 1}).status == 404
    assert api.patch(f"{hooks}/999999", world.admin.token, body={"status": 1}).status == 404
    [webhook] = api.get(f"/api/v1/accounts/{a}/webhooks", world.admin.token).json
    assert webhook["url"] == "https://hooks.example.com/h"
