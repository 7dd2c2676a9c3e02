"""CSAT surveys: one item per survey message sent, holding its response once rated.

Key: (account_id, "survey#<sent_at, 10 digits>#<message id, 12 digits>"), so the surveys an
account sent in a time range are one Query on a key range (the `metrics` sent count).
`response_key` ("<responded_at>#<message id>") exists only on rated surveys: the sparse
response-index lists an account's responses in a time range, newest first, and reads
nothing for the surveys nobody answered. One item per message is "one response per
survey message" by construction.

The same partition holds the account's tallies (CsatTally, "tally#<dimension>#<id>#<d|h>#<start>"):
per UTC day and per hour, how many surveys were sent and how many responses gave each
rating, for the account, each inbox, agent and team, so the metrics of a long range read
one small item per day (and per hour at its ends) instead of every survey
(services/csat/tallies.py). A survey records what of it the tallies count
(`tallied_sent`, `tallied_rating`), moved in the same transaction as the tallies, so each
survey is counted once whatever is retried.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model

from .base import TimestampedModel, global_index, table_meta


def survey_key(sent_at: int, message_id: int) -> str:
    return f"survey#{sent_at:010d}#{message_id:012d}"


def response_key(responded_at: int, message_id: int) -> str:
    return f"{responded_at:010d}#{message_id:012d}"


class CsatSurvey(TimestampedModel):
    Meta = table_meta("csat_surveys_table")

    account_id = NumberAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    message_id = NumberAttribute()
    conversation_id = NumberAttribute()  # the display id
    conversation_uuid = UnicodeAttribute()
    inbox_id = NumberAttribute()
    contact_id = NumberAttribute()
    assignee_id = NumberAttribute(null=True)  # the assignee when the survey was sent (Chatwoot's assigned_agent)
    team_id = NumberAttribute(null=True)
    sent_at = NumberAttribute()  # epoch seconds: the lock runs from here
    display_type = UnicodeAttribute(default="emoji")
    # Name/e-mail/phone snapshots taken when the survey was sent, so listing reads no other table.
    contact = JSONAttribute(default=dict)
    assignee = JSONAttribute(null=True)
    response_id = NumberAttribute(null=True)
    rating = NumberAttribute(null=True)
    feedback_message = UnicodeAttribute(null=True)
    responded_at = NumberAttribute(null=True)  # epoch seconds of the first rating
    response_key = UnicodeAttribute(null=True)
    tallied_sent = BooleanAttribute(null=True)  # counted in its tallies' `sent`
    tallied_rating = NumberAttribute(null=True)  # the rating its tallies count for it
    version = VersionAttribute()

    response_index = global_index("response-index",
                                  account_id=NumberAttribute(hash_key=True),
                                  response_key=UnicodeAttribute(range_key=True))


TALLY_PREFIX = "tally#"
RATINGS = (1, 2, 3, 4, 5)


def tally_key(dimension: str, dimension_id: int, span: str, start: int) -> str:
    """`span`: "d" (a UTC day) or "h" (an hour); `start`: the epoch second it begins."""
    return f"{TALLY_PREFIX}{dimension}#{dimension_id:012d}#{span}#{start:010d}"


class CsatTally(Model):
    """One UTC day or hour of one series (the account, an inbox, an agent, a team): surveys
    sent in it, and responses first given in it by rating (`r1` .. `r5`)."""

    Meta = table_meta("csat_surveys_table")

    account_id = NumberAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    sent = NumberAttribute(null=True)
    r1 = NumberAttribute(null=True)
    r2 = NumberAttribute(null=True)
    r3 = NumberAttribute(null=True)
    r4 = NumberAttribute(null=True)
    r5 = NumberAttribute(null=True)
