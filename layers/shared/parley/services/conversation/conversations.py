"""Conversations and messages: the heart of Parley. Every door (dashboard, widget, Client
API, channels) ends in these functions, which write a change and its events in one
transaction (events.Outbox)."""
from __future__ import annotations

import time
import uuid
from typing import Callable, NamedTuple

from pynamodb.exceptions import PutError, TransactWriteError

from ... import dynamo, events, ids, permissions, schedules, security_log
from ...errors import Conflict, Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject, captain_inbox_key
from ...models.contact import Contact, ContactInbox
from ...models.base import utcnow
from ...models.conversation import APPLIED_KEPT, MARKS_KEPT, STATUSES, Conversation, Message
from ...models.inbox import Inbox
from ...models.unique import UniqueClaim
from ...models.user import User
from ...views import conversations as views
from ...views.agent_bots import sender as agent_bot_sender
from ...views.captain import sender as assistant_sender
from ...views.contacts import sender as contact_sender
from ...views.users import sender as user_sender
from ..account import accounts, agent_bots, custom_attributes as attribute_definitions, teams
from ..inbox import assignment
from ..access import users
from . import conversation_queries as queries, message_terms

PAGE_SIZE = 25
MESSAGES_PAGE_SIZE = 20
MAX_CONTENT = 150_000  # Chatwoot's limit
INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3
ASSIGNEE_TYPES = ("me", "unassigned", "assigned", "all")


def now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------- conversations

def create_conversation(inbox: Inbox, contact: Contact, contact_inbox: ContactInbox, *, status: str = "open",
                        assignee_id: int | None = None, additional_attributes: dict | None = None,
                        custom_attributes: dict | None = None, auto_assign: bool = True,
                        also: Callable[[events.Outbox, Conversation], None] | None = None,
                        campaign_id: int | None = None, opening: dict | None = None) -> Conversation:
    """`also(tx, conversation)` adds writes to the conversation's transaction (a claim on it).
    `campaign_id`: the campaign that started it; `opening`: write_message's fields for a
    first message written in the conversation's own transaction (an ongoing campaign's
    message: the conversation never exists without it), with its message.created."""
    if status not in STATUSES:
        raise Invalid(f"Status must be one of: {', '.join(STATUSES)}", field="status")
    if contact.blocked:
        status = "resolved"  # as Chatwoot: a blocked contact's conversations never reach the open lists
    elif status == "open" and ((inbox.agent_bot_id and agent_bots.for_inbox(inbox) is not None)
                               or has_assistant(inbox)):
        status = "pending"  # as Chatwoot: the inbox's bot (or Captain) talks first, until it hands over
    if custom_attributes:
        attribute_definitions.validate(inbox.account_id, "conversation_attribute", custom_attributes)
    if assignee_id is None and auto_assign and status == "open":
        assignee_id = assignment.for_inbox(inbox)
    conversation = Conversation(
        inbox.account_id, ids.next_id(ids.account_counter(inbox.account_id, "Conversation")),
        uuid=str(uuid.uuid4()), inbox_id=inbox.id, contact_id=contact.id, source_id=contact_inbox.source_id,
        status=status, assignee_id=assignee_id, additional_attributes=additional_attributes or {},
        custom_attributes=custom_attributes or {}, last_activity_at=now_ms(), bot_held=status == "pending" or None,
        campaign_id=campaign_id)
    if opening is not None:
        first = _new_message(conversation, **opening)
        _record_activity(conversation, first)

        def with_opening(tx: events.Outbox, c: Conversation) -> None:
            message_terms.put(tx, first)
            _publish_message(tx, "message.created", c, first)
            if also is not None:
                also(tx, c)

        _write(conversation, None, ("conversation.created", None), also=with_opening)
    else:
        _write(conversation, None, ("conversation.created", None), also=also)
    return conversation


def has_assistant(inbox: Inbox) -> bool:
    """A Captain assistant answers in this inbox (its link: one GetItem; services/captain)."""
    try:
        AccountObject.get(inbox.account_id, captain_inbox_key(inbox.id))
        return True
    except AccountObject.DoesNotExist:
        return False


def get_conversation(account_id: int, display_id: int) -> Conversation:
    try:
        return Conversation.get(account_id, display_id)
    except Conversation.DoesNotExist:
        raise NotFound("Conversation not found") from None


def ensure_visible(member: AccountUser, conversation: Conversation) -> Conversation:
    """Agents work only in their inboxes, and within them in the conversations their custom
    role shows (permissions.may_see_conversation): any other conversation is not found."""
    if not permissions.may_see_conversation(member, conversation):
        raise NotFound("Conversation not found")
    return conversation


CONTACT_INBOX_CONVERSATIONS = 20  # what the widget and the Client API list


