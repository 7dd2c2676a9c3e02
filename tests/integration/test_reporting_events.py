"""Reporting events through the real path (docs/reports.md): widget and dashboard calls
publish domain events; the event-log pipe puts them on the bus; the rule fills the
ReportingQueue; functions/reporting records them. Replaying every event twice changes
nothing (events, claims, rollups), the API lists them, and the rebuild from the stored
conversations gives the same events and rollups as the live path. The metric values on
scripted timelines are tests/unit/test_reporting_timeline.py's."""
from __future__ import annotations

import json

import boto3

from local.cfn import ACCOUNT, REGION
from local.sources import sqs_record
from parley import events
from parley.models.account_object import AccountObject
from parley.models.report_rollup import ReportRollup
from parley.models.reporting import ReportingEvent
from parley.services.reporting import rollups
from tests import event_pipe
from tests.conftest import LambdaContext, _stack, load_function
from tests.integration.channel_support import drain, queue_url
from tests.spec import assert_matches


def received(logical_id: str) -> list[dict]:
    """Every record waiting on the queue (deleted from it), as Lambda's poller hands them."""
    event_pipe.pump()
    sqs, url = boto3.client("sqs"), queue_url(logical_id)
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_stack.names[logical_id]}"
    records = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages"):
        records += [sqs_record(m, arn) for m in batch]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(batch)])
    return records


def consume(records: list[dict]) -> None:
    handler = load_function("reporting").lambda_handler
    for i in range(0, len(records), 10):
        result = handler({"Records": records[i:i + 10]}, LambdaContext())
        assert result["batchItemFailures"] == []


def snapshot(account_id: int) -> tuple:
    """The account's reporting events (without what differs between two recordings: id,
    recorded time), its claims and its rollups."""
    events = sorted((e.name, e.conversation_id, e.inbox_id, e.user_id, e.value, e.value_in_business_hours,
                     e.event_start_time, e.event_end_time, e.created_at, e.key)
                    for e in ReportingEvent.query(account_id))
    claims = sorted(c.key for c in AccountObject.query(account_id, AccountObject.key.startswith("reporting#")))
    rolled = {(r.series, r.bucket): {k: v for k, v in r.attribute_values.items() if k not in ("series", "bucket")}
              for r in ReportRollup.scan(ReportRollup.series.startswith(f"{account_id}#"))}
    return events, claims, rolled


def forget_everything(account_id: int) -> None:
    for event in ReportingEvent.query(account_id):
        event.delete()
    for claim in AccountObject.query(account_id, AccountObject.key.startswith("reporting#")):
        claim.delete()
    for row in ReportRollup.scan(ReportRollup.series.startswith(f"{account_id}#")):
        row.delete()


