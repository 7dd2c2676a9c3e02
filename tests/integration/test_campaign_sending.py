"""One-off campaigns sent (issue 16): the schedule fires, the account job messages the
labelled audience through the deliver consumer and the scripted provider, progress and
per-contact failures show on the campaign; each contact gets one message whatever is
retried; the provider's send rate is kept; WhatsApp needs an approved template."""
from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs

import boto3
import httpx
import pytest

from parley.models.account_object import AccountObject
from parley.models.audit_log import AuditLog
from tests.conftest import LambdaContext, load_function
from tests.integration.channel_support import Provider, drain, fixture, queued, twilio_lists

SID, TOKEN, NUMBER = "AC0123456789abcdef0123456789abcdef", "f3a9c1e07b2d4c6e8a0b1c2d3e4f5a6b", "+14155550177"
WABA = "102290129340398"
TEMPLATES = {"data": [
    {"id": "1", "name": "spring_sale", "language": "en_US", "status": "APPROVED", "category": "MARKETING",
     "components": [{"type": "BODY", "text": "Hi {{1}}, {{2}} off this week"}]},
    {"id": "2", "name": "draft_offer", "language": "en_US", "status": "PENDING", "category": "MARKETING",
     "components": [{"type": "BODY", "text": "Soon"}]},
], "paging": {"cursors": {"before": "a", "after": "b"}}}


def url(world, rest: str = "") -> str:
    return f"/api/v1/accounts/{world.account_id}/campaigns" + (f"/{rest}" if rest else "")


def label(api, world, title: str) -> int:
    reply = api.post(f"/api/v1/accounts/{world.account_id}/labels", world.admin.token, body={"title": title})
    assert reply.status == 200, reply.json
    return reply.json["id"]


def contact(api, world, name: str, phone: str | None, labels: list[str], **extra) -> int:
    body = {"name": name, **({"phone_number": phone} if phone else {"email": f"{name.lower()}@example.test"}), **extra}
    made = api.post(f"/api/v1/accounts/{world.account_id}/contacts", world.admin.token, body=body)
    assert made.status == 200, made.json
    contact_id = made.json["payload"]["contact"]["id"]
    tagged = api.post(f"/api/v1/accounts/{world.account_id}/contacts/{contact_id}/labels", world.admin.token,
                      body={"labels": labels})
    assert tagged.status == 200, tagged.json
    return contact_id


def sms_inbox(api, world, monkeypatch, rate: float | None = 50) -> int:
    twilio_lists(monkeypatch, SID, NUMBER)
    channel = {"type": "sms", "provider": "twilio", "account_sid": SID, "auth_token": TOKEN, "phone_number": NUMBER}
    if rate is not None:
        channel["campaign_send_rate"] = rate
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                     body={"name": "Acme SMS", "channel": channel})
    assert reply.status == 200, reply.json
    return reply.json["id"]


def whatsapp_inbox(api, world, monkeypatch) -> int:
    from tests.integration.channel_support import whatsapp_inbox as make
    return make(api, world, monkeypatch)["id"]


def one_off(inbox_id: int, label_ids: list[int], **over) -> dict:
    return {"title": "Spring sale", "message": "20% off this week", "inbox_id": inbox_id,
            "scheduled_at": int(time.time()) + 3600, "audience": [{"type": "Label", "id": i} for i in label_ids],
            **over}


def schedules() -> dict[str, dict]:
    client = boto3.client("scheduler")
    group = __import__("os").environ["SCHEDULE_GROUP"]
    return {s["Name"]: client.get_schedule(Name=s["Name"], GroupName=group)
            for s in client.list_schedules(GroupName=group)["Schedules"]}


FIRED: dict[str, dict] = {}


def fire(world, campaign_id: int) -> dict:
    """The campaign's schedule fires as EventBridge Scheduler fires it: deleted (one-time,
    ActionAfterCompletion DELETE), its Input handed to the scheduled function. Fired again
    (Scheduler's at-least-once), the same Input once more."""
    name = f"campaign_send-{world.account_id}-{campaign_id}"
    found = schedules().get(name)
    if found is not None:
        FIRED[name] = json.loads(found["Target"]["Input"])
        boto3.client("scheduler").delete_schedule(Name=name, GroupName=__import__("os").environ["SCHEDULE_GROUP"])
    return load_function("scheduled").lambda_handler(dict(FIRED[name]), LambdaContext())


def run_jobs(rounds: int = 10) -> list[dict]:
    return drain("AccountJobsQueue", "account_jobs", rounds=rounds)


def sms_provider(monkeypatch) -> Provider:
    """Twilio's Messages API: each send accepted with a new message SID, arrival times kept."""
    provider = Provider(monkeypatch, (201, fixture("twilio", "send_queued")))
    provider.times = []
    counter = iter(range(1, 10_000))

    def answer(request: httpx.Request) -> httpx.Response:
        provider.requests.append(request)
        provider.times.append(time.monotonic())
        return httpx.Response(201, json={**fixture("twilio", "send_queued"), "sid": f"SM{next(counter):032x}"})

    from parley import channels
    monkeypatch.setattr(channels, "_client", httpx.Client(transport=httpx.MockTransport(answer)))
    return provider