def for_contact_inbox(contact_inbox: ContactInbox, limit: int = CONTACT_INBOX_CONVERSATIONS) -> list[Conversation]:
    """The conversations of this contact inbox (one source_id: one browser, one API contact
    identifier, one sender), newest activity first, at most `limit`. The contact's other
    identities in the inbox are someone else as far as a visitor token is concerned. The
    index is read lazily and the read stops once they are found."""
    found = []
    for conversation in Conversation.contact_index.query(contact_inbox.contact_id, scan_index_forward=False,
                                                         page_size=max(limit, 10)):
        if conversation.inbox_id == contact_inbox.inbox_id and conversation.source_id == contact_inbox.source_id:
            found.append(conversation)
            if len(found) == limit:
                break
    return found


def visible_inboxes(account_id: int, member: AccountUser, inbox_id: int | None = None) -> set[int] | None:
    """The inboxes whose conversations the caller may list (None: all of the account's);
    narrowed to `inbox_id` when given. A custom role that shows no conversation: none."""
    scope = permissions.conversation_scope(member)
    allowed = None if scope.inbox_ids is None else set(scope.inbox_ids)
    if inbox_id is not None:
        return {inbox_id} if allowed is None or inbox_id in allowed else set()
    return allowed


def _statuses(status: str) -> list[str]:
    if status == "all":
        return list(STATUSES)
    if status not in STATUSES:
        raise Invalid(f"Status must be one of: all, {', '.join(STATUSES)}", field="status")
    return [status]


LIST_READ_SLACK = 2000  # items a list may examine beyond its page (other inboxes, other assignees)


def followed(account_id: int, scope: permissions.ConversationScope, statuses: list[str],
             allowed: set[int] | None) -> list[Conversation]:
    """For a custom role that shows the conversations an agent follows: those of them (not
    assigned to the agent: the assignee partitions hold those) with one of `statuses` in
    `allowed` inboxes, newest activity first. BatchGets of at most MAX_PARTICIPATING."""
    if scope.mode != "participating" or not scope.participating:
        return []
    rows = [c for c in Conversation.batch_get([(account_id, d) for d in sorted(scope.participating)])
            if c.status in statuses and (allowed is None or c.inbox_id in allowed) and c.assignee_id != scope.user_id]
    return sorted(rows, key=lambda c: -c.last_activity_at)


def _scoped_summary(counted: dict, member: AccountUser, allowed: set[int] | None,
                    scope: permissions.ConversationScope, extra: list[Conversation]) -> dict:
    """Meta counts for a custom role's mode: the buckets of the assignees it shows, plus
    the followed conversations of other assignees, counted one by one."""
    keep = scope.assignees()
    meta = queries.summary({b: n for b, n in counted.items() if keep is None or b[2] in keep}, member, allowed)
    for c in extra:
        meta["all_count"] += 1
        if c.assignee_id:
            meta["assigned_count"] += 1
        else:
            meta["unassigned_count"] += 1
    return meta


def list_conversations(account_id: int, member: AccountUser, *, assignee_type: str = "all", status: str = "open",
                       page: int = 1, inbox_id: int | None = None) -> tuple[dict, list[Conversation]]:
    """One page (newest activity first) and Chatwoot's meta counts. The counts are the
    count buckets' sums; the page is read from the cheapest index partitions for the
    caller's inboxes and assignee type (services/conversation/conversation_queries.py).
    A custom role narrows both to the conversations its mode shows."""
    if assignee_type not in ASSIGNEE_TYPES:
        raise Invalid(f"assignee_type must be one of: {', '.join(ASSIGNEE_TYPES)}", field="assignee_type")
    if page < 1 or page > 1000:
        raise Invalid("page must be between 1 and 1000", field="page")
    statuses = _statuses(status)
    scope = permissions.conversation_scope(member)
    allowed = visible_inboxes(account_id, member, inbox_id)
    counted = queries.buckets(account_id, statuses)
    extra = [] if allowed == set() else followed(account_id, scope, statuses, allowed)
    meta = queries.summary(counted, member, allowed) if scope.everything else _scoped_summary(
        counted, member, allowed, scope, extra)
    if allowed == set():
        return meta, []
    if assignee_type == "me":
        assignees = {member.user_id}
    elif assignee_type == "unassigned":
        assignees = {0}
    elif assignee_type == "assigned":
        assignees = {bucket[2] for bucket in counted if bucket[2]}
    else:
        assignees = None
    extra = [c for c in extra if assignees is None or (c.assignee_id or 0) in assignees]
    shown = scope.assignees()
    if shown is not None:
        assignees = shown if assignees is None else assignees & shown

    def wanted_row(c: Conversation) -> bool:
        return ((allowed is None or c.inbox_id in allowed) and c.status in statuses
                and (assignees is None or (c.assignee_id or 0) in assignees))

    wanted = page * PAGE_SIZE
    rows: list[Conversation] = []
    if assignees != set():
        partitions = queries.plan(account_id, counted, statuses, inboxes=allowed, assignees=assignees)
        rows, _ = queries.read(partitions, wanted_row, wanted, wanted + LIST_READ_SLACK, page_size=min(wanted, 500))
    if extra:
        rows = sorted({c.display_id: c for c in rows + extra}.values(), key=lambda c: -c.last_activity_at)[:wanted]
    return meta, rows[(page - 1) * PAGE_SIZE:]


