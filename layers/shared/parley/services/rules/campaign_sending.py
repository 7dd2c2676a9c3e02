"""Sending a one-off campaign (docs/campaigns.md): its schedule fires (functions/scheduled,
TASK), which starts an account job (services/lifecycle/account_jobs.py, JOB) that
messages the audience in chunks, paced at the inbox's send rate.

The audience is every resolved contact carrying one of the campaign's labels, read from
the contacts' label entries (services/contact/contacts.labelled) in contact-id order; the
campaign keeps a cursor (the last contact id done), so a chunk resumes where the last one
stopped and a retried chunk walks the same contacts again.

At most one message per contact, whatever is retried: a contact's recipient item (created
only if absent) is written in the same transaction as the conversation the campaign opens
for it and the campaign's message there, so a retry that finds the item passes by, and the
deliver consumer sends that message at most once.
"""
from __future__ import annotations

import time
from typing import Callable

from pynamodb.exceptions import PutError, TransactWriteError

from ... import channels, dynamo, ids
from ...errors import Conflict, Invalid, NotFound
from ...models.account_object import AccountObject, campaign_counter, campaign_recipient_prefix
from ...models.contact import Contact
from ...models.counter import Counter
from ...models.inbox import Inbox
from ...models.user import User
from ..account import labels
from ..contact import contacts
from ..conversation import conversations
from ..messaging import campaign_outcomes, messages
from . import campaigns

TASK = "campaign_send"  # the scheduled task (functions/scheduled)
JOB = "campaign_send"  # the account job (services/lifecycle/account_jobs.py)
CHUNK_SECONDS = 60  # a chunk's sending time; AccountJobsFunction's timeout is 120 s
PAGE = 25  # contacts read per step of a chunk
RECIPIENTS_PAGE = 25
LABEL_INDEX = "campaign_label_index"  # the account's marker: its contacts' label entries are written
REINDEX_CHUNK = 200
AUDIENCE_INDEX_SECONDS = 2.0  # of the label backfill an audience count may spend (the API's timeout is 10 s)
STATUSES = campaign_outcomes.COUNTED


# ---------------------------------------------------------------- audience

def _titles(account_id: int, audience: list[dict]) -> list[str]:
    titles = []
    for entry in audience or []:
        try:
            titles.append(labels.get(account_id, entry["id"]).data["title"])
        except NotFound:
            continue  # deleted since: it names no one
    return titles


def _next_contacts(account_id: int, titles: list[str], after: int, count: int) -> list[int]:
    """The first `count` distinct contact ids above `after` carrying any of the labels."""
    found: set[int] = set()
    for title in titles:
        found.update(contacts.labelled(account_id, title, after=after, limit=count))
    return sorted(found)[:count]


def reachable(contact: Contact | None, inbox: Inbox) -> tuple[str | None, str | None]:
    """(the contact's id in this channel, None) or (None, why it can't be messaged)."""
    if contact is None:
        return None, "The contact was deleted"
    if contact.blocked:
        return None, "The contact is blocked"
    phone = (contact.phone_number or "").strip()
    if not phone:
        return None, "The contact has no phone number"
    if not channels.module(inbox.channel_type).PHONE.match(phone):
        return None, "The contact's phone number is not in E.164 form (+15551234567)"
    return (contacts.digits(phone) if inbox.channel_type == "whatsapp" else phone), None


def audience_size(account_id: int, inbox: Inbox, audience: list[dict]) -> int:
    """How many contacts the campaign would message on `inbox` now: distinct contacts with
    one of the labels, a usable phone number, not blocked (one Query per label, keys only,
    then BatchGets of the contacts)."""
    found: set[int] = set()
    for title in _titles(account_id, audience):
        found.update(contacts.labelled(account_id, title))
    ordered, size = sorted(found), 0
    for start in range(0, len(ordered), 100):
        for contact in Contact.batch_get(ordered[start:start + 100]):
            if contact.account_id == account_id and reachable(contact, inbox)[0]:
                size += 1
    return size


