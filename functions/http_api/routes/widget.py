"""The widget API (/api/v1/widget/*): what the chat bubble on a customer's site calls.

Every call names its inbox by `website_token`; the visitor proves who it is with the
X-Auth-Token JWT, which its first message, upload or setUser hands over (opening the widget
creates nothing). Private notes and activity never reach this API. Ongoing campaigns
(docs/campaigns.md): the widget lists them, reports one it shows (events), and a visitor's
first message answering one carries its campaign_id."""
from __future__ import annotations

import json

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from pydantic import Field

import forms
from api import Attributes, Body, ContactChanges, ContactIdentity, UploadBlob, body, parse, path_id, query, source_ip
from parley import events, global_config
from parley.errors import NotFound
from parley.services.messaging import attachments, messages
from parley.services.contact import contacts, widget
from parley.services.conversation import conversations
from parley.services.inbox import inboxes
from parley.settings import get_settings
from parley.views.contacts import widget_contact
from parley.views.conversations import message as message_view

router = Router()


class TokenQuery(Body):
    website_token: str = Field(min_length=1, max_length=64)


class MessagesQuery(TokenQuery):
    before: int | None = Field(default=None, ge=1)
    after: int | None = Field(default=None, ge=0)


class NewMessage(Body):
    content: str | None = Field(default=None, max_length=conversations.MAX_CONTENT)
    attachments: list[str] = Field(default_factory=list, max_length=attachments.MAX_PER_MESSAGE)
    referer_url: str | None = Field(default=None, max_length=2048)  # sent by Chatwoot's widget with files
    echo_id: str | None = Field(default=None, max_length=64)
    timestamp: str | None = Field(default=None, max_length=64)
    reply_to: int | None = None
    campaign_id: int | None = None  # the ongoing campaign this first message answers


class MessageBody(Body):
    message: NewMessage


class SetUser(ContactIdentity):
    identifier: str = Field(min_length=1, max_length=255)


class AttributeKeys(Body):
    custom_attributes: list[str] = Field(max_length=100)


class ConversationAttributes(Body):
    custom_attributes: Attributes = Field(max_length=100)


class Label(Body):
    label: str = Field(min_length=1, max_length=255, pattern=r"^[\w\-]+$")


class SubmittedValues(Body):
    # A form's or options' answers (a list), or a CSAT survey's {csat_survey_response: {...}}.
    submitted_values: list[dict] | dict | None = Field(default=None, max_length=20)
    submitted_email: str | None = Field(default=None, max_length=254)


class MessageUpdate(Body):
    message: SubmittedValues
    contact: ContactChanges | None = None


class Typing(Body):
    typing_status: str = Field(pattern=r"^(on|off)$")


class WidgetEvent(Body):
    name: str = Field(min_length=1, max_length=64)
    event_info: dict | None = None


def _inbox():
    return inboxes.by_website_token(query(router, TokenQuery).website_token)


def _visitor(inbox=None):
    inbox = inbox or _inbox()
    contact_inbox, contact = widget.authenticate(inbox, router.current_event.get_header_value("X-Auth-Token"))
    return inbox, contact_inbox, contact


def _browser() -> dict:
    event = router.current_event
    return {"referer": event.get_header_value("referer") or "",
            "browser_language": (event.get_header_value("accept-language") or "")[:32]}


def _visitor_or_new(inbox):
    """The visitor behind X-Auth-Token or, for a call with no token at all, a new visitor
    and its token (to hand back as `widget_auth_token`). A token that does not verify is
    still a 401."""
    if router.current_event.get_header_value("X-Auth-Token"):
        return (*_visitor(inbox)[1:], None)
    return widget.new_visitor(inbox, additional_attributes=_browser())


def _handing_over(shown: dict, new_token: str | None) -> dict:
    if new_token:
        shown["widget_auth_token"] = new_token
    return shown


def _current_conversation(contact_inbox):
    found = conversations.for_contact_inbox(contact_inbox, limit=1)
    return found[0] if found else None


def _require_conversation(contact_inbox):
    conversation = _current_conversation(contact_inbox)
    if conversation is None:
        raise NotFound("No conversation yet: send a message first")
    return conversation


def _contact_changes(payload: ContactChanges, contact) -> dict:
    changes = payload.model_dump(exclude_unset=True, exclude={"identifier", "identifier_hash"})
    if "custom_attributes" in changes:
        changes["custom_attributes"] = {**(contact.custom_attributes or {}), **(changes["custom_attributes"] or {})}
    return changes


