"""Channel claims: naming an address or number claims nothing until its owner proves it,
so one tenant can't block another's setup or receive its traffic.

A support address routes mail only once someone who reads that mailbox follows the
confirmation link Parley mailed to it (random, single-use, expiring, compared in constant
time); until then it is claimed by no one.

A WhatsApp or Twilio number is claimed only once the provider, asked with the claimant's
own credentials, says the number is theirs; a refusal or an outage claims nothing."""
from __future__ import annotations

import base64
import re
import time

import boto3
import httpx
import pytest

from local.cfn import ACCOUNT, REGION
from tests.conftest import LambdaContext, http_event
from tests.integration import test_twilio as sms
from tests.integration.channel_support import (APP_SECRET, WHATSAPP_NUMBER, WHATSAPP_NUMBER_ID, Provider, drain,
                                               fixture, fixture_bytes, meta_knows, post_whatsapp, twilio_lists,
                                               whatsapp_inbox)
from tests.integration.test_email_channel import DOMAIN, _raw, conversations, deliver_mail, ingest

pytestmark = pytest.mark.dynamodb_local

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


# ---------------------------------------------------------------- phone numbers
# A verify token or a webhook secret is chosen by the claimant, so it proves nothing. What
# holds is the provider's own word, asked with the claimant's own credentials.

WHATSAPP_KEY = "whatsapp_phone#15550009999"
TWILIO_KEY = f"twilio#{sms.ACCOUNT_SID}#{sms.NUMBER}"
OTHER_SID = "ACfedcba9876543210fedcba9876543210"
OTHER_TOKEN = "0" * 32
SERVICE_SID = "MG0123456789abcdef0123456789abcdef"


def claimed(key: str) -> str | None:
    from parley.models.unique import UniqueClaim

    try:
        return UniqueClaim.get(key).target
    except UniqueClaim.DoesNotExist:
        return None


def inbox_names(api, account_id: int, token: str) -> list[str]:
    return [i["name"] for i in api.get(f"/api/v1/accounts/{account_id}/inboxes", token).json["payload"]]


def whatsapp_channel(api_key: str = "EAAG-squatter-key") -> dict:
    return {"type": "whatsapp", "phone_number": WHATSAPP_NUMBER, "provider": "whatsapp_cloud",
            "provider_config": {"api_key": api_key, "phone_number_id": WHATSAPP_NUMBER_ID,
                                "business_account_id": "102290129340398", "app_secret": APP_SECRET}}


def twilio_channel(account_sid: str = sms.ACCOUNT_SID, auth_token: str = sms.AUTH_TOKEN, **sender) -> dict:
    return {"type": "sms", "provider": "twilio", "account_sid": account_sid, "auth_token": auth_token,
            **(sender or {"phone_number": sms.NUMBER})}


def create(api, account_id: int, token: str, channel: dict, name: str):
    return api.post(f"/api/v1/accounts/{account_id}/inboxes", token, body={"name": name, "channel": channel})


