"""Account webhooks and API inboxes' webhook_url: the API, the fan-out from EventBridge,
signed deliveries through the real outbound client (DNS stubbed, network = MockTransport),
retries with backoff, the dead-letter queue."""
from __future__ import annotations

import hashlib
import hmac
import json

import boto3
import httpx
import pytest

from local.cfn import load_template
from local.sources import sqs_record
from tests import event_pipe
from tests.conftest import LambdaContext, _stack, load_function
from tests.spec import assert_matches


PUBLIC = "93.184.216.34"
SPEC = "/api/v1/accounts/{account_id}/webhooks"


class Receiver:
    """The webhook consumer's server: answers from a script, records what it got."""

    def __init__(self):
        self.answers: list = []
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def receiver(monkeypatch) -> Receiver:
    from parley import outbound
    from parley.services.rules import webhooks

    got = Receiver()
    dns = {"hooks.example.com": [PUBLIC], "other.example.com": [PUBLIC], "bot.example.com": [PUBLIC],
           "evil.example.com": ["169.254.169.254"]}
    guard = outbound.Guard(resolver=lambda host, port: dns[host], allowed_hosts=frozenset())
    monkeypatch.setattr(webhooks, "_http", outbound.client(guard, httpx.MockTransport(got.handle)))
    return got


def sqs():
    return boto3.client("sqs")


def url_of(logical_id: str) -> str:
    return sqs().get_queue_url(QueueName=_stack.names[logical_id])["QueueUrl"]


def fan_out() -> int:
    """What EventBridge delivered to DomainEventsToWebhooksRule, handed to the function."""
    handler = load_function("webhooks").lambda_handler
    event_pipe.pump()
    url = sqs().get_queue_url(QueueName="test-DomainEventsToWebhooksRule-webhooks-delivery")["QueueUrl"]
    queued = 0
    while batch := sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            queued += handler(json.loads(message["Body"]), LambdaContext())["queued"]
            sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return queued


def deliver_once() -> tuple[list, list[dict]]:
    """One receive of the deliveries queue, as Lambda's poller would hand it over
    (succeeded records deleted); returns (failures, records)."""
    url = url_of("WebhookDeliveriesQueue")
    messages = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    if not messages:
        return [], []
    arn = f"arn:aws:sqs:us-east-1:123456789012:{_stack.names['WebhookDeliveriesQueue']}"
    records = [sqs_record(m, arn) for m in messages]
    failures = load_function("webhook_deliveries").lambda_handler({"Records": records}, LambdaContext())["batchItemFailures"]
    failed = {f["itemIdentifier"] for f in failures}
    for m in messages:
        if m["MessageId"] not in failed:
            sqs().delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return failures, records


def create(api, world, token=None, account_id=None, **body):
    return api.post(f"/api/v1/accounts/{account_id or world.account_id}/webhooks", token or world.admin.token,
                    body={"url": "https://hooks.example.com/in", **body})


def verify(request: httpx.Request, secret: str) -> None:
    """What a consumer does: recompute the HMAC over "<timestamp>.<body>"."""
    timestamp = request.headers["x-chatwoot-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-chatwoot-signature"], f"sha256={expected}")


# ---------------------------------------------------------------- the API

def test_crud_matches_the_spec_and_shows_the_secret_once(api, world):
    created = create(api, world, name="CRM", subscriptions=["message_created", "conversation_created"])
    assert created.status == 200, created.json
    assert_matches(created.json, "post", SPEC)
    hook = created.json
    assert hook["url"] == "https://hooks.example.com/in" and hook["account_id"] == world.account_id
    assert hook["subscriptions"] == ["message_created", "conversation_created"] and len(hook["secret"]) >= 32

    listed = api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.admin.token)
    assert listed.status == 200
    assert_matches(listed.json, "get", SPEC)
    assert [h["id"] for h in listed.json] == [hook["id"]] and "secret" not in listed.json[0]

    path = f"/api/v1/accounts/{world.account_id}/webhooks/{hook['id']}"
    patched = api.patch(path, world.admin.token, body={"webhook": {"subscriptions": ["contact_created"]}})
    assert patched.status == 200, patched.json
    assert_matches(patched.json, "patch", SPEC + "/{webhook_id}")
    assert patched.json["subscriptions"] == ["contact_created"] and patched.json["name"] == "CRM"
    assert "secret" not in patched.json

    # Without subscriptions: Chatwoot's default (its eight documented events).
    default = create(api, world, url="https://other.example.com/in").json
    assert len(default["subscriptions"]) == 8

    assert api.delete(path, world.admin.token).status == 200
    assert api.delete(path, world.admin.token).status == 404
    assert [h["id"] for h in api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.admin.token).json] \
        == [default["id"]]