def counts(account_id: int, member: AccountUser, status: str = "open", inbox_id: int | None = None) -> dict:
    """Chatwoot's meta counts for the caller, from the count buckets (and, for a custom
    role showing followed conversations, those conversations)."""
    statuses = _statuses(status)
    scope = permissions.conversation_scope(member)
    allowed = visible_inboxes(account_id, member, inbox_id)
    counted = queries.buckets(account_id, statuses)
    if scope.everything:
        return queries.summary(counted, member, allowed)
    extra = [] if allowed == set() else followed(account_id, scope, statuses, allowed)
    return _scoped_summary(counted, member, allowed, scope, extra)


Announcement = tuple[str, "dict | None"]  # an event's name and its changed_attributes


def _changed(name: str, field: str, previous, now) -> Callable[[Conversation], Announcement | None]:
    """For apply_change: announce `name` with {field: [previous, now]}, if it did change."""
    return lambda c: (name, {field: [previous, now]}) if previous != now else None


def _write(conversation: Conversation, before: tuple | None, announcement: Announcement | None = None,
           also: Callable[[events.Outbox, Conversation], None] | None = None) -> None:
    """Save the conversation, with its event if it announces one, in one transaction; when
    its (status, inbox, assignee) bucket, its unattended state or its team changes (or it
    is new: `before` None), move it between count items in the same transaction, so the counts can never drift from the
    conversations. The version condition guards all of it."""
    conversation.sync_keys()
    after = queries.state_of(conversation)
    if before == after and announcement is None and also is None:
        conversation.save()
        return
    if before is None or before[:3] != after[:3]:
        conversation.updated_at = utcnow()
    with events.Outbox() as tx:
        tx.save(conversation, condition=Conversation.display_id.does_not_exist() if before is None else None)
        if before != after:
            queries.count_moves(tx, conversation.account_id, before, after)
        if announcement is not None:
            _publish(tx, announcement[0], conversation, announcement[1])
        if also is not None:
            also(tx, conversation)


def apply_change(conversation: Conversation, change: Callable[[Conversation], None],
                 announce: Callable[[Conversation], Announcement | None] | None = None,
                 also: Callable[[events.Outbox, Conversation], None] | None = None) -> None:
    """Apply `change` and save, with the event `announce` names for the changed conversation
    (if any), re-reading and re-applying if someone saved in between (the version attribute
    makes a lost update impossible). `also(tx, conversation)` adds writes of its own to the
    same transaction (an applied SLA: services/sla)."""
    for _ in range(5):
        before = queries.state_of(conversation)
        change(conversation)
        try:
            _write(conversation, before, announce(conversation) if announce else None, also)
            return
        except (PutError, TransactWriteError) as exc:
            if exc.cause_response_code not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                raise
            conversation.refresh(consistent_read=True)
    raise Conflict("The conversation is being changed by someone else; try again")


SNOOZE_TASK = "reopen_snoozed"
MAX_SNOOZE_SECONDS = 366 * 24 * 60 * 60


def mark_status(c: Conversation, previous: str, now: int) -> None:
    """Reporting's record of a status change, in the change's own write (docs/reports.md):
    a resolution sets `resolved_at`, a reopening clears it; both are kept in `status_marks`,
    each a second after the one before at least (a mark's time is its events' natural key)."""
    if (c.status == "resolved") != (previous == "resolved") and c.status_marks:
        now = max(now, int(c.status_marks[-1][1]) + 1)
    if c.status == "resolved" and previous != "resolved":
        c.resolved_at = now
        c.status_marks = [*(c.status_marks or []), ["resolved", now, c.assignee_id]][-MARKS_KEPT:]
    elif previous == "resolved" and c.status != "resolved":
        c.resolved_at = None
        c.status_marks = [*(c.status_marks or []), ["reopened", now, c.assignee_id]][-MARKS_KEPT:]


def toggle_status(conversation: Conversation, status: str, snoozed_until: int | None = None, *,
                  handoff: bool = False) -> Conversation:
    """Change the status. Snoozing until a time schedules the reopening for that time;
    any other change cancels it. `handoff`: the inbox's bot hands a pending conversation
    over (its `bot_handoff_at`, in the same write)."""
    if status not in STATUSES:
        raise Invalid(f"Status must be one of: {', '.join(STATUSES)}", field="status")
    if status == "snoozed" and snoozed_until is not None:
        now = int(time.time())
        if not now < snoozed_until <= now + MAX_SNOOZE_SECONDS:
            raise Invalid("snoozed_until must be a time in the next year (epoch seconds)", field="snoozed_until")
    previous, previous_until = conversation.status, conversation.snoozed_until

    def change(c: Conversation) -> None:
        now, was = int(time.time()), c.status
        c.status = status
        c.snoozed_until = snoozed_until if status == "snoozed" else None
        if status == "resolved":
            c.waiting_since = None
        mark_status(c, was, now)
        if handoff and was == "pending" and c.bot_handoff_at is None:
            c.bot_handoff_at = now

    apply_change(conversation, change, _changed("conversation.status_changed", "status", previous, status))
    if conversation.snoozed_until:
        schedules.at(SNOOZE_TASK, conversation.account_id, conversation.display_id, conversation.snoozed_until,
                     {"account_id": conversation.account_id, "conversation_id": conversation.display_id,
                      "snoozed_until": conversation.snoozed_until})
    elif previous_until:
        schedules.cancel(SNOOZE_TASK, conversation.account_id, conversation.display_id)
    if previous != status and status == "open":
        _auto_assign(conversation)
    return conversation