def test_live_replay_api_and_rebuild_agree(api, world, website):
    rollups.forget()
    acme = world.account_id
    visitor = website.widget.start()
    display_id = website.widget.say(visitor, "Hello, I need help").json["conversation_id"]
    base = f"/api/v1/accounts/{acme}/conversations/{display_id}"
    assert api.post(f"{base}/messages", world.admin.token, body={"content": "VIP", "private": True}).status == 200
    assert api.post(f"{base}/messages", world.admin.token, body={"content": "Hi! How can I help?"}).status == 200
    assert api.post(f"{base}/toggle_status", world.admin.token, body={"status": "resolved"}).status == 200
    website.widget.say(visitor, "One more thing")  # reopens it
    assert api.post(f"{base}/messages", world.admin.token, body={"content": "Sure"}).status == 200
    assert api.post(f"{base}/toggle_status", world.admin.token, body={"status": "resolved"}).status == 200

    records = received("ReportingQueue")
    consume(records)
    live = snapshot(acme)
    names = sorted(e[0] for e in live[0])
    assert names == ["conversation_opened", "conversation_resolved", "conversation_resolved", "first_response",
                     "reply_time"]
    assert {e[3] for e in live[0] if e[0] in ("first_response", "reply_time")} == {world.admin.id}
    counted = {k: v for (series, bucket), v in live[2].items() if series == f"{acme}#account#0#d0" for k, v in v.items()}
    assert counted["conversations_count"] == 1 and counted["incoming_messages_count"] == 2
    assert counted["outgoing_messages_count"] == 2 and counted["resolution_count"] == 2

    # The reports (services/reporting/reports.py) read the same numbers from the rollups.
    import time
    day = int(time.time()) // 86400 * 86400
    summary = api.get(f"/api/v2/accounts/{acme}/reports/summary", world.admin.token,
                      query={"since": str(day - 86400), "until": str(day + 2 * 86400), "timezone_offset": "0"})
    assert summary.status == 200, summary.json
    firsts = [e for e in live[0] if e[0] == "first_response"]
    assert {k: summary.json[k] for k in ("conversations_count", "incoming_messages_count", "outgoing_messages_count",
                                          "resolutions_count", "avg_first_response_time")} == {
        "conversations_count": 1, "incoming_messages_count": 2, "outgoing_messages_count": 2,
        "resolutions_count": 2, "avg_first_response_time": firsts[0][4]}

    consume(records)  # every event again: nothing changes
    consume(records)
    assert snapshot(acme) == live

    # The API: the account's page, filtered; the conversation's, oldest first.
    page = api.get(f"/api/v1/accounts/{acme}/reporting_events", world.admin.token)
    assert page.status == 200, page.json
    assert page.json["meta"] == {"count": 5, "current_page": 1, "total_pages": 1}
    assert_matches(page.json, "get", "/api/v1/accounts/{account_id}/reporting_events")
    assert {"id", "name", "value", "value_in_business_hours", "event_start_time", "event_end_time", "account_id",
            "inbox_id", "user_id", "conversation_id", "created_at", "updated_at"} <= set(page.json["payload"][0])
    resolved = api.get(f"/api/v1/accounts/{acme}/reporting_events", world.admin.token,
                       query={"name": "conversation_resolved", "inbox_id": str(website.id)})
    assert [e["name"] for e in resolved.json["payload"]] == ["conversation_resolved"] * 2
    assert api.get(f"/api/v1/accounts/{acme}/reporting_events", world.admin.token,
                   query={"since": "4102444800"}).json["meta"]["count"] == 0  # 2100: none yet
    bad = api.get(f"/api/v1/accounts/{acme}/reporting_events", world.admin.token,
                  query={"since": "200", "until": "100"})
    assert bad.status == 422
    own = api.get(f"{base}/reporting_events", world.admin.token)
    assert_matches(own.json, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/reporting_events")
    assert own.status == 200 and [e["name"] for e in own.json][0] == "first_response"
    assert [e["id"] for e in own.json] == sorted(e["id"] for e in own.json)
    assert api.get(f"{base}/reporting_events", world.agent.token).status == 403  # no report_manage
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/conversations/{display_id}/reporting_events",
                   world.other_admin.token).status == 404  # not Globex's conversation

    # The rebuild, from nothing recorded: the same events and rollups as the live path.
    forget_everything(acme)
    started = api.post(f"/api/v1/accounts/{acme}/reporting_events/rebuild", world.admin.token)
    assert started.status == 200 and started.json["status"] == "running", started.json
    assert api.post(f"/api/v1/accounts/{acme}/reporting_events/rebuild", world.admin.token).status == 409
    audited = api.get(f"/api/v1/accounts/{acme}/audit_logs", world.admin.token, query={"action": "rebuild_reports"})
    assert [(e["auditable_type"], e["user_id"]) for e in audited.json["audit_logs"]] == [("Account", world.admin.id)]
    drain("AccountJobsQueue", "account_jobs", rounds=3)
    progress = api.get(f"/api/v1/accounts/{acme}/reporting_events/rebuild", world.admin.token).json
    assert progress["status"] == "done" and progress["conversations"] == 1
    assert snapshot(acme) == live
    assert api.post(f"/api/v1/accounts/{acme}/reporting_events/rebuild", world.agent.token).status == 403
    console = "/super_admin/api/v1/accounts/{}/reporting_events/rebuild"
    assert api.get(console.format(acme), world.super_admin.token).json["status"] == "done"
    assert api.post(console.format(999), world.super_admin.token).status == 404
    assert api.post(console.format(acme), world.admin.token).status == 403
    assert api.post(console.format(acme), world.super_admin.token).json["status"] == "running"