@pytest.mark.parametrize("body", [
    {"url": "ftp://hooks.example.com/in"}, {"url": "http://127.0.0.1:8080/"}, {"url": "http://169.254.169.254/latest"},
    {"url": "http://[fd00:ec2::254]/"}, {"url": "http://10.0.0.1/"}, {"url": "http://localhost:3000/"},
    {"url": "http://2130706433/"}, {"url": "not a url"}, {"url": ""}, {"url": "https://" + "a" * 3000 + ".com"},
    {"subscriptions": ["message_created", "notification_created"]}, {"subscriptions": []},
    {"subscriptions": "message_created"}, {"secret": "mine"}, {"name": "x" * 300}, {"url": None},
])
def test_bad_input_is_a_422_and_nothing_is_stored(api, world, body):
    reply = create(api, world, **body)
    assert reply.status == 422, reply.json
    assert reply.json["error"]
    assert api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.admin.token).json == []


def test_bad_patch_changes_nothing(api, world):
    hook = create(api, world).json
    path = f"/api/v1/accounts/{world.account_id}/webhooks/{hook['id']}"
    for body in ({"url": "http://192.168.0.1/"}, {"subscriptions": ["nope"]}, {"url": "gopher://x"}):
        assert api.patch(path, world.admin.token, body=body).status == 422
    assert api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.admin.token).json[0]["url"] == hook["url"]
    assert api.patch(path, world.admin.token, body="[1").status == 400


def test_the_allowlist_admits_a_development_host(api, world):
    from parley import global_config

    assert create(api, world, url="http://localhost:4000/hook").status == 422
    global_config.update("WEBHOOK_URL_ALLOWLIST", "localhost")
    assert create(api, world, url="http://localhost:4000/hook").status == 200


def test_tenant_isolation_and_roles(api, world):
    hook = create(api, world).json
    path = f"/api/v1/accounts/{world.account_id}/webhooks/{hook['id']}"
    # Globex's administrator, with Acme's ids or their own account and Acme's webhook id.
    assert api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.other_admin.token).status == 404
    assert api.patch(path, world.other_admin.token, body={"name": "x"}).status == 404
    other_path = f"/api/v1/accounts/{world.other_account_id}/webhooks/{hook['id']}"
    assert api.patch(other_path, world.other_admin.token, body={"name": "x"}).status == 404
    assert api.delete(other_path, world.other_admin.token).status == 404
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/webhooks", world.other_admin.token).json == []
    # Agents can't see or change webhooks (their secrets sign what the account sends).
    assert api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.agent.token).status == 403
    assert api.delete(path, world.agent.token).status == 403
    assert api.get(f"/api/v1/accounts/{world.account_id}/webhooks", world.admin.token).json[0]["name"] == ""


# ---------------------------------------------------------------- deliveries

