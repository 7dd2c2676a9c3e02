"""CSAT surveys: one item per survey message sent, holding its response once rated.

Key: (account_id, "survey#<sent_at, 10 digits>#<message id, 12 digits>"), so the surveys an
account sent in a time range are one Query on a key range (the `metrics` sent count).
`response_key` ("<responded_at>#<message id>") exists only on rated surveys: the sparse
response-index lists an account's responses in a time range, newest first, and reads
nothing for the surveys nobody answered. One item per message is "one response per
survey message" by construction.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

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
    version = VersionAttribute()

    response_index = global_index("response-index",
                                  account_id=NumberAttribute(hash_key=True),
                                  response_key=UnicodeAttribute(range_key=True))