def handoff(conversation: Conversation) -> Conversation:
    """The inbox's bot hands a pending conversation to the humans: it opens (and is
    auto-assigned there) and Chatwoot's conversation.bot_handoff event says so."""
    was_pending = conversation.status == "pending"
    toggle_status(conversation, "open", handoff=True)
    if was_pending:
        # Not in toggle_status's Outbox: the payload is the conversation after the open and
        # its auto-assignment (separate writes), as Chatwoot sends it.
        events.publish("conversation.bot_handoff", conversation.account_id, present([conversation])[0],
                       audience=_audience(conversation))
    return conversation


def _auto_assign(conversation: Conversation) -> None:
    """A conversation that (re)opens without an assignee goes to the inbox's next online agent."""
    if conversation.assignee_id is None:
        picked = assignment.for_conversation(conversation)
        if picked is not None:
            assign(conversation, picked)


def reopen_snoozed(account_id: int, display_id: int, snoozed_until: int) -> bool:
    """The schedule's work: reopen the conversation if it is still snoozed until that same
    time (a schedule that fires after a change of plan does nothing)."""
    try:
        conversation = get_conversation(account_id, display_id)
    except NotFound:
        return False
    if conversation.status != "snoozed" or conversation.snoozed_until != snoozed_until:
        return False
    toggle_status(conversation, "open")
    return True


def check_assignee(account_id: int, assignee_id: int) -> None:
    """422 unless the user is an agent of the account (checked before anything is written)."""
    if accounts.membership(account_id, assignee_id) is None:
        raise Invalid("Assignee is not an agent of this account", field="assignee_id")


def assign(conversation: Conversation, assignee_id: int | None) -> User | None:
    """Assign to an agent of the account (None unassigns). Returns the assignee."""
    assignee = None
    if assignee_id is not None:
        check_assignee(conversation.account_id, assignee_id)
        assignee = users.get_user(assignee_id)
    previous = conversation.assignee_id
    apply_change(conversation, lambda c: setattr(c, "assignee_id", assignee_id),
                 _changed("assignee.changed", "assignee_id", previous, assignee_id))
    return assignee


def assign_team(conversation: Conversation, team_id: int | None) -> Conversation:
    """Hand the conversation to a team of the account (None removes it)."""
    if team_id is not None:
        teams.get(conversation.account_id, team_id)  # 404 for another account's team
    previous = conversation.team_id
    apply_change(conversation, lambda c: setattr(c, "team_id", team_id),
                 _changed("team.changed", "team_id", previous, team_id))
    if previous != team_id:
        if team_id is not None and conversation.assignee_id is None:
            picked = assignment.for_team(conversation, team_id)
            if picked is not None:
                assign(conversation, picked)
    return conversation


def set_muted(conversation: Conversation, muted: bool) -> Conversation:
    """A muted conversation stays resolved when the contact writes again (spam, loops)."""
    previous = conversation.muted
    apply_change(conversation, lambda c: setattr(c, "muted", muted),
                 _changed("conversation.updated", "muted", previous, muted))
    return conversation


def mark_unread(conversation: Conversation) -> Conversation:
    """The agent wants it back in their unread list: at least one unread message."""
    apply_change(conversation, lambda c: setattr(c, "unread_count", max(1, c.unread_count or 0)))
    return conversation


def mark_read_by_agent(conversation: Conversation, user_id: int) -> Conversation:
    now = int(time.time())

    def change(c: Conversation) -> None:
        c.agent_last_seen_at = now
        c.unread_count = 0
        if c.assignee_id == user_id:
            c.assignee_last_seen_at = now

    apply_change(conversation, change)
    return conversation


def mark_read_by_contact(conversation: Conversation) -> Conversation:
    apply_change(conversation, lambda c: setattr(c, "contact_last_seen_at", int(time.time())),
                 lambda c: ("conversation.read", None))
    return conversation


def typing(conversation: Conversation, *, on: bool, who: dict, private: bool = False) -> None:
    """Live only (no seq, not logged). An agent's typing reaches the contact unless it is a
    private note; a contact's typing reaches the agents."""
    by_contact = who.get("type") == "contact"
    events.publish("conversation.typing_on" if on else "conversation.typing_off", conversation.account_id,
                   {"conversation": {"id": conversation.display_id, "inbox_id": conversation.inbox_id},
                    "user": who, "is_private": private},
                   audience={"inbox_id": conversation.inbox_id, "source_id": conversation.source_id,
                             "contact_id": None if by_contact else conversation.contact_id, "private": private,
                             "conversation_id": conversation.display_id, "assignee_id": conversation.assignee_id},
                   ephemeral=True)