def test_the_rebuild_records_history_and_fills_a_phases_past_days(aws, monkeypatch):
    """Conversations stored days ago (before reporting existed) are recorded by the rebuild
    in several chunks; a phase added since (India, +05:30) gets its past days filled,
    newest first, and its complete_since moved back to the first conversation's day: its
    day buckets then sum exactly what the UTC pieces sum; the live counts come last."""
    import time
    from datetime import datetime, timezone

    from parley.models.conversation import Conversation, Message
    from parley.models.inbox import Inbox
    from parley.services.reporting import rebuild

    rollups.forget()
    account, now = 51, int(time.time())
    india = rollups.phase_of(330)
    known = rollups.ensure_phase(account, india, now=now - 3 * rollups.DAY)  # added three days ago
    Inbox(900, account_id=account, name="India", channel_type="web_widget", timezone="Asia/Kolkata").save()
    for n, days_ago in enumerate((10, 9, 6, 5), start=1):
        at = now - days_ago * rollups.DAY
        created = datetime.fromtimestamp(at, timezone.utc)
        Conversation(account, n, uuid=f"u{n}", inbox_id=900, contact_id=1, source_id="s", status="open",
                     assignee_id=7, last_activity_at=at * 1000, created_at=created).save()
        for i, (kind, sender, later) in enumerate(((0, "Contact", 0), (1, "User", 600 * n))):
            Message(f"{account}#{n}", n * 10 + i, account_id=account, inbox_id=900, conversation_id=n,
                    message_type=kind, sender_type=sender, sender_id=7, content="x",
                    created_at=datetime.fromtimestamp(at + later, timezone.utc)).save()
    rebuild.start(account)
    monkeypatch.setattr(rebuild, "WRITES_PER_RUN", 6)  # a run stops after the conversation reaching 6 writes
    runs = 1
    while not rebuild.run(account, limit=3, days=3):
        runs += 1
    progress = rebuild.state(account)
    assert progress["status"] == "done" and progress["conversations"] == 4 and progress["recorded"] == 16
    assert runs > 4  # conversations two a run (4 writes each), then the phase's days three at a time

    first_day = rollups.day_start(now - 10 * rollups.DAY, india)
    assert rollups.phases(account, consistent=True)[india] == first_day < known[india]
    edges = list(range(first_day, known[india] + 1, rollups.DAY))
    by_phase = rollups.totals(account, "account", [0], edges)[0]
    composed = rollups.totals(account, "account", [0], edges, known_phases={})[0]
    assert [t.values for t in by_phase] == [t.values for t in composed]
    assert sum(t.count("first_response") for t in by_phase) == 4
    assert sum(t.total("first_response") for t in by_phase) == 600 * (1 + 2 + 3 + 4)
    agent = rollups.totals(account, "agent", [7], edges)[7]
    assert sum(t.count("conversations") for t in agent) == 4
    from parley.services.reporting import live_counts
    assert live_counts.account(account)["open"] == 4  # the live counts, recomputed last
    rebuild.start(account)  # again: nothing more is recorded
    while not rebuild.run(account):
        pass
    assert rebuild.state(account)["recorded"] == 0


def test_a_bots_handoff_and_resolution_are_recorded_from_the_conversation(api, world, website):
    """A conversation a bot held: the handoff stamps bot_handoff_at in the status change's
    own write, so the events come from the stored conversation alone; one the bot resolved
    on its own is a conversation_bot_resolved, not a human resolution."""
    from parley.models.contact import Contact
    from parley.models.conversation import Conversation
    from parley.services.contact import contacts
    from parley.services.conversation import conversations
    from parley.services.inbox import inboxes
    from parley.services.reporting import recorder

    rollups.forget()
    inbox = inboxes.get_inbox(world.account_id, website.id)
    made = []
    for n in range(2):
        contact = contacts.create_contact(world.account_id, email=f"bot{n}@acme.test")
        link = contacts.create_contact_inbox(Contact.get(contact.id), inbox, f"bot-{n}")
        made.append(conversations.create_conversation(inbox, Contact.get(contact.id), link, status="pending"))
    handed, kept = made
    conversations.handoff(handed)
    conversations.toggle_status(kept, "resolved")
    stored = Conversation.get(world.account_id, handed.display_id)
    assert stored.bot_held and stored.status == "open" and stored.bot_handoff_at is not None
    assert Conversation.get(world.account_id, kept.display_id).status_marks[0][0] == "resolved"
    for conversation in made:
        recorder.record_conversation(Conversation.get(world.account_id, conversation.display_id))
    names: dict[int, list[str]] = {}
    for event in ReportingEvent.query(world.account_id):
        names.setdefault(event.conversation_id, []).append(event.name)
    assert names[handed.display_id] == ["conversation_bot_handoff"]
    assert names[kept.display_id] == ["conversation_bot_resolved"]


