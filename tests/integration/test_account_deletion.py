"""Deleting an account: its public identifiers stop working at once; a consumer then removes
every item and file of it in bounded chunks (re-runnable after a fault), leaving other
accounts untouched. The check is a scan of every table and the bucket."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from tests.conftest import Widget, _stack
from tests.integration.channel_support import (Provider, drain, fixture, fixture_bytes, post_telegram, queue_url, queued,
                                               telegram_inbox, twilio_lists, whatsapp_inbox)
from tests.integration.test_attachments import PNG, multipart

_deserialize = TypeDeserializer().deserialize


def _tables() -> dict[str, str]:
    client = boto3.client("dynamodb")
    return {logical: name for logical, name in _stack.names.items() if name in client.list_tables()["TableNames"]}


def _snapshot() -> dict[str, set[str]]:
    """Every item of every table (as sorted JSON) and every key of every bucket."""
    client = boto3.client("dynamodb")
    seen = {}
    for logical, name in _tables().items():
        rows = set()
        for page in client.get_paginator("scan").paginate(TableName=name):
            for item in page["Items"]:
                rows.add(json.dumps({k: _deserialize(v) for k, v in item.items()}, sort_keys=True, default=str))
        seen[logical] = rows
    s3 = boto3.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        keys = s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        seen["s3:" + bucket["Name"]] = {o["Key"] for o in keys}
    return seen


def _schedules(account_id: int) -> list[str]:
    client = boto3.client("scheduler")
    group = _stack.names["ConversationSchedules"]
    return [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"] if f"-{account_id}-" in s["Name"]]


def _populate(api, world, monkeypatch) -> dict:
    """Acme with an inbox of each type, contacts, conversations, messages with files,
    settings objects, a webhook, a bot with a token, automation and a snoozed conversation."""
    from parley import global_config

    a = world.account_id
    base = f"/api/v1/accounts/{a}"
    admin = world.admin.token
    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", "mail.parley.test")
    api_inbox = api.post(f"{base}/inboxes", admin, body={"name": "App", "channel": {"type": "api"}}).json
    email_inbox = api.post(f"{base}/inboxes", admin,
                           body={"name": "Mail", "channel": {"type": "email", "email": "help@acme.example"}}).json
    twilio_lists(monkeypatch, "AC" + "1" * 32, "+14155550111")
    sms_inbox = api.post(f"{base}/inboxes", admin, body={"name": "SMS", "channel": {
        "type": "sms", "provider": "twilio", "account_sid": "AC" + "1" * 32, "auth_token": "t" * 32,
        "phone_number": "+14155550111"}}).json
    telegram = telegram_inbox(api, world)
    whatsapp_inbox(api, world, monkeypatch)
    site = api.post(f"{base}/inboxes", admin, body={"name": "Site", "channel": {"type": "web_widget"}}).json
    assert api.post(f"{base}/inbox_members", admin, body={"inbox_id": site["id"], "user_ids": [world.agent.id]}).status == 200
    website = Widget(api, site["website_token"])
    assert all("id" in inbox for inbox in (api_inbox, email_inbox, sms_inbox))

    # Visitors, with files (multipart and a message naming an attachment), a snoozed conversation.
    visitor = website.start()
    assert website.say(visitor, "Hello with a picture").status == 200
    raw, content_type = multipart({"message[content]": "shot"}, [("message[attachments][]", "s.png", "image/png", PNG)])
    assert website.call("POST", "messages", visitor, raw_body=raw, headers={"content-type": content_type}).status == 200
    cid = api.get(f"{base}/conversations", admin).json["data"]["payload"][0]["id"]
    raw, content_type = multipart({"content": "reply"}, [("attachments[]", "r.png", "image/png", PNG)])
    assert api.post(f"{base}/conversations/{cid}/messages", admin, raw_body=raw,
                    headers={"content-type": content_type}).status == 200
    until = int(time.time()) + 3600
    assert api.post(f"{base}/conversations/{cid}/toggle_status", admin,
                    body={"status": "snoozed", "snoozed_until": until}).status == 200
    assert api.post(f"{base}/conversations/{cid}/labels", admin, body={"labels": ["vip"]}).status == 200
    # Client API contact and conversation; a bot on that inbox with its token.
    client = f"/public/api/v1/inboxes/{api_inbox['inbox_identifier']}"
    source_id = api.post(f"{client}/contacts", body={"name": "Cleo", "identifier": "cleo-1"}).json["source_id"]
    ccid = api.post(f"{client}/contacts/{source_id}/conversations", body={}).json["id"]
    assert api.post(f"{client}/contacts/{source_id}/conversations/{ccid}/messages", body={"content": "hi"}).status == 200
    # A CSAT survey of that conversation, answered (its record, survey-link claim, echo claim, counter).
    from parley.services.csat import responses, surveys

    assert api.patch(f"{base}/inboxes/{api_inbox['id']}", admin, body={"csat_survey_enabled": True}).status == 200
    assert api.post(f"{base}/conversations/{ccid}/toggle_status", admin, body={"status": "resolved"}).status == 200
    assert surveys.handle({"event": "conversation.status_changed", "id": "doomed-resolution", "account_id": a,
                           "changed_attributes": {"status": ["open", "resolved"]}, "data": {"id": ccid}}) == "sent"
    uuid = api.get(f"{base}/conversations/{ccid}", admin).json["uuid"]
    responses.rate(responses.by_uuid(uuid), 4, "fine")
    bot = api.post(f"{base}/agent_bots", admin, body={"name": "Helper", "outgoing_url": "https://bot.example.com/h"}).json
    api.post(f"{base}/inboxes/{api_inbox['id']}/set_agent_bot", admin, body={"agent_bot": bot["id"]})
    # Reporting: the consumer's events and rollups of what happened so far (a rollup's key is
    # its series, so the deletion finds them by a Scan: tested with more pages than one run reads).
    drain("ReportingQueue", "reporting")
    from parley.services.reporting import rollups
    from parley.services.lifecycle import account_deletion

    monkeypatch.setattr(account_deletion, "SCAN_PAGE", 7)
    from parley import dynamo

    with dynamo.transaction() as tx:
        rollups.add(tx, a, "conversations", int(time.time()) - 86_400 * 40, [("agent", 999)])
    # A Telegram message through the real webhook and ingest (provider-id claims).
    assert post_telegram(api, telegram, fixture_bytes("telegram", "text_message")).status == 200
    drain("IngestQueue", "channel_ingest")
    # Contacts with every unique value, a note; settings objects of every kind.
    contact = api.post(f"{base}/contacts", admin, body={"name": "Dora", "email": "dora@example.test",
                                                        "phone_number": "+14155550199", "identifier": "dora"}).json
    contact_id = contact["payload"]["contact"]["id"] if "payload" in contact else contact["id"]
    assert api.post(f"{base}/contacts/{contact_id}/notes", admin, body={"content": "n"}).status == 200
    for path, body in (("labels", {"title": "vip"}), ("canned_responses", {"short_code": "hi", "content": "Hello"}),
                       ("teams", {"name": "Billing"}), ("webhooks", {"url": "https://hooks.example.com/acme"}),
                       ("custom_attribute_definitions", {"attribute_display_name": "Plan", "attribute_key": "plan",
                                                         "attribute_display_type": "text", "attribute_model": "contact_attribute"}),
                       ("custom_filters", {"name": "Mine", "type": "conversation", "query": {"payload": [
                           {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]}}),
                       ("macros", {"name": "M", "actions": [{"action_name": "resolve_conversation"}]}),
                       ("automation_rules", {"name": "R", "event_name": "conversation_created",
                                             "actions": [{"action_name": "resolve_conversation"}],
                                             "conditions": [{"attribute_key": "status", "filter_operator": "equal_to",
                                                             "values": ["open"]}]})):
        reply = api.post(f"{base}/{path}", admin, body=body)
        assert reply.status == 200, (path, reply.json)
    assert api.get(f"{base}/notification_settings", world.agent.token).status == 200
    # A one-off campaign sent to Dora (label entries, recipient item and counters, send pace).
    assert api.post(f"{base}/contacts/{contact_id}/labels", admin, body={"labels": ["vip"]}).status == 200
    vip = next(label["id"] for label in api.get(f"{base}/labels", admin).json["payload"] if label["title"] == "vip")
    campaign = api.post(f"{base}/campaigns", admin, body={
        "title": "Doomed sale", "message": "Hi", "inbox_id": sms_inbox["id"], "scheduled_at": int(time.time()) + 600,
        "audience": [{"type": "Label", "id": vip}]}).json
    from parley.services.rules import campaign_sending
    from parley.services.lifecycle import job_queue
    assert campaign_sending.fire(a, campaign["id"], campaign["scheduled_at"],
                                 lambda: job_queue.enqueue("campaign_send", a, campaign_id=campaign["id"])) == "started"
    Provider(monkeypatch, (201, fixture("twilio", "send_queued")))
    drain("AccountJobsQueue", "account_jobs", rounds=3)
    drain("DeliverQueue", "deliver", rounds=3)
    assert api.get(f"{base}/campaigns/{campaign['id']}", admin).json["progress"]["sent"] == 1
    # A help center portal (slug, domain and inbox claims), a category, an article, a logo.
    assert api.post(f"{base}/portals", admin, body={"name": "Help", "slug": "acme-doomed-help", "inbox_id": site["id"],
                                                    "custom_domain": "help.doomed.example"}).status == 200
    assert api.post(f"{base}/portals/acme-doomed-help/categories", admin, body={"name": "Basics"}).status == 200
    assert api.post(f"{base}/portals/acme-doomed-help/articles", admin, body={"title": "Hello"}).status == 200
    raw, content_type = multipart({}, [("logo", "logo.png", "image/png", PNG)])
    assert api.post(f"{base}/portals/acme-doomed-help/logo", admin, raw_body=raw,
                    headers={"content-type": content_type}).status == 200
    # Captain: an assistant, an uploaded document (its file under captain-documents/), an FAQ naming it.
    helper = api.post(f"{base}/captain/assistants", admin, body={"name": "Doomed", "description": "d"}).json
    raw, content_type = multipart({"assistant_id": str(helper["id"])}, [("file", "faq.txt", "text/plain", b"Open 9 to 5.")])
    document = api.post(f"{base}/captain/documents", admin, raw_body=raw, headers={"content-type": content_type}).json
    assert document["status"] == "in_progress", document
    assert api.post(f"{base}/captain/assistant_responses", admin, body={
        "question": "When?", "answer": "9 to 5", "assistant_id": helper["id"], "document_id": document["id"]}).status == 200
    assert _schedules(a), "the snoozed conversation has its schedule"
    # Captain's model key in SSM (an assistant's own: tests/integration/test_captain_providers.py).
    assert api.patch(f"{base}/captain/provider", admin, body={
        "provider": "openai_compatible", "base_url": "https://api.openai.com/v1", "chat_model": "gpt-4o-mini",
        "api_key": "sk-doomed-account"}).status == 200
    assert len(_provider_keys(a)) == 1
    return {"website_token": site["website_token"], "client": client, "telegram": telegram, "bot_token": bot["access_token"]}


def _provider_keys(account_id: int) -> list[str]:
    import boto3
    found = boto3.client("ssm").get_parameters_by_path(Path=f"/test/captain/{account_id}", Recursive=True)
    return [p["Name"] for p in found["Parameters"]]


@pytest.fixture
def globex(api, world):
    """Another account with its own inbox, visitor, message and file: must survive untouched."""
    base = f"/api/v1/accounts/{world.other_account_id}"
    inbox = api.post(f"{base}/inboxes", world.other_admin.token,
                     body={"name": "Globex site", "channel": {"type": "web_widget"}}).json
    widget = Widget(api, inbox["website_token"])
    visitor = widget.start()
    raw, content_type = multipart({"message[content]": "globex"}, [("message[attachments][]", "g.png", "image/png", PNG)])
    assert widget.call("POST", "messages", visitor, raw_body=raw, headers={"content-type": content_type}).status == 200
    return widget, visitor


def _run_jobs(rounds: int = 200) -> int:
    """Drain the account-jobs queue until it is empty; returns how many runs it took."""
    runs = 0
    while queued("AccountJobsQueue") and runs < rounds:
        drain("AccountJobsQueue", "account_jobs", visibility=0)
        runs += 1
    return runs


def _assert_gone(before: dict, after: dict, account_id: int) -> None:
    """Nothing of the account is left; everything else is as it was (global id counters
    move; the account's own item and memberships existed before and are gone too)."""
    mark = str(account_id)
    for name, rows in after.items():
        if name == "InstallationConfigTable":
            continue  # installation-wide settings (defaults are written on first read), no account's
        added = rows - before.get(name, set())
        if name == "AuditLogsTable":
            # The account's audit log is kept until its TTL (docs/data-model.md), the deletion's
            # own entry among it, concluded; nothing else of the account is.
            entries = [json.loads(r) for r in added]
            assert all(e["account_id"] == mark for e in entries), "another account's log changed"
            assert any(e["auditable_type"] == "Account" and e["action"] == "destroy" and e.get("comment") == "completed"
                       for e in entries), "the deletion's entry is kept, with its outcome"
            continue
        if name == "CountersTable":
            added = {r for r in added if json.loads(r)["name"].startswith("Account#")}
        assert not added, f"{name} keeps {sorted(added)[:3]}"
        for row in before.get(name, set()) - rows:
            if name == "CountersTable":
                continue
            item = json.loads(row)
            assert str(item.get("account_id")) == mark or (name == "AccountsTable" and item["id"] == mark), \
                f"{name} lost {row[:200]}"
    for row in after["AccountsTable"] | after["AccountUsersTable"]:
        assert str(json.loads(row).get("account_id", json.loads(row).get("id"))) != mark
    assert not any(json.loads(r)["name"].startswith(f"Account#{mark}/") for r in after["CountersTable"])
    assert _schedules(account_id) == []
    assert _provider_keys(account_id) == []


def test_deleted_accounts_public_identifiers_answer_404_at_once(api, world, monkeypatch):
    doors = _populate(api, world, monkeypatch)
    account = f"/api/v1/accounts/{world.account_id}"
    assert api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.admin.token).status == 403
    deleted = api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token)
    assert deleted.status == 200 and deleted.json["status"] == "deleting"
    # Nothing has been deleted yet, and already every door is shut.
    assert api.post("/api/v1/widget/config", query={"website_token": doors["website_token"]}).status == 404
    assert api.get(doors["client"]).status == 404
    assert post_telegram(api, doors["telegram"], fixture_bytes("telegram", "text_message")).status == 404
    assert api.get(f"{account}/conversations", world.admin.token).status == 404
    assert api.get(f"{account}/conversations/1/messages", doors["bot_token"]).status == 404
    assert api.get(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token).status == 404
    assert queued("IngestQueue") == 0


