"""Deleting a conversation (Chatwoot's DELETE /conversations/{id}, administrators only): it
leaves every list, count and door at once, with one audit entry; the account-jobs consumer
then removes its messages, search terms, claims, participants and files in bounded chunks,
resumable after a fault, and concludes the entry. Checked by querying the tables and the bucket."""
from __future__ import annotations

import json

import boto3

from tests.integration.channel_support import (drain, fixture_bytes, logged, post_telegram, queued,
                                               telegram_inbox)
from tests.integration.test_attachments import PNG, multipart
from tests.integration.test_permission_matrix import make_role_agents


def _run_jobs(rounds: int = 200) -> int:
    runs = 0
    while queued("AccountJobsQueue") and runs < rounds:
        drain("AccountJobsQueue", "account_jobs", visibility=0)
        runs += 1
    return runs


def _busy_conversation(api, world, website) -> tuple[int, object]:
    """A widget conversation with many messages (one with an echo id, one with a file),
    search terms, a participant and an agent's reply with a file. Returns (display id, visitor)."""
    a = world.account_id
    visitor = website.widget.start()
    assert website.widget.say(visitor, "zebracorn first words", echo_id="echo-1").status == 200
    for n in range(12):
        assert website.widget.say(visitor, f"zebracorn message {n}").status == 200
    raw, content_type = multipart({"message[content]": "shot"}, [("message[attachments][]", "s.png", "image/png", PNG)])
    assert website.widget.call("POST", "messages", visitor, raw_body=raw,
                               headers={"content-type": content_type}).status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    base = f"/api/v1/accounts/{a}/conversations/{display_id}"
    raw, content_type = multipart({"content": "reply"}, [("attachments[]", "r.png", "image/png", PNG)])
    assert api.post(f"{base}/messages", world.admin.token, raw_body=raw, headers={"content-type": content_type}).status == 200
    assert api.post(f"{base}/participants", world.admin.token, body={"user_ids": [world.agent.id]}).status == 200
    return display_id, visitor


def _left_of(account_id: int, display_id: int, message_ids: list[int] | None = None) -> dict[str, list]:
    """Everything still stored that belongs to the conversation (`message_ids`: its
    messages' ids, read before they went, whose search terms are looked for)."""
    from parley.models.account_object import AccountObject, conversation_deletion_key
    from parley.models.conversation import Conversation, Message
    from parley.models.conversation_index import MessageTerm
    from parley.models.unique import UniqueClaim
    from parley.settings import get_settings

    key = f"{account_id}#{display_id}"
    messages = list(Message.query(key, consistent_read=True))
    ids = message_ids if message_ids is not None else [m.id for m in messages]
    terms = [t for i in ids for t in MessageTerm.query(f"terms#{i}", consistent_read=True)]
    objects = [o.key for o in AccountObject.query(account_id, consistent_read=True)
               if o.key.startswith((f"participant#{display_id:012d}#", conversation_deletion_key(display_id)))
               or (o.key.startswith("participating#") and o.key.endswith(f"#{display_id:012d}"))]
    claims = [c.key for c in UniqueClaim.scan() if c.key.startswith(f"echo#{account_id}#{display_id}#")]
    files = boto3.client("s3").list_objects_v2(Bucket=get_settings().attachments_bucket,
                                               Prefix=f"attachments/{account_id}/{display_id}/").get("Contents", [])
    conversation = list(Conversation.query(account_id, Conversation.display_id == display_id, consistent_read=True))
    from parley.models.account import AccountUser
    from parley.models.notification import Notification
    notifications = [n for member in AccountUser.query(account_id)
                     for n in Notification.query(f"{account_id}#{member.user_id}", consistent_read=True)
                     if n.primary_actor_type == "Conversation" and n.primary_actor_id == display_id]
    return {"conversation": conversation, "messages": messages, "terms": terms, "objects": objects,
            "echo claims": claims, "files": files, "notifications": notifications}


def _entries(account_id: int) -> list:
    from parley.models.audit_log import AuditLog

    return [e for e in AuditLog.query(account_id, consistent_read=True) if e.auditable_type == "Conversation"]