def sent_to(provider) -> list[str]:
    return [parse_qs(r.content.decode())["To"][0] for r in provider.requests]


def shown(api, world, campaign_id: int) -> dict:
    reply = api.get(url(world, str(campaign_id)), world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json


def sent_campaign(api, world, monkeypatch, phones: dict[str, str]) -> tuple[dict, dict[str, int]]:
    """A one-off SMS campaign to the "vip" contacts `phones` ({name: number}), sent through
    the job and the deliver consumer to the scripted Twilio; their contact ids by name."""
    vip = label(api, world, "vip")
    ids = {name: contact(api, world, name, phone, ["vip"]) for name, phone in phones.items()}
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    sms_provider(monkeypatch)
    fire(world, campaign["id"])
    run_jobs()
    drain("DeliverQueue", "deliver", rounds=5)
    return campaign, ids


@pytest.fixture
def audience(api, world):
    """vip: Ann and Bob (Bob also churned), Cy (no phone), Dee (blocked); churned: Bob, Eve."""
    vip, churned = label(api, world, "vip"), label(api, world, "churned")
    ids = {"ann": contact(api, world, "Ann", "+14155550001", ["vip"]),
           "bob": contact(api, world, "Bob", "+14155550002", ["vip", "churned"]),
           "cy": contact(api, world, "Cy", None, ["vip"]),
           "dee": contact(api, world, "Dee", "+14155550004", ["vip"], blocked=True),
           "eve": contact(api, world, "Eve", "+14155550005", ["churned"]),
           "zed": contact(api, world, "Zed", "+14155550006", ["other"])}
    return vip, churned, ids


@pytest.mark.dynamodb_local
def test_one_off_sms_campaign_end_to_end(api, world, audience, monkeypatch):
    vip, churned, ids = audience
    inbox = sms_inbox(api, world, monkeypatch)
    size = api.post(url(world, "audience"), world.admin.token,
                    body={"inbox_id": inbox, "audience": [{"type": "Label", "id": vip}, {"type": "Label", "id": churned}]})
    assert size.status == 200 and size.json == {"audience_size": 3, "complete": True}  # Ann, Bob once, Eve: Cy has no phone, Dee is blocked
    made = api.post(url(world), world.admin.token, body=one_off(inbox, [vip, churned], sender_id=world.agent.id))
    assert made.status == 200, made.json
    campaign = made.json
    assert campaign["progress"] is None and campaign["template_params"] is None
    [name] = schedules()
    assert name == f"campaign_send-{world.account_id}-{campaign['id']}"
    assert schedules()[name]["ScheduleExpression"] == time.strftime("at(%Y-%m-%dT%H:%M:%S)",
                                                                     time.gmtime(campaign["scheduled_at"]))

    provider = sms_provider(monkeypatch)
    assert fire(world, campaign["id"]) == {"done": True}
    assert fire(world, campaign["id"]) == {"done": False}  # the schedule firing twice: nothing more
    started = shown(api, world, campaign["id"])["progress"]
    assert started["started_at"] and started["finished_at"] is None
    run_jobs()
    assert queued("AccountJobsQueue") == 0
    progress = shown(api, world, campaign["id"])
    assert progress["campaign_status"] == "completed"
    assert progress["progress"]["audience_size"] == 3
    assert {k: progress["progress"][k] for k in ("queued", "sent", "failed", "skipped")} == {
        "queued": 3, "sent": 0, "failed": 0, "skipped": 2}
    assert provider.requests == []  # sent by the deliver consumer, not by the job

    drain("DeliverQueue", "deliver", rounds=5)
    assert sorted(sent_to(provider)) == ["+14155550001", "+14155550002", "+14155550005"]
    assert {parse_qs(r.content.decode())["Body"][0] for r in provider.requests} == {"20% off this week"}
    done = shown(api, world, campaign["id"])["progress"]
    assert (done["queued"], done["sent"], done["failed"], done["skipped"]) == (0, 3, 0, 2)
    assert done["finished_at"] >= done["started_at"]

    # Each recipient's conversation holds the campaign's message, from its sender.
    sent = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token, query={"status": "sent"})
    assert sent.status == 200 and sent.json["meta"] == {"count": 3, "current_page": 1}
    row = sent.json["payload"][0]
    assert row["contact_id"] == ids["ann"] and row["name"] == "Ann" and row["status"] == "sent"
    messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}/messages",
                       world.admin.token).json["payload"]
    [message] = [m for m in messages if m["id"] == row["message_id"]]
    assert message["content"] == "20% off this week" and message["message_type"] == 1
    assert message["sender"]["id"] == world.agent.id and message["status"] == "sent"
    assert message["content_attributes"]["campaign_id"] == campaign["id"]
    conversation = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}",
                           world.admin.token).json
    assert conversation["additional_attributes"]["campaign_id"] == campaign["id"]
    assert conversation["campaign_id"] == campaign["id"]  # Chatwoot's field, as a widget campaign's
    skipped = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token,
                      query={"status": "skipped"}).json["payload"]
    assert [(r["contact_id"], r["reason"]) for r in skipped] == [
        (ids["cy"], "The contact has no phone number"), (ids["dee"], "The contact is blocked")]

    # Completed: it can't be sent again.
    for change in ({"enabled": True, "scheduled_at": int(time.time()) + 60}, {"scheduled_at": int(time.time()) + 60},
                   {"audience": [{"type": "Label", "id": vip}]}):
        assert api.patch(url(world, str(campaign["id"])), world.admin.token, body=change).status == 422
    assert api.patch(url(world, str(campaign["id"])), world.admin.token, body={"title": "Spring sale 2026"}).status == 200
    # A form sending every field back unchanged (the past time, enabled) is no new schedule.
    again = shown(api, world, campaign["id"])
    resent = {k: again[k] for k in ("title", "message", "inbox_id", "scheduled_at", "audience", "enabled")}
    assert api.put(url(world, str(campaign["id"])), world.admin.token, body=resent).status == 200
    assert schedules() == {}
    assert shown(api, world, campaign["id"])["progress"]["sent"] == 3  # an edit keeps the progress


