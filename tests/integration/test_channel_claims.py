"""Channel claims: naming an address or number claims nothing until its owner proves it,
so one tenant can't block another's setup or receive its traffic.

A support address routes mail only once someone who reads that mailbox follows the
confirmation link Parley mailed to it (random, single-use, expiring, compared in constant
time); until then it is claimed by no one."""
from __future__ import annotations

import base64
import re
import time

import boto3
import pytest

from local.cfn import ACCOUNT, REGION
from tests.conftest import LambdaContext, http_event
from tests.integration.test_email_channel import DOMAIN, _raw, conversations, deliver_mail, ingest

LINK = re.compile(r"(https?://\S+/public/email_verification/([0-9]+\.[A-Za-z0-9_-]+))")


@pytest.fixture
def mail_domain():
    from parley import global_config

    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", DOMAIN)
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
    return DOMAIN


def sent_to(address: str) -> list[str]:
    """The bodies of the mails SES (moto) sent to `address`."""
    import email
    from email import policy

    from moto.ses.models import ses_backends

    bodies = []
    for sent in ses_backends[ACCOUNT][REGION].sent_messages:
        if address in " ".join(getattr(sent, "destinations", []) or []):
            mail = email.message_from_string(sent.raw_data, policy=policy.default)
            bodies.append(mail.get_body(("plain",)).get_content())
    return bodies


def confirmation_token(address: str, inbox_id: int) -> str:
    tokens = [m.group(2) for body in sent_to(address) for m in LINK.finditer(body)]
    mine = [t for t in tokens if t.startswith(f"{inbox_id}.")]
    assert mine, f"no confirmation mail for inbox {inbox_id} in {tokens}"
    return mine[-1]


def page(api, method: str, token: str) -> tuple[int, str]:
    result = api.app.lambda_handler(http_event(method, f"/public/email_verification/{token}"), LambdaContext())
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return result["statusCode"], body


def email_inbox(api, account_id: int, token: str, address: str, name: str = "Support"):
    return api.post(f"/api/v1/accounts/{account_id}/inboxes", token,
                    body={"name": name, "channel": {"type": "email", "email": address}})


def test_a_squatted_support_address_blocks_no_one_and_receives_nothing(api, world, mail_domain):
    squat = email_inbox(api, world.other_account_id, world.other_admin.token, "support@acme.example", "Not Acme")
    assert squat.status == 200, squat.json
    assert squat.json["email_verified"] is False
    acme = email_inbox(api, world.account_id, world.admin.token, "support@acme.example", "Acme")
    assert acme.status == 200, acme.json  # the squatter's unproven claim blocks nothing

    deliver_mail(_raw("plain"), "before")  # To/Delivered-To: support@acme.example
    assert ingest() == [{"batchItemFailures": []}]
    assert conversations(api, world, acme.json["id"]) == []
    squatted = api.get(f"/api/v1/accounts/{world.other_account_id}/conversations", world.other_admin.token,
                       query={"inbox_id": squat.json["id"], "status": "all"})
    assert squatted.json["data"]["payload"] == []  # never routed into the squatter's account

    # Acme reads support@acme.example: its confirmation link proves the address.
    status, _ = page(api, "POST", confirmation_token("support@acme.example", acme.json["id"]))
    assert status == 200
    shown = api.get(f"/api/v1/accounts/{world.account_id}/inboxes/{acme.json['id']}", world.admin.token).json
    assert shown["email_verified"] is True
    deliver_mail(_raw("plain").replace(b"plain-0001", b"plain-0002"), "after")
    ingest()
    assert len(conversations(api, world, acme.json["id"])) == 1

    # The squatter's link (mailed to Acme's mailbox, should it ever leak) now loses.
    status, _ = page(api, "POST", confirmation_token("support@acme.example", squat.json["id"]))
    assert status == 409
    squatted = api.get(f"/api/v1/accounts/{world.other_account_id}/inboxes/{squat.json['id']}",
                       world.other_admin.token).json
    assert squatted["email_verified"] is False


def test_the_link_is_confirmed_by_post_once_and_expires(api, world, mail_domain):
    from parley.models.inbox import Inbox

    inbox = email_inbox(api, world.account_id, world.admin.token, "help@acme.example").json
    token = confirmation_token("help@acme.example", inbox["id"])
    # A mail scanner fetching the link (GET) verifies nothing: it only shows the button.
    status, body = page(api, "GET", token)
    assert status == 200 and "<form" in body and 'method="post"' in body
    assert Inbox.get(inbox["id"]).channel["email_verified"] is False
    inbox_id, _, secret = token.partition(".")
    for forged in (f"{inbox_id}.{secret[:-2]}xx", f"{inbox_id}.", f"{int(inbox_id) + 1}.{secret}", "x.y"):
        assert page(api, "POST", forged)[0] == 404
    assert Inbox.get(inbox["id"]).channel["email_verified"] is False
    assert page(api, "POST", token)[0] == 200
    assert page(api, "POST", token)[0] == 404  # single use

    # A resent link expires after 48 hours.
    later = email_inbox(api, world.account_id, world.admin.token, "late@acme.example").json
    old = confirmation_token("late@acme.example", later["id"])
    stored = Inbox.get(later["id"])
    stored.channel = {**stored.channel, "email_verification": {
        **stored.channel["email_verification"], "expires_at": int(time.time()) - 1}}
    stored.save()
    assert page(api, "POST", old)[0] == 404
    resent = api.post(f"/api/v1/accounts/{world.account_id}/inboxes/{later['id']}/email_verification",
                      world.admin.token)
    assert resent.status == 200, resent.json
    assert resent.json["email_verification_sent_to"] == "late@acme.example"
    assert page(api, "POST", confirmation_token("late@acme.example", later["id"]))[0] == 200


def test_changing_the_address_drops_its_claim_until_the_new_one_is_confirmed(api, world, mail_domain):
    inbox = email_inbox(api, world.account_id, world.admin.token, "support@acme.example").json
    assert page(api, "POST", confirmation_token("support@acme.example", inbox["id"]))[0] == 200
    changed = api.patch(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox['id']}", world.admin.token,
                        body={"channel": {"email": "desk@acme.example"}})
    assert changed.status == 200 and changed.json["email_verified"] is False
    # The old address is free for another account to prove; the new one routes nothing yet.
    other = email_inbox(api, world.other_account_id, world.other_admin.token, "support@acme.example")
    assert page(api, "POST", confirmation_token("support@acme.example", other.json["id"]))[0] == 200
    deliver_mail(_raw("plain").replace(b"support@acme.example", b"desk@acme.example"), "d1")
    ingest()
    assert conversations(api, world, inbox["id"]) == []


def test_an_unverified_inbox_replies_from_its_reply_address_not_the_named_one(api, world, mail_domain, monkeypatch):
    from parley.channels import email as email_channel
    from parley.models.inbox import Inbox

    inbox = email_inbox(api, world.account_id, world.admin.token, "ceo@bank.example").json
    stored = Inbox.get(inbox["id"])

    class Conversation:
        uuid, display_id, account_id, additional_attributes = "0" * 8 + "-0000-0000-0000-" + "0" * 12, 1, 1, {}

    class Message:
        id, content, attachments = 1, "hi", []

    monkeypatch.setattr(email_channel, "_thread_of", lambda conversation: (None, []))  # no history to read
    mail = email_channel.build(stored, Conversation, Message, "x@customer.example")
    assert "ceo@bank.example" not in mail["From"] and f"reply+{Conversation.uuid}@{DOMAIN}" in mail["From"]
