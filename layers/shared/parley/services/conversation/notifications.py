"""Agents' notifications, as Chatwoot makes them: a mention in a private note, a
conversation assigned to you, a new conversation in your inbox, a new message in a
conversation you are assigned to or take part in — each only for agents whose
notification settings select that type (services/account/notification_settings.py).

They are made by the notify consumer from domain events (`handle`), never inline in the
request that wrote the message. Each is for one user; the live frame
`notification.created` is addressed to that user only (audience `user_id`, see
realtime.may_see). The consumer may see an event twice: a claim item per (event, user)
written in the same transaction as the notification (and its notification.created)
makes the second time a no-op."""
from __future__ import annotations

import re
import time

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from ... import events, ids, permissions
from ...errors import NotFound
from ...models.base import table_meta
from ...models.conversation import Conversation
from ...models.inbox import Inbox, InboxMember
from ...models.notification import Notification
from ...models.user import User
from ...views.notifications import notification as notification_view
from ..account import notification_settings, teams
from . import participants

PAGE_SIZE = 15  # Chatwoot's page size for notifications
KEEP_SECONDS = 90 * 24 * 60 * 60
CLAIM_SECONDS = 2 * 24 * 60 * 60  # longer than EventBridge and Lambda keep retrying
INCOMING, OUTGOING = 0, 1
MENTION = re.compile(r"\[@([^\]]{0,255})\]\(mention://(user|team)/(\d{1,18})/[^)]{0,255}\)")


class NotificationClaim(Model):
    """"This event already notified this user": owner "claim#<event id>", id = user id.
    Lives in the notifications table (its own owner partition) and expires."""

    Meta = table_meta("notifications_table")

    owner = UnicodeAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    expires_at = NumberAttribute()


# ---------------------------------------------------------------- reading

def unread_count(account_id: int, user_id: int) -> int:
    return Notification.unread_index.count(Notification.owner_for(account_id, user_id))


def total_count(account_id: int, user_id: int) -> int:
    return Notification.count(Notification.owner_for(account_id, user_id))


def page(account_id: int, user_id: int, number: int) -> tuple[dict, list[Notification]]:
    """Newest first, PAGE_SIZE a page, with Chatwoot's meta."""
    owner = Notification.owner_for(account_id, user_id)
    wanted = number * PAGE_SIZE
    rows = list(Notification.query(owner, scan_index_forward=False, limit=wanted))
    meta = {"unread_count": unread_count(account_id, user_id), "count": total_count(account_id, user_id),
            "current_page": number}
    return meta, rows[(number - 1) * PAGE_SIZE:wanted]


def get(account_id: int, user_id: int, notification_id: int) -> Notification:
    """Another user's notification (or another account's) is simply not found."""
    try:
        return Notification.get(Notification.owner_for(account_id, user_id), notification_id)
    except Notification.DoesNotExist:
        raise NotFound("Notification not found") from None


# ---------------------------------------------------------------- changing

def mark_read(item: Notification) -> Notification:
    if item.read_at is None:
        item.update(actions=[Notification.read_at.set(int(time.time())), Notification.unread_owner.remove()])
    return item


def mark_unread(item: Notification) -> Notification:
    item.update(actions=[Notification.read_at.remove(), Notification.unread_owner.set(item.owner)])
    return item


def delete(item: Notification) -> None:
    item.delete()


def read_all(account_id: int, user_id: int, primary_actor_id: int | None = None) -> int:
    """Mark every unread notification read (or only those about one conversation)."""
    owner = Notification.owner_for(account_id, user_id)
    keys = [(row.owner, row.id) for row in Notification.unread_index.query(owner)]
    if primary_actor_id is not None and keys:
        keys = [(n.owner, n.id) for n in Notification.batch_get(keys) if n.primary_actor_id == primary_actor_id]
    now = int(time.time())
    for key in keys:
        Notification(*key).update(actions=[Notification.read_at.set(now), Notification.unread_owner.remove()],
                                  condition=Notification.owner.exists())
    return len(keys)