@pytest.mark.dynamodb_local
def test_failures_are_visible_per_contact(api, world, audience, monkeypatch):
    vip, _, ids = audience
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    answers = iter([(400, fixture("twilio", "send_error_21211")), (201, fixture("twilio", "send_queued"))])
    Provider(monkeypatch, *answers)
    fire(world, campaign["id"])
    run_jobs()
    drain("DeliverQueue", "deliver", rounds=5)
    progress = shown(api, world, campaign["id"])["progress"]
    assert (progress["sent"], progress["failed"], progress["skipped"]) == (1, 1, 2)
    failed = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token, query={"status": "failed"}).json
    assert failed["meta"]["count"] == 1
    [row] = failed["payload"]
    assert row["contact_id"] == ids["ann"] and row["reason"].startswith("Twilio error 21211")
    everyone = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token).json
    assert [r["status"] for r in everyone["payload"]] == ["failed", "sent", "skipped", "skipped"]
    assert api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token,
                   query={"status": "lost"}).status == 422


@pytest.mark.dynamodb_local
def test_a_late_undelivered_report_fails_the_recipient_once(api, world, monkeypatch):
    """Twilio took the message (sent), then reported it undelivered: the recipient moves to
    failed with Twilio's reason and the counts follow, even when the first report stopped
    halfway; repeated, the report changes nothing."""
    from tests.integration import test_twilio

    campaign, ids = sent_campaign(api, world, monkeypatch, {"Ann": "+14155550001", "Bob": "+14155550002"})
    ann = ids["Ann"]
    progress = shown(api, world, campaign["id"])["progress"]
    assert (progress["sent"], progress["failed"]) == (2, 0)
    [row] = [r for r in api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token).json["payload"]
             if r["contact_id"] == ann]
    messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}/messages",
                       world.admin.token).json["payload"]
    [sid] = [m["source_id"] for m in messages if m["id"] == row["message_id"]]

    report = {**test_twilio.fixture("status_undelivered"), "MessageSid": sid, "SmsSid": sid,
              "From": NUMBER, "To": "+14155550001"}
    # The first report dies after failing the message, before the recipient heard it.
    from parley.services.messaging import campaign_outcomes

    def dies(*args, **kwargs):
        raise RuntimeError("the function stopped here")
    with monkeypatch.context() as patched:
        patched.setattr(campaign_outcomes, "delivered", dies)
        assert test_twilio.post(api, "/twilio/delivery_status", report).status == 200
        [result] = drain("IngestQueue", "channel_ingest", visibility=0)
        assert len(result["batchItemFailures"]) == 1  # SQS will hand it over again
    assert shown(api, world, campaign["id"])["progress"]["failed"] == 0
    for _ in range(2):  # the item retried, then Twilio repeating a callback it thinks was lost
        assert test_twilio.post(api, "/twilio/delivery_status", report).status == 200
        drain("IngestQueue", "channel_ingest")
        progress = shown(api, world, campaign["id"])["progress"]
        assert (progress["sent"], progress["failed"]) == (1, 1)
    [failed] = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token,
                       query={"status": "failed"}).json["payload"]
    assert failed["contact_id"] == ann
    assert failed["reason"] == "Twilio error 30003: Unreachable destination handset"


class Died(BaseException):
    """The function stops here (its timeout, the container killed): no handler of ours runs."""