def _portal(inbox) -> dict | None:
    """The help center portal linked to this inbox (the widget's home shows its articles),
    or None: one GetItem on the inbox's portal claim (and one on the portal when linked)."""
    from parley.services.help_center import portals

    portal = portals.for_inbox(inbox.account_id, inbox.id)
    if portal is None:
        return None
    config = portal.data.get("config") or {}
    return {"slug": portal.data["slug"], "name": portal.data.get("name") or "", "color": portal.data.get("color") or "",
            "default_locale": config.get("default_locale"), "allowed_locales": list(config.get("allowed_locales") or [])}


@router.post("/api/v1/widget/config")
def config():
    """The widget's settings and, for a returning visitor, its contact and a fresh token.
    A visitor without a (valid) token gets none: opening the widget writes nothing, the
    first message or setUser creates the contact (and hands over its token)."""
    inbox = _inbox()
    session = widget.resolve(inbox, router.current_event.get_header_value("X-Auth-Token"))
    channel = inbox.channel or {}
    return {
        "website_channel_config": {
            "website_token": inbox.website_token, "website_name": inbox.name,
            "welcome_title": channel.get("welcome_title", ""), "welcome_tagline": channel.get("welcome_tagline", ""),
            "widget_color": channel.get("widget_color", "#1f93ff"),
            "reply_time": channel.get("reply_time", "in_a_few_minutes"),
            "greeting_enabled": inbox.greeting_enabled, "greeting_message": inbox.greeting_message or "",
            "pre_chat_form_enabled": channel.get("pre_chat_form_enabled", False),
            "pre_chat_form_options": channel.get("pre_chat_form_options", {}),
            "hmac_mandatory": inbox.hmac_mandatory,
            "enabled_features": channel.get("selected_feature_flags", []),
            "locale": "en",
            "portal": _portal(inbox),
        },
        "contact": widget_contact(session[1], session[0].pubsub_token) if session else {},
        "auth_token": widget.issue_token(session[0]) if session else None,
        "global_config": {**global_config.public_config(), "WEBSOCKET_URL": get_settings().websocket_url},
    }


@router.get("/api/v1/widget/conversations")
def list_conversations():
    _, contact_inbox, _ = _visitor()
    return [{"id": c.display_id, "inbox_id": c.inbox_id, "status": c.status,
             "contact_last_seen_at": c.contact_last_seen_at, "agent_last_seen_at": c.agent_last_seen_at,
             "unread_count": c.unread_count, "assignee": None}
            for c in conversations.for_contact_inbox(contact_inbox)]


@router.get("/api/v1/widget/messages")
def list_messages():
    inbox, contact_inbox, _ = _visitor()
    params = query(router, MessagesQuery)
    conversation = _current_conversation(contact_inbox)
    if conversation is None:
        return {"payload": [], "meta": {"contact_last_seen_at": 0, "agent_last_seen_at": 0}}
    rows = conversations.list_messages(conversation, before=params.before, after=params.after, public_only=True)
    return {"payload": [message_view(m) for m in rows],
            "meta": {"contact_last_seen_at": conversation.contact_last_seen_at,
                     "agent_last_seen_at": conversation.agent_last_seen_at, "conversation_id": conversation.display_id}}


@router.post("/api/v1/widget/messages")
def create_message():
    """A visitor's message; the first one of a visitor without a token creates it."""
    inbox = _inbox()
    files, uploads = [], []
    if forms.is_multipart(router):
        fields, files, uploads = forms.parse(router, ("message[attachments][]", "message[attachments]"))
        payload = parse(MessageBody, forms.nest(fields) or {"message": {}}).message
    else:
        payload = body(router, MessageBody).message
    if files or uploads or payload.attachments:
        attachments.ensure_widget_uploads(inbox)
    contact_inbox, contact, new_token = _visitor_or_new(inbox)  # only once the input is known good
    current = _current_conversation(contact_inbox)
    # A first message starts the conversation, but only once its files have passed; one
    # answering an ongoing campaign starts it with the campaign's message.
    campaign = _answered_campaign(inbox, payload.campaign_id) if current is None else None
    message = messages.post_message(
        current, account_id=inbox.account_id,
        start=lambda: _start(inbox, contact, contact_inbox, campaign),
        uploader=attachments.contact_uploader(contact.id), uploads=payload.attachments + uploads,
        files=files, content=payload.content, message_type=conversations.INCOMING, sender_type="Contact",
        sender=contact, echo_id=payload.echo_id,
        content_attributes={"in_reply_to": payload.reply_to} if payload.reply_to else None)
    return _handing_over(message_view(message), new_token)