def test_deletion_removes_everything_of_the_account_and_nothing_else(api, world, globex, monkeypatch):
    drain("ReportingQueue", "reporting")  # Globex's own reporting, before the snapshot
    before = _snapshot()
    _populate(api, world, monkeypatch)
    populated = _snapshot()
    assert any(k.startswith(f"attachments/{world.account_id}/") for name, keys in populated.items() if name.startswith("s3:")
               for k in keys)
    assert any(k.startswith(f"captain-documents/{world.account_id}/") for name, keys in populated.items()
               if name.startswith("s3:") for k in keys)
    assert len(populated["MessagesTable"]) > len(before["MessagesTable"]) + 5
    rollups = [r for r in populated["ReportRollupsTable"] if json.loads(r)["series"].startswith(f"{world.account_id}#")]
    assert len(rollups) > 3 * 7  # more than three of the deletion's scan pages (SCAN_PAGE = 7)
    api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token)
    from parley.services.lifecycle import account_deletion

    account_deletion.CHUNK = 40  # many small runs: each continues where the last stopped
    try:
        runs = _run_jobs()
    finally:
        account_deletion.CHUNK = 500
    assert runs >= 3 and queued("AccountJobsQueue") == 0
    _assert_gone(before, _snapshot(), world.account_id)
    widget, visitor = globex
    assert widget.call("GET", "messages", visitor).json["payload"][0]["content"] == "globex"


