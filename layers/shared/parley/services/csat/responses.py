"""CSAT responses: rating a survey (the widget's inline rating, the survey page, the Client
API) and reading them (the list, metrics and CSV of /csat_survey_responses).

Rules (docs/csat.md): a rating is an integer 1-5 and feedback at most 10 KB (UTF-8); one
response per survey message (a later answer within the lock changes that same response:
the widget sends the rating first, the feedback after); locked 14 days after the survey was
sent. The response, the message's submitted values (message.updated, so the agent sees
it live) and csat_survey_response.created (the first answer only) are one transaction.
"""
from __future__ import annotations

import copy
import csv
import io
import time

from ... import ids
from pynamodb.exceptions import TransactWriteError

from ...errors import Conflict, Invalid, NotFound
from ...models.conversation import Conversation, Message
from ...models.base import utcnow
from ...models.csat import RATINGS, CsatSurvey, response_key, survey_key
from ...models.unique import UniqueClaim
from ...views import csat as views
from ..contact.contact_jobs import safe_cell
from ..conversation import conversations
from . import surveys, tallies
from .surveys import INPUT_CSAT, uuid_claim_key

LOCK_SECONDS = 14 * 24 * 60 * 60
MAX_FEEDBACK_BYTES = 10 * 1024
PAGE_SIZE = 25  # Chatwoot's RESULTS_PER_PAGE
MAX_RANGE_SECONDS = 2 * 366 * 24 * 60 * 60
UUID_LENGTH = 36


# ---------------------------------------------------------------- finding a survey

def by_uuid(conversation_uuid: str) -> CsatSurvey:
    """The conversation's newest survey; an unknown uuid (or one with no survey) is 404."""
    if not isinstance(conversation_uuid, str) or len(conversation_uuid) != UUID_LENGTH:
        raise NotFound("Survey not found")
    try:
        account, _, key = UniqueClaim.get(uuid_claim_key(conversation_uuid)).target.partition("#")
        return CsatSurvey.get(int(account), key, consistent_read=True)
    except (UniqueClaim.DoesNotExist, CsatSurvey.DoesNotExist, ValueError):
        raise NotFound("Survey not found") from None


def for_message(message: Message) -> CsatSurvey:
    """The survey of an input_csat message (the widget and the Client API rate through it).
    The consumer writes the message first and its record just after; an answer quicker
    than that (the widget shows the message the moment it is written) writes the record
    itself: it is a function of the message, put with a condition, so either writer's
    put is the one record."""
    if message.content_type != INPUT_CSAT:
        raise NotFound("Survey not found")
    try:
        return CsatSurvey.get(message.account_id, survey_key(int(message.created_at.timestamp()), message.id),
                              consistent_read=True)
    except CsatSurvey.DoesNotExist:
        pass
    try:
        conversation = Conversation.get(message.account_id, message.conversation_id, consistent_read=True)
    except Conversation.DoesNotExist:
        raise NotFound("Survey not found") from None
    return surveys.record(conversation, message, (message.content_attributes or {}).get("display_type") or "emoji")


# ---------------------------------------------------------------- rating