def test_a_whatsapp_number_is_claimed_only_when_meta_says_it_is_the_claimants(api, world, monkeypatch):
    from parley import security_log

    logged = []
    monkeypatch.setattr(security_log, "refused", lambda kind, reason, **ids: logged.append((kind, ids)))
    # Globex names Acme's number with credentials whose phone number id is Globex's own number.
    meta = meta_knows(monkeypatch, "+1 555-000-1111")
    squat = create(api, world.other_account_id, world.other_admin.token, whatsapp_channel(), "Not Acme")
    assert squat.status == 422, squat.json
    assert squat.json["errors"][0]["field"] == "channel.phone_number"
    request = meta.requests[-1]
    assert (request.method, request.url.host, request.url.path) == ("GET", "graph.facebook.com",
                                                                    f"/v20.0/{WHATSAPP_NUMBER_ID}")
    assert request.url.params["fields"] == "display_phone_number"
    assert request.headers["Authorization"] == "Bearer EAAG-squatter-key"  # the claimant's own key
    # Credentials Meta refuses (a made-up key): 422 on the key.
    Provider(monkeypatch, (401, fixture("whatsapp", "error_invalid_token")))
    refused = create(api, world.other_account_id, world.other_admin.token, whatsapp_channel(), "Not Acme")
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "channel.provider_config.api_key"
    # A phone number id the key can't see: 422 on the id.
    Provider(monkeypatch, (400, fixture("whatsapp", "error_unknown_id")))
    unseen = create(api, world.other_account_id, world.other_admin.token, whatsapp_channel(), "Not Acme")
    assert unseen.status == 422 and unseen.json["errors"][0]["field"] == "channel.provider_config.phone_number_id"
    assert claimed(WHATSAPP_KEY) is None
    assert inbox_names(api, world.other_account_id, world.other_admin.token) == []
    assert [kind for kind, ids in logged if ids.get("account_id") == world.other_account_id] == ["channel_claim"] * 3

    # Acme, whose key Meta answers with this very number, sets it up; its traffic reaches it.
    inbox = whatsapp_inbox(api, world, monkeypatch)
    assert claimed(WHATSAPP_KEY) == f"Inbox#{inbox['id']}"
    assert post_whatsapp(api, fixture_bytes("whatsapp", "text_message")).status == 200
    assert drain("IngestQueue", "channel_ingest") == [{"batchItemFailures": []}]
    [conversation] = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                             query={"inbox_id": inbox["id"]}).json["data"]["payload"]
    assert conversation["meta"]["sender"]["phone_number"] == "+15551234567"


def test_a_twilio_number_is_claimed_only_when_twilio_lists_it_for_the_claimant(api, world, monkeypatch):
    # Globex names Acme's account SID (it is in every media URL Acme's customers see) with a made-up token.
    twilio = Provider(monkeypatch, (401, fixture("twilio", "error_20003")))
    squat = create(api, world.other_account_id, world.other_admin.token, twilio_channel(auth_token=OTHER_TOKEN), "X")
    assert squat.status == 422 and squat.json["errors"][0]["field"] == "channel.auth_token"
    request = twilio.requests[-1]
    assert str(request.url) == (f"https://api.twilio.com/2010-04-01/Accounts/{sms.ACCOUNT_SID}"
                                f"/IncomingPhoneNumbers.json?PhoneNumber=%2B14155550100")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{sms.ACCOUNT_SID}:{OTHER_TOKEN}".encode()).decode()
    # Globex's own, real account, which does not have the number.
    Provider(monkeypatch, (200, fixture("twilio", "incoming_phone_numbers_none")))
    foreign = create(api, world.other_account_id, world.other_admin.token,
                     twilio_channel(OTHER_SID, OTHER_TOKEN), "X")
    assert foreign.status == 422 and foreign.json["errors"][0]["field"] == "channel.phone_number"
    # Twilio's filter matches partial numbers: a listed neighbour is not the number.
    twilio_lists(monkeypatch, sms.ACCOUNT_SID, "+141555501001")
    near = create(api, world.other_account_id, world.other_admin.token, twilio_channel(), "X")
    assert near.status == 422 and near.json["errors"][0]["field"] == "channel.phone_number"
    assert claimed(TWILIO_KEY) is None and claimed(f"twilio#{OTHER_SID}#{sms.NUMBER}") is None
    assert inbox_names(api, world.other_account_id, world.other_admin.token) == []

    # Acme, with the account that has the number: claimed, and Twilio's callback lands in it.
    twilio_lists(monkeypatch, sms.ACCOUNT_SID, sms.NUMBER)
    inbox = create(api, world.account_id, world.admin.token, twilio_channel(), "Acme SMS")
    assert inbox.status == 200, inbox.json
    assert claimed(TWILIO_KEY) == f"Inbox#{inbox.json['id']}"
    assert sms.post(api, "/twilio/callback", sms.fixture("inbound_sms")).status == 200
    assert drain("IngestQueue", "channel_ingest") == [{"batchItemFailures": []}]
    assert len(sms.conversations(api, world, inbox.json["id"])) == 1