def test_deletion_resumes_after_a_fault_midway(api, world, monkeypatch):
    drain("ReportingQueue", "reporting")  # Globex's own reporting, before the snapshot
    before = _snapshot()
    _populate(api, world, monkeypatch)
    api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token)
    from parley.services.lifecycle import account_deletion, cascade

    monkeypatch.setattr(account_deletion, "CHUNK", 40)
    drain("AccountJobsQueue", "account_jobs")  # the first chunk
    real = cascade.Budget.delete
    calls = {"n": 0}

    def failing(self, items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected fault")
        return real(self, items)

    monkeypatch.setattr(cascade.Budget, "delete", failing)
    [result] = drain("AccountJobsQueue", "account_jobs", visibility=0)
    assert result["batchItemFailures"], "the faulty run is reported and its message comes back"
    _run_jobs()
    _assert_gone(before, _snapshot(), world.account_id)


def test_a_deletion_job_never_touches_a_live_account(api, world, website):
    visitor = website.widget.start()
    website.widget.say(visitor, "still here")
    boto3.client("sqs").send_message(QueueUrl=queue_url("AccountJobsQueue"),
                                     MessageBody=json.dumps({"job": "delete", "account_id": world.account_id}))
    _run_jobs()
    assert website.widget.call("GET", "messages", visitor).json["payload"][0]["content"] == "still here"