def create(*, account_id: int, user_id: int, notification_type: str, conversation: dict,
           secondary_actor: dict | None, title: str, body: str, event_id: str) -> Notification | None:
    """Write one notification unless this event already made it, then push it live."""
    now = int(time.time())
    owner = Notification.owner_for(account_id, user_id)
    item = Notification(owner, ids.next_id("Notification"), account_id=account_id, user_id=user_id,
                        notification_type=notification_type, primary_actor_id=conversation["id"],
                        primary_actor=conversation, secondary_actor=secondary_actor, push_message_title=title,
                        push_message_body=body[:500], unread_owner=owner, expires_at=now + KEEP_SECONDS)
    claim = NotificationClaim(f"claim#{event_id}", user_id, expires_at=now + CLAIM_SECONDS)
    try:
        user = User.get(user_id)
    except User.DoesNotExist:
        user = None  # deleted meanwhile: the notification stays, the frame has no user
    # The counts as this write leaves them: read before it, with this notification added.
    unread, total = unread_count(account_id, user_id) + 1, total_count(account_id, user_id) + 1
    try:
        with events.Outbox() as tx:
            tx.save(claim, condition=NotificationClaim.owner.does_not_exist())
            tx.save(item)
            tx.publish("notification.created", account_id,
                       {"notification": notification_view(item, user), "unread_count": unread, "count": total},
                       audience={"user_id": user_id, "private": True})
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            return None  # this event was handled before
        raise
    return item


# ---------------------------------------------------------------- from domain events

def mentioned_user_ids(account_id: int, content: str | None) -> set[int]:
    """Agents named by `[@Name](mention://user/<id>/<Name>)`, and the members of teams named
    by `mention://team/<id>/<Name>` (unknown or foreign teams are ignored)."""
    found: set[int] = set()
    for _name, kind, raw_id in MENTION.findall(content or ""):
        if kind == "user":
            found.add(int(raw_id))
        else:
            try:
                found.update(teams.member_ids(teams.get(account_id, int(raw_id))))
            except NotFound:
                continue
    return found


def readable(content: str | None) -> str:
    """The message text with mentions shown as "@Name"."""
    return MENTION.sub(lambda m: f"@{m.group(1)}", content or "")


def _conversation_snapshot(data: dict) -> dict:
    keys = ("id", "inbox_id", "status", "assignee_id", "contact_id", "unread_count", "last_activity_at")
    snapshot = {k: data.get(k) for k in keys if k in data}
    sender = (data.get("meta") or {}).get("sender")
    if isinstance(sender, dict):
        snapshot["meta"] = {"sender": {k: sender.get(k) for k in ("id", "name", "thumbnail") if k in sender}}
    return snapshot


def _inbox_name(inbox_id: int) -> str:
    try:
        return Inbox.get(inbox_id).name
    except Inbox.DoesNotExist:
        return "an inbox"


def _notify_many(detail: dict, conversation: dict, user_ids: set[int], notification_type: str, title: str,
                 body: str, secondary_actor: dict | None) -> int:
    """Notify those of `user_ids` whose settings ask for this type (notification_settings)."""
    made = 0
    user_ids = notification_settings.subscribed(detail["account_id"], user_ids, notification_type)
    for user_id in sorted(user_ids):
        if create(account_id=detail["account_id"], user_id=user_id, notification_type=notification_type,
                  conversation=conversation, secondary_actor=secondary_actor, title=title, body=body,
                  event_id=detail["id"]):
            made += 1
    return made


def _ids_ok(data: dict, *keys: str) -> bool:
    """Event details are input too: the ids a handler relies on must be integers."""
    return all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in keys)


def on_conversation_created(detail: dict) -> int:
    data = detail["data"]
    if not _ids_ok(data, "id", "inbox_id"):
        return 0
    conversation = _conversation_snapshot(data)
    number, inbox_id, assignee_id = data["id"], data["inbox_id"], data.get("assignee_id")
    made = 0
    if not _ids_ok(data, "assignee_id"):
        assignee_id = None
    if assignee_id:
        allowed = permissions.who_may_see_conversation(detail["account_id"], inbox_id, number, assignee_id,
                                                       {assignee_id})
        made += _notify_many(detail, conversation, allowed, "conversation_assignment",
                             f"A conversation (#{number}) has been assigned to you", "", None)
    if (data.get("additional_attributes") or {}).get("campaign_id") is not None:
        return made  # opened by a one-off campaign, one per recipient: not news for every agent of the inbox
    members = {m.user_id for m in InboxMember.query(inbox_id)} - {assignee_id}
    members = permissions.who_may_see_conversation(detail["account_id"], inbox_id, number, assignee_id, members,
                                                   inbox_members=True)
    made += _notify_many(detail, conversation, members, "conversation_creation",
                         f"A conversation (#{number}) has been created in {_inbox_name(inbox_id)}", "", None)
    return made


def on_assignee_changed(detail: dict) -> int:
    data = detail["data"]
    assignee_id = data.get("assignee_id")
    if not assignee_id or not _ids_ok(data, "id", "inbox_id", "assignee_id"):
        return 0
    allowed = permissions.who_may_see_conversation(detail["account_id"], data["inbox_id"], data["id"], assignee_id,
                                                   {assignee_id})
    return _notify_many(detail, _conversation_snapshot(data), allowed, "conversation_assignment",
                        f"A conversation (#{data['id']}) has been assigned to you", "", None)