# ---------------------------------------------------------------- messages

ECHO_ID_LENGTH = 64
# A client retries within seconds or minutes; a few days covers a device that was offline.
ECHO_SECONDS = 3 * 24 * 60 * 60
WRITE_ATTEMPTS = 5  # a message write cancelled by a concurrent change of its conversation is tried again


class Written(NamedTuple):
    message: Message
    created: bool  # False: a retry found the message stored earlier under its echo_id
    reopened: str | None = None  # the status a contact's message reopened the conversation from


def write_message(conversation: Conversation, *, content: str | None, message_type: int,
                  sender_type: str | None = None, sender: User | Contact | None = None, private: bool = False,
                  echo_id: str | None = None, content_type: str = "text", content_attributes: dict | None = None,
                  source_id: str | None = None, attachments: list[dict] | None = None,
                  message_id: int | None = None, while_status: str | None = None) -> Written:
    """Check and store a new message: the message with its search terms, the conversation's
    activity and the events (message.created, and conversation.status_changed if it
    reopened) in one transaction, so a message exists if and only if its events do. When
    this sender already stored a message under the same `echo_id` in this conversation (a
    client's retry), that message is returned (created False) and nothing is written."""
    # `attachments`: already checked and stored by services.messages.post_message.
    # `message_id`: allocated by the caller when it must be known before the write
    # (services/messaging/ingest.py claims a provider's message id for it first).
    # `while_status`: the message is written only if the conversation still has this status
    # when the transaction commits (a condition in it); otherwise StatusChanged, nothing
    # written (Captain's replies: never once the conversation left `pending`).
    if (content is None or not content.strip()) and not attachments:
        raise Invalid("Message content can't be blank", field="content")
    if content is not None and len(content) > MAX_CONTENT:
        raise Invalid(f"Message content is longer than {MAX_CONTENT} characters", field="content")
    if private and message_type != OUTGOING:
        raise Invalid("Only outgoing messages can be private notes", field="private")
    if echo_id is not None and (not isinstance(echo_id, str) or len(echo_id) > ECHO_ID_LENGTH):
        raise Invalid(f"echo_id must be a string of at most {ECHO_ID_LENGTH} characters", field="echo_id")
    message = _new_message(conversation, content=content, message_type=message_type, sender_type=sender_type,
                           sender=sender, private=private, echo_id=echo_id, content_type=content_type,
                           content_attributes=content_attributes, source_id=source_id, attachments=attachments,
                           message_id=message_id)
    # The echo claim goes in the message's own transaction: whoever writes it owns the
    # echo id, and every other attempt with it finds the message instead.
    claim = None if not message.echo_id else UniqueClaim(
        echo_key(conversation, message.echo_id), target=f"Message#{message.id}",
        expires_at=int(time.time()) + ECHO_SECONDS)
    # A blocked contact's messages are kept but never reopen a conversation (Chatwoot's block).
    blocked = isinstance(sender, Contact) and bool(sender.blocked)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return Written(message, True, _store_new_message(conversation, message, claim, blocked, while_status))
        except TransactWriteError as exc:
            earlier = claim and echoed(conversation, message.echo_id, sender_type=sender_type, sender=sender)
            if earlier:
                # Ours if this very write landed and only its reply was lost. Either way the
                # attempt that stored it may have stopped before the activity's write.
                conversation.refresh(consistent_read=True)
                reopened = catch_up_activity(conversation, earlier, blocked)
                return Written(earlier, earlier.id == message.id, reopened)
            reasons = dynamo.cancellation_codes(exc)
            if not reasons & {"ConditionalCheckFailed", "TransactionConflict"} or attempt == WRITE_ATTEMPTS:
                raise
            # The conversation changed meanwhile (its version), or a concurrent transaction
            # held an item: apply the activity again to what is stored now.
            conversation.refresh(consistent_read=True)
            if while_status is not None and conversation.status != while_status:
                raise StatusChanged(f"The conversation is {conversation.status} now") from None
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _new_message(conversation: Conversation, *, content: str | None, message_type: int,
                 sender_type: str | None = None, sender=None, private: bool = False, echo_id: str | None = None,
                 content_type: str = "text", content_attributes: dict | None = None, source_id: str | None = None,
                 attachments: list[dict] | None = None, message_id: int | None = None) -> Message:
    """A new message of `conversation` (not written yet), with its sender's snapshot."""
    if sender is None:
        snapshot = None
    elif isinstance(sender, User):
        snapshot = user_sender(sender)
    elif isinstance(sender, Contact):
        snapshot = contact_sender(sender)
    elif sender_type == "Captain::Assistant":
        snapshot = assistant_sender(sender)  # a Captain assistant (services/captain/answering.py)
    else:
        snapshot = agent_bot_sender(sender)  # an agent bot (services/account/agent_bots.py)
    return Message(conversation.key, message_id or ids.next_id("Message"), account_id=conversation.account_id,
                   inbox_id=conversation.inbox_id, conversation_id=conversation.display_id, content=content,
                   message_type=message_type, content_type=content_type,
                   content_attributes=content_attributes or {}, private=private, echo_id=echo_id or None,
                   source_id=source_id, sender_type=sender_type,
                   sender_id=sender.id if sender is not None else None, sender=snapshot,
                   attachments=attachments or [])