@pytest.mark.dynamodb_local
def test_a_job_retried_after_a_crash_messages_each_contact_once(api, world, monkeypatch):
    from parley.services.messaging import messages

    vip = label(api, world, "vip")
    phones = [f"+1415555{n:04d}" for n in range(1, 7)]
    for n, phone in enumerate(phones):
        contact(api, world, f"C{n}", phone, ["vip"])
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    provider = sms_provider(monkeypatch)
    real, calls = messages.start_conversation, {"n": 0}

    def crashing(*args, **kwargs):  # the third contact's conversation and message are written, then the function dies
        calls["n"] += 1
        written = real(*args, **kwargs)
        if calls["n"] == 3:
            raise Died()
        return written

    monkeypatch.setattr(messages, "start_conversation", crashing)
    fire(world, campaign["id"])
    with pytest.raises(Died):
        drain("AccountJobsQueue", "account_jobs", visibility=0)
    # And a crash in the middle of the next contact's write: its transaction never commits.
    from parley.services.conversation import conversations

    def dies_in_the_transaction(*args, **kwargs):
        raise Died()

    monkeypatch.setattr(messages, "start_conversation", real)
    with monkeypatch.context() as patched:
        patched.setattr(conversations, "_write", dies_in_the_transaction)
        with pytest.raises(Died):
            drain("AccountJobsQueue", "account_jobs", visibility=0)
    run_jobs()
    # A duplicate firing and a duplicate job message change nothing either.
    fire(world, campaign["id"])
    from parley.services.lifecycle import job_queue
    from tests.integration.channel_support import _as_function
    _as_function("account_jobs", lambda: job_queue.enqueue("campaign_send", world.account_id,
                                                           campaign_id=campaign["id"]))
    run_jobs()
    drain("DeliverQueue", "deliver", rounds=10)
    assert sorted(sent_to(provider)) == phones  # one provider call per contact
    progress = shown(api, world, campaign["id"])
    assert progress["campaign_status"] == "completed"
    assert (progress["progress"]["sent"], progress["progress"]["queued"]) == (6, 0)
    rows = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token).json["payload"]
    assert len(rows) == 6 and len({r["message_id"] for r in rows}) == 6
    for row in rows:  # one conversation, one message each
        msgs = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}/messages",
                       world.admin.token).json["payload"]
        assert [m["id"] for m in msgs if m["message_type"] == 1] == [row["message_id"]]
    conversations = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                            query={"inbox_id": inbox, "status": "all"}).json["data"]["payload"]
    assert len(conversations) == 6


def _consume(logical_id: str, function: str) -> int:
    """One receive from the queue handed to the function, as drain() does but without
    pumping the event pipe (one thread pumps it) or swapping the environment."""
    from local.cfn import ACCOUNT, REGION
    from local.sources import sqs_record
    from tests.conftest import _stack
    from tests.integration.channel_support import queue_url

    sqs, url = boto3.client("sqs"), queue_url(logical_id)
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_stack.names[logical_id]}"
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    if messages:
        result = load_function(function).lambda_handler({"Records": [sqs_record(m, arn) for m in messages]},
                                                        LambdaContext())
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(done)])
    return len(messages)


@pytest.mark.dynamodb_local
def test_the_providers_send_rate_is_kept(api, world, monkeypatch, isolated_moto):
    from tests import event_pipe

    vip = label(api, world, "vip")
    for n in range(8):
        contact(api, world, f"C{n}", f"+1415556{n:04d}", ["vip"])
    inbox = sms_inbox(api, world, monkeypatch, rate=3)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    provider = sms_provider(monkeypatch)
    drain("DeliverQueue", "deliver", rounds=3)  # the setup's own events: nothing to send
    fire(world, campaign["id"])
    stop = threading.Event()
    failures: list[BaseException] = []

    def deliver_while_sending():  # the deliver consumer polls while the job runs
        try:
            while not stop.is_set():
                event_pipe.pump()
                if not _consume("DeliverQueue", "deliver"):
                    time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    poller = threading.Thread(target=deliver_while_sending)
    poller.start()
    try:
        started = time.monotonic()
        while _consume("AccountJobsQueue", "account_jobs"):
            pass
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 10
        while len(provider.times) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        poller.join()
    assert not failures, failures
    assert len(provider.times) == 8
    assert elapsed >= 7 / 3 - 0.1  # 8 messages at 3 a second
    times = sorted(provider.times)
    for i, at in enumerate(times):  # no one-second window holds more than the rate allows
        assert sum(1 for t in times[i:] if t - at < 1.0) <= 3, times


@pytest.mark.dynamodb_local
def test_rates_come_from_the_channel_and_the_inbox(api, world, monkeypatch):
    from parley import channels
    from parley.models.inbox import Inbox

    inbox = sms_inbox(api, world, monkeypatch, rate=None)
    assert channels.send_rate(Inbox.get(inbox)) == 1.0  # Twilio's long-code pace
    path = f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}"
    for bad in (0, -1, 5000, "fast", True):
        assert api.patch(path, world.admin.token, body={"channel": {"campaign_send_rate": bad}}).status == 422, bad
    assert api.patch(path, world.admin.token, body={"channel": {"campaign_send_rate": 10}}).status == 200
    assert channels.send_rate(Inbox.get(inbox)) == 10.0
    wa = whatsapp_inbox(api, world, monkeypatch)
    assert channels.send_rate(Inbox.get(wa)) == 80.0