def test_who_may_delete_a_conversation(api, world, website):
    a = world.account_id
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    path = f"/api/v1/accounts/{a}/conversations/{display_id}"
    assert api.delete(path, world.agent.token).status == 403
    for person in make_role_agents(world).values():  # whatever the custom role grants
        assert api.delete(path, person.token).status == 403
    assert api.delete(path, world.other_admin.token).status == 404
    assert api.delete(f"/api/v1/accounts/{world.other_account_id}/conversations/{display_id}",
                      world.other_admin.token).status == 404  # Globex has no such conversation
    assert api.delete(path).status == 401
    assert api.delete(f"/api/v1/accounts/{a}/conversations/abc", world.admin.token).status in (404, 422)
    assert api.get(path, world.admin.token).status == 200, "refused calls changed nothing"
    assert _entries(a) == []

    deleted = api.delete(path, world.admin.token)
    assert (deleted.status, deleted.json) == (200, None)  # Chatwoot's `head :ok`
    assert api.delete(path, world.admin.token).status == 404
    assert api.get(path, world.admin.token).status == 404
    assert api.get(f"{path}/messages", world.admin.token).status == 404


def test_deletion_hides_it_at_once_and_the_job_removes_everything(api, world, website):
    from tests.integration.test_notifications import mention, notify

    a = world.account_id
    display_id, _ = _busy_conversation(api, world, website)
    assert api.post(f"/api/v1/accounts/{a}/conversations/{display_id}/messages", world.admin.token, body={
        "content": f"{mention(world.agent.id, 'Aaron Agent')} zebracorn look", "private": True}).status == 200
    # Another conversation's notification, which must stay.
    other = website.widget.start()
    assert website.widget.say(other, "another question").status == 200
    other_id = max(c["id"] for c in api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"])
    assert api.post(f"/api/v1/accounts/{a}/conversations/{other_id}/messages", world.admin.token, body={
        "content": f"{mention(world.agent.id, 'Aaron Agent')} this one stays", "private": True}).status == 200
    notify()
    before = _left_of(a, display_id)
    assert len(before["messages"]) > 14 and before["terms"] and before["objects"] and before["echo claims"]
    assert before["notifications"] and _left_of(a, other_id)["notifications"]
    assert len(before["files"]) == 2
    ids = [m.id for m in before["messages"]]
    found = api.get(f"/api/v1/accounts/{a}/search/messages", world.admin.token, query={"q": "zebracorn"}).json
    assert "zebracorn" in json.dumps(found)
    meta = api.get(f"/api/v1/accounts/{a}/conversations/meta", world.admin.token).json["meta"]
    assert meta["all_count"] == 2

    assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200
    # Before any job ran: gone from lists, counts, search and the contact's widget.
    listed = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token, query={"status": "all"}).json["data"]
    assert [c["id"] for c in listed["payload"]] == [other_id] and listed["meta"]["all_count"] == 1
    found = api.get(f"/api/v1/accounts/{a}/search/messages", world.admin.token, query={"q": "zebracorn"}).json
    assert "zebracorn" not in json.dumps(found)
    [event] = logged(a, "conversation.deleted")
    assert event["id"] == display_id and event["inbox_id"] == website.id
    [entry] = _entries(a)
    assert (entry.auditable_id, entry.action, entry.user_id, entry.comment) == (display_id, "destroy", world.admin.id, None)

    from parley.services.lifecycle import conversation_deletion
    conversation_deletion.CHUNK = 7  # many small runs, each going on from where the last stopped
    try:
        runs = _run_jobs()
    finally:
        conversation_deletion.CHUNK = 500
    assert runs >= 3 and queued("AccountJobsQueue") == 0
    assert {k: v for k, v in _left_of(a, display_id, ids).items() if v} == {}
    [entry] = _entries(a)  # still exactly one, now concluded
    assert entry.comment == "completed"
    assert _left_of(a, other_id)["notifications"] and _left_of(a, other_id)["messages"], "the other conversation stays"
    logs = api.get(f"/api/v1/accounts/{a}/audit_logs", world.admin.token).json
    assert any(row["auditable_type"] == "Conversation" and row["action"] == "destroy" for row in logs["audit_logs"])


