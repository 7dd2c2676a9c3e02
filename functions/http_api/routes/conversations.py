"""/api/v1/accounts/{account_id}/conversations: lists, one conversation, its messages,
status, assignment, read receipts and typing; deleting one (administrators)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from pydantic import Field, field_validator

import forms
from api import (Body, Filter, Labels, UploadBlob, account_member, admin_membership, body, parse, path_id, principal,
                 query)
from parley import permissions
from parley.errors import Invalid
from parley.services.account import agent_bots
from parley.services.lifecycle import conversation_deletion
from parley.services.messaging import attachments, conversation_start, delivery
from parley.services.contact import contacts
from parley.services.conversation import conversation_filters, conversations
from parley.services.messaging import messages as message_service  # `messages` is a route below
from parley.views.common import iso
from parley.views.conversations import message as message_view
from parley.views.users import sender as user_sender

router = Router()
Status = Literal["open", "resolved", "pending", "snoozed"]


class ListQuery(Body):
    assignee_type: Literal["me", "unassigned", "assigned", "all"] = "all"
    status: Literal["all", "open", "resolved", "pending", "snoozed"] = "open"
    page: int = Field(default=1, ge=1, le=1000)
    inbox_id: int | None = None


class MetaQuery(Body):
    status: Literal["all", "open", "resolved", "pending", "snoozed"] = "open"
    inbox_id: int | None = None


class FilterQuery(Body):
    page: int = Field(default=1, ge=1, le=1000)


class InitialMessage(Body):
    content: str = Field(min_length=1, max_length=conversations.MAX_CONTENT)
    template_params: dict | None = None


class ConversationCreate(Body):
    source_id: str | None = Field(default=None, max_length=255)
    inbox_id: int
    contact_id: int | None = None
    additional_attributes: dict | None = None
    custom_attributes: dict | None = None
    status: Literal["open", "resolved", "pending"] = "open"
    assignee_id: int | None = None
    team_id: int | None = None
    snoozed_until: str | None = None
    message: InitialMessage | None = None


class MessageCreate(Body):
    content: str | None = Field(default=None, max_length=conversations.MAX_CONTENT)
    # signed_ids from direct_uploads (files sent inline come as multipart attachments[])
    attachments: list[str] = Field(default_factory=list, max_length=attachments.MAX_PER_MESSAGE)
    message_type: Literal["outgoing", "incoming"] = "outgoing"
    private: bool = False
    content_type: Literal["text", "input_email", "cards", "input_select", "form", "article"] = "text"
    content_attributes: dict | None = None
    echo_id: str | None = Field(default=None, max_length=64)
    campaign_id: int | None = None
    template_params: dict | None = None


class MessagesQuery(Body):
    before: int | None = Field(default=None, ge=1)
    after: int | None = Field(default=None, ge=0)


class StatusChange(Body):
    status: Status | None = None
    snoozed_until: int | None = Field(default=None, ge=0)


class Assignment(Body):
    assignee_id: int | None = None
    team_id: int | None = None


class Priority(Body):
    priority: Literal["urgent", "high", "medium", "low", "none"]


class ConversationUpdate(Body):
    priority: Literal["urgent", "high", "medium", "low", "none"] | None = None
    sla_policy_id: int | None = Field(default=None, ge=1)  # applies the SLA policy (once: services/sla)


class CustomAttributes(Body):
    custom_attributes: dict[str, str | int | float | bool | None] = Field(max_length=100)


class BulkFields(Body):
    status: Status | None = None
    assignee_id: int | None = None
    team_id: int | None = None


class BulkLabels(Body):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("add", "remove")
    @classmethod
    def _labels(cls, values: list[str]) -> list[str]:
        return Labels._labels(values)


class BulkAction(Body):
    type: Literal["Conversation"]
    ids: list[int] = Field(min_length=1, max_length=conversations.BULK_LIMIT)
    fields: BulkFields | None = None
    labels: BulkLabels | None = None


class Typing(Body):
    typing_status: Literal["on", "off"]
    is_private: bool = False


def _member(account_id: str):
    account_id, member = account_member(router, account_id)
    return account_id, member, principal(router)


def _conversation(account_id: str, conversation_id: str, *, bots: bool = False):
    """`bots`: an agent bot's token may call this route too (Chatwoot's bot-accessible
    endpoints), for conversations of inboxes the bot is connected to; member is then None."""
    caller = principal(router)
    if bots and caller.agent_bot is not None:
        account = path_id(account_id)
        conversation = conversations.get_conversation(account, path_id(conversation_id))
        return agent_bots.ensure_attached(caller.agent_bot, account, conversation), None, caller
    account_id, member, _ = _member(account_id)
    conversation = conversations.get_conversation(account_id, path_id(conversation_id))
    return conversations.ensure_visible(member, conversation), member, caller


@router.get("/api/v1/accounts/<account_id>/conversations/meta")
def meta(account_id: str):
    account_id, member, _ = _member(account_id)
    params = query(router, MetaQuery)
    return {"meta": conversations.counts(account_id, member, status=params.status, inbox_id=params.inbox_id)}


@router.post("/api/v1/accounts/<account_id>/conversations/filter")
def filter_conversations(account_id: str):
    """Chatwoot answers its filter with {meta, payload} at the top level (its list wraps
    them in "data")."""
    account_id, member, _ = _member(account_id)
    params = query(router, FilterQuery)
    conditions = [c.model_dump() for c in body(router, Filter).payload]
    counts, rows, _ = conversation_filters.filter_conversations(account_id, member, conditions, page=params.page)
    return {"meta": counts, "payload": conversations.present(rows)}


@router.get("/api/v1/accounts/<account_id>/conversations")
def index(account_id: str):
    account_id, member, _ = _member(account_id)
    params = query(router, ListQuery)
    counts, rows = conversations.list_conversations(account_id, member, assignee_type=params.assignee_type,
                                                    status=params.status, page=params.page,
                                                    inbox_id=params.inbox_id)
    return {"data": {"meta": counts, "payload": conversations.present(rows)}}


@router.post("/api/v1/accounts/<account_id>/conversations")
def create(account_id: str):
    _, member, caller = _member(account_id)
    permissions.require_conversations(member)
    payload = body(router, ConversationCreate)
    conversation = conversation_start.start(
        member, caller.user, payload.inbox_id, source_id=payload.source_id, contact_id=payload.contact_id,
        assignee_id=payload.assignee_id, status=payload.status, additional_attributes=payload.additional_attributes,
        custom_attributes=payload.custom_attributes, message=payload.message.content if payload.message else None)
    return conversations.present([conversation])[0]


@router.get("/api/v1/accounts/<account_id>/conversations/<conversation_id>")
def show(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id, bots=True)
    return conversations.present([conversation])[0]


@router.delete("/api/v1/accounts/<account_id>/conversations/<conversation_id>")
def destroy(account_id: str, conversation_id: str):
    """Chatwoot's conversation delete: administrators only (an agent, whatever their role:
    403), the conversation gone from every list at once and its messages, files and claims
    removed by a background job; answers 200 with an empty body, as Chatwoot's `head :ok`."""
    member = admin_membership(router, account_id)
    conversation = conversations.get_conversation(member.account_id, path_id(conversation_id))
    conversation_deletion.delete_conversation(conversation)
    return Response(status_code=200, body="")