class StatusChanged(Conflict):
    """write_message(while_status=...): the conversation's status is another one now."""


def _store_new_message(conversation: Conversation, message: Message, claim: UniqueClaim | None,
                       blocked: bool, while_status: str | None = None) -> str | None:
    """The message (terms, echo claim) and message.created in one transaction. Returns the
    status a contact's message reopened the conversation from, if it did.

    The conversation's activity (last message, unread count, waiting since) is a summary
    derived from its messages: it joins the transaction only when the message moves the
    conversation (reopens it: conversation.status_changed and its count buckets must commit
    with it; or makes it unattended or attended: the live count items move with it, see
    conversation_queries.count_moves). Otherwise it is written just after the commit, on its own (`_save_activity`),
    so the frames go out first, and it is billed once: in a transaction the conversation's
    four list indexes, re-keyed by last_activity_at, cost twice."""
    before = queries.state_of(conversation)
    reopened = _record_activity(conversation, message, blocked)
    conversation.sync_keys()
    after = queries.state_of(conversation)
    moved = before != after  # its bucket, or whether it is unattended (live counts: same transaction)
    if before[:3] != after[:3]:
        conversation.updated_at = utcnow()
    with events.Outbox() as tx:
        message_terms.put(tx, message, claim=claim)
        if moved or reopened:
            tx.save(conversation)  # under its version: a concurrent change cancels the whole write
        if moved:
            queries.count_moves(tx, conversation.account_id, before, after)
        if while_status is not None:
            if moved or reopened:  # the conversation is saved in this transaction: its version guards it
                if conversation.status != while_status:
                    raise StatusChanged(f"The conversation is {conversation.status} now")
            else:
                tx.condition_check(Conversation, conversation.account_id, conversation.display_id,
                                   condition=Conversation.status == while_status)
        _publish_message(tx, "message.created", conversation, message)
        if reopened:
            _publish(tx, "conversation.status_changed", conversation, {"status": [reopened, "open"]})
    if moved or reopened:
        return reopened
    return _save_activity(conversation, message, blocked)


def _save_activity(conversation: Conversation, message: Message, blocked: bool) -> str | None:
    """Save the activity already applied to `conversation` in memory; if the conversation
    was changed meanwhile, apply the message again to what is stored now. The status it
    reopened from, if it did."""
    try:
        conversation.save()
        return None
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    conversation.refresh(consistent_read=True)
    return _apply_activity(conversation, message, blocked)


def _apply_activity(conversation: Conversation, message: Message, blocked: bool) -> str | None:
    """Apply a stored message to the conversation and save it (a reopening with its event
    and count buckets, as any status change)."""
    reopened: list[str | None] = [None]

    def apply(c: Conversation) -> None:
        reopened[0] = _record_activity(c, message, blocked)

    apply_change(conversation, apply,
                 lambda c: ("conversation.status_changed", {"status": [reopened[0], "open"]}) if reopened[0] else None)
    return reopened[0]


def catch_up_activity(conversation: Conversation, message: Message, blocked: bool = False) -> str | None:
    """For a retry that finds a message stored by an attempt that is gone: apply its
    activity if the conversation does not show it yet (the attempt died between the
    message's commit and the activity's write). The status it reopened from, if any.
    Whether it is there is the conversation's list of applied messages, not its newest
    message: a newer message may have landed first (older items lack the list: there the
    newest message is all there is to go by)."""
    applied = conversation.applied_message_ids
    if message.private:
        return None
    if applied is None:
        if (conversation.last_message or {}).get("id", 0) >= message.id:
            return None
    elif message.id in applied or (len(applied) >= APPLIED_KEPT and min(applied) > message.id):
        return None
    return _apply_activity(conversation, message, blocked)


def echo_key(conversation: Conversation, echo_id: str) -> str:
    return f"echo#{conversation.account_id}#{conversation.display_id}#{echo_id}"


def echoed(conversation: Conversation, echo_id: str, *, sender_type: str | None,
           sender: User | Contact | None) -> Message | None:
    """The message this sender stored under `echo_id` in this conversation, or None. Another
    sender's message is never handed out (a visitor sees agents' echo ids): 409."""
    try:
        claim = UniqueClaim.get(echo_key(conversation, echo_id), consistent_read=True)
    except UniqueClaim.DoesNotExist:
        return None
    try:
        message = Message.get(conversation.key, int(claim.target.partition("#")[2]), consistent_read=True)
    except Message.DoesNotExist:
        raise Conflict("echo_id belongs to a message that no longer exists") from None
    if (message.sender_type, message.sender_id) != (sender_type, sender.id if sender is not None else None):
        security_log.refused("echo_id_foreign", "echo_id of another sender's message", account_id=conversation.account_id,
                             conversation_id=conversation.display_id, message_id=message.id,
                             sender_type=sender_type, sender_id=sender.id if sender is not None else None)
        raise Conflict("echo_id is already used by another message in this conversation", field="echo_id")
    return message


