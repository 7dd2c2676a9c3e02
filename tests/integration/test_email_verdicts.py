"""SES's verdicts on inbound mail (the receipt rule has ScanEnabled): mail SES calls spam
or a virus, or whose From neither SPF nor DKIM vouches for, is never filed as a clean
message in an existing conversation, and a virus-flagged file is never stored or served.
Only SES's own headers count: SES prepends them, so the first occurrence of each is SES's
and anything the sender wrote lower down is ignored. Raw MIME fixtures in
tests/events/email/ses_*.eml go through the real path: mail bucket -> ingest queue ->
channel_ingest."""
from __future__ import annotations

import boto3

from tests.conftest import _stack
from tests.integration.test_email_channel import (_raw, conversations, deliver_mail, inbox,  # noqa: F401 (fixture)
                                                  ingest, messages)


def _incoming(api, world, conversation_id: int) -> list[dict]:
    return [m for m in messages(api, world, conversation_id) if m["message_type"] == 0]


def _thread(api, world, inbox) -> dict:  # noqa: F811
    """Carla's clean first mail, filed as the inbox's one conversation."""
    deliver_mail(_raw("plain"), "p1")
    ingest()
    [thread] = conversations(api, world, inbox["id"])
    return thread


def _other(api, world, inbox, thread: dict) -> dict:  # noqa: F811
    """The inbox's one conversation besides `thread`."""
    [other] = [c for c in conversations(api, world, inbox["id"]) if c["id"] != thread["id"]]
    return other


def test_clean_mail_with_ses_verdicts_threads_as_before(api, world, inbox):  # noqa: F811
    conversation = _thread(api, world, inbox)
    deliver_mail(_raw("ses_clean_reply"), "c1")
    ingest()
    assert [c["id"] for c in conversations(api, world, inbox["id"])] == [conversation["id"]]
    [_, reply] = _incoming(api, world, conversation["id"])
    assert reply["content"] == "It came today after all."
    assert "flagged" not in reply["content_attributes"]["email"]
    assert reply["content_attributes"]["email"]["verdict"] == {
        "spam": "PASS", "virus": "PASS", "spf": "pass", "dkim": "pass", "dmarc": "pass", "authenticated": True}


def test_spam_is_stored_flagged_in_a_conversation_of_its_own(api, world, inbox):  # noqa: F811
    deliver_mail(_raw("ses_spam"), "s1")
    assert ingest() == [{"batchItemFailures": []}]
    [conversation] = conversations(api, world, inbox["id"])
    assert conversation["additional_attributes"]["email_flagged"] == ["spam"]
    [message] = _incoming(api, world, conversation["id"])
    assert message["content_attributes"]["email"]["flagged"] == ["spam"]
    assert message["content_attributes"]["email"]["verdict"]["spam"] == "FAIL"


def test_virus_verdict_wins_over_forged_pass_headers_and_the_file_is_never_stored(api, world, inbox):  # noqa: F811
    thread = _thread(api, world, inbox)
    deliver_mail(_raw("ses_virus_forged_pass"), "v1")
    assert ingest() == [{"batchItemFailures": []}]
    # Not threaded into Carla's conversation although it names it in In-Reply-To.
    assert len(_incoming(api, world, thread["id"])) == 1
    flagged = _other(api, world, inbox, thread)
    assert flagged["additional_attributes"]["email_flagged"] == ["virus"]
    [message] = _incoming(api, world, flagged["id"])
    assert message["content"] == "Here is the invoice you asked for."
    assert message["attachments"] == []  # nothing an agent could open
    assert message["content_attributes"]["email"]["withheld_attachments"] == ["invoice.png"]
    assert message["content_attributes"]["email"]["verdict"]["virus"] == "FAIL"
    stored = boto3.client("s3").list_objects_v2(Bucket=_stack.names["AttachmentsBucket"], Prefix="attachments/")
    assert stored.get("KeyCount", 0) == 0  # the file never reached the attachments bucket


def test_from_failing_spf_and_dkim_never_joins_the_contacts_conversation(api, world, inbox):  # noqa: F811
    thread = _thread(api, world, inbox)
    deliver_mail(_raw("ses_spoofed_from"), "x1")
    assert ingest() == [{"batchItemFailures": []}]
    assert [m["content"] for m in _incoming(api, world, thread["id"])] == [
        "Hello,\n\nI ordered a kettle two weeks ago and it still hasn\u2019t arrived.\n\nCarla"]
    flagged = _other(api, world, inbox, thread)
    assert flagged["additional_attributes"]["email_flagged"] == ["unauthenticated"]
    [message] = _incoming(api, world, flagged["id"])
    assert message["content_attributes"]["email"]["verdict"]["authenticated"] is False


def test_spoofed_mail_to_the_conversation_reply_address_is_not_threaded_either(api, world, inbox):  # noqa: F811
    from tests.integration.test_email_channel import DOMAIN

    thread = _thread(api, world, inbox)
    reply_to = f"reply+{thread['uuid']}@{DOMAIN}".encode()
    deliver_mail(_raw("ses_spoofed_from").replace(b"To: support@acme.example", b"To: " + reply_to), "x2")
    ingest()
    assert len(_incoming(api, world, thread["id"])) == 1
    assert len(conversations(api, world, inbox["id"])) == 2


def test_dkim_pass_for_another_domain_does_not_vouch_for_from(api, world, inbox):  # noqa: F811
    thread = _thread(api, world, inbox)
    # The attacker signs with its own domain's key and sends from its own envelope.
    raw = _raw("ses_spoofed_from").replace(b"dkim=fail header.i=@customer.example",
                                            b"dkim=pass header.i=@attacker.example").replace(
        b"spf=fail", b"spf=pass").replace(b"Received-SPF: fail", b"Received-SPF: pass")
    deliver_mail(raw, "x3")
    ingest()
    assert len(_incoming(api, world, thread["id"])) == 1
    assert len(conversations(api, world, inbox["id"])) == 2


def test_verdicts_are_read_from_the_first_occurrence_only():
    from parley.channels.email import read_verdicts

    verdicts = read_verdicts(_raw("ses_virus_forged_pass"), "carla@customer.example")
    assert (verdicts.spam, verdicts.virus, verdicts.authenticated) == ("PASS", "FAIL", True)
    assert verdicts.flags() == ["virus"]
    # Mail that never went through SES (the local stack) carries no verdicts at all.
    assert read_verdicts(_raw("plain"), "carla@customer.example").flags() == []