def test_pages_of_25_newest_first_and_a_bounded_read(aws, monkeypatch):
    from datetime import datetime, timezone

    from parley.services.reporting import listing

    start = 1_790_000_000
    for n in range(1, 31):
        at = datetime.fromtimestamp(start + n * 60, timezone.utc)
        ReportingEvent(3, n, name="reply_time" if n % 3 else "first_response", value=n, value_in_business_hours=n,
                       event_start_time=at, event_end_time=at, created_at=at, inbox_id=1 + n % 2, user_id=4,
                       conversation_id=n, conversation_key=f"3#{n}", key=f"reply_time#{n}").save()
    first, second = listing.page(3, 1), listing.page(3, 2)
    assert first.count == second.count == 30
    assert [e.id for e in first.events] == list(range(30, 5, -1)) and [e.id for e in second.events] == [5, 4, 3, 2, 1]
    since = datetime.fromtimestamp(start + 10 * 60, timezone.utc)
    narrowed = listing.page(3, 1, since=since, inbox_id=1, name="first_response")
    assert [e.id for e in narrowed.events] == [30, 24, 18, 12]  # from the 10th on, inbox 1 (even ids), every third
    assert listing.page(3, 1, name="no_such_event").count == 0
    monkeypatch.setattr(listing, "MAX_EXAMINED", 10)
    monkeypatch.setattr(listing, "EXAMINED_PAGE", 5)
    assert listing.page(3, 1).count == 10  # stops once 10 were examined


def test_a_batchs_counts_share_their_transactions_and_add_what_one_by_one_adds(api, world, website, monkeypatch):
    """Lots of plain messages in a few batches: their counts are recorded together (few
    transactions, each rollup item once per transaction, the 100-item limit kept by
    splitting), and the rollups and claims are exactly what recording each occurrence
    alone gives. A claim written meanwhile makes its group's transaction fail: the
    per-event path then records the rest, nothing twice."""
    from parley.models.conversation import Conversation
    from parley.services.reporting import recorder

    rollups.forget()
    acme = world.account_id
    visitors = [website.widget.start() for _ in range(4)]
    for n, visitor in enumerate(visitors):
        website.widget.say(visitor, f"Hello from {n}")
    records = received("ReportingQueue")
    consume(records)  # the conversations and first messages
    for round_ in range(3):
        for n, visitor in enumerate(visitors):
            website.widget.say(visitor, f"More {round_} from {n}")
    records = received("ReportingQueue")
    assert len(records) == 12

    writes, alone = [], []
    real_write, real_record, real_missing = recorder._write_counts, recorder.record, recorder.missing
    monkeypatch.setattr(recorder, "_write_counts", lambda *a: writes.append(len(a[1])) or real_write(*a))
    monkeypatch.setattr(recorder, "record", lambda *a: alone.append(a[1].key) or real_record(*a))
    # Unassigned messages of one inbox: the account, inbox and channel series x 3 buckets
    # = 9 shared items; 12 items a transaction leaves room for 3 claims.
    monkeypatch.setattr(recorder, "TRANSACTION_ITEMS", 12)
    # One message's count is recorded by a racing replay after the batch read the claims:
    # its group's transaction fails on that claim and the group goes one by one.
    racing = events.from_bus(json.loads(next(r for r in records if '"message.created"' in r["body"])["body"]))
    racing_key = f"message#{racing['data']['id']}"

    raced = []

    def missing_then_race(account_id, found):
        todo = real_missing(account_id, found)
        if not raced and any(o.key == racing_key for o in todo):
            raced.append(racing_key)
            recorder.handle(racing)
        return todo

    monkeypatch.setattr(recorder, "missing", missing_then_race)
    consume(records)
    monkeypatch.setattr(recorder, "missing", real_missing)
    assert raced
    assert writes == [3, 3, 3, 1, 2], writes  # batches of 10 and 2, three claims a transaction
    # The racing count itself, and the two others of its failed group, one by one.
    assert racing_key in alone and len([key for key in alone if key.startswith("message#")]) == 3, alone
    live = snapshot(acme)
    consume(records)  # a replay of the whole batch: nothing changes
    assert snapshot(acme) == live

    forget_everything(acme)
    for visitor_conversation in Conversation.query(acme):
        recorder.record_conversation(visitor_conversation)
    assert snapshot(acme)[1:] == live[1:]  # claims and rollups: the same as one by one
    counted = {k: v for (series, bucket), v in live[2].items() if series == f"{acme}#account#0#d0" for k, v in v.items()}
    assert counted["incoming_messages_count"] == 16 and counted["conversations_count"] == 4