def check_answer(rating, feedback) -> tuple[int, str | None]:
    """The rating (an integer 1-5, not a bool, not "5") and the feedback (text of at most
    10 KB), or 422 naming the field."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid("rating must be an integer from 1 to 5", field="rating")
    if feedback is not None:
        if not isinstance(feedback, str):
            raise Invalid("feedback_message must be text", field="feedback_message")
        if len(feedback.encode("utf-8")) > MAX_FEEDBACK_BYTES:
            raise Invalid("feedback_message is longer than 10 KB", field="feedback_message")
    return rating, feedback


def locked(survey: CsatSurvey, now: float | None = None) -> bool:
    return (now if now is not None else time.time()) > survey.sent_at + LOCK_SECONDS


def rate(survey: CsatSurvey, rating, feedback=None, *, now: float | None = None) -> CsatSurvey:
    """Record (or, within the lock, change) the survey's one response. 422 for a bad rating
    or feedback and once locked; nothing is written then. Two answers at once: the version
    condition fails one, which re-reads and applies itself as the later change."""
    rating, feedback = check_answer(rating, feedback)
    for attempt in range(3):
        try:
            return _rate(survey, rating, feedback, now)
        except TransactWriteError:
            if attempt == 2:
                raise Conflict("The survey is being answered at the same time; try again") from None
            survey.refresh(consistent_read=True)
    raise AssertionError("unreachable")


def _rate(survey: CsatSurvey, rating: int, feedback: str | None, now: float | None) -> CsatSurvey:
    if locked(survey, now):
        raise Invalid("You cannot update the CSAT survey after 14 days", field="rating")
    try:
        conversation = Conversation.get(survey.account_id, survey.conversation_id)
        message = Message.get(f"{survey.account_id}#{survey.conversation_id}", survey.message_id)
    except (Conversation.DoesNotExist, Message.DoesNotExist):
        raise NotFound("Survey not found") from None
    first = survey.rating is None
    moment = int(now if now is not None else time.time())
    if first:
        survey.response_id = ids.next_id(ids.account_counter(survey.account_id, "CsatSurveyResponse"))
        survey.responded_at = moment
        survey.response_key = response_key(moment, survey.message_id)
    survey.rating = rating
    if feedback is not None:
        survey.feedback_message = feedback
    survey.updated_at = utcnow()
    answer = {"rating": rating, "feedback_message": survey.feedback_message or ""}

    def also(tx) -> None:
        tallies.sync(tx, survey)  # its tallies move with the answer
        tx.save(survey)  # the version attribute: two answers at once cannot both be "first"
        if first:
            tx.publish("csat_survey_response.created", survey.account_id, views.response(survey),
                       audience={"inbox_id": survey.inbox_id, "conversation_id": survey.conversation_id,
                                 "contact_id": survey.contact_id, "assignee_id": survey.assignee_id,
                                 "private": False})

    submitted = {**(message.content_attributes or {}).get("submitted_values", {})} \
        if isinstance((message.content_attributes or {}).get("submitted_values"), dict) else {}
    submitted["csat_survey_response"] = answer
    conversations.update_message_content_attributes(conversation, message, {"submitted_values": submitted}, also=also)
    return survey


def rate_message(message: Message, submitted_values) -> CsatSurvey:
    """The widget's and the Client API's answer: PATCH of the input_csat message with
    submitted_values {csat_survey_response: {rating, feedback_message}}."""
    answer = submitted_values.get("csat_survey_response") if isinstance(submitted_values, dict) else None
    if not isinstance(answer, dict):
        raise Invalid("submitted_values.csat_survey_response {rating, feedback_message} is required",
                      field="submitted_values")
    unknown = set(answer) - {"rating", "feedback_message"}
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]}", field="submitted_values")
    return rate(for_message(message), answer.get("rating"), answer.get("feedback_message"))


# ---------------------------------------------------------------- reading

class Filters:
    """Chatwoot's filters: user_ids (the assigned agent), inbox_id, team_id, rating, since/until (epoch seconds)."""

    def __init__(self, *, since: int | None = None, until: int | None = None, user_ids: list[int] | None = None,
                 inbox_id: int | None = None, team_id: int | None = None, rating: list[int] | None = None):
        now = int(time.time())
        if since is not None and until is not None and since > until:
            raise Invalid("since must not be after until", field="since")
        self.since = 0 if since is None else since
        self.until = now if until is None else until
        if self.until - self.since > MAX_RANGE_SECONDS and since is not None:
            raise Invalid("the range may be at most 2 years", field="until")
        for value in rating or ():
            if not 1 <= value <= 5:
                raise Invalid("rating must be from 1 to 5", field="rating")
        self.user_ids, self.inbox_id, self.team_id, self.rating = user_ids or None, inbox_id, team_id, rating or None

    def condition(self):
        """A FilterExpression for the non-key filters (None: none)."""
        parts = []
        if self.user_ids:
            parts.append(CsatSurvey.assignee_id.is_in(*self.user_ids))
        if self.inbox_id is not None:
            parts.append(CsatSurvey.inbox_id == self.inbox_id)
        if self.team_id is not None:
            parts.append(CsatSurvey.team_id == self.team_id)
        if self.rating:
            parts.append(CsatSurvey.rating.is_in(*self.rating))
        condition = None
        for part in parts:
            condition = part if condition is None else condition & part
        return condition


def _responses(account_id: int, filters: Filters, newest_first: bool = True):
    key_range = CsatSurvey.response_key.between(f"{filters.since:010d}#", f"{filters.until:010d}#~")
    return CsatSurvey.response_index.query(account_id, key_range, filter_condition=filters.condition(),
                                           scan_index_forward=not newest_first)