def on_message_created(detail: dict) -> int:
    """Mentions first (private notes only); then the assignee and the participants, except
    the sender and anyone this message already notified."""
    data, account_id = detail["data"], detail["account_id"]
    if data.get("message_type") not in (INCOMING, OUTGOING):
        return 0  # activity and template messages notify nobody
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not _ids_ok(conversation, "id", "inbox_id"):
        return 0
    inbox_id, number = conversation["inbox_id"], conversation["id"]
    sender = data.get("sender") if isinstance(data.get("sender"), dict) else {}
    sender_id = sender.get("id") if sender.get("type") == "user" and _ids_ok(sender, "id") else None
    message = {"id": data.get("id"), "content": readable(data.get("content"))[:500], "sender": sender or None,
               "private": bool(data.get("private")), "message_type": data.get("message_type")}
    snapshot = _conversation_snapshot(conversation)
    made, done = 0, {sender_id}
    assignee_id = conversation.get("assignee_id") if _ids_ok(conversation, "assignee_id") else None
    if data.get("private"):
        mentioned = mentioned_user_ids(account_id, data.get("content")) - done
        # The mentioned join the participants (below), so a role showing followed
        # conversations shows them this one.
        mentioned = permissions.who_may_see_conversation(account_id, inbox_id, number, assignee_id, mentioned,
                                                         following=mentioned)
        made += _notify_many(detail, snapshot, mentioned, "conversation_mention",
                             f"You have been mentioned in conversation (#{number})", message["content"], message)
        if mentioned:
            participants.add_quietly(account_id, number, mentioned)
        done |= mentioned
    if assignee_id and assignee_id not in done:
        allowed = permissions.who_may_see_conversation(account_id, inbox_id, number, assignee_id, {assignee_id})
        made += _notify_many(detail, snapshot, allowed, "assigned_conversation_new_message",
                             f"A new message is created in conversation (#{number})", message["content"], message)
        done.add(assignee_id)
    # Only those who took part when the message was written: a late or retried event
    # must not notify someone who joined afterwards.
    written = data.get("created_at") if _ids_ok(data, "created_at") else None
    joined = participants.joined_at(Conversation(account_id, number))
    following = {u for u, at in joined.items() if written is None or at <= written} - done
    following = permissions.who_may_see_conversation(account_id, inbox_id, number, assignee_id, following,
                                                     following=following)
    made += _notify_many(detail, snapshot, following, "participating_conversation_new_message",
                         f"A new message is created in conversation (#{number})", message["content"], message)
    return made


SLA_MISSES = {"frt": ("sla_missed_first_response", "first response"),
              "nrt": ("sla_missed_next_response", "next response"),
              "rt": ("sla_missed_resolution", "resolution")}


def on_sla_missed(detail: dict) -> int:
    """A deadline of the conversation's SLA passed (services/sla): its assignee and the
    members of its team hear of it, those of them who may see the conversation."""
    data, account_id = detail["data"], detail["account_id"]
    event = data.get("sla_event") if isinstance(data.get("sla_event"), dict) else {}
    kind = SLA_MISSES.get(event.get("event_type"))
    if kind is None or not _ids_ok(data, "id", "inbox_id"):
        return 0
    number, inbox_id = data["id"], data["inbox_id"]
    assignee_id = data.get("assignee_id") if _ids_ok(data, "assignee_id") else None
    recipients = {assignee_id} if assignee_id else set()
    if _ids_ok(data, "team_id"):
        try:
            recipients |= set(teams.member_ids(teams.get(account_id, data["team_id"])))
        except NotFound:
            pass  # the team was deleted since
    allowed = permissions.who_may_see_conversation(account_id, inbox_id, number, assignee_id, recipients)
    name = ((data.get("applied_sla") or {}).get("sla_name") or "")[:255]
    notification_type, what = kind
    return _notify_many(detail, _conversation_snapshot(data), allowed, notification_type,
                        f"Conversation #{number} missed its {what} SLA", f"SLA policy: {name}" if name else "", None)


HANDLERS = {"conversation.created": on_conversation_created, "assignee.changed": on_assignee_changed,
            "message.created": on_message_created, "sla.missed": on_sla_missed}


def handle(detail: dict) -> int:
    """Notifications for one domain event; returns how many were made."""
    handler = HANDLERS.get(detail.get("event"))
    if handler is None or not isinstance(detail.get("data"), dict) or not _ids_ok(detail, "account_id"):
        return 0
    return handler(detail)
