"""GET/PUT /public/api/v1/csat_survey/{conversation_uuid}: the survey page's API (no
token: knowing the conversation's uuid, which only its survey link carries, is the
right to answer its survey), and GET /survey/responses/{conversation_uuid}, the page
itself. Chatwoot's bodies; docs/csat.md has the rules."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body
from parley.models.inbox import Inbox
from parley.services.csat import page, responses, surveys
from parley.views.csat import public_survey

router = Router()
PATH = "/public/api/v1/csat_survey/<conversation_uuid>"
# The page is the same for every survey: CloudFront keeps it five minutes, browsers ask again.
PAGE_CACHE = "public, max-age=0, s-maxage=300"
PAGE_POLICY = ("default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class Answer(Body):
    # Strict: "5" or "five" is refused (422) rather than read as a number.
    rating: int = Field(strict=True, ge=1, le=5)
    feedback_message: str | None = Field(default=None, max_length=responses.MAX_FEEDBACK_BYTES)


class Submitted(Body):
    csat_survey_response: Answer


class MessageAnswer(Body):
    submitted_values: Submitted


class SurveyAnswer(Body):
    message: MessageAnswer


def _show(survey) -> dict:
    try:
        inbox = Inbox.get(survey.inbox_id)
    except Inbox.DoesNotExist:
        inbox = None
    shown = public_survey(survey, inbox, surveys.question(inbox))
    shown["locked"] = responses.locked(survey)
    return shown


@router.get(PATH)
def show(conversation_uuid: str):
    return _show(responses.by_uuid(conversation_uuid))


@router.route(PATH, method=["PUT", "PATCH"])
def update(conversation_uuid: str):
    survey = responses.by_uuid(conversation_uuid)
    answer = body(router, SurveyAnswer).message.submitted_values.csat_survey_response
    return _show(responses.rate(survey, answer.rating, answer.feedback_message))


@router.get("/survey/responses/<conversation_uuid>")
def survey_page(conversation_uuid: str):
    status, html = page.built_page()
    return Response(status, "text/html; charset=utf-8", html,
                    headers={"Cache-Control": PAGE_CACHE, "Content-Security-Policy": PAGE_POLICY,
                             "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})