def checked_audience_size(account_id: int, inbox_id, audience) -> tuple[int, bool]:
    """POST campaigns/audience: the audience validated as a campaign's (422; another
    account's inbox 404) and counted, and whether every contact was counted: an account
    whose older contacts have no label entries yet gets AUDIENCE_INDEX_SECONDS of the
    backfill first (each count takes it further; the first send finishes it)."""
    inbox = inboxes_for(account_id, inbox_id)
    wanted = campaigns.checked_audience(account_id, audience)
    complete = _index_labels(account_id, time.monotonic() + AUDIENCE_INDEX_SECONDS)
    return audience_size(account_id, inbox, wanted), complete


def inboxes_for(account_id: int, inbox_id) -> Inbox:
    from ..inbox import inboxes

    if isinstance(inbox_id, bool) or not isinstance(inbox_id, int):
        raise Invalid("inbox_id must be an inbox's id", field="inbox_id")
    inbox = inboxes.get_inbox(account_id, inbox_id)
    if inbox.channel_type not in campaigns.ONE_OFF_CHANNELS:
        raise Invalid("inbox_id: one-off campaigns run on SMS and WhatsApp inboxes", field="inbox_id")
    return inbox


# ---------------------------------------------------------------- progress

def progress_of(items: list[AccountObject]) -> dict[int, dict]:
    """Each started one-off campaign's progress (Chatwoot has none: a Parley addition),
    its counts read in one BatchGet of their counters."""
    started = [i for i in items if i.data.get("campaign_type") == "one_off" and i.data.get("progress")]
    names = [campaign_counter(i.account_id, i.id, status) for i in started for status in STATUSES]
    counts: dict[str, int] = {}
    for start in range(0, len(names), 100):
        counts.update({c.name: int(c.value or 0) for c in Counter.batch_get(names[start:start + 100])})
    out = {}
    for item in started:
        stored = item.data["progress"]
        out[item.id] = {"audience_size": stored.get("audience_size"),
                        **{s: counts.get(campaign_counter(item.account_id, item.id, s), 0) for s in STATUSES},
                        "started_at": stored.get("started_at"), "finished_at": stored.get("finished_at")}
    return out