@router.get("/api/v1/accounts/<account_id>/conversations/<conversation_id>/messages")
def messages(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id, bots=True)
    params = query(router, MessagesQuery)
    rows = conversations.list_messages(conversation, before=params.before, after=params.after)
    shown = conversations.present([conversation])[0]
    meta = {"labels": shown["labels"], "additional_attributes": shown["additional_attributes"],
            "contact": shown["meta"]["sender"]}
    for key in ("agent_last_seen_at", "assignee_last_seen_at"):  # date-time strings in this response
        if getattr(conversation, key):
            meta[key] = iso(datetime.fromtimestamp(getattr(conversation, key), timezone.utc))
    if "assignee" in shown["meta"]:
        meta["assignee"] = shown["meta"]["assignee"]
    return {"meta": meta, "payload": [message_view(m) for m in rows]}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/messages")
def create_message(account_id: str, conversation_id: str):
    conversation, _, caller = _conversation(account_id, conversation_id, bots=True)
    files, uploads = [], []
    if forms.is_multipart(router):
        fields, files, uploads = forms.parse(router, ("attachments[]", "attachments"))
        payload = parse(MessageCreate, forms.nest(fields))
    else:
        payload = body(router, MessageCreate)
    if payload.message_type == "incoming":
        contact = contacts.get_contact(conversation.account_id, conversation.contact_id)
        sender_type, sender, message_type = "Contact", contact, conversations.INCOMING
    elif caller.agent_bot is not None:
        sender_type, sender, message_type = "AgentBot", caller.agent_bot, conversations.OUTGOING
    else:
        sender_type, sender, message_type = "User", caller.user, conversations.OUTGOING
    uploader = (f"b{caller.agent_bot.id}" if caller.agent_bot is not None
                else attachments.user_uploader(caller.user.id))
    message = message_service.post_message(
        conversation, uploader=uploader, uploads=payload.attachments + uploads,
        files=files, content=payload.content, message_type=message_type, sender_type=sender_type, sender=sender,
        private=payload.private, echo_id=payload.echo_id, content_type=payload.content_type,
        # Chatwoot's WhatsApp template (name, language, processed_params) travels with the
        # message to the delivery consumer (parley/channels/whatsapp.py).
        content_attributes={**(payload.content_attributes or {}),
                            **({"template_params": payload.template_params} if payload.template_params else {})})
    return message_view(message)


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/direct_uploads")
def direct_upload(account_id: str, conversation_id: str):
    """A presigned S3 POST for one file the caller will attach to a message here."""
    conversation, _, caller = _conversation(account_id, conversation_id)
    blob = body(router, UploadBlob, wrapper="blob")
    return attachments.presign_upload(conversation.account_id, attachments.user_uploader(caller.user.id),
                                      filename=blob.filename, content_type=blob.content_type, byte_size=blob.byte_size)


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/toggle_status")
def toggle_status(account_id: str, conversation_id: str):
    conversation, _, caller = _conversation(account_id, conversation_id, bots=True)
    payload = body(router, StatusChange)
    # Without a status Chatwoot toggles between open and resolved.
    status = payload.status or ("resolved" if conversation.status == "open" else "open")
    if caller.agent_bot is not None and status == "open":
        conversations.handoff(conversation)  # the bot hands a pending conversation to the humans
    else:
        conversations.toggle_status(conversation, status, payload.snoozed_until)
    return {"meta": {}, "payload": {"success": True, "current_status": conversation.status,
                                    "conversation_id": conversation.display_id}}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/assignments")