def _answered_campaign(inbox, campaign_id):
    """The live ongoing campaign of this inbox a first message names, or None: an id that
    names none (another inbox's or account's, disabled, deleted) is ignored, and the
    message starts a conversation of its own, so the visitor's words are never lost."""
    if campaign_id is None:
        return None
    from parley.services.rules import ongoing_campaigns

    try:
        return ongoing_campaigns.live(inbox, campaign_id)
    except NotFound:
        return None


def _start(inbox, contact, contact_inbox, campaign):
    if campaign is None:
        return messages.start_conversation(inbox, contact, contact_inbox)
    from parley.services.rules import ongoing_campaigns

    return ongoing_campaigns.start_conversation(inbox, contact, contact_inbox, campaign)


CAMPAIGNS_CACHE = "public, max-age=60"  # a campaign turned off (or business hours ending) shows within a minute


@router.get("/api/v1/widget/campaigns")
def list_campaigns():
    """The inbox's enabled ongoing campaigns the widget may show now (Chatwoot's route and
    shape); the loader watches their URL patterns and time on page itself."""
    from parley.services.rules import ongoing_campaigns
    from parley.views.widget_campaigns import widget_campaign

    inbox = _inbox()
    shown = [widget_campaign(c, sender) for c, sender in ongoing_campaigns.for_widget(inbox)]
    return Response(200, "application/json", json.dumps(shown), headers={"Cache-Control": CAMPAIGNS_CACHE})


@router.post("/api/v1/widget/direct_uploads")
def direct_upload():
    """A presigned S3 POST for one file; only this visitor can attach it afterwards. A
    visitor without a token that is about to send its first file is created here."""
    inbox = _inbox()
    attachments.ensure_widget_uploads(inbox)
    blob = body(router, UploadBlob, wrapper="blob")
    _, contact, new_token = _visitor_or_new(inbox)
    presigned = attachments.presign_upload(inbox.account_id, attachments.contact_uploader(contact.id),
                                           filename=blob.filename, content_type=blob.content_type,
                                           byte_size=blob.byte_size)
    return _handing_over(presigned, new_token)


@router.route("/api/v1/widget/messages/<message_id>", method=["PATCH", "PUT"])
def update_message(message_id: str):
    """The visitor answers an interactive message (a form, an email request)."""
    _, contact_inbox, contact = _visitor()
    payload = body(router, MessageUpdate)
    conversation = _require_conversation(contact_inbox)
    message = conversations.get_message(conversation, path_id(message_id))
    if message.private:
        raise NotFound("Message not found")
    if message.content_type == "input_csat":  # the inline rating (services/csat)
        from parley.services.csat import responses

        responses.rate_message(message, payload.message.submitted_values)
        return message_view(conversations.get_message(conversation, message.id))
    if payload.contact:
        contacts.update_contact(contact, **_contact_changes(payload.contact, contact))
    answers = payload.message.model_dump(exclude_none=True)
    return message_view(conversations.update_message_content_attributes(conversation, message, answers))


@router.post("/api/v1/widget/conversations/toggle_typing")
def toggle_typing():
    _, contact_inbox, contact = _visitor()
    payload = body(router, Typing)
    conversation = _current_conversation(contact_inbox)
    if conversation is not None:
        conversations.typing(conversation, on=payload.typing_status == "on",
                             who={"id": contact.id, "name": contact.name, "type": "contact"})
    return {}


@router.post("/api/v1/widget/conversations/update_last_seen")
def update_last_seen():
    _, contact_inbox, _ = _visitor()
    conversation = _current_conversation(contact_inbox)
    if conversation is not None:
        conversations.mark_read_by_contact(conversation)
    return {}


@router.post("/api/v1/widget/conversations/toggle_status")
def end_conversation():
    _, contact_inbox, _ = _visitor()
    conversations.toggle_status(_require_conversation(contact_inbox), "resolved")
    return {}