def page(account_id: int, filters: Filters, number: int = 1) -> list[CsatSurvey]:
    """One page of responses, newest first."""
    if number < 1:
        raise Invalid("page must be 1 or more", field="page")
    skip, rows = (number - 1) * PAGE_SIZE, []
    for survey in _responses(account_id, filters):
        if skip:
            skip -= 1
            continue
        rows.append(survey)
        if len(rows) == PAGE_SIZE:
            break
    return rows


def metrics(account_id: int, filters: Filters) -> dict:
    """Chatwoot's metrics (total_count, ratings_count, total_sent_messages_count) plus the
    response rate and the satisfaction score it computes in the browser (docs/csat.md)."""
    sent, ratings = _counts(account_id, filters)
    total = sum(ratings.values())
    positive = ratings[4] + ratings[5]
    return {"total_count": total, "ratings_count": {str(k): v for k, v in ratings.items() if v},
            "total_sent_messages_count": sent,
            "response_rate": round(total * 100 / sent, 2) if sent else 0,
            "satisfaction_score": round(positive * 100 / total, 2) if total else 0}


def _counts(account_id: int, filters: Filters) -> tuple[int, dict[int, int]]:
    """Surveys sent and responses per rating in the filters' range: its whole UTC days and
    the whole hours at its ends from the tallies (when they are complete and the filters
    name at most one series: the account, agents, an inbox or a team); the minutes left at
    either end, and any other filter combination, from the surveys themselves."""
    series = _series(filters)
    runs, rest = tallies.cover(filters.since, filters.until)
    if series is None or not runs or not tallies.complete(account_id):
        return _read(account_id, filters)
    sent, ratings = 0, {r: 0 for r in RATINGS}
    for span, first, last in runs:
        more, rated = tallies.counts(account_id, series, span, first, last)
        sent += more
        ratings = {r: n + (rated[r] if not filters.rating or r in filters.rating else 0) for r, n in ratings.items()}
    for since, until in rest:
        edge = copy.copy(filters)
        edge.since, edge.until = since, until
        more, rated = _read(account_id, edge)
        sent += more
        ratings = {r: n + rated[r] for r, n in ratings.items()}
    return sent, ratings


def _series(filters: Filters) -> list[tuple[str, int]] | None:
    named = [bool(filters.user_ids), filters.inbox_id is not None, filters.team_id is not None]
    if sum(named) > 1:
        return None  # no tally holds two series at once
    if filters.user_ids:
        return [("agent", user_id) for user_id in sorted(set(filters.user_ids))]
    if filters.inbox_id is not None:
        return [("inbox", filters.inbox_id)]
    if filters.team_id is not None:
        return [("team", filters.team_id)]
    return [("account", 0)]


def _read(account_id: int, filters: Filters) -> tuple[int, dict[int, int]]:
    """The same counts read from the surveys: the responses of the range (the index) and a
    COUNT of the surveys sent in it."""
    ratings = {r: 0 for r in RATINGS}
    for survey in _responses(account_id, filters):
        ratings[survey.rating] += 1
    sent_filters = copy.copy(filters)
    sent_filters.rating = None  # a survey sent has no rating yet
    key_range = CsatSurvey.key.between(f"survey#{filters.since:010d}#", f"survey#{filters.until:010d}#~")
    sent = CsatSurvey.count(account_id, key_range, filter_condition=sent_filters.condition())
    return sent, ratings


# Chatwoot's headers (reports.csat.headers in its en.yml).
CSV_COLUMNS = ("Agent Name", "Rating", "Feedback Comment", "Contact Name", "Contact Email Address",
               "Contact Phone Number", "Link to the conversation", "Recorded date")


def download(account_id: int, filters: Filters, base_url: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for survey in _responses(account_id, filters):
        contact = survey.contact or {}
        link = f"{base_url}/app/accounts/{account_id}/conversations/{survey.conversation_id}"
        recorded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(survey.responded_at or 0))
        assignee = survey.assignee or {}
        agent = f"{assignee.get('name', '')} ({assignee.get('email', '')})" if assignee else None  # as Chatwoot
        writer.writerow([safe_cell(v) for v in (agent, survey.rating,
                                                 survey.feedback_message, contact.get("name"), contact.get("email"),
                                                 contact.get("phone_number"), link, recorded)])
    return out.getvalue()