def after_reopen(conversation: Conversation, previous_status: str) -> None:
    """A contact's message reopened the conversation from `previous_status` (written with
    it): a snooze's reopening is no longer due, and the conversation goes to the inbox's
    next online agent if it has none (services/messaging/messages.after_message)."""
    if previous_status == "snoozed":
        schedules.cancel(SNOOZE_TASK, conversation.account_id, conversation.display_id)
    _auto_assign(conversation)


def _record_activity(conversation: Conversation, message: Message, blocked: bool = False) -> str | None:
    """Apply a new message to the conversation (in memory: the caller saves it). Returns
    the old status if a contact's message reopened it."""
    now = int(time.time())
    reopened = None
    c = conversation
    c.last_activity_at = max(c.last_activity_at, now_ms())
    c.applied_message_ids = [*(c.applied_message_ids or []), message.id][-APPLIED_KEPT:]
    if not message.private:
        c.last_message = views.stored_message(message)
    if message.message_type == INCOMING:
        c.unread_count = (c.unread_count or 0) + 1
        c.waiting_since = c.waiting_since or now
        if not blocked and (c.status == "snoozed" or (c.status == "resolved" and not c.muted)):
            reopened, c.status, c.snoozed_until = c.status, "open", None
            mark_status(c, reopened, now)
    elif (message.message_type == OUTGOING and not message.private and message.sender_type == "User"
          and not (message.content_attributes or {}).get("campaign_id")):  # a campaign's message is no reply
        c.first_reply_created_at = c.first_reply_created_at or now
        c.waiting_since = None
    return reopened


def get_message(conversation: Conversation, message_id: int) -> Message:
    try:
        return Message.get(conversation.key, message_id)
    except Message.DoesNotExist:
        raise NotFound("Message not found") from None


def list_messages(conversation: Conversation, *, before: int | None = None, after: int | None = None,
                  public_only: bool = False, limit: int = MESSAGES_PAGE_SIZE) -> list[Message]:
    """Up to `limit` messages, oldest first: the newest page, or the page before `before`
    (scrolling up), or everything after `after` (catching up)."""
    condition = None
    if before is not None:
        condition = Message.id < before
    elif after is not None:
        condition = Message.id > after
    visible = (Message.private == False) & (Message.message_type != ACTIVITY) if public_only else None  # noqa: E712
    rows = list(Message.query(conversation.key, condition, filter_condition=visible,
                              scan_index_forward=after is not None, limit=limit))
    return rows if after is not None else rows[::-1]


def update_message_content_attributes(conversation: Conversation, message: Message, attributes: dict, *,
                                      also: Callable[[events.Outbox], None] | None = None) -> Message:
    """`also` adds its own writes and events to the same transaction (services/csat: the
    survey's response commits with the message's submitted values, or neither does)."""
    message.content_attributes = {**(message.content_attributes or {}), **attributes}
    with events.Outbox() as tx:
        tx.save(message)
        _publish_message(tx, "message.updated", conversation, message)
        if also is not None:
            also(tx)
    return message


def update_message(conversation: Conversation, message: Message, actions: list, condition=None) -> None:
    """Update a message (delivery status, provider id ...) and publish message.updated, in
    one transaction; `message` must already hold the new values, for the event. A failed
    `condition` raises TransactWriteError (dynamo.cancellation_codes says why)."""
    with events.Outbox() as tx:
        tx.update(message, actions=actions, condition=condition)
        _publish_message(tx, "message.updated", conversation, message)


# ---------------------------------------------------------------- events

def _audience(conversation: Conversation, private: bool = False) -> dict:
    """Who the conversation's events concern: its inbox's agents (narrowed by a custom
    role's mode, by its assignee and number: realtime.may_see) and its contact inbox."""
    return {"inbox_id": conversation.inbox_id, "contact_id": conversation.contact_id,
            "source_id": conversation.source_id, "private": private,
            "conversation_id": conversation.display_id, "assignee_id": conversation.assignee_id}


def _conversation_summary(conversation: Conversation) -> dict:
    summary = {"id": conversation.display_id, "inbox_id": conversation.inbox_id, "status": conversation.status,
               "assignee_id": conversation.assignee_id, "unread_count": conversation.unread_count,
               "last_activity_at": conversation.last_activity_at // 1000, "contact_id": conversation.contact_id,
               "contact_inbox": {"source_id": conversation.source_id}}
    if conversation.sla_policy_id is not None:  # the SLA consumer follows only these (services/sla)
        summary["sla_policy_id"] = conversation.sla_policy_id
    return summary


def _publish_message(tx: events.Outbox, name: str, conversation: Conversation, message: Message) -> None:
    data = {**views.message(message), "conversation": _conversation_summary(conversation)}
    tx.publish(name, conversation.account_id, data, audience=_audience(conversation, message.private))


def _publish(tx: events.Outbox, name: str, conversation: Conversation, changed: dict | None = None) -> None:
    tx.publish(name, conversation.account_id, present([conversation])[0], changed, audience=_audience(conversation))