def assignments(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    payload = body(router, Assignment)
    # As in Chatwoot: an assignee_id wins; otherwise a team_id hands it to that team.
    if "assignee_id" in payload.model_fields_set or "team_id" not in payload.model_fields_set:
        assignee = conversations.assign(conversation, payload.assignee_id)
        return user_sender(assignee) if assignee else {}
    conversations.assign_team(conversation, payload.team_id)
    return {"team_id": conversation.team_id}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/update_last_seen")
def update_last_seen(account_id: str, conversation_id: str):
    conversation, member, _ = _conversation(account_id, conversation_id)
    conversations.mark_read_by_agent(conversation, member.user_id)
    return {"id": conversation.display_id, "agent_last_seen_at": conversation.agent_last_seen_at,
            "unread_count": conversation.unread_count}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/toggle_typing")
def toggle_typing(account_id: str, conversation_id: str):
    conversation, _, caller = _conversation(account_id, conversation_id)
    payload = body(router, Typing)
    conversations.typing(conversation, on=payload.typing_status == "on",
                         who=user_sender(caller.user), private=payload.is_private)
    return {}


@router.get("/api/v1/accounts/<account_id>/conversations/<conversation_id>/labels")
def labels(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    return {"payload": list(conversation.labels or [])}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/labels")
def set_labels(account_id: str, conversation_id: str):
    """Replaces the conversation's labels with the given list, as Chatwoot does."""
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.set_labels(conversation, body(router, Labels).labels)
    return {"payload": list(conversation.labels)}


def _priority(value: str | None) -> str | None:
    return None if value in (None, "none") else value


@router.patch("/api/v1/accounts/<account_id>/conversations/<conversation_id>")
def update(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    payload = body(router, ConversationUpdate)
    if "priority" in payload.model_fields_set:
        conversations.set_priority(conversation, _priority(payload.priority))
    if "sla_policy_id" in payload.model_fields_set:
        if payload.sla_policy_id is None and conversation.sla_policy_id is not None:
            raise Invalid("sla_policy: cannot remove sla policy from conversation", field="sla_policy_id")
        if payload.sla_policy_id is not None:
            from parley.services.sla import applied  # only this change needs the SLA service

            applied.apply(conversation, payload.sla_policy_id)
    return conversations.present([conversation])[0]


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/toggle_priority")
def toggle_priority(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.set_priority(conversation, _priority(body(router, Priority).priority))
    return {"id": conversation.display_id, "priority": conversation.priority}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/custom_attributes")
def custom_attributes(account_id: str, conversation_id: str):
    """Replaces the conversation's custom attributes, as Chatwoot does."""
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.set_custom_attributes(conversation, body(router, CustomAttributes).custom_attributes)
    return {"custom_attributes": conversation.custom_attributes}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/mute")
def mute(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.set_muted(conversation, True)
    return {}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/unmute")
def unmute(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.set_muted(conversation, False)
    return {}


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/unread")
def unread(account_id: str, conversation_id: str):
    conversation, _, _ = _conversation(account_id, conversation_id)
    conversations.mark_unread(conversation)
    return {"id": conversation.display_id, "unread_count": conversation.unread_count}


@router.post("/api/v1/accounts/<account_id>/bulk_actions")
def bulk_actions(account_id: str):
    account_id, member, _ = _member(account_id)
    payload = body(router, BulkAction)
    fields = payload.fields or BulkFields()
    given = fields.model_fields_set
    changed = conversations.bulk_update(
        account_id, member, payload.ids, status=fields.status,
        assignee_id=fields.assignee_id if "assignee_id" in given else conversations.UNCHANGED,
        team_id=fields.team_id if "team_id" in given else conversations.UNCHANGED,
        add_labels=tuple(payload.labels.add) if payload.labels else (),
        remove_labels=tuple(payload.labels.remove) if payload.labels else ())
    return {"ids": [c.display_id for c in changed]}


@router.delete("/api/v1/accounts/<account_id>/conversations/<conversation_id>/messages/<message_id>")
def delete_message(account_id: str, conversation_id: str, message_id: str):
    conversation, member, _ = _conversation(account_id, conversation_id)
    message = conversations.get_message(conversation, path_id(message_id))
    permissions.own_message_or_admin(member, message)
    return message_view(message_service.delete_message(conversation, message))


@router.post("/api/v1/accounts/<account_id>/conversations/<conversation_id>/messages/<message_id>/retry")
def retry_message(account_id: str, conversation_id: str, message_id: str):
    """Chatwoot's retry: send a failed reply to its channel again (delivery_unknown included:
    the agent decided the customer did not get it)."""
    conversation, _, _ = _conversation(account_id, conversation_id)
    message = conversations.get_message(conversation, path_id(message_id))
    return message_view(delivery.retry(conversation, message))