def recipients(item: AccountObject, status: str | None, page: int) -> tuple[list[dict], int]:
    """GET campaigns/{id}/recipients: a page of its recipients in contact-id order, those of
    one status only if given, and how many there are in all (of that status, from the
    counters). The Query stops once the page is filled: the first pages of a large
    campaign read a few items, not all of them."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of: {', '.join(STATUSES)}", field="status")
    if page < 1 or page > 10_000:
        raise Invalid("page must be from 1 to 10000", field="page")
    wanted = (status,) if status else STATUSES
    total = sum(int(c.value or 0) for c in Counter.batch_get(
        [campaign_counter(item.account_id, item.id, s) for s in wanted]))
    shown: list[AccountObject] = []
    if total > (page - 1) * RECIPIENTS_PAGE:
        matched = 0
        for row in AccountObject.query(item.account_id, AccountObject.key.startswith(campaign_recipient_prefix(item.id)),
                                       page_size=min(max(page * RECIPIENTS_PAGE * 2, 100), 1000)):
            if row.data.get("status") not in wanted:
                continue
            matched += 1
            if matched > (page - 1) * RECIPIENTS_PAGE:
                shown.append(row)
                if len(shown) == RECIPIENTS_PAGE:
                    break
    found = {c.id: c for c in Contact.batch_get([r.id for r in shown])} if shown else {}
    payload = []
    for row in shown:
        contact = found.get(row.id)
        payload.append({"contact_id": row.id, "name": contact.name if contact else None,
                        "phone_number": contact.phone_number if contact else None,
                        "status": row.data["status"], "reason": row.data.get("reason"),
                        "conversation_id": row.data.get("conversation_id"), "message_id": row.data.get("message_id"),
                        "updated_at": int(row.updated_at.timestamp())})
    return payload, total


# ---------------------------------------------------------------- the schedule fires

def _save(item: AccountObject) -> bool:
    """Save the campaign's sending state (not an audited change: the campaign's own edits
    are). False if it changed meanwhile (its version)."""
    try:
        item.save()
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def fire(account_id: int, campaign_id: int, scheduled_at: int, start: Callable[[], None]) -> str:
    """The campaign's schedule is due: start (or resume) its sending job once, `start()`
    queueing it (account jobs sit above the rules). A stale schedule (the campaign
    rescheduled, disabled, completed or deleted since) or a repeated firing does nothing.
    The job is queued before the firing is recorded: a crash between the two queues it
    again on the schedule's retry, and a second chain of chunks is harmless (every contact
    is claimed once)."""
    queued = False
    for _ in range(3):
        try:
            item = campaigns.get(account_id, campaign_id)
        except NotFound:
            return "gone"
        data = item.data
        if (data.get("campaign_type") != "one_off" or not data.get("enabled")
                or data.get("campaign_status") == "completed" or data.get("scheduled_at") != scheduled_at):
            return "stale"
        if data.get("run_for") == scheduled_at:
            return "started before"
        progress = data.get("progress") or {"audience_size": None, "started_at": int(time.time()),
                                           "finished_at": None}
        if not queued:
            start()
            queued = True
        item.data = {**data, "run_for": scheduled_at, "progress": progress}
        if _save(item):
            return "started"
    return "busy"


# ---------------------------------------------------------------- the job

def _complete(item: AccountObject) -> None:
    for _ in range(5):
        progress = {**(item.data.get("progress") or {"started_at": int(time.time())}),
                    "finished_at": int(time.time())}
        item.data = {**item.data, "campaign_status": "completed", "progress": progress}
        if _save(item) or not _reread(item):
            return


def _reread(item: AccountObject) -> bool:
    """The campaign as stored now; False if it was deleted."""
    try:
        item.refresh(consistent_read=True)
        return True
    except AccountObject.DoesNotExist:
        return False


def _inbox(inbox_id) -> Inbox | None:
    try:
        return Inbox.get(inbox_id)
    except Inbox.DoesNotExist:
        return None


def _index_labels(account_id: int, deadline: float) -> bool:
    """Label entries for contacts stored before they existed, once per account (chunked,
    idempotent: contacts.reindex skips contacts in step; the sending job and the audience
    count both advance it). True when the account is done."""
    key = AccountObject.key_for(LABEL_INDEX, 0)
    try:
        marker = AccountObject.get(account_id, key, consistent_read=True)
    except AccountObject.DoesNotExist:
        marker = AccountObject(account_id, key, id=0, data={"after": 0, "done": False})
    while not marker.data.get("done"):
        if time.monotonic() > deadline:
            return False
        last = contacts.reindex(account_id, after=marker.data["after"], limit=REINDEX_CHUNK)
        marker.data = {"after": last or marker.data["after"], "done": last is None}
        marker.save()
    return True


def run_chunk(account_id: int, campaign_id: int, *, seconds: float = CHUNK_SECONDS) -> bool:
    """Message the next contacts for up to `seconds`, paced at the inbox's send rate. True
    when the job is over (completed, disabled, deleted), else it is continued."""
    deadline = time.monotonic() + seconds
    try:
        item = campaigns.get(account_id, campaign_id)
    except NotFound:
        return True
    if not _index_labels(account_id, deadline):
        return False
    next_slot = time.monotonic()
    while True:
        if not _reread(item):
            return True  # deleted meanwhile
        data = item.data
        inbox = _inbox(data.get("inbox_id"))  # each step: an inbox deleted meanwhile ends the campaign
        if data.get("campaign_type") != "one_off" or not data.get("enabled") or data.get("campaign_status") == "completed":
            return True  # disabled (paused: enabling and rescheduling resumes it) or done
        if inbox is None or inbox.account_id != account_id or inbox.channel_type not in campaigns.ONE_OFF_CHANNELS:
            _complete(item)  # its inbox was deleted: nobody more can be messaged through it
            return True
        titles = _titles(account_id, data.get("audience") or [])
        if (data.get("progress") or {}).get("audience_size") is None:
            item.data = {**data, "progress": {**(data.get("progress") or {}),
                                              "audience_size": audience_size(account_id, inbox, data["audience"])}}
            if not _save(item):
                continue
            data = item.data
        if time.monotonic() > deadline:
            return False
        batch = _next_contacts(account_id, titles, int(data.get("cursor") or 0), PAGE)
        if not batch:
            _complete(item)
            return True
        found = {c.id: c for c in Contact.batch_get(batch)}
        sender = _sender(data.get("sender_id"))
        interval = 1.0 / channels.send_rate(inbox)
        cursor = int(data.get("cursor") or 0)
        for contact_id in batch:
            if time.monotonic() > deadline:
                break
            contact = found.get(contact_id)
            if contact is not None and contact.account_id != account_id:
                contact = None
            wait = next_slot - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if send_to(item, inbox, contact_id, contact, sender) == "queued":
                next_slot = max(next_slot, time.monotonic() - interval) + interval
            cursor = contact_id
        if not _advance(item, cursor):
            return True  # deleted meanwhile


def _advance(item: AccountObject, cursor: int) -> bool:
    for _ in range(5):
        if int(item.data.get("cursor") or 0) >= cursor:
            return True
        item.data = {**item.data, "cursor": cursor}
        if _save(item):
            return True
        if not _reread(item):
            return False
    raise Conflict("The campaign keeps changing; its job will go on from its last cursor")


def _sender(sender_id) -> User | None:
    if not sender_id:
        return None
    try:
        return User.get(sender_id)
    except User.DoesNotExist:
        return None


# ---------------------------------------------------------------- one contact

def _content(data: dict) -> str:
    """What the conversation shows was sent: the campaign's message, or for WhatsApp the
    template's body with its parameters filled in."""
    params = data.get("template_params")
    body = params.get("body") if isinstance(params, dict) else None
    if isinstance(body, str) and body.strip():
        text = body
        for key, value in (params.get("processed_params") or {}).items():
            text = text.replace("{{" + key + "}}", str(value))
        return text
    return data["message"]