@pytest.mark.dynamodb_local
def test_disabling_stops_and_deleting_cancels(api, world, audience, monkeypatch):
    vip, _, _ = audience
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    key = f"campaign_send-{world.account_id}-{campaign['id']}"
    assert key in schedules()
    assert api.patch(url(world, str(campaign["id"])), world.admin.token, body={"enabled": False}).status == 200
    assert key not in schedules()
    again = api.patch(url(world, str(campaign["id"])), world.admin.token, body={"enabled": True})
    assert again.status == 200 and key in schedules()  # the time still lies ahead
    stale = json.loads(schedules()[key]["Target"]["Input"])
    later = int(time.time()) + 7200
    assert api.patch(url(world, str(campaign["id"])), world.admin.token, body={"scheduled_at": later}).status == 200
    # The old time's firing (a stale schedule) does nothing.
    assert load_function("scheduled").lambda_handler(stale, LambdaContext()) == {"done": False}
    assert queued("AccountJobsQueue") == 0
    assert api.delete(url(world, str(campaign["id"])), world.admin.token).status == 200
    assert key not in schedules()


@pytest.mark.dynamodb_local
def test_a_campaign_whose_inbox_is_deleted_finishes_without_sending(api, world, audience, monkeypatch):
    vip, _, _ = audience
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    provider = sms_provider(monkeypatch)
    fire(world, campaign["id"])
    from parley.models.inbox import Inbox
    Inbox.get(inbox).delete()  # gone under the campaign (as the inbox's deletion leaves it)
    run_jobs()
    after = AccountObject.get(world.account_id, AccountObject.key_for("campaign", campaign["id"])).data
    assert after["campaign_status"] == "completed" and after["progress"]["finished_at"]
    assert not list(AccountObject.query(world.account_id, AccountObject.key.startswith("campaign_recipient#")))
    drain("DeliverQueue", "deliver", rounds=2)
    assert provider.requests == []


@pytest.mark.dynamodb_local
def test_contacts_labelled_before_label_entries_are_indexed_by_the_count_and_the_send(api, world, monkeypatch):
    """Contacts labelled before label entries existed: the audience count spends a bounded
    time on the account's backfill first and says whether everyone was counted (each count
    takes it further, the first send finishes it)."""
    from parley.models.contact import Contact, ContactIndexEntry
    from parley.services.contact import contacts
    from parley.services.rules import campaign_sending

    vip = label(api, world, "vip")
    made = [contact(api, world, name, phone, ["vip"]) for name, phone in
            (("Old", "+14155557001"), ("Older", "+14155557002"), ("Oldest", "+14155557003"))]
    for contact_id in made:  # as written before label entries existed: their label entries removed
        stored = Contact.get(contact_id)
        [entry] = [e for e in contacts.entries_for(stored).values() if e.entry_pk.endswith("#label#vip")]
        ContactIndexEntry(entry.id).delete()
        stored.index_ids = set(stored.index_ids) - {entry.id}
        stored.save()
    inbox = sms_inbox(api, world, monkeypatch)
    count = {"inbox_id": inbox, "audience": [{"type": "Label", "id": vip}]}
    # A count whose backfill time is used up before it starts counts only what is indexed.
    monkeypatch.setattr(campaign_sending, "AUDIENCE_INDEX_SECONDS", -1)
    assert api.post(url(world, "audience"), world.admin.token, body=count).json == {"audience_size": 0,
                                                                                      "complete": False}
    monkeypatch.setattr(campaign_sending, "AUDIENCE_INDEX_SECONDS", 2.0)
    monkeypatch.setattr(campaign_sending, "REINDEX_CHUNK", 2)  # two runs of the backfill within one count
    assert api.post(url(world, "audience"), world.admin.token, body=count).json == {"audience_size": 3,
                                                                                      "complete": True}
    # And the send (which runs the backfill first too) reaches them all.
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    provider = sms_provider(monkeypatch)
    fire(world, campaign["id"])
    run_jobs()
    drain("DeliverQueue", "deliver", rounds=3)
    assert sorted(sent_to(provider)) == ["+14155557001", "+14155557002", "+14155557003"]


@pytest.mark.dynamodb_local
def test_label_entries_follow_the_contacts_labels(api, world):
    from parley.services.contact import contacts

    ann = contact(api, world, "Ann", "+14155550001", ["vip", "churned"])
    assert contacts.labelled(world.account_id, "vip") == [ann]
    api.post(f"/api/v1/accounts/{world.account_id}/contacts/{ann}/labels", world.admin.token, body={"labels": ["new"]})
    assert contacts.labelled(world.account_id, "vip") == [] and contacts.labelled(world.account_id, "new") == [ann]
    many = [f"l{n:02d}" for n in range(contacts.MAX_LABEL_ENTRIES + 5)]
    api.post(f"/api/v1/accounts/{world.account_id}/contacts/{ann}/labels", world.admin.token, body={"labels": many})
    assert contacts.labelled(world.account_id, many[contacts.MAX_LABEL_ENTRIES - 1]) == [ann]
    assert contacts.labelled(world.account_id, many[-1]) == []  # past the cap: on the contact, in no audience
    api.delete(f"/api/v1/accounts/{world.account_id}/contacts/{ann}", world.admin.token)
    assert contacts.labelled(world.account_id, "l00") == []


# ---------------------------------------------------------------- WhatsApp templates

