"""Deleting one conversation (`DELETE /api/v1/accounts/{id}/conversations/{id}`, administrators).

It starts with one transaction, its first write, which does everything the account sees:

- the conversation item goes, so every door (GetItem, the list indexes, the contact's
  conversations, search by number) answers 404 at once;
- its count bucket loses one (the `meta` counts and the console's numbers);
- the contact inbox's `open_conversation_id` claim is released if it names it, so the
  contact's next message opens a new conversation in that inbox;
- a `conversation_deletion#<display id>` record (AccountObjects) keeps what the cascade
  needs once the conversation item is gone, and the id of the audit entry;
- the audit entry (`Conversation`, `destroy`), written by audit.add;
- the `conversation.deleted` event (events.Outbox), so open dashboards drop it.

Then a `delete_conversation` job on the account-jobs queue (services/lifecycle/account_jobs.py)
removes the rest in bounded chunks, each queueing its continuation: its messages with their
search terms (`terms#<message id>`), provider-id claims (`channel_message#...`) and echo
claims (`echo#...`); its participants and their `participating#` mirrors; its files under
`attachments/<account>/<display id>/`; its reply-address claim (`email_conversation#<uuid>`)
and survey-link claim (`csat#<uuid>`: its CSAT survey records stay, as answered surveys count in the past);
its snooze and auto-resolve schedules; the notifications about it, member by member. Every step deletes what hangs off an item before the
item, so a run that fails midway is re-run from what is left. Last, the audit entry is
concluded ("completed") and the record deleted: a record that remains is a deletion not
finished, which an account deletion finishes too (services/lifecycle/account_deletion.py).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, events, schedules
from ...errors import Conflict
from ...models.account_object import (AccountObject, conversation_deletion_key,
                                      conversation_deletion_prefix, participant_prefix, participating_key)
from ...models.contact import ContactInbox
from ...models.conversation import Conversation, Message
from ...models.conversation_index import MessageTerm
from ...models.unique import UniqueClaim
from ..conversation import conversation_queries as queries
from . import job_queue
from .cascade import Budget, ChunkDone

logger = Logger(child=True)
JOB = "delete_conversation"
CHUNK = 500  # items per run: well inside the function's timeout
MESSAGE_PAGE = 25  # messages read at a time (each brings up to 48 search terms)
EVENT = "conversation.deleted"
SAFETY_DELAY = 120  # seconds (SQS allows 900): the job queued before the first write, in case the second send never happens


def _audience(conversation: Conversation) -> dict:
    """Agents who may see the conversation (realtime.may_see: its inbox's agents, narrowed
    by a custom role's mode); `private` keeps it from the contact's widget."""
    return {"inbox_id": conversation.inbox_id, "contact_id": conversation.contact_id,
            "source_id": conversation.source_id, "private": True,
            "conversation_id": conversation.display_id, "assignee_id": conversation.assignee_id}


def _record(conversation: Conversation, entry_id: int) -> AccountObject:
    c = conversation
    return AccountObject(c.account_id, conversation_deletion_key(c.display_id), id=c.display_id, data={
        "uuid": c.uuid, "inbox_id": c.inbox_id, "contact_id": c.contact_id, "source_id": c.source_id,
        "snoozed_until": c.snoozed_until, "auto_resolve_at": c.auto_resolve_at, "audit_id": entry_id,
        # its applied SLA's key and pending deadline (services/sla/applied.py)
        "applied_sla": {k: c.applied_sla.get(k) for k in ("created_at", "next_due_at")} if c.applied_sla else None})


def _first_write(conversation: Conversation) -> None:
    c = conversation
    link = None
    try:
        link = ContactInbox.get(c.inbox_id, c.source_id, consistent_read=True)
    except ContactInbox.DoesNotExist:
        pass
    with events.Outbox() as tx:
        tx.delete(c)  # under its version: a concurrent change cancels the whole deletion
        queries.count_moves(tx, c.account_id, queries.state_of(c), None)
        if link is not None and link.open_conversation_id == c.display_id:
            held = ContactInbox.open_conversation_id
            tx.update(ContactInbox(link.inbox_id, link.source_id), actions=[held.remove()],
                      condition=held == c.display_id)
        entry = audit.add(tx, c.account_id, "Conversation", c.display_id, "destroy",
                          {"display_id": c.display_id, "inbox_id": c.inbox_id, "contact_id": c.contact_id,
                           "status": c.status, "assignee_id": c.assignee_id})
        tx.save(_record(c, entry.id), condition=AccountObject.key.does_not_exist())
        tx.publish(EVENT, c.account_id, {"id": c.display_id, "account_id": c.account_id, "inbox_id": c.inbox_id,
                                         "contact_id": c.contact_id, "status": c.status},
                   audience=_audience(c))


def delete_conversation(conversation: Conversation) -> None:
    """Start the deletion (the transaction above), then queue its cascade. A conversation
    changed meanwhile is read again and tried once more; one deleted meanwhile is not
    found (404).

    Crash-safe both ways: a delayed job (SAFETY_DELAY) is queued *before* the transaction,
    so a process that dies between the commit and the second send still gets its cascade
    run; if the transaction never commits, that job finds no record and does nothing. Two
    runs of one cascade are harmless (every step is idempotent; the record goes once)."""
    from ..conversation import conversations

    enqueue(conversation.account_id, conversation.display_id, delay=SAFETY_DELAY)
    for attempt in range(3):
        try:
            _first_write(conversation)
            break
        except TransactWriteError as exc:
            if not dynamo.cancellation_codes(exc) & {"ConditionalCheckFailed", "TransactionConflict"}:
                raise
            conversation = conversations.get_conversation(conversation.account_id, conversation.display_id)
    else:
        raise Conflict("The conversation is being changed by someone else; try again")
    enqueue(conversation.account_id, conversation.display_id)


def enqueue(account_id: int, display_id: int, delay: int = 0) -> None:
    """The cascade's next chunk on the account-jobs queue."""
    job_queue.enqueue(JOB, account_id, display_id, delay=delay)


def pending(account_id: int) -> set[int]:
    """Display ids of the account's conversations whose cascade has not finished (one
    Query; usually none): their messages may still be found by a search."""
    return {item.id for item in AccountObject.query(
        account_id, AccountObject.key.startswith(conversation_deletion_prefix()), limit=1000)}


# ---------------------------------------------------------------- the cascade

class _Run(Budget):
    """The cascade's budget, and which conversation it deletes."""

    def __init__(self, account_id: int, display_id: int, limit: int):
        super().__init__(account_id, limit)
        self.display_id = display_id


def run(account_id: int, display_id: int, limit: int | None = None) -> bool:
    """One chunk of the cascade; True once nothing of the conversation is left (or no
    deletion of it was started: only a conversation whose first write committed is ever
    cascaded, whatever a message says)."""
    try:
        record = AccountObject.get(account_id, conversation_deletion_key(display_id), consistent_read=True)
    except AccountObject.DoesNotExist:
        return True
    job = _Run(account_id, display_id, limit or CHUNK)
    try:
        for phase in (_messages, _participants, _files, _claims):
            phase(job, record.data or {})
        _notifications(job, record)
    except ChunkDone:
        logger.info("conversation deletion continues", extra={"account_id": account_id,
                                                              "conversation_id": display_id, "deleted": job.deleted})
        return False
    entry_id = (record.data or {}).get("audit_id")
    if entry_id is not None:  # concluded before the record goes: a failure here is retried with the job
        audit.concluded(account_id, entry_id, "completed")
    record.delete()  # under its version: the record read above
    logger.info("conversation deleted", extra={"account_id": account_id, "conversation_id": display_id,
                                               "deleted": job.deleted})
    return True


def finish_pending(account_id: int, limit: int) -> bool:
    """For an account deletion: run the account's unfinished conversation deletions (their
    messages no longer hang off a conversation item). False if the budget ran out."""
    for display_id in sorted(pending(account_id)):
        if not run(account_id, display_id, limit):
            return False
    return True


def _messages(job: _Run, data: dict) -> None:
    from ..messaging import ingest
    from ..conversation import conversations

    key = f"{job.account_id}#{job.display_id}"
    shell = Conversation(job.account_id, job.display_id)
    page = max(1, min(MESSAGE_PAGE, job.limit // 10))  # a run stays near its budget
    while messages := list(Message.query(key, limit=page)):
        doomed = []
        for message in messages:
            doomed += list(MessageTerm.query(f"terms#{message.id}"))
            if message.source_id:
                doomed.append(UniqueClaim(ingest.claim_key(message.inbox_id, message.source_id)))
            if message.echo_id:
                doomed.append(UniqueClaim(conversations.echo_key(shell, message.echo_id)))
            doomed.append(message)
        job.delete(doomed)


def _participants(job: _Run, data: dict) -> None:
    while rows := list(AccountObject.query(job.account_id, AccountObject.key.startswith(
            participant_prefix(job.display_id)), limit=100)):
        doomed = []
        for row in rows:
            doomed += [AccountObject(job.account_id, participating_key(row.id, job.display_id)),
                       AccountObject(job.account_id, row.key)]  # the mirror first: the participant finds it
        job.delete(doomed)


def _files(job: _Run, data: dict) -> None:
    job.delete_files(f"attachments/{job.account_id}/{job.display_id}/")


def _notifications(job: _Run, record: AccountObject) -> None:
    """The notifications about it (a snapshot of the conversation and its message), in each
    member's partition: a Query per member filtered on the conversation (no index by
    conversation exists; the partitions are bounded by their 90-day TTL). The last member
    done is kept on the record, so a run that stops resumes with the next member."""
    from ...models.account import AccountUser
    from ...models.notification import Notification

    done = (record.data or {}).get("notifications_after", 0)
    about = (Notification.primary_actor_type == "Conversation") & (Notification.primary_actor_id == job.display_id)
    for member in AccountUser.query(job.account_id, AccountUser.user_id > done):
        rows = list(Notification.query(f"{job.account_id}#{member.user_id}", filter_condition=about))
        if rows:
            job.delete(rows)
        record.update(actions=[AccountObject.data.set({**(record.data or {}), "notifications_after": member.user_id})])


def _claims(job: _Run, data: dict) -> None:
    """The reply-address claim and the schedules: deleting or cancelling them twice is harmless."""
    from ...channels import email
    from ..conversation import conversations
    from ..messaging import auto_resolve

    from ..csat.surveys import uuid_claim_key

    if data.get("uuid"):  # the reply address and the survey link answer no more
        job.delete([UniqueClaim(email.conversation_claim_key(data["uuid"])), UniqueClaim(uuid_claim_key(data["uuid"]))])
    if data.get("snoozed_until"):
        schedules.cancel(conversations.SNOOZE_TASK, job.account_id, job.display_id)
    if data.get("auto_resolve_at"):
        shell = Conversation(job.account_id, job.display_id)
        schedules.cancel(auto_resolve.TASK, job.account_id, auto_resolve.schedule_name_id(shell, data["auto_resolve_at"]))
    sla = data.get("applied_sla")
    if sla:  # the applied SLA leaves the report with its conversation, and its deadline is moot
        from ..sla import applied

        job.delete([AccountObject(job.account_id, applied.key_for(sla["created_at"], job.display_id))])
        if sla.get("next_due_at"):
            schedules.cancel(applied.TASK, job.account_id, applied.schedule_name_id(job.display_id, sla["next_due_at"]))