def test_a_fault_midway_is_resumed_by_the_jobs_retry(api, world, website, monkeypatch):
    a = world.account_id
    display_id, _ = _busy_conversation(api, world, website)
    ids = [m.id for m in _left_of(a, display_id)["messages"]]
    assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200
    from parley.services.lifecycle import conversation_deletion

    monkeypatch.setattr(conversation_deletion, "CHUNK", 10)
    drain("AccountJobsQueue", "account_jobs")  # the first chunk
    real = conversation_deletion._Run.delete
    calls = {"n": 0}

    def failing(self, items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected fault")
        return real(self, items)

    monkeypatch.setattr(conversation_deletion._Run, "delete", failing)
    [result] = drain("AccountJobsQueue", "account_jobs", visibility=0)
    assert result["batchItemFailures"], "the faulty run is reported and its message comes back"
    assert _left_of(a, display_id)["messages"], "the fault left work to do"
    _run_jobs()
    assert {k: v for k, v in _left_of(a, display_id, ids).items() if v} == {}
    [entry] = _entries(a)
    assert entry.comment == "completed"


def test_the_contact_starts_a_new_conversation_in_the_same_inbox(api, world):
    """A messaging channel's sender has one open conversation per inbox, claimed on the
    contact inbox: the deletion releases the claim, so their next message opens a new one."""
    from parley.models.contact import ContactInbox

    a = world.account_id
    inbox = telegram_inbox(api, world)
    first = json.loads(fixture_bytes("telegram", "text_message"))
    assert post_telegram(api, inbox, json.dumps(first).encode()).status == 200
    drain("IngestQueue", "channel_ingest")
    [conversation] = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"]
    [link] = list(ContactInbox.query(inbox["id"]))
    assert link.open_conversation_id == conversation["id"]

    assert api.delete(f"/api/v1/accounts/{a}/conversations/{conversation['id']}", world.admin.token).status == 200
    assert ContactInbox.get(link.inbox_id, link.source_id, consistent_read=True).open_conversation_id is None
    _run_jobs()

    later = {**first, "update_id": first["update_id"] + 1,
             "message": {**first["message"], "message_id": 102, "text": "Still waiting for my order"}}
    assert post_telegram(api, inbox, json.dumps(later).encode()).status == 200
    drain("IngestQueue", "channel_ingest")
    [fresh] = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"]
    assert fresh["id"] != conversation["id"] and fresh["meta"]["sender"]["id"] == conversation["meta"]["sender"]["id"]
    messages = api.get(f"/api/v1/accounts/{a}/conversations/{fresh['id']}/messages", world.admin.token).json["payload"]
    assert [m["content"] for m in messages] == ["Still waiting for my order"]


def test_an_account_deletion_finishes_a_conversation_deletion_left_midway(api, world, website):
    """The conversation item is gone once its deletion starts: an account deletion must
    still find its messages (through the pending record) and leave nothing."""
    a = world.account_id
    display_id, _ = _busy_conversation(api, world, website)
    ids = [m.id for m in _left_of(a, display_id)["messages"]]
    assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200
    sqs = boto3.client("sqs")
    from tests.integration.channel_support import queue_url
    sqs.purge_queue(QueueUrl=queue_url("AccountJobsQueue"))  # the conversation's job is lost
    assert api.delete(f"/super_admin/api/v1/accounts/{a}", world.super_admin.token).status == 200
    _run_jobs()
    assert {k: v for k, v in _left_of(a, display_id, ids).items() if v} == {}


def test_the_deleted_frame_reaches_only_those_who_may_see_the_conversation(api, world, website):
    """Administrators and the inbox's agents get `conversation.deleted`; an agent of
    another inbox, a custom role that does not show the conversation, and the contact's
    widget do not."""
    from parley.services.access import members
    from parley import tokens
    from parley.services.access import users
    from tests.integration.test_realtime import connect
    from tests.integration.test_socket_rights import RecordingSockets

    a = world.account_id
    roles = make_role_agents(world)
    follower_only = roles["role_participating"]  # sees only conversations they follow: not this one
    joined = api.post(f"/api/v1/accounts/{a}/inbox_members", world.admin.token, body={
        "inbox_id": website.id, "user_ids": [world.agent.id, follower_only.id]})
    assert joined.status == 200, joined.json
    _, outsider = members.add_agent(a, name="Outsider", email="outsider@acme.test", role="agent")
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    assert api.post(f"/api/v1/accounts/{a}/conversations/{display_id}/assignments", world.admin.token,
                    body={"assignee_id": None}).status == 200

    sockets = RecordingSockets()
    try:
        assert connect("admin", token=world.admin.token) == 200
        assert connect("agent", token=world.agent.token) == 200
        assert connect("follower", token=follower_only.token) == 200
        assert connect("outsider", token=tokens.issue(users.owner(outsider.id))) == 200
        assert connect("visitor", pubsub_token=visitor.pubsub_token) == 200
        assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200
        got = {socket: [f["data"] for f in sockets.frames[socket] if f.get("event") == "conversation.deleted"]
               for socket in ("admin", "agent", "follower", "outsider", "visitor")}
    finally:
        sockets.close()
    assert got["admin"] == got["agent"] == [{"id": display_id, "account_id": a, "inbox_id": website.id,
                                             "contact_id": visitor.contact_id, "status": "open"}]
    assert got["follower"] == got["outsider"] == got["visitor"] == []


def test_a_conversation_changed_meanwhile_is_deleted_with_its_current_counts(api, world, website):
    """The deletion's transaction is conditioned on the version it read: a change in between
    makes it read again, so the count buckets lose the bucket the conversation is really in."""
    from parley.services.conversation import conversations
    from parley.services.lifecycle import conversation_deletion

    a = world.account_id
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    stale = conversations.get_conversation(a, display_id)
    assert api.post(f"/api/v1/accounts/{a}/conversations/{display_id}/toggle_status", world.admin.token,
                    body={"status": "pending"}).status == 200
    conversation_deletion.delete_conversation(stale)
    for status in ("open", "pending", "all"):
        meta = api.get(f"/api/v1/accounts/{a}/conversations/meta", world.admin.token, query={"status": status}).json
        assert meta["meta"]["all_count"] == 0, status
    assert len(_entries(a)) == 1


def test_a_job_never_deletes_a_conversation_whose_deletion_did_not_start(api, world, website):
    """Only the route's first write (the pending record) lets the cascade run: a queued
    message naming a live conversation, or a malformed one, deletes nothing."""
    from tests.integration.channel_support import queue_url

    a = world.account_id
    visitor = website.widget.start()
    assert website.widget.say(visitor, "still here").status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    sqs = boto3.client("sqs")
    for body in ({"job": "delete_conversation", "account_id": a, "conversation_id": display_id},
                 {"job": "delete_conversation", "account_id": a},
                 {"job": "delete", "account_id": a, "conversation_id": display_id}):
        sqs.send_message(QueueUrl=queue_url("AccountJobsQueue"), MessageBody=json.dumps(body))
    _run_jobs()
    assert queued("AccountJobsQueue") == 0
    assert website.widget.call("GET", "messages", visitor).json["payload"][0]["content"] == "still here"
    assert api.get(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200


def test_a_crash_after_the_first_write_still_gets_the_cascade_run(api, world, website, monkeypatch):
    """The process dies between the committed first write and queueing the job: the job
    queued (delayed) before the write runs the cascade. And a first write that fails
    leaves only a job that finds nothing to do."""
    from parley.services.lifecycle import conversation_deletion

    a = world.account_id
    display_id, _ = _busy_conversation(api, world, website)
    ids = [m.id for m in _left_of(a, display_id)["messages"]]
    monkeypatch.setattr(conversation_deletion, "SAFETY_DELAY", 0)  # the delay elapsed
    real, sends = conversation_deletion.enqueue, []

    def dies_after_commit(account_id, conversation_id, delay=0):
        sends.append(delay)
        if len(sends) == 2:
            raise RuntimeError("injected crash after the commit")
        return real(account_id, conversation_id, delay)

    monkeypatch.setattr(conversation_deletion, "enqueue", dies_after_commit)
    assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 500
    assert api.get(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 404
    monkeypatch.setattr(conversation_deletion, "enqueue", real)
    _run_jobs()
    assert {k: v for k, v in _left_of(a, display_id, ids).items() if v} == {}
    [entry] = _entries(a)
    assert entry.comment == "completed"

    # A first write that fails commits nothing; the job queued before it deletes nothing.
    visitor = website.widget.start()
    assert website.widget.say(visitor, "keep me").status == 200
    kept = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    monkeypatch.setattr(conversation_deletion, "_first_write", lambda c: (_ for _ in ()).throw(RuntimeError("boom")))
    assert api.delete(f"/api/v1/accounts/{a}/conversations/{kept}", world.admin.token).status == 500
    _run_jobs()
    assert api.get(f"/api/v1/accounts/{a}/conversations/{kept}", world.admin.token).status == 200
    assert len(_entries(a)) == 1


def test_the_widget_visitor_starts_afresh(api, world, website):
    """The widget lists the visitor's conversations by their contact inbox: the deleted one
    is gone from it at once, and the visitor's next message opens a new conversation."""
    a = world.account_id
    visitor = website.widget.start()
    assert website.widget.say(visitor, "the first chat").status == 200
    display_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    assert api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token).status == 200
    assert "the first chat" not in json.dumps(website.widget.call("GET", "messages", visitor).json)
    assert website.widget.say(visitor, "a new chat").status == 200
    [fresh] = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"]
    assert fresh["id"] != display_id
    assert [m["content"] for m in website.widget.call("GET", "messages", visitor).json["payload"]] == ["a new chat"]
