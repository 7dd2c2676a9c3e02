"""Sending the CSAT survey when a conversation is resolved (functions/surveys, a consumer of
conversation.status_changed).

Exactly once per resolution: the survey message is written with echo id
"csat:<event id>" (its claim is in the message's own transaction, so a duplicate delivery
of the same event finds the message instead of writing a second one) and only while the
conversation is still resolved. Its survey record (models/csat.py) is keyed by the
message's id and time, so writing it again after a crash writes the same item.
"""
from __future__ import annotations

import logging

from pynamodb.exceptions import TransactWriteError

from ... import dynamo
from ...errors import NotFound
from ...models.conversation import Conversation, Message
from ...models.csat import CsatSurvey, survey_key
from ...models.inbox import Inbox
from ...models.unique import UniqueClaim
from ...settings import get_settings
from ..conversation import conversations
from ..contact import contacts
from ..access import users
from . import tallies

logger = logging.getLogger(__name__)

INPUT_CSAT = "input_csat"
DEFAULT_QUESTION = "Please rate this conversation"
# How each channel gets its survey: rated inline (the widget draws the input_csat
# message; an API inbox's client gets the same message and may draw it), or a link to the
# survey page in the message's text. Channels not listed get none (docs/csat.md).
INLINE = {"web_widget", "api"}
LINKED = {"email", "sms", "whatsapp", "telegram"}


def uuid_claim_key(conversation_uuid: str) -> str:
    return f"csat#{conversation_uuid}"


def survey_url(conversation_uuid: str) -> str:
    base = get_settings().frontend_url.rstrip("/")
    return f"{base}/survey/responses/{conversation_uuid}"


def question(inbox: Inbox | None) -> str:
    return ((inbox.csat_config or {}).get("message") or "").strip() or DEFAULT_QUESTION if inbox else DEFAULT_QUESTION


def wanted(inbox: Inbox, labels: list[str]) -> bool:
    """Whether this inbox's settings send a survey for a conversation with these labels."""
    if not inbox.csat_survey_enabled or inbox.channel_type not in INLINE | LINKED:
        return False
    rules = (inbox.csat_config or {}).get("survey_rules") or {}
    values = set(rules.get("values") or ())
    if not values:
        return True
    has_one = bool(values & set(labels or ()))
    return has_one if rules.get("operator", "contains") == "contains" else not has_one


def _resolved_event(detail: dict) -> tuple[int, int] | None:
    """(account id, display id) of a conversation.status_changed to resolved, else None."""
    if detail.get("event") != "conversation.status_changed":
        return None
    status = (detail.get("changed_attributes") or {}).get("status")
    data = detail.get("data")
    if not (isinstance(status, list) and len(status) == 2 and status[1] == "resolved" and status[0] != "resolved"):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(detail.get("account_id"), int):
        return None
    return detail["account_id"], data["id"]


def handle(detail: dict) -> str:
    """The consumer's work for one event: "sent", "duplicate" (this event's survey exists),
    or why none was sent."""
    target = _resolved_event(detail)
    if target is None:
        return "ignored"
    try:
        conversation = Conversation.get(*target, consistent_read=True)
        inbox = Inbox.get(conversation.inbox_id)
    except (Conversation.DoesNotExist, Inbox.DoesNotExist):
        return "gone"
    if conversation.status != "resolved":
        return "reopened"  # reopened before we got here: this resolution is over
    if not wanted(inbox, conversation.labels):
        return "not_wanted"
    config = inbox.csat_config or {}
    display_type = config.get("display_type") or "emoji"
    asked = question(inbox)
    attributes = {"display_type": display_type}
    content = asked
    if inbox.channel_type in LINKED:
        attributes["survey_url"] = survey_url(conversation.uuid)
        content = f"{asked}\n{attributes['survey_url']}"
    try:
        written = conversations.write_message(conversation, content=content, message_type=conversations.TEMPLATE,
                                              content_type=INPUT_CSAT, content_attributes=attributes,
                                              echo_id=f"csat:{detail['id']}", while_status="resolved")
    except conversations.StatusChanged:
        return "reopened"
    record(conversation, written.message, display_type)
    return "sent" if written.created else "duplicate"


def _snapshot_contact(conversation: Conversation) -> dict:
    try:
        contact = contacts.get_contact(conversation.account_id, conversation.contact_id)
    except NotFound:  # a contact deleted meanwhile: the survey still counts
        return {"id": conversation.contact_id}
    return {"id": contact.id, "name": contact.name or "", "email": contact.email or "",
            "phone_number": contact.phone_number or "", "thumbnail": contact.avatar_url or ""}


def _snapshot_user(user_id: int | None) -> dict | None:
    if not user_id:
        return None
    try:
        user = users.get_user(user_id)
    except NotFound:  # a user deleted meanwhile
        return {"id": user_id}
    return {"id": user.id, "name": user.name, "available_name": user.available_name, "email": user.email,
            "thumbnail": user.avatar_url or ""}


def record(conversation: Conversation, message: Message, display_type: str) -> CsatSurvey:
    """The survey's record and the conversation uuid's pointer to it (the public survey
    page and API find the newest survey by it). Idempotent: the same message gives the same
    item, and a record already rated is left as it is."""
    sent_at = int(message.created_at.timestamp())
    key = survey_key(sent_at, message.id)
    survey = CsatSurvey(conversation.account_id, key, message_id=message.id, conversation_id=conversation.display_id,
                        conversation_uuid=conversation.uuid, inbox_id=conversation.inbox_id,
                        contact_id=conversation.contact_id, assignee_id=conversation.assignee_id or None,
                        team_id=conversation.team_id, sent_at=sent_at, display_type=display_type,
                        contact=_snapshot_contact(conversation), assignee=_snapshot_user(conversation.assignee_id))
    try:
        with dynamo.transaction() as tx:  # the survey counted in its tallies with it
            tallies.sync(tx, survey)
            tx.save(survey, condition=CsatSurvey.key.does_not_exist())
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        survey = CsatSurvey.get(conversation.account_id, key, consistent_read=True)
    # The newest survey of the conversation wins the pointer (a later resolution's survey).
    target = f"{conversation.account_id}#{key}"
    claim = UniqueClaim(uuid_claim_key(conversation.uuid), target=target)
    try:
        current = UniqueClaim.get(claim.key, consistent_read=True).target
    except UniqueClaim.DoesNotExist:
        current = None
    if current is None or current.rsplit("#", 1)[-1] < target.rsplit("#", 1)[-1]:
        claim.save()
    return survey