def test_a_messaging_service_is_claimed_only_when_twilio_shows_it_to_the_claimant(api, world, monkeypatch):
    twilio = Provider(monkeypatch, (404, fixture("twilio", "error_20404")))
    squat = create(api, world.other_account_id, world.other_admin.token,
                   twilio_channel(OTHER_SID, OTHER_TOKEN, messaging_service_sid=SERVICE_SID), "X")
    assert squat.status == 422 and squat.json["errors"][0]["field"] == "channel.messaging_service_sid"
    assert str(twilio.requests[-1].url) == f"https://messaging.twilio.com/v1/Services/{SERVICE_SID}"
    # A service Twilio shows, but of another account than the one named: not the claimant's.
    Provider(monkeypatch, (200, fixture("twilio", "messaging_service")))
    other = create(api, world.other_account_id, world.other_admin.token,
                   twilio_channel(OTHER_SID, OTHER_TOKEN, messaging_service_sid=SERVICE_SID), "X")
    assert other.status == 422 and other.json["errors"][0]["field"] == "channel.messaging_service_sid"
    assert claimed(f"twilio_ms#{OTHER_SID}#{SERVICE_SID}") is None
    ok = create(api, world.account_id, world.admin.token, twilio_channel(messaging_service_sid=SERVICE_SID), "Acme")
    assert ok.status == 200, ok.json
    assert claimed(f"twilio_ms#{sms.ACCOUNT_SID}#{SERVICE_SID}") == f"Inbox#{ok.json['id']}"


@pytest.mark.parametrize("fault", [(503, {}), (429, {}), httpx.ConnectTimeout("connect timed out"),
                                   httpx.ReadTimeout("read timed out"), httpx.ConnectError("unreachable")])
def test_a_provider_outage_claims_nothing_and_says_so(api, world, monkeypatch, fault):
    Provider(monkeypatch, fault)
    for channel, key in ((whatsapp_channel(), WHATSAPP_KEY), (twilio_channel(), TWILIO_KEY)):
        reply = create(api, world.account_id, world.admin.token, channel, "Down")
        assert reply.status == 503, reply.json
        assert "try again" in reply.json["error"]
        assert claimed(key) is None
    assert inbox_names(api, world.account_id, world.admin.token) == []


def test_a_changed_twilio_number_is_proven_before_it_is_claimed(api, world, monkeypatch):
    twilio = twilio_lists(monkeypatch, sms.ACCOUNT_SID, sms.NUMBER)
    inbox = create(api, world.account_id, world.admin.token, twilio_channel(), "Acme SMS").json
    path = f"/api/v1/accounts/{world.account_id}/inboxes/{inbox['id']}"
    # The dashboard sends the number back with every save: unchanged, Twilio is not asked.
    asked = len(twilio.requests)
    renamed = api.patch(path, world.admin.token, body={"name": "Acme texts", "channel": {"phone_number": sms.NUMBER}})
    assert renamed.status == 200 and len(twilio.requests) == asked
    # A number the account does not have: 422, the old number stays claimed, the new one is not.
    Provider(monkeypatch, (200, fixture("twilio", "incoming_phone_numbers_none")))
    moved = api.patch(path, world.admin.token, body={"channel": {"phone_number": "+14155550199"}})
    assert moved.status == 422 and moved.json["errors"][0]["field"] == "channel.phone_number"
    assert claimed(TWILIO_KEY) == f"Inbox#{inbox['id']}"
    assert claimed(f"twilio#{sms.ACCOUNT_SID}#+14155550199") is None
    # A new auth token is checked too (it is what proves the number from now on).
    Provider(monkeypatch, (401, fixture("twilio", "error_20003")))
    bad_token = api.patch(path, world.admin.token, body={"channel": {"auth_token": OTHER_TOKEN}})
    assert bad_token.status == 422 and bad_token.json["errors"][0]["field"] == "channel.auth_token"
    twilio_lists(monkeypatch, sms.ACCOUNT_SID, "+14155550199")
    assert api.patch(path, world.admin.token, body={"channel": {"phone_number": "+14155550199"}}).status == 200
    assert claimed(TWILIO_KEY) is None
    assert claimed(f"twilio#{sms.ACCOUNT_SID}#+14155550199") == f"Inbox#{inbox['id']}"
