"""Deleting an account's data, in bounded chunks that can be re-run.

`account_status.delete_account` marks the account `deleting` (every door then answers 404) and
queues the job; each run here deletes at most `limit` items and returns False if more
remain (its continuation is queued). Every phase deletes what hangs off an item before
the item itself, so a run that fails midway leaves its roots in place and the next run
finds them again: re-running is always safe. The layouts come from docs/data-model.md:

1. conversations: first those whose own deletion was started and not finished
   (services/lifecycle/conversation_deletion.py), then each conversation's messages, search terms (`terms#<message id>`), provider-id claims
   (`channel_message#<inbox>#<id>`), echo-id claims, reply-address claims (`email_conversation#<uuid>`),
   snooze and auto-resolve schedules (a one-off campaign's: with the account objects);
2. contacts: unique-value claims, list and search entries, contact inboxes;
3. inboxes: public identifiers and channel claims (website token, inbox identifier,
   bot token / phone number / address / Twilio number), members, contact inboxes;
4. the account's report rollups (one Scan of their table, resumed from a position kept in
   the AccountObjects partition: a rollup's key is its series, not the account), then the
   account's AccountObjects partition (teams, labels, canned responses, webhooks, bots
   and their tokens, automation, macros, notes, counts, held ingest, help center portals,
   categories and articles ...) with their claims (and articles' view counters), and
   Captain's model keys in SSM Parameter Store;
5. the account-keyed partitions: events, reporting events (their claims are AccountObjects
   `reporting#...`, phase 4), sockets, CSAT surveys (and their survey links' claims) and tallies,
   notifications, memberships;
6. files under `attachments/`, `uploads/`, `contact-imports/`, `contact-exports/`, `help_center/`,
   `captain-documents/` (Captain documents' uploaded files and chunks);
7. the per-account counters, then the account item itself.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from ... import aws, schedules
from ...llm import keys
from ...models import help_center
from ...models.account import Account, AccountUser
from ...models.account_object import AccountObject, campaign_counter, send_pace_counter
from ...models.connection import Connection
from ...models.contact import Contact, ContactIndexEntry, ContactInbox
from ...models.conversation import Conversation, Message
from ...models.conversation_index import MessageTerm
from ...models.counter import Counter
from ...models.csat import TALLY_PREFIX, CsatSurvey, CsatTally
from ...models.event_log import LoggedEvent
from ...models.inbox import Inbox, InboxMember
from ...models.notification import Notification
from ...models.report_rollup import ReportRollup
from ...models.reporting import ReportingEvent
from ...models.unique import UniqueClaim
from ...models.user import AccessToken
from ...security_log import refused
from ...settings import get_settings
from .cascade import Budget, ChunkDone

logger = Logger(child=True)
CHUNK = 500  # items per run: well inside the function's timeout
PAGE = 25  # roots (conversations, contacts, inboxes) read at a time
FILE_PREFIXES = ("attachments", "uploads", "contact-imports", "contact-exports", "help_center", "captain-documents")


def run(account_id: int, limit: int | None = None) -> bool:
    """One chunk of the deletion; True once nothing of the account is left."""
    try:
        account = Account.get(account_id, consistent_read=True)
    except Account.DoesNotExist:
        return True
    if account.status != "deleting":
        # Only an account marked by account_status.delete_account is ever deleted, whatever a message says.
        refused("account_deletion", "deletion job for an account not marked deleting", account_id=account_id)
        return True
    job = Budget(account_id, limit or CHUNK)
    try:
        for phase in (_conversations, _contacts, _inboxes, _report_rollups, _account_objects, _partitions, _files,
                      _counters):
            phase(job)
    except ChunkDone:
        logger.info("account deletion continues", extra={"account_id": account_id, "deleted": job.deleted})
        return False
    _conclude(account, "completed")
    account.delete()
    logger.info("account deleted", extra={"account_id": account_id, "deleted": job.deleted + 1})
    return True


def _conclude(account: Account, outcome: str) -> None:
    """The deletion's audit entry gets its outcome. The entry is account data the cascade
    keeps (AuditLogs is never walked here): it stays until its TTL, the installation's
    AUDIT_LOG_RETENTION_DAYS, as the record of who deleted the account. Concluded before
    the account item goes, so a failure here is retried with the job."""
    from ... import audit
    from ...models.audit_log import AuditLog

    if account.deletion_audit_id is None:
        return
    try:
        entry = AuditLog.get(account.id, account.deletion_audit_id)
    except AuditLog.DoesNotExist:
        return
    if not entry.comment:
        audit.conclude(entry, outcome)


# ---------------------------------------------------------------- phases

def _conversations(job: Budget) -> None:
    from ...channels import email
    from ..messaging import auto_resolve, ingest
    from ..conversation import conversations
    from . import conversation_deletion

    # Conversations whose own deletion had started: their items are gone, not their messages.
    if not conversation_deletion.finish_pending(job.account_id, max(job.limit - job.deleted, 1)):
        raise ChunkDone()
    while page := list(Conversation.query(job.account_id, limit=PAGE)):
        for conversation in page:
            while messages := list(Message.query(conversation.key, limit=100)):
                doomed = []
                for message in messages:
                    doomed += list(MessageTerm.query(f"terms#{message.id}"))
                    if message.source_id:
                        doomed.append(UniqueClaim(ingest.claim_key(message.inbox_id, message.source_id)))
                    if message.echo_id:  # a client's echo id (or a CSAT survey's claim), as a conversation's deletion does
                        doomed.append(UniqueClaim(conversations.echo_key(conversation, message.echo_id)))
                    doomed.append(message)
                job.delete(doomed)
            if conversation.snoozed_until:
                schedules.cancel(conversations.SNOOZE_TASK, job.account_id, conversation.display_id)
            if conversation.auto_resolve_at:
                schedules.cancel(auto_resolve.TASK, job.account_id,
                                 auto_resolve.schedule_name_id(conversation, conversation.auto_resolve_at))
            job.delete([UniqueClaim(email.conversation_claim_key(conversation.uuid)), conversation])


def _contacts(job: Budget) -> None:
    from ..contact import contacts

    while page := list(Contact.account_index.query(job.account_id, limit=PAGE)):
        for contact in page:
            doomed = [UniqueClaim(contacts.claim_key(job.account_id, field, getattr(contact, field)))
                      for field in contacts.UNIQUE_FIELDS if getattr(contact, field)]
            doomed += [ContactIndexEntry(entry_id) for entry_id in contact.index_ids or ()]
            doomed += list(ContactInbox.contact_index.query(contact.id))
            job.delete(doomed + [Contact(contact.id)])


def _inboxes(job: Budget) -> None:
    from ..inbox import inboxes

    while page := list(Inbox.account_index.query(job.account_id, limit=PAGE)):
        for inbox in page:
            while links := list(ContactInbox.query(inbox.id, limit=100)):  # visitors no contact claims any more
                job.delete(links)
            keys = {f"website_token#{inbox.website_token}" if inbox.website_token else None,
                    f"inbox_identifier#{inbox.inbox_identifier}" if inbox.inbox_identifier else None,
                    *inboxes.channel_claims(inbox)} - {None}
            doomed = [UniqueClaim(key) for key in sorted(keys)] + list(InboxMember.query(inbox.id))
            doomed.append(Counter(send_pace_counter(job.account_id, inbox.id)))  # campaigns' send pace
            job.delete(doomed + [Inbox(inbox.id)])


ROLLUP_CURSOR = "deletion_cursor#report_rollups"
SCAN_PAGE = 1000  # items examined a request


def _report_rollups(job: Budget) -> None:
    """The account's report rollups (services/reporting/rollups.py). Each series is a hash
    key of its own ("<account>#<dimension>#<id>#<granularity>"), so no Query finds all of
    an account's: the cascade's one Scan, of that table only, filtered to the account's
    prefix. A deletion is rare and runs in the background; its position is kept in the
    account's partition (removed last, with the counters), so each run goes on from where
    the last one stopped instead of reading the table again. Each page examined is charged
    to the run's budget, so a large table is read over several runs."""
    cursor = _rollup_cursor(job.account_id)
    if cursor.data.get("done"):
        return
    client, table = aws.client("dynamodb"), get_settings().required("report_rollups_table")
    while True:
        page = client.scan(TableName=table, Limit=SCAN_PAGE, ProjectionExpression="series, #b",
                           FilterExpression="begins_with(series, :mine)", ExpressionAttributeNames={"#b": "bucket"},
                           ExpressionAttributeValues={":mine": {"S": f"{job.account_id}#"}},
                           **({"ExclusiveStartKey": cursor.data["last"]} if cursor.data.get("last") else {}))
        doomed = [ReportRollup(row["series"]["S"], int(row["bucket"]["N"])) for row in page.get("Items", [])]
        if doomed:
            job.delete(doomed)  # may end the run: this page is scanned again next time, and finds less
        cursor.data = {"last": page["LastEvaluatedKey"]} if "LastEvaluatedKey" in page else {"done": True}
        cursor.save()
        if cursor.data.get("done"):
            return
        job.charge(max(1, page.get("ScannedCount", 0) // 100))


def _rollup_cursor(account_id: int) -> AccountObject:
    try:
        return AccountObject.get(account_id, ROLLUP_CURSOR, consistent_read=True)
    except AccountObject.DoesNotExist:
        return AccountObject(account_id, ROLLUP_CURSOR, id=0, data={})


def _account_objects(job: Budget) -> None:
    from ..account import account_objects, agent_bots, canned_responses, custom_attributes, labels, teams
    from ..rules import webhooks

    unique = {module.KIND: module.UNIQUE for module in (canned_responses, custom_attributes, labels, teams, webhooks)}
    while page := [item for item in AccountObject.query(job.account_id, limit=101) if item.key != ROLLUP_CURSOR]:
        doomed = []
        for item in page:  # all but the rollups' scan position, kept until the end (_counters)
            kind = item.key.split("#", 1)[0]
            value = (item.data or {}).get(unique.get(kind, ""))
            if isinstance(value, str):
                doomed.append(account_objects.unique_claim(job.account_id, kind, unique[kind], value))
            doomed += [UniqueClaim(key) for key in help_center.claims_of(item)]  # portal slugs and domains ...
            if kind == help_center.ARTICLE:
                doomed.append(Counter(help_center.views_counter(job.account_id, item.id)))
            if kind == "campaign":  # a one-off campaign's schedule and recipient counts (services/rules/campaign_sending.py)
                if (item.data or {}).get("campaign_type") == "one_off":
                    schedules.cancel("campaign_send", job.account_id, item.id)
                doomed += [Counter(campaign_counter(job.account_id, item.id, status))
                           for status in ("queued", "sent", "failed", "skipped")]
            if kind == agent_bots.KIND:
                doomed += [AccessToken(row.token_hash) for row in AccessToken.owner_index.query(agent_bots.owner(item))]
            if kind == keys.KIND and (item.data or {}).get("key_set"):
                keys.remove(job.account_id, item.id)  # Captain's model key, in SSM: before its item
            doomed.append(AccountObject(item.account_id, item.key))
        job.delete(doomed)


def _partitions(job: Budget) -> None:
    """Everything keyed by the account alone; memberships last (notifications are found
    through them)."""
    while rows := list(LoggedEvent.query(job.account_id, limit=100)):
        job.delete(rows)
    while rows := list(ReportingEvent.query(job.account_id, limit=100, attributes_to_get=["account_id", "id"])):
        job.delete(rows)
    while rows := list(Connection.account_index.query(job.account_id, limit=100)):
        job.delete([Connection(row.connection_id) for row in rows])
    from ..csat.surveys import uuid_claim_key

    surveys = CsatSurvey.key.startswith("survey#")
    while rows := list(CsatSurvey.query(job.account_id, surveys, limit=100)):  # its survey links' claims first
        job.delete([UniqueClaim(uuid_claim_key(row.conversation_uuid)) for row in rows] + rows)
    while rows := list(CsatTally.query(job.account_id, CsatTally.key.startswith(TALLY_PREFIX), limit=100)):
        job.delete(rows)
    while members := list(AccountUser.query(job.account_id, limit=PAGE)):
        for member in members:
            while rows := list(Notification.query(f"{job.account_id}#{member.user_id}", limit=100)):
                job.delete(rows)
            job.delete([member])


def _files(job: Budget) -> None:
    for prefix in FILE_PREFIXES:
        job.delete_files(f"{prefix}/{job.account_id}/")


def _counters(job: Budget) -> None:
    """Per-account counters ("Account#<id>/<kind>"): the kinds are known, not listed (the
    Counters table is keyed by name alone)."""
    from ..account import agent_bots, canned_responses, custom_attributes, custom_filters, labels, teams
    from ..rules import automation, macros, webhooks
    from ..contact import contact_jobs

    # "AuditLog" numbers the entries, which stay (see _conclude): no entry is written after this.
    kinds = {"Conversation", "Event", "ReportingEvent", "ListedContacts", "ContactNote", "AuditLog", contact_jobs.IMPORT_KIND, contact_jobs.EXPORT_KIND,
             "CsatSurveyResponse"}
    kinds |= {m.KIND for m in (agent_bots, automation, canned_responses, custom_attributes, custom_filters, labels,
                               macros, teams, webhooks)}
    kinds |= {help_center.PORTAL, help_center.CATEGORY, help_center.ARTICLE}
    # Captain's (services/captain sits above this package: its kinds by name).
    kinds |= {"captain_assistant", "captain_assistant_response", "captain_document"}
    kinds.add("campaign")  # services/rules/campaigns.py (above this package too)
    job.delete([Counter(f"Account#{job.account_id}/{kind}") for kind in sorted(kinds)]
               + [AccountObject(job.account_id, ROLLUP_CURSOR)])
