"""CSAT tallies: per UTC day and per hour, and per series (the account, an inbox, the agent
assigned when the survey was sent, a team), how many surveys were sent and how many
responses gave each rating (models/csat.CsatTally). The metrics of a range read its whole
days and the whole hours at its ends from them (a Query per run of buckets and series),
and only the minutes left at either end (a range between local midnights at +05:45
starts at :15) from the surveys (services/csat/responses.metrics; docs/csat.md).

Exactly once: every write of a survey (its record, each answer) brings the tallies up to
the survey in the same transaction (`sync`), moving what the survey says it is counted as
(`tallied_sent`, `tallied_rating`) with them under the survey's version. A retried or
raced write re-reads and syncs what is left, never adds twice; a rating changed within the
lock moves one count from the old rating to the new one.

Complete: an account created since tallies exist has every survey counted (its marker is
written with the account); an older one is counted by the reporting rebuild's CSAT stage
(`sync_next`), which syncs every survey the tallies do not count yet and then writes the
marker. Until then the metrics read the surveys, as before.
"""
from __future__ import annotations

from collections import defaultdict

from pynamodb.exceptions import PutError, TransactWriteError

from ... import dynamo
from ...errors import Conflict
from ...models.account_object import AccountObject, csat_tallies_key
from ...models.csat import RATINGS, CsatSurvey, CsatTally, tally_key

HOUR, DAY = 3_600, 86_400
SPANS = (("d", DAY), ("h", HOUR))  # the tallies' buckets, largest first
SYNC_CHUNK = 200  # surveys the rebuild reads per run


def start_of(moment: int, size: int) -> int:
    return moment - moment % size


def _series(survey: CsatSurvey) -> list[tuple[str, int]]:
    """The series a survey counts in: the account, its inbox, and its agent and team if it had them."""
    found = [("account", 0), ("inbox", survey.inbox_id)]
    if survey.assignee_id:
        found.append(("agent", survey.assignee_id))
    if survey.team_id:
        found.append(("team", survey.team_id))
    return found


def _keys(survey: CsatSurvey, moment: int) -> list[str]:
    """The tallies a moment of the survey counts in: its day's and its hour's, per series."""
    return [tally_key(dimension, dimension_id, span, start_of(moment, size))
            for dimension, dimension_id in _series(survey) for span, size in SPANS]


def changes(survey: CsatSurvey) -> dict[str, dict[str, int]]:
    """What the tallies lack of `survey`: {tally key: {attribute: amount}}, merged per item
    (a transaction may touch an item once)."""
    changes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not survey.tallied_sent:
        for key in _keys(survey, survey.sent_at):
            changes[key]["sent"] += 1
    counted, rating = survey.tallied_rating, survey.rating
    if counted != rating and survey.responded_at is not None:
        for key in _keys(survey, survey.responded_at):
            if counted in RATINGS:
                changes[key][f"r{counted}"] -= 1
            if rating in RATINGS:
                changes[key][f"r{rating}"] += 1
    return changes


def synced(survey: CsatSurvey) -> bool:
    return bool(survey.tallied_sent) and survey.tallied_rating == survey.rating


def sync(tx, survey: CsatSurvey) -> None:
    """Add to `tx` the tally updates that count `survey` as it now is, and mark it so; the
    caller saves the survey (under its version) in the same transaction, after this."""
    for key, amounts in changes(survey).items():
        actions = [getattr(CsatTally, name).add(amount) for name, amount in amounts.items() if amount]
        if actions:
            tx.update(CsatTally(survey.account_id, key), actions=actions)
    survey.tallied_sent, survey.tallied_rating = True, survey.rating


def complete(account_id: int) -> bool:
    """Every survey of the account is counted in its tallies."""
    try:
        AccountObject.get(account_id, csat_tallies_key())
        return True
    except AccountObject.DoesNotExist:
        return False


def sync_next(account_id: int, after: str | None, limit: int = SYNC_CHUNK) -> str | None:
    """The rebuild's CSAT stage: count the next `limit` surveys after the key `after` that
    the tallies do not count yet. Returns the last key done, or None once every survey is
    counted (the marker then written)."""
    start = f"{after}\x00" if after else "survey#"
    rows = list(CsatSurvey.query(account_id, CsatSurvey.key.between(start, "survey#~"), limit=limit,
                                 consistent_read=True))
    for survey in rows:
        _sync_alone(survey)
    if len(rows) == limit:
        return rows[-1].key
    try:
        AccountObject(account_id, csat_tallies_key(), id=0, data={"complete": True}).save()
    except PutError as exc:  # written already (the version attribute): by a concurrent rebuild
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return None


def _sync_alone(survey: CsatSurvey) -> None:
    """One survey's sync in a transaction of its own; an answer landing meanwhile (the
    version) makes it re-read and sync what is left (the answer synced the rest)."""
    for _ in range(5):
        if synced(survey):
            return
        try:
            with dynamo.transaction() as tx:
                sync(tx, survey)
                tx.save(survey)
            return
        except TransactWriteError as exc:
            if not dynamo.cancellation_codes(exc) & {"ConditionalCheckFailed", "TransactionConflict"}:
                raise
            survey.refresh(consistent_read=True)
    raise Conflict("The survey kept changing while it was being counted; the rebuild will try again")


def cover(since: int, until: int) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]]:
    """Split the seconds since..until (inclusive) into runs of whole tally buckets, days
    first, then hours at the ends: ([(span, first start, last start)], [(since, until)] of
    the seconds left, under an hour at either end, for reading from the surveys)."""
    runs: list[tuple[str, int, int]] = []
    rest: list[tuple[int, int]] = []

    def split(low: int, high: int, spans: tuple) -> None:
        if low > high:
            return
        if not spans:
            rest.append((low, high))
            return
        (span, size), smaller = spans[0], spans[1:]
        first, last = start_of(low + size - 1, size), start_of(high + 1, size) - size
        if first > last:
            split(low, high, smaller)
            return
        runs.append((span, first, last))
        split(low, first - 1, smaller)
        split(last + size, high, smaller)

    split(since, until, SPANS)
    return runs, rest


def counts(account_id: int, series: list[tuple[str, int]], span: str, first: int, last: int) -> tuple[int, dict[int, int]]:
    """Surveys sent and responses per rating in the `span` buckets starting first..last
    (inclusive), summed over `series` (one Query each)."""
    sent, ratings = 0, {r: 0 for r in RATINGS}
    for dimension, dimension_id in series:
        key_range = CsatTally.key.between(tally_key(dimension, dimension_id, span, first),
                                          tally_key(dimension, dimension_id, span, last))
        for tally in CsatTally.query(account_id, key_range):
            sent += int(tally.sent or 0)
            for rating in RATINGS:
                ratings[rating] += int(getattr(tally, f"r{rating}") or 0)
    return sent, ratings
