"""CSAT survey responses as Chatwoot shows them (list, public survey page)."""
from __future__ import annotations

from ..models.csat import CsatSurvey
from ..models.inbox import Inbox


def response(survey: CsatSurvey) -> dict:
    """One row of GET /csat_survey_responses (and the csat_survey_response.created payload)."""
    contact = survey.contact or {}
    assignee = survey.assignee
    body = {
        "id": survey.response_id,
        "rating": survey.rating,
        "feedback_message": survey.feedback_message or "",
        "account_id": survey.account_id,
        "message_id": survey.message_id,
        "contact": {"id": contact.get("id", survey.contact_id), "name": contact.get("name", ""),
                    "email": contact.get("email", ""), "phone_number": contact.get("phone_number", ""),
                    "thumbnail": contact.get("thumbnail", "")},
        "conversation_id": survey.conversation_id,
        "inbox_id": survey.inbox_id,
        "team_id": survey.team_id,
        "created_at": survey.responded_at,
    }
    if assignee:  # left out when nobody was assigned, as Chatwoot's
        body["assigned_agent"] = {
            "id": assignee.get("id"), "name": assignee.get("name", ""),
            "available_name": assignee.get("available_name", assignee.get("name", "")),
            "email": assignee.get("email", ""), "thumbnail": assignee.get("thumbnail", "")}
    return body


def public_survey(survey: CsatSurvey, inbox: Inbox | None, question: str, locale: str = "en") -> dict:
    """GET /public/api/v1/csat_survey/{uuid}: what the survey page draws."""
    answered = None if survey.rating is None else {
        "id": survey.response_id, "rating": survey.rating, "feedback_message": survey.feedback_message or ""}
    return {
        "id": survey.message_id,
        "csat_survey_response": answered,
        "display_type": survey.display_type or "emoji",
        "content": question,
        "inbox_avatar_url": (inbox.avatar_url or "") if inbox else "",
        "inbox_name": inbox.name if inbox else "",
        "locale": locale,
        "conversation_id": survey.conversation_id,
        "created_at": survey.sent_at,
    }