@pytest.mark.dynamodb_local
def test_whatsapp_templates_are_synced_and_required(api, world, monkeypatch):
    vip = label(api, world, "vip")
    contact(api, world, "Ann", "+14155550001", ["vip"])
    inbox = whatsapp_inbox(api, world, monkeypatch)
    path = f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}"
    assert api.get(path, world.admin.token).json["message_templates"] == []
    meta = Provider(monkeypatch, (200, {**TEMPLATES, "paging": {"cursors": {"after": "next-page"},
                                                               "next": "https://evil.test/steal"}}),
                    (200, {"data": [{"id": "3", "name": "bye", "language": "de", "status": "APPROVED",
                                     "components": []}]}))
    assert api.post(f"{path}/sync_templates", world.agent.token).status == 401 or \
        api.post(f"{path}/sync_templates", world.agent.token).status == 403
    synced = api.post(f"{path}/sync_templates", world.admin.token)
    assert synced.status == 200 and synced.json == {}
    assert [r.url.host for r in meta.requests] == ["graph.facebook.com", "graph.facebook.com"]  # never Meta's `next` URL
    assert meta.requests[0].url.path == f"/v20.0/{WABA}/message_templates"
    assert meta.requests[1].url.params["after"] == "next-page"
    assert meta.requests[0].headers["authorization"] == "Bearer EAAG-test-key"
    templates = api.get(path, world.admin.token).json["message_templates"]
    assert [t["name"] for t in templates] == ["spring_sale", "draft_offer", "bye"]
    other = f"/api/v1/accounts/{world.other_account_id}/inboxes/{inbox}/sync_templates"
    assert api.post(other, world.other_admin.token).status == 404

    good = {"name": "spring_sale", "language": "en_US", "category": "MARKETING",
            "processed_params": {"1": "Ann", "2": "20%"}}
    bad = [None, {**good, "name": "nope"}, {**good, "name": "draft_offer", "processed_params": {}},
           {**good, "processed_params": {"1": "Ann"}}, {**good, "processed_params": {"1": "Ann", "2": "x", "3": "y"}},
           {**good, "processed_params": {"1": "Ann", "2": 5}}, {**good, "colour": "red"}]
    for params in bad:
        reply = api.post(url(world), world.admin.token, body=one_off(inbox, [vip], template_params=params))
        assert reply.status == 422 and "template_params" in str(reply.json), (params, reply.json)
    made = api.post(url(world), world.admin.token, body=one_off(inbox, [vip], template_params=good))
    assert made.status == 200, made.json
    assert made.json["template_params"] == good

    sent = Provider(monkeypatch, (200, fixture("whatsapp", "send_ok")))
    fire(world, made.json["id"])
    run_jobs()
    drain("DeliverQueue", "deliver", rounds=3)
    [request] = sent.requests
    payload = json.loads(request.content)
    assert payload["to"] == "14155550001" and payload["type"] == "template"
    assert payload["template"]["name"] == "spring_sale"
    assert payload["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Ann"},
                                                                  {"type": "text", "text": "20%"}]
    row = api.get(url(world, f"{made.json['id']}/recipients"), world.admin.token).json["payload"][0]
    assert row["status"] == "sent"
    messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}/messages",
                       world.admin.token).json["payload"]
    assert [m["content"] for m in messages if m["message_type"] == 1] == ["Hi Ann, 20% off this week"]


@pytest.mark.dynamodb_local
def test_sms_campaigns_take_no_template(api, world, monkeypatch):
    vip = label(api, world, "vip")
    inbox = sms_inbox(api, world, monkeypatch)
    reply = api.post(url(world), world.admin.token, body=one_off(inbox, [vip], template_params={
        "name": "spring_sale", "language": "en_US", "processed_params": {}}))
    assert reply.status == 422 and "template_params" in str(reply.json)


# ---------------------------------------------------------------- access, bad input, audit

@pytest.mark.dynamodb_local
def test_audience_size_input_and_access(api, world, audience, monkeypatch, website):
    vip, _, _ = audience
    inbox = sms_inbox(api, world, monkeypatch)
    path = url(world, "audience")
    for body, status in [({"inbox_id": inbox, "audience": []}, 422),
                         ({"inbox_id": inbox, "audience": [{"type": "Label", "id": 999999}]}, 422),
                         ({"inbox_id": website.id, "audience": [{"type": "Label", "id": vip}]}, 422),
                         ({"inbox_id": "x", "audience": [{"type": "Label", "id": vip}]}, 422),
                         ({"inbox_id": inbox, "audience": [{"type": "Label", "id": vip}], "extra": 1}, 422)]:
        assert api.post(path, world.admin.token, body=body).status == status, body
    assert api.post(path, world.agent.token, body={"inbox_id": inbox, "audience": [{"type": "Label", "id": vip}]}
                    ).status in (401, 403)
    theirs = f"/api/v1/accounts/{world.other_account_id}/campaigns/audience"
    assert api.post(theirs, world.other_admin.token, body={
        "inbox_id": inbox, "audience": [{"type": "Label", "id": vip}]}).status in (404, 422)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    recipients = url(world, f"{campaign['id']}/recipients")
    assert api.get(recipients, world.admin.token).json == {"payload": [], "meta": {"count": 0, "current_page": 1}}
    assert api.get(recipients, world.agent.token).status in (401, 403)
    assert api.get(recipients.replace(f"accounts/{world.account_id}", f"accounts/{world.other_account_id}"),
                   world.other_admin.token).status == 404
    assert api.get(recipients, world.admin.token, query={"page": "0"}).status == 422