def present(conversations: list[Conversation]) -> list[dict]:
    """Chatwoot JSON for conversations, with their contacts, assignees and channels fetched
    in one BatchGet each (not one read per row)."""
    if not conversations:
        return []
    contacts = {c.id: c for c in Contact.batch_get({c.contact_id for c in conversations})}
    assignee_ids = {c.assignee_id for c in conversations if c.assignee_id}
    assignees = {u.id: user_sender(u) for u in User.batch_get(assignee_ids)} if assignee_ids else {}
    channels = {i.id: i.channel_type for i in Inbox.batch_get({c.inbox_id for c in conversations})}
    rows = []
    for c in conversations:
        contact = contacts.get(c.contact_id)
        sender = contact_sender(contact) if contact else {"id": c.contact_id, "name": "", "type": "contact"}
        rows.append(views.conversation(c, sender=sender, channel_type=channels.get(c.inbox_id, "web_widget"),
                                       assignee=assignees.get(c.assignee_id)))
    return rows


def set_custom_attributes(conversation: Conversation, values: dict) -> Conversation:
    attribute_definitions.validate(conversation.account_id, "conversation_attribute", values)
    previous = dict(conversation.custom_attributes or {})
    apply_change(conversation, lambda c: setattr(c, "custom_attributes", values),
                 _changed("conversation.updated", "custom_attributes", previous, values))
    return conversation


def set_labels(conversation: Conversation, labels: list[str]) -> Conversation:
    previous = list(conversation.labels or [])
    apply_change(conversation, lambda c: setattr(c, "labels", labels),
                 _changed("conversation.updated", "label_list", previous, labels))
    return conversation


PRIORITIES = ("urgent", "high", "medium", "low")


def set_priority(conversation: Conversation, priority: str | None) -> Conversation:
    """`None` (Chatwoot's "none") clears it."""
    if priority is not None and priority not in PRIORITIES:
        raise Invalid(f"Priority must be one of: {', '.join(PRIORITIES)}, none", field="priority")
    previous = conversation.priority
    apply_change(conversation, lambda c: setattr(c, "priority", priority),
                 _changed("conversation.updated", "priority", previous, priority))
    return conversation


BULK_LIMIT = 100
UNCHANGED = object()


def bulk_update(account_id: int, member: AccountUser, display_ids: list[int], *, status: str | None = None,
                assignee_id=UNCHANGED, team_id=UNCHANGED, add_labels: tuple[str, ...] = (),
                remove_labels: tuple[str, ...] = ()) -> list[Conversation]:
    """Apply the same changes to many conversations. Everything is checked first (each id
    exists and is visible to the caller, the status, assignee and team are valid), so a bad
    request changes nothing; then each conversation is updated and publishes its events."""
    if not display_ids or len(display_ids) > BULK_LIMIT:
        raise Invalid(f"ids must name 1 to {BULK_LIMIT} conversations", field="ids")
    if status is not None and status not in STATUSES:
        raise Invalid(f"Status must be one of: {', '.join(STATUSES)}", field="status")
    if assignee_id not in (UNCHANGED, None):
        check_assignee(account_id, assignee_id)
    if team_id not in (UNCHANGED, None):
        teams.get(account_id, team_id)
    found = {c.display_id: c for c in Conversation.batch_get([(account_id, i) for i in set(display_ids)])}
    missing = sorted(set(display_ids) - set(found))
    if missing:
        raise NotFound(f"Conversations not found: {', '.join(map(str, missing))}")
    scope = permissions.conversation_scope(member)  # one Query, not one read per conversation
    hidden = sorted(i for i in found if not scope.admits(found[i]))
    if hidden:
        raise NotFound(f"Conversations not found: {', '.join(map(str, hidden))}")
    targets = [found[i] for i in dict.fromkeys(display_ids)]
    for conversation in targets:
        if status is not None:
            toggle_status(conversation, status)
        if assignee_id is not UNCHANGED:
            assign(conversation, assignee_id)
        if team_id is not UNCHANGED:
            assign_team(conversation, team_id)
        if add_labels or remove_labels:
            labels = (set(conversation.labels or []) | set(add_labels)) - set(remove_labels)
            set_labels(conversation, sorted(labels))
    return targets


DELETED_TEXT = "This message was deleted"


def delete_message(conversation: Conversation, message: Message) -> Message:
    """Chatwoot keeps a deleted message's place in the history: its text and attachments
    go, a marker stays, and clients get message.updated to redraw it."""
    message.content = DELETED_TEXT
    message.attachments = []
    message.content_attributes = {**(message.content_attributes or {}), "deleted": True}
    old = list(message_terms.MessageTerm.query(f"terms#{message.id}"))  # its words are no longer found
    with events.Outbox() as tx:
        message_terms.put(tx, message, old=old)
        _publish_message(tx, "message.updated", conversation, message)
    if conversation.last_message and conversation.last_message.get("id") == message.id:
        apply_change(conversation, lambda c: setattr(c, "last_message", views.stored_message(message)))
    return message
