"""Email inboxes end to end over moto: SES stores a mail in the mail bucket, the bucket's
EventBridge event reaches the ingest queue, channel_ingest stores it (threaded, sanitised,
quotes folded, files kept); an agent's reply leaves through SES with threading headers and
the customer's answer to it lands in the same conversation."""
from __future__ import annotations

import email
import json
from email import policy

import boto3
import pytest

from tests.aws_faults import swap_client
from tests.conftest import EVENTS, _stack
from tests.integration.channel_support import drain, queued
from tests.spec import assert_matches

DOMAIN = "mail.parley.test"


def _raw(name: str, **fill) -> bytes:
    text = (EVENTS / "email" / f"{name}.eml").read_text()
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


@pytest.fixture
def inbox(api, world):
    from parley import global_config

    from tests.integration.test_channel_claims import confirmation_token, page

    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", DOMAIN)
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain=DOMAIN)  # confirmation mails
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Acme Support", "channel": {"type": "email", "email": "Support@Acme.example"}})
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/inboxes/")
    # The support address routes mail once its owner follows the link mailed to it.
    assert page(api, "POST", confirmation_token("support@acme.example", reply.json["id"]))[0] == 200
    return {**reply.json, "email_verified": True}


def deliver_mail(raw: bytes, key: str) -> None:
    """What SES's S3 action does; the bucket's Object Created event reaches the ingest queue."""
    boto3.client("s3").put_object(Bucket=_stack.names["MailBucket"], Key=f"inbound/{key}", Body=raw)


def ingest() -> list:
    return drain("IngestQueue", "channel_ingest")


def conversations(api, world, inbox_id: int) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                    query={"inbox_id": inbox_id, "status": "all"})
    assert reply.status == 200, reply.json
    return reply.json["data"]["payload"]


def messages(api, world, conversation_id: int) -> list[dict]:
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                    world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json["payload"]


def test_inbox_has_forwarding_address_and_claims_its_addresses(api, world, inbox):
    assert inbox["channel_type"] == "Channel::Email"
    assert inbox["email"] == "support@acme.example"
    local, _, domain = inbox["forward_to_email"].partition("@")
    assert domain == DOMAIN and len(local) == 24
    # Naming a confirmed address is allowed (it claims nothing), proving it is not.
    again = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token,
                     body={"name": "Copycat", "channel": {"type": "email", "email": "support@acme.example"}})
    assert again.status == 200 and again.json["email_verified"] is False
    from tests.integration.test_channel_claims import confirmation_token, page

    assert page(api, "POST", confirmation_token("support@acme.example", again.json["id"]))[0] == 409
    bad = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                   body={"name": "X", "channel": {"type": "email", "email": "not-an-address"}})
    assert bad.status == 422
    sneaky = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                      body={"name": "X", "channel": {"type": "email", "email": "s@acme.example",
                                                     "website_url": "https://x.example"}})
    assert sneaky.status == 422


def test_forwarded_mail_goes_to_the_forwarding_address_not_a_squatted_support_address(api, world):
    """Globex names Acme's support address as its own before Acme does; Acme's support
    mailbox forwards to Acme's forwarding address. The mail keeps To: support@..., and
    must still reach Acme, never Globex."""
    from parley import global_config

    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", DOMAIN)
    squatter = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token,
                        body={"name": "Not Acme", "channel": {"type": "email", "email": "support@acme.example"}})
    assert squatter.status == 200, squatter.json
    acme = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                    body={"name": "Acme", "channel": {"type": "email", "email": "help@acme.example"}})
    assert acme.status == 200, acme.json
    raw = _raw("plain").replace(b"Delivered-To: support@acme.example",
                                f"Delivered-To: {acme.json['forward_to_email']}".encode())
    deliver_mail(raw, "forwarded")
    assert ingest() == [{"batchItemFailures": []}]
    assert len(conversations(api, world, acme.json["id"])) == 1
    squatted = api.get(f"/api/v1/accounts/{world.other_account_id}/conversations", world.other_admin.token,
                       query={"inbox_id": squatter.json["id"], "status": "all"})
    assert squatted.json["data"]["payload"] == []