@pytest.mark.dynamodb_local
def test_campaign_changes_are_audited_and_sending_state_is_not(api, world, audience, monkeypatch):
    vip, _, _ = audience
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    api.patch(url(world, str(campaign["id"])), world.admin.token, body={"title": "Renamed"})
    sms_provider(monkeypatch)
    fire(world, campaign["id"])
    run_jobs()
    entries = [(e.action, sorted((e.audited_changes or {}).keys()))
               for e in AuditLog.query(world.account_id) if e.auditable_type == "Campaign"]
    assert [a for a, _ in entries] == ["create", "update"]
    assert entries[1][1] == ["title"]


@pytest.mark.dynamodb_local
def test_deleting_an_inbox_deletes_its_campaigns(api, world, monkeypatch, website):
    vip = label(api, world, "vip")
    inbox = sms_inbox(api, world, monkeypatch)
    doomed = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    kept = api.post(url(world), world.admin.token, body={
        "title": "Hello", "message": "Hi", "inbox_id": website.id, "trigger_rules": {"url": "https://acme.test/*"}}).json
    assert f"campaign_send-{world.account_id}-{doomed['id']}" in schedules()
    other = f"/api/v1/accounts/{world.other_account_id}/inboxes/{inbox}"
    assert api.delete(other, world.other_admin.token).status == 404
    assert api.delete(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}", world.agent.token).status in (401, 403)
    assert api.get(url(world, str(doomed["id"])), world.admin.token).status == 200
    assert api.delete(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}", world.admin.token).status == 200
    assert api.get(url(world, str(doomed["id"])), world.admin.token).status == 404
    assert [c["id"] for c in api.get(url(world), world.admin.token).json] == [kept["id"]]
    assert schedules() == {}
    destroyed = [e.auditable_id for e in AuditLog.query(world.account_id)
                 if e.auditable_type == "Campaign" and e.action == "destroy"]
    assert destroyed == [doomed["id"]]


@pytest.mark.dynamodb_local
def test_a_providers_429_is_retried_and_the_recipient_follows(api, world, monkeypatch):
    from tests.conftest import load_function as load

    vip = label(api, world, "vip")
    ann = contact(api, world, "Ann", "+14155550001", ["vip"])
    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    provider = Provider(monkeypatch, (429, {"code": 20429, "message": "Too Many Requests"}),
                        (201, fixture("twilio", "send_queued")))
    monkeypatch.setattr(load("deliver").consumer, "backoff", lambda attempt: 0)
    fire(world, campaign["id"])
    run_jobs()
    [first] = drain("DeliverQueue", "deliver")
    assert len(first["batchItemFailures"]) == 1  # Retryable: back on the queue
    row = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token).json["payload"][0]
    assert (row["contact_id"], row["status"]) == (ann, "queued")
    drain("DeliverQueue", "deliver", rounds=3)
    assert len(provider.requests) == 2
    progress = shown(api, world, campaign["id"])["progress"]
    assert (progress["queued"], progress["sent"], progress["failed"]) == (0, 1, 0)


@pytest.mark.dynamodb_local
def test_synced_templates_are_bounded_to_fit_the_inbox_item(api, world, monkeypatch):
    from parley.services.inbox import inboxes

    inbox = whatsapp_inbox(api, world, monkeypatch)
    big = [{"id": str(n), "name": f"t{n}", "language": "en", "status": "APPROVED", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "x" * 2000}]} for n in range(100)]
    Provider(monkeypatch, *[(200, {"data": big[i:i + 20], "paging": {"cursors": {"after": str(i)}, "next": "x"}})
                            for i in range(0, 100, 20)])
    monkeypatch.setattr(inboxes, "TEMPLATES_BYTES", 50_000)
    assert api.post(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}/sync_templates", world.admin.token).status == 200
    kept = api.get(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox}", world.admin.token).json["message_templates"]
    assert 0 < len(kept) < 100 and [t["name"] for t in kept] == [f"t{n}" for n in range(len(kept))]
    assert len(json.dumps(kept)) <= 50_000


@pytest.mark.dynamodb_local
def test_campaign_conversations_notify_no_agent_of_their_creation(api, world, monkeypatch):
    from tests.integration.test_notifications import listing, notify, of_type, opt_in

    vip = label(api, world, "vip")
    contact(api, world, "Ann", "+14155550001", ["vip"])
    inbox = sms_inbox(api, world, monkeypatch)
    assert api.post(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                    body={"inbox_id": inbox, "user_ids": [world.agent.id]}).status == 200
    opt_in(api, world, world.agent, "conversation_creation")
    notify()
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
    sms_provider(monkeypatch)
    fire(world, campaign["id"])
    run_jobs()
    notify()
    assert of_type(listing(api, world, world.agent), "conversation_creation") == []
    # An ordinary new conversation in the same inbox still notifies.
    from parley.models.contact import Contact
    from parley.models.inbox import Inbox
    from parley.services.contact import contacts
    from parley.services.conversation import conversations
    cy = Contact.get(contact(api, world, "Cy", "+14155550003", []))
    conversations.create_conversation(Inbox.get(inbox), cy, contacts.create_contact_inbox(cy, Inbox.get(inbox), "+14155550003"))
    notify()
    assert len(of_type(listing(api, world, world.agent), "conversation_creation")) == 1