def test_deliveries_are_signed_and_respect_subscriptions(api, world, website, receiver):
    messages = create(api, world, subscriptions=["message_created"]).json
    create(api, world, url="https://other.example.com/in", subscriptions=["conversation_status_changed"])
    create(api, world, account_id=world.other_account_id, token=world.other_admin.token,
           url="https://other.example.com/globex")
    website.widget.say(website.widget.start(), "Hello, I need help")
    queued = fan_out()
    assert queued == 1  # message_created for the first webhook only: not Globex's, not the status one
    failures, _ = deliver_once()
    assert failures == []
    [request] = receiver.requests
    assert request.url.host == PUBLIC and request.headers["host"] == "hooks.example.com"
    assert request.headers["content-type"] == "application/json"
    verify(request, messages["secret"])
    body = json.loads(request.content)
    assert body["event"] == "message_created" and body["content"] == "Hello, I need help"
    assert body["message_type"] == 0 and body["conversation"]["inbox_id"] == website.id
    assert request.headers["x-chatwoot-delivery"]
    # A forged body fails the consumer's check.
    forged = httpx.Request("POST", "https://x", headers=request.headers, content=request.content.replace(b"help", b"cash"))
    with pytest.raises(AssertionError):
        verify(forged, messages["secret"])


def test_per_user_and_live_only_events_are_not_forwarded(api, world, website, receiver):
    from parley.services.rules import webhooks

    create(api, world, subscriptions=list(webhooks.EVENTS))
    base = {"id": "e1", "account_id": world.account_id, "data": {"id": 1}, "audience": {"inbox_id": website.id}}
    for name in ("notification.created", "presence.update", "conversation.read", "contact.deleted"):
        assert webhooks.fan_out({**base, "event": name}) == []
    rule = load_template()["Resources"]["DomainEventsToWebhooksRule"]["Properties"]["EventPattern"]["detail-type"]
    assert set(rule) == set(webhooks.WEBHOOK_EVENT) and "notification.created" not in rule
    changed = webhooks.fan_out({**base, "event": "assignee.changed", "changed_attributes": {"assignee_id": [None, 7]}})
    assert changed[0]["payload"]["event"] == "conversation_updated"
    assert changed[0]["payload"]["changed_attributes"] == [{"assignee_id": {"previous_value": None, "current_value": 7}}]