def _message_fields(item: AccountObject, sender: User | None) -> dict:
    data = item.data
    attributes = {"campaign_id": item.id}
    if data.get("template_params"):
        params = data["template_params"]
        attributes["template_params"] = {k: params[k] for k in ("name", "category", "language", "processed_params")
                                         if k in params}
    return {"content": _content(data), "message_type": conversations.OUTGOING,
            "sender_type": "User" if sender is not None else None, "sender": sender,
            "content_attributes": attributes}


def send_to(item: AccountObject, inbox: Inbox, contact_id: int, contact: Contact | None,
            sender: User | None) -> str:
    """Message one contact of the campaign, at most once: queued, skipped, or done before.
    Its recipient item (queued, counted), the conversation the campaign opens for it and the
    campaign's message in it are one transaction: a retried or concurrent chunk finds the
    item and passes by, and no crash leaves one of them without the others."""
    account_id = item.account_id
    if campaign_outcomes.recipient(account_id, item.id, contact_id) is not None:
        return "done before"
    source_id, reason = reachable(contact, inbox)
    link = None
    if source_id:
        link = contacts.contact_inbox(inbox.id, source_id)
        if link is None:
            try:
                link = contacts.create_contact_inbox(contact, inbox, source_id)
            except Invalid:  # created meanwhile (the contact wrote in): use it
                link = contacts.contact_inbox(inbox.id, source_id)
        if link is None or link.contact_id != contact.id:
            source_id, reason = None, "Another contact has this phone number in this inbox"
    if not source_id:
        campaign_outcomes.add(account_id, item.id, contact_id, "skipped", reason)
        return "skipped"
    opening = {**_message_fields(item, sender), "message_id": ids.next_id("Message")}
    recipient = campaign_outcomes.new(account_id, item.id, contact_id, "queued", message_id=opening["message_id"])

    def also(tx, conversation) -> None:
        recipient.data["conversation_id"] = conversation.display_id
        campaign_outcomes.enter(tx, recipient)

    try:
        messages.start_conversation(inbox, contact, link, auto_assign=False, additional_attributes={"campaign_id": item.id},
                                    campaign_id=item.id, opening=opening, also=also)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            return "done before"  # a concurrent chunk took this contact first; nothing of ours was written
        raise
    return "queued"