@pytest.mark.dynamodb_local
def test_the_contacts_reply_lands_in_the_campaign_conversation(api, world, monkeypatch):
    from tests.integration import test_twilio

    campaign, ids = sent_campaign(api, world, monkeypatch, {"Ann": "+14155559876"})
    ann, inbox = ids["Ann"], campaign["inbox_id"]
    [row] = api.get(url(world, f"{campaign['id']}/recipients"), world.admin.token).json["payload"]
    params = {**test_twilio.fixture("inbound_sms"), "To": NUMBER, "Body": "Yes please!"}
    assert test_twilio.post(api, "/twilio/callback", params).status == 200
    drain("IngestQueue", "channel_ingest")
    listed = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                     query={"inbox_id": inbox, "status": "all"}).json["data"]["payload"]
    assert [c["id"] for c in listed] == [row["conversation_id"]]  # no second conversation
    messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{row['conversation_id']}/messages",
                       world.admin.token).json["payload"]
    assert [(m["message_type"], m["content"]) for m in messages] == [(1, "20% off this week"), (0, "Yes please!")]
    assert messages[1]["sender"]["id"] == ann


@pytest.mark.dynamodb_local
def test_a_campaign_deleted_or_disabled_while_sending_stops(api, world, audience, monkeypatch):
    from parley.services.rules import campaign_sending

    vip, _, _ = audience
    inbox = sms_inbox(api, world, monkeypatch)
    provider = sms_provider(monkeypatch)
    monkeypatch.setattr(campaign_sending, "PAGE", 1)  # one contact a step: the campaign is re-read between them
    real, sent = campaign_sending.send_to, []

    def send_then_change(item, *args):
        outcome = real(item, *args)
        sent.append(outcome)
        if len(sent) == 1:
            change(item.id)
        return outcome

    monkeypatch.setattr(campaign_sending, "send_to", send_then_change)
    for change in (lambda cid: api.patch(url(world, str(cid)), world.admin.token, body={"enabled": False}),
                   lambda cid: api.delete(url(world, str(cid)), world.admin.token)):
        sent.clear()
        campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [vip])).json
        fire(world, campaign["id"])
        assert run_jobs() == [{"batchItemFailures": []}]  # one chunk, ended: no continuation, no failure
        assert len(sent) == 1 and queued("AccountJobsQueue") == 0
    drain("DeliverQueue", "deliver", rounds=3)
    assert len(provider.requests) == 2  # the one contact each campaign reached before it stopped


@pytest.mark.dynamodb_local
def test_a_recipients_page_reads_only_as_far_as_it_shows(api, world, monkeypatch):
    """250 recipients, every third failed: pages and counts are right, and the first page's
    Query stops long before the last item."""
    from parley.models.account_object import campaign_counter, campaign_recipient_key
    from parley.models.counter import Counter
    from parley.services.rules import campaign_sending

    inbox = sms_inbox(api, world, monkeypatch)
    campaign = api.post(url(world), world.admin.token, body=one_off(inbox, [label(api, world, "vip")])).json
    statuses = {cid: ("failed" if cid % 3 == 0 else "skipped") for cid in range(1, 251)}
    with AccountObject.batch_write() as batch:
        for cid, status in statuses.items():
            batch.save(AccountObject(world.account_id, campaign_recipient_key(campaign["id"], cid), id=cid,
                                     data={"campaign_id": campaign["id"], "contact_id": cid, "status": status}))
    for status in ("failed", "skipped"):
        Counter(campaign_counter(world.account_id, campaign["id"], status),
                value=sum(1 for s in statuses.values() if s == status)).save()
    item = AccountObject.get(world.account_id, AccountObject.key_for("campaign", campaign["id"]))

    reads = []
    query = AccountObject.query

    def counted(*args, **kwargs):
        reads.append(query(*args, **kwargs))
        return reads[-1]
    monkeypatch.setattr(AccountObject, "query", counted)

    rows, total = campaign_sending.recipients(item, None, 1)
    assert total == 250 and [r["contact_id"] for r in rows] == list(range(1, 26))
    assert reads[-1].total_count <= 100  # of 250 items
    rows, total = campaign_sending.recipients(item, None, 10)
    assert total == 250 and [r["contact_id"] for r in rows] == list(range(226, 251))
    rows, total = campaign_sending.recipients(item, "failed", 2)
    assert total == 83 and [r["contact_id"] for r in rows] == list(range(78, 151, 3))
    reads.clear()
    assert campaign_sending.recipients(item, "failed", 5) == ([], 83)
    assert reads == []  # past the last page: no Query at all