def test_failures_back_off_and_keep_one_delivery_id(api, world, website, receiver, monkeypatch):
    from parley.services.rules import webhooks

    create(api, world, subscriptions=["message_created"])
    website.widget.say(website.widget.start(), "hi")
    assert fan_out() == 1
    hidden = []
    real = webhooks.retry_delay
    monkeypatch.setattr(webhooks, "retry_delay", lambda attempt: hidden.append(real(attempt)) or hidden[-1])
    receiver.answers = [500, httpx.ReadTimeout("slow"), 429]
    failures, records = deliver_once()
    assert len(failures) == 1 and failures[0]["itemIdentifier"] == records[0]["messageId"]
    assert hidden == [60]
    # Hidden for the backoff: a poll now gets nothing.
    assert deliver_once() == ([], [])
    # Later attempts (SQS counts the receives) wait longer: 2 and 3 -> 120 s, 240 s.
    url = url_of("WebhookDeliveriesQueue")
    for attempt in (2, 3):
        sqs().change_message_visibility(QueueUrl=url, ReceiptHandle=records[0]["receiptHandle"], VisibilityTimeout=0)
        failures, records = deliver_once()
        assert len(failures) == 1 and int(records[0]["attributes"]["ApproximateReceiveCount"]) == attempt
    assert hidden == [60, 120, 240]
    sqs().change_message_visibility(QueueUrl=url, ReceiptHandle=records[0]["receiptHandle"], VisibilityTimeout=0)
    assert deliver_once()[0] == []  # the fourth attempt gets a 200
    ids = {r.headers["x-chatwoot-delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 4 and len(ids) == 1
    assert len({r.content for r in receiver.requests}) == 1  # the same bytes every time
    assert [webhooks.retry_delay(n) for n in range(1, 11)] == [60 * 2 ** n for n in range(9)] + [0]
    assert sum(webhooks.retry_delay(n) for n in range(1, 11)) < 12 * 3600


def test_a_delivery_that_always_fails_ends_in_the_dead_letter_queue(api, world, website, receiver, monkeypatch):
    from parley.services.rules import webhooks

    redrive = load_template()["Resources"]["WebhookDeliveriesQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == webhooks.MAX_ATTEMPTS
    monkeypatch.setattr(webhooks, "BASE_DELAY", 0)  # the test can't wait hours
    create(api, world, subscriptions=["message_created"])
    website.widget.say(website.widget.start(), "hi")
    assert fan_out() == 1
    receiver.answers = [503] * 20
    for _ in range(webhooks.MAX_ATTEMPTS + 2):
        deliver_once()
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    assert len({r.headers["x-chatwoot-delivery"] for r in receiver.requests}) == 1
    dead = sqs().receive_message(QueueUrl=url_of("WebhookDeliveriesDeadLetterQueue")).get("Messages", [])
    assert len(dead) == 1
    assert json.loads(dead[0]["Body"])["delivery_id"] == receiver.requests[0].headers["x-chatwoot-delivery"]
    assert "WebhookDeliveriesDeadLetterAlarm" in load_template()["Resources"]


def test_a_private_destination_is_never_contacted(api, world, website, receiver):
    """evil.example.com passed the save-time check (a name), then resolves to the
    metadata service: the delivery is dropped, not retried, and nothing is sent."""
    create(api, world, url="https://evil.example.com/in", subscriptions=["message_created"])
    website.widget.say(website.widget.start(), "hi")
    assert fan_out() == 1
    assert deliver_once()[0] == []
    assert receiver.requests == []
    assert deliver_once() == ([], [])


def test_a_deleted_webhook_gets_nothing_queued_before(api, world, website, receiver):
    hook = create(api, world, subscriptions=["message_created"]).json
    website.widget.say(website.widget.start(), "hi")
    assert fan_out() == 1
    api.delete(f"/api/v1/accounts/{world.account_id}/webhooks/{hook['id']}", world.admin.token)
    assert deliver_once()[0] == [] and receiver.requests == []


def test_malformed_delivery_messages_are_dropped():
    records = [{"messageId": str(i), "receiptHandle": "r", "body": body, "attributes": {}}
               for i, body in enumerate(["", "[]", "{", json.dumps({"delivery_id": 1})])]
    assert load_function("webhook_deliveries").lambda_handler({"Records": records}, LambdaContext()) == \
        {"batchItemFailures": []}
    assert load_function("webhooks").lambda_handler({"detail": "nope"}, LambdaContext()) == {"queued": 0}


# ---------------------------------------------------------------- the API channel's webhook_url

def test_api_inbox_webhook_url_gets_its_events_signed_with_the_inbox_token(api, world, receiver):
    from parley.models.inbox import Inbox
    from parley.services.rules import webhooks

    base = f"/api/v1/accounts/{world.account_id}/inboxes"
    bad = api.post(base, world.admin.token, body={"name": "Bot", "channel": {
        "type": "api", "webhook_url": "http://169.254.169.254/latest/meta-data"}})
    assert bad.status == 422, bad.json
    reply = api.post(base, world.admin.token, body={"name": "Bot", "channel": {
        "type": "api", "webhook_url": "https://bot.example.com/chatwoot"}})
    assert reply.status == 200, reply.json
    inbox = Inbox.get(reply.json["id"])
    detail = {"id": "evt-1", "event": "message.created", "account_id": world.account_id,
              "data": {"id": 5, "content": "hi", "message_type": 1, "private": False},
              "audience": {"inbox_id": inbox.id, "contact_id": 1, "private": False}}
    deliveries = webhooks.fan_out(detail)
    assert [d.get("inbox_id") for d in deliveries] == [inbox.id]
    # Private notes and other accounts' events never reach the channel.
    assert webhooks.fan_out({**detail, "audience": {**detail["audience"], "private": True}}) == []
    assert webhooks.fan_out({**detail, "account_id": world.other_account_id}) == []
    assert webhooks.fan_out({**detail, "event": "contact.created"}) == []
    webhooks.enqueue(deliveries)
    assert deliver_once()[0] == []
    [request] = receiver.requests
    assert request.headers["host"] == "bot.example.com" and request.url.path == "/chatwoot"
    verify(request, inbox.hmac_token)
    assert json.loads(request.content)["event"] == "message_created"
