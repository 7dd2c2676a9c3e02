"""Helpers for the channel tests: inboxes, signed webhook calls, and the ingest and deliver
queues drained into their real handlers as Lambda's SQS poller would."""
from __future__ import annotations

import hashlib
import hmac
import json
import os

import boto3
import httpx
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from local.cfn import ACCOUNT, REGION
from local.sources import sqs_record
from tests import event_pipe
from tests.conftest import EVENTS, LambdaContext, _stack, load_function

TELEGRAM_TOKEN = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WHATSAPP_NUMBER = "+15550009999"
WHATSAPP_NUMBER_ID = "106540352242922"
APP_SECRET = "meta-app-secret-for-tests"


def fixture(provider: str, name: str) -> dict:
    return json.loads((EVENTS / provider / f"{name}.json").read_text())


def fixture_bytes(provider: str, name: str) -> bytes:
    return (EVENTS / provider / f"{name}.json").read_bytes()


def telegram_inbox(api, world) -> dict:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Acme Telegram", "channel": {"type": "telegram", "bot_token": TELEGRAM_TOKEN}})
    assert reply.status == 200, reply.json
    return reply.json


def meta_knows(monkeypatch, display_phone_number: str = "+1 555-000-9999") -> "Provider":
    """Meta's Graph API answering the ownership check: the phone number id is this number."""
    return Provider(monkeypatch, (200, {**fixture("whatsapp", "phone_number"),
                                        "display_phone_number": display_phone_number}))


def twilio_lists(monkeypatch, account_sid: str, *numbers: str) -> "Provider":
    """Twilio's IncomingPhoneNumbers answering the ownership check: the account has these numbers."""
    page = fixture("twilio", "incoming_phone_numbers")
    [record] = page["incoming_phone_numbers"]
    page["incoming_phone_numbers"] = [{**record, "account_sid": account_sid, "phone_number": n} for n in numbers]
    return Provider(monkeypatch, (200, page))


def whatsapp_inbox(api, world, monkeypatch) -> dict:
    meta_knows(monkeypatch)
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Acme WhatsApp", "channel": {
            "type": "whatsapp", "phone_number": WHATSAPP_NUMBER, "provider": "whatsapp_cloud",
            "provider_config": {"api_key": "EAAG-test-key", "phone_number_id": WHATSAPP_NUMBER_ID,
                                "business_account_id": "102290129340398", "app_secret": APP_SECRET,
                                "webhook_verify_token": "verify-me"}}})
    assert reply.status == 200, reply.json
    return reply.json


def post_telegram(api, inbox: dict, raw: bytes, secret: str | None = None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": inbox["secret_token"] if secret is None else secret}
    return api.post(f"/webhooks/telegram/{TELEGRAM_TOKEN}", headers=headers, raw_body=raw)


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_whatsapp(api, raw: bytes, sig: str | None = None):
    return api.post(f"/webhooks/whatsapp/{WHATSAPP_NUMBER}",
                    headers={"X-Hub-Signature-256": signature(raw) if sig is None else sig}, raw_body=raw)


def queue_url(logical_id: str) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=_stack.names[logical_id])["QueueUrl"]


def logged(account_id: int, name: str) -> list[dict]:
    """The data of the events of this name in the account's event log (the outbox)."""
    from parley.models.event_log import LoggedEvent

    return [row.detail["data"] for row in LoggedEvent.query(account_id, consistent_read=True) if row.event == name]


def throttle_once(monkeypatch, table_logical_id: str, *operations: str) -> dict:
    """Fault: the first of `operations` touching the table (a TransactWriteItems touches
    every table it carries) fails as DynamoDB throttling that outlasted the SDK's retries
    (raised below them). Returns {"thrown": n}."""
    from tests.conftest import _stack

    table, real = _stack.names[table_logical_id], BaseClient._make_api_call
    state = {"thrown": 0}

    def call(client, name, params):
        if name in operations and not state["thrown"] and table in json.dumps(params, default=str):
            state["thrown"] += 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "Rate of requests exceeds the allowed throughput."}}, name)
        return real(client, name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return state


def throttle_event_log_once(monkeypatch) -> dict:
    """Fault: the first write that would put a record in the event log (a PutItem, or a
    TransactWriteItems carrying one) fails. A change that commits in the same transaction
    as its event fails with it; one written before its event (events.publish) stays,
    unannounced."""
    return throttle_once(monkeypatch, "EventsTable", "PutItem", "TransactWriteItems")


def queued(logical_id: str) -> int:
    event_pipe.pump()
    attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url(logical_id),
                                                     AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def _as_function(name: str, run):
    """Run with the function's own environment from the template (its queue URLs ...)."""
    function = next(f for f in _stack.functions.values() if f.code_dir.name == name)
    saved = dict(os.environ)
    os.environ.update(function.environment)
    try:
        return run()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def drain(logical_id: str, function: str, *, rounds: int = 1, visibility: int | None = None) -> list[dict]:
    """Receive what is visible on the queue, hand it to the function in one batch, delete
    what succeeded (what Lambda's poller does); repeat `rounds` times. Returns each
    round's batchItemFailures."""
    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = queue_url(logical_id)
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_stack.names[logical_id]}"
    results = []
    for _ in range(rounds):
        kw = {"VisibilityTimeout": visibility} if visibility is not None else {}
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], **kw).get("Messages", [])
        if not messages:
            break
        result = _as_function(function, lambda: load_function(function).lambda_handler(
            {"Records": [sqs_record(m, arn) for m in messages]}, LambdaContext()))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(done)])
        results.append(result)
    return results


class Provider:
    """A provider's HTTP API as an httpx MockTransport: answers queued per call, requests kept."""

    def __init__(self, monkeypatch, *answers):
        from parley import channels

        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        monkeypatch.setattr(channels, "_client", httpx.Client(transport=httpx.MockTransport(self._answer)))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, json=body)

    def sent(self, index: int = -1) -> dict:
        return json.loads(self.requests[index].content)