def test_plain_mail_becomes_a_conversation_once(api, world, inbox):
    raw = _raw("plain")
    deliver_mail(raw, "a1")
    deliver_mail(raw, "a1-again")  # SES delivering the same mail twice is one message
    assert queued("IngestQueue") == 2
    assert ingest() == [{"batchItemFailures": []}]
    [conversation] = conversations(api, world, inbox["id"])
    assert conversation["meta"]["sender"]["email"] == "carla@customer.example"
    assert conversation["meta"]["sender"]["name"] == "Carla Customer"
    assert conversation["meta"]["channel"] == "Channel::Email"  # as the inbox names it
    assert conversation["additional_attributes"]["mail_subject"] == "My order #1042 has not arrived"
    listing = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation['id']}/messages",
                      world.admin.token).json
    assert_matches(listing, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    [message] = [m for m in listing["payload"] if m["message_type"] == 0]
    assert message["content"] == "Hello,\n\nI ordered a kettle two weeks ago and it still hasn\u2019t arrived.\n\nCarla"
    assert message["source_id"] == "CAF=plain-0001@mail.customer.example"
    assert message["content_attributes"]["email"]["subject"] == "My order #1042 has not arrived"


def test_html_is_sanitised_and_quote_folded(api, world, inbox):
    deliver_mail(_raw("html_quote"), "h1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    details = message["content_attributes"]["email"]
    assert message["content"] == "Thanks, that works for me!"
    assert details["text_content"]["quoted"].startswith("On Tue, 3 Mar 2026")
    assert "<b>that works</b>" in details["html_content"]["reply"]
    assert "gmail_quote" not in details["html_content"]["reply"] and "style" not in details["html_content"]["reply"]
    assert "We have shipped a replacement." in details["html_content"]["quoted"]


def test_hostile_markup_never_survives(api, world, inbox):
    deliver_mail(_raw("hostile_script"), "s1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    stored = json.dumps(message["content_attributes"]).lower()
    for bad in ("<script", "onmouseover", "onerror", "javascript:", "<iframe", "document.cookie"):
        assert bad not in stored
    assert "your invoice" in message["content"]


def test_attachments_are_stored_and_liars_dropped(api, world, inbox):
    deliver_mail(_raw("attachment"), "f1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    [attachment] = message["attachments"]  # the "png" that is not one is dropped, not the mail
    assert attachment["file_type"] == "image" and attachment["file_name"] == "box photo.png"
    assert message["content"] == "The box arrived crushed, photo attached."


def test_hostile_structures_are_refused_or_trimmed_without_retrying(api, world, inbox):
    deliver_mail(_raw("hostile_multipart_bomb"), "b1")
    deliver_mail(_raw("hostile_huge_header"), "b2")
    assert ingest() == [{"batchItemFailures": []}]  # nothing is retried forever
    [conversation] = conversations(api, world, inbox["id"])  # the bomb made nothing
    [message] = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert message["content"] == "Still a real question under all that noise."
    assert message["content_attributes"]["email"]["subject"] == "Huge headers"


def test_mail_for_no_inbox_and_forged_bucket_items_are_dropped(api, world, inbox):
    stray = _raw("plain").replace(b"support@acme.example", b"nobody@elsewhere.example")
    deliver_mail(stray, "x1")
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names["IngestQueue"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
        {"channel": "email", "s3_bucket": _stack.names["AttachmentsBucket"], "s3_key": "attachments/1/x"}))
    assert ingest() == [{"batchItemFailures": []}]
    assert conversations(api, world, inbox["id"]) == []


def _reply(api, world, conversation_id: int, text: str) -> dict:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                     world.admin.token, body={"content": text})
    assert reply.status == 200, reply.json
    return reply.json


def test_agent_reply_goes_out_through_ses_and_the_answer_threads_back(api, world, inbox, monkeypatch):
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_domain_identity(Domain="acme.example")
    ses.verify_domain_identity(Domain=DOMAIN)
    sent: list[dict] = []
    swap_client(monkeypatch, "sesv2", lambda real: _Recording(real, sent))

    deliver_mail(_raw("plain"), "t1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    _reply(api, world, conversation["id"], "Your replacement is on its way.")
    assert drain("DeliverQueue", "deliver")[0] == {"batchItemFailures": []}
    [call] = sent
    mail = email.message_from_bytes(call["Content"]["Raw"]["Data"], policy=policy.default)
    assert call["Destination"] == {"ToAddresses": ["carla@customer.example"]}
    assert mail["To"] == "carla@customer.example"
    assert mail["Subject"] == "Re: My order #1042 has not arrived"
    assert mail["In-Reply-To"] == "<CAF=plain-0001@mail.customer.example>"
    assert "<CAF=plain-0001@mail.customer.example>" in mail["References"]
    reply_to = f"reply+{conversation['uuid']}@{DOMAIN}"
    assert mail["Reply-To"] == reply_to and "support@acme.example" in mail["From"]
    message_id = mail["Message-ID"].strip("<>")
    outgoing = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert outgoing["status"] == "sent" and outgoing["source_id"] == message_id

    # The customer answers the mail: In-Reply-To names Parley's Message-ID.
    deliver_mail(_raw("reply", in_reply_to=message_id), "t2")
    # A new mail straight to the per-conversation address threads by the address alone.
    to_reply_address = _raw("plain").replace(b"support@acme.example", reply_to.encode()).replace(
        b"plain-0001", b"plain-0009").replace(b"Delivered-To: " + reply_to.encode(), b"Delivered-To: x@y.example")
    deliver_mail(to_reply_address, "t3")
    ingest()
    assert len(conversations(api, world, inbox["id"])) == 1
    incoming = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert [m["content"] for m in incoming][:2] == [
        "Hello,\n\nI ordered a kettle two weeks ago and it still hasn\u2019t arrived.\n\nCarla",
        "It came today, thank you."]
    assert len(incoming) == 3
    assert incoming[1]["content_attributes"]["email"]["text_content"]["quoted"] == "> Your replacement is on its way."


def test_ses_refusal_marks_the_reply_failed(api, world, inbox, monkeypatch):
    from botocore.exceptions import ClientError

    class Refusing:
        def send_email(self, **kw):
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")

    swap_client(monkeypatch, "sesv2", lambda real: Refusing())
    deliver_mail(_raw("plain"), "r1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    _reply(api, world, conversation["id"], "Hello")
    drain("DeliverQueue", "deliver")
    outgoing = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 1][-1]
    assert outgoing["status"] == "failed"
    assert outgoing["content_attributes"]["external_error"] == "SES MessageRejected: Email address is not verified."


class _Recording:
    def __init__(self, client, calls):
        self.client, self.calls = client, calls

    def send_email(self, **kw):
        self.calls.append(kw)
        return self.client.send_email(**kw)


def test_a_crash_mid_ingest_is_retried_into_exactly_one_message(api, world, inbox, monkeypatch):
    from botocore.exceptions import ClientError

    from parley.services.messaging import messages as message_service  # `messages` is this file's reader

    real = message_service.post_message
    calls = []

    def throttled_once(*args, **kw):
        calls.append(1)
        if len(calls) == 1:  # DynamoDB throttling outlasting the SDK's retries
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "TransactWriteItems")
        return real(*args, **kw)

    monkeypatch.setattr(message_service, "post_message", throttled_once)
    deliver_mail(_raw("attachment"), "c1")
    [first] = drain("IngestQueue", "channel_ingest", visibility=0)
    assert len(first["batchItemFailures"]) == 1  # handed back to SQS, not lost
    assert drain("IngestQueue", "channel_ingest") == [{"batchItemFailures": []}]
    [conversation] = conversations(api, world, inbox["id"])
    incoming = [m for m in messages(api, world, conversation["id"]) if m["message_type"] == 0]
    assert len(incoming) == 1 and len(incoming[0]["attachments"]) == 1