@router.route("/api/v1/widget/contact", method=["PATCH", "PUT"])
def update_contact():
    _, contact_inbox, contact = _visitor()
    payload = body(router, ContactChanges)
    contact = contacts.update_contact(contact, **_contact_changes(payload, contact))
    return widget_contact(contact, contact_inbox.pubsub_token)


@router.post("/api/v1/widget/contact/set_user")
def set_user():
    """Identify the visitor; a visitor without a token yet gets its contact (and token) here."""
    inbox = _inbox()
    payload = body(router, SetUser)
    if router.current_event.get_header_value("X-Auth-Token"):
        _, contact_inbox, contact = _visitor(inbox)
    else:
        contact_inbox = contact = None
    contact_inbox, contact, new_token = widget.identify(inbox, contact_inbox, contact, payload.identifier,
                                                        payload.identifier_hash, additional_attributes=_browser())
    contact = contacts.update_contact(contact, **_contact_changes(payload, contact))
    return _handing_over(widget_contact(contact, contact_inbox.pubsub_token), new_token)


@router.post("/api/v1/widget/contact/destroy_custom_attributes")
def destroy_contact_attributes():
    _, contact_inbox, contact = _visitor()
    keys = set(body(router, AttributeKeys).custom_attributes)
    kept = {k: v for k, v in (contact.custom_attributes or {}).items() if k not in keys}
    contact = contacts.update_contact(contact, custom_attributes=kept)
    return widget_contact(contact, contact_inbox.pubsub_token)


@router.post("/api/v1/widget/conversations/set_custom_attributes")
def set_conversation_attributes():
    _, contact_inbox, _ = _visitor()
    values = body(router, ConversationAttributes).custom_attributes
    conversation = _require_conversation(contact_inbox)
    conversations.set_custom_attributes(conversation, {**(conversation.custom_attributes or {}), **values})
    return {"custom_attributes": conversation.custom_attributes}


@router.post("/api/v1/widget/conversations/destroy_custom_attributes")
def destroy_conversation_attributes():
    _, contact_inbox, _ = _visitor()
    keys = set(body(router, AttributeKeys).custom_attributes)
    conversation = _require_conversation(contact_inbox)
    kept = {k: v for k, v in (conversation.custom_attributes or {}).items() if k not in keys}
    conversations.set_custom_attributes(conversation, kept)
    return {"custom_attributes": conversation.custom_attributes}


@router.post("/api/v1/widget/labels")
def add_label():
    _, contact_inbox, _ = _visitor()
    label = body(router, Label).label
    conversation = _require_conversation(contact_inbox)
    conversations.set_labels(conversation, sorted(set(conversation.labels or []) | {label}))
    return {"labels": conversation.labels}


@router.delete("/api/v1/widget/labels/<label>")
def remove_label(label: str):
    _, contact_inbox, _ = _visitor()
    conversation = _require_conversation(contact_inbox)
    conversations.set_labels(conversation, [x for x in conversation.labels or [] if x != label])
    return {"labels": conversation.labels}


CAMPAIGN_TRIGGERED = "campaign.triggered"


@router.post("/api/v1/widget/events")
def widget_event():
    """webwidget_triggered for the account's webhooks and the inbox's bot. A visitor
    needs its token, except to report an ongoing campaign shown to it: a visitor who has
    not written yet has none (opening the widget creates nobody), so that event comes
    with `contact` null. The campaign must be a live ongoing campaign of this inbox (404)."""
    inbox = _inbox()
    anonymous = not router.current_event.get_header_value("X-Auth-Token")
    contact_inbox, contact = (None, None) if anonymous else _visitor(inbox)[1:]
    payload = body(router, WidgetEvent)
    if payload.name == CAMPAIGN_TRIGGERED:
        from parley.services.rules import ongoing_campaigns

        campaign_id = (payload.event_info or {}).get("campaign_id")
        if anonymous:
            ongoing_campaigns.shown(inbox, campaign_id, source_ip(router))
        else:
            ongoing_campaigns.live(inbox, campaign_id)
    elif anonymous:
        widget.authenticate(inbox, None)  # 401: any other event comes from a known visitor
    events.publish("webwidget_triggered", inbox.account_id,
                   {"id": contact.id if contact else None, "event": payload.name,
                    "event_info": payload.event_info or {},
                    "contact": widget_contact(contact, contact_inbox.pubsub_token) if contact else None,
                    "inbox_id": inbox.id},
                   audience={"inbox_id": inbox.id}, ephemeral=True)
    return {}
