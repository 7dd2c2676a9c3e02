"""CSAT tallies (services/csat/tallies.py, docs/csat.md "Storage"): the metrics of whole UTC
days come from per-day tallies and equal what reading every survey gives, for every filter;
each survey is counted once whatever is retried or changed; an account with surveys from
before the tallies reads the surveys until the reporting rebuild has counted them."""
from __future__ import annotations

import random

import pytest
from pynamodb.exceptions import TransactWriteError

from parley import dynamo
from parley.models.account_object import AccountObject, csat_tallies_key
from parley.models.csat import CsatSurvey, CsatTally, response_key, survey_key
from parley.services.csat import responses, tallies

# The long histories (hundreds of transactions) run on DynamoDB Local only: moto copies
# every table for each transaction, half a minute a test; the short tests run on both.
REAL_ENGINE = pytest.mark.parametrize("aws", ["dynamodb-local"], indirect=True)
DAY = 86_400
START = 1_788_000_000 - 1_788_000_000 % DAY  # a UTC midnight in 2026
INBOXES, AGENTS, TEAMS = (11, 12), (21, 22, 23), (31, 32)


def _survey(account_id: int, message_id: int, sent_at: int, rng: random.Random) -> CsatSurvey:
    return CsatSurvey(account_id, survey_key(sent_at, message_id), message_id=message_id, conversation_id=message_id,
                      conversation_uuid=f"uuid-{message_id}", inbox_id=rng.choice(INBOXES),
                      contact_id=1, assignee_id=rng.choice(AGENTS + (None,)), team_id=rng.choice(TEAMS + (None,)),
                      sent_at=sent_at, contact={"id": 1})


def _write(survey: CsatSurvey, *, tallied: bool = True, new: bool = False) -> None:
    """As surveys.record (new) and responses._rate write a survey: with its tallies, in one
    transaction; `tallied=False` writes it as the code before the tallies did."""
    if not tallied:
        survey.save()
        return
    with dynamo.transaction() as tx:
        tallies.sync(tx, survey)
        tx.save(survey, condition=CsatSurvey.key.does_not_exist() if new else None)


def _answer(survey: CsatSurvey, rating: int, at: int, **kw) -> None:
    if survey.rating is None:
        survey.responded_at, survey.response_key = at, response_key(at, survey.message_id)
    survey.rating = rating
    _write(survey, **kw)


def _history(account_id: int, *, tallied: bool = True, seed: int = 7) -> list[CsatSurvey]:
    """10 days of surveys: most answered (some within the hour, some days later), some of
    the answers changed later (within the lock)."""
    rng, rows = random.Random(seed), []
    for n in range(1, 181):
        sent_at = START + rng.randrange(10 * DAY)
        survey = _survey(account_id, n, sent_at, rng)
        _write(survey, tallied=tallied, new=True)
        if rng.random() < 0.7:
            _answer(survey, rng.randint(1, 5), sent_at + rng.choice((60, 3600, 2 * DAY)), tallied=tallied)
            if rng.random() < 0.3:
                _answer(survey, rng.randint(1, 5), survey.responded_at + 120, tallied=tallied)
        rows.append(survey)
    return rows


FILTERS = [
    {},
    {"since": START, "until": START + 10 * DAY - 1},  # whole days only
    {"since": START + 5 * 3600, "until": START + 7 * DAY + 3 * 3600},  # partial first and last days
    {"since": START + DAY // 2, "until": START + DAY // 2 + 3600},  # inside one day: hours only
    {"since": START + 18 * 3600 + 15 * 60, "until": START + 8 * DAY + 18 * 3600 + 15 * 60 - 1},  # +05:45's midnights
    {"since": START + 600, "until": START + 1200},  # inside one hour: read from the surveys
    {"user_ids": [21]}, {"user_ids": [21, 23, 21]}, {"inbox_id": 12}, {"team_id": 31},
    {"rating": [4, 5]}, {"inbox_id": 11, "rating": [1]},
    {"inbox_id": 11, "team_id": 32},  # two series: read from the surveys
    {"since": START + 3 * DAY, "until": START + 6 * DAY - 1, "user_ids": [22], "rating": [2, 3]},
]


def _reference(account_id: int, **kw) -> dict:
    """The metrics as an account without complete tallies gets them: read from every survey."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(tallies, "complete", lambda _account_id: False)
        return responses.metrics(account_id, responses.Filters(**kw))


def test_a_range_is_covered_by_days_then_hours_then_seconds():
    since, until = START - 3600 - 900, START + 2 * DAY + 2 * 3600 + 59  # 22:45 .. 02:00:59 two days on
    runs, rest = tallies.cover(since, until)
    assert runs == [("d", START, START + DAY), ("h", START - 3600, START - 3600),
                    ("h", START + 2 * DAY, START + 2 * DAY + 3600)]
    assert rest == [(since, START - 3600 - 1), (START + 2 * DAY + 2 * 3600, until)]
    assert tallies.cover(START + 10, START + 20) == ([], [(START + 10, START + 20)])
    covered = sum((last - first) // {"d": DAY, "h": 3600}[span] * {"d": DAY, "h": 3600}[span]
                  + {"d": DAY, "h": 3600}[span] for span, first, last in runs) + sum(b - a + 1 for a, b in rest)
    assert covered == until - since + 1  # every second once


@REAL_ENGINE
def test_metrics_from_the_tallies_equal_reading_every_survey(world, monkeypatch):
    account = world.account_id
    assert tallies.complete(account)  # a new account: its marker is written with it
    _history(account)
    reads = []
    real_read = responses._read

    def spy(account_id, filters):
        reads.append(filters.until - filters.since)
        return real_read(account_id, filters)

    for kw in FILTERS:
        reads.clear()
        monkeypatch.setattr(responses, "_read", spy)
        got = responses.metrics(account, responses.Filters(**kw))
        monkeypatch.setattr(responses, "_read", real_read)
        assert got == _reference(account, **kw), kw
        if ("team_id" in kw and "inbox_id" in kw) or kw.get("since") == START + 600:
            assert len(reads) == 1  # two series at once, or no whole hour: all of it read from the surveys
        else:
            assert all(span < 3600 for span in reads), (kw, reads)  # only the minutes at either end are read
    assert responses.metrics(account, responses.Filters())["total_sent_messages_count"] == 180
    # The account's series: one item per day with a survey sent or answered (10 days, and
    # answers up to 2 days later), and one per such hour.
    days = list(CsatTally.query(account, CsatTally.key.startswith("tally#account#000000000000#d#")))
    hours = list(CsatTally.query(account, CsatTally.key.startswith("tally#account#000000000000#h#")))
    assert 10 <= len(days) <= 12 and len(days) < len(hours) <= 12 * 24
    assert sum(t.sent or 0 for t in days) == sum(t.sent or 0 for t in hours) == 180


@pytest.mark.dynamodb_local
def test_each_survey_counts_once_and_a_changed_rating_moves(world):
    account = world.account_id
    rng = random.Random(3)
    survey = _survey(account, 900, START + 100, rng)
    survey.inbox_id, survey.assignee_id, survey.team_id = 11, 21, None
    _write(survey, new=True)
    _write(survey)  # saved again with nothing new: no change
    _answer(survey, 2, START + 200)
    _answer(survey, 5, START + 300)  # changed within the lock: moved, responded_at kept
    day = START
    for series in ([("account", 0)], [("inbox", 11)], [("agent", 21)]):
        assert tallies.counts(account, series, "d", day, day) == (1, {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}), series
        assert tallies.counts(account, series, "h", day, day) == (1, {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}), series
    assert tallies.counts(account, [("team", 31)], "d", day, day) == (0, {1: 0, 2: 0, 3: 0, 4: 0, 5: 0})
    # A stale copy's write is refused (the version): the tallies never count its answer.
    stale = CsatSurvey.get(account, survey.key)
    _answer(survey, 3, START + 400)
    with pytest.raises(TransactWriteError):
        _answer(stale, 1, START + 500)
    assert tallies.counts(account, [("account", 0)], "d", day, day)[1] == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}


@REAL_ENGINE
def test_the_rebuild_counts_surveys_from_before_the_tallies(api, world, monkeypatch):
    account = world.account_id
    AccountObject.get(account, csat_tallies_key()).delete()  # an account from before the tallies
    rows = _history(account, tallied=False, seed=11)
    assert not tallies.complete(account)
    queried = []
    real_counts = tallies.counts
    monkeypatch.setattr(tallies, "counts", lambda *a: queried.append(a) or real_counts(*a))
    assert responses.metrics(account, responses.Filters()) == _reference(account)
    assert queried == []  # incomplete: the surveys are read, not the tallies

    # The rebuild's stage, a few surveys a run; an answer lands between two runs.
    after = tallies.sync_next(account, None, limit=40)
    late = next(s for s in rows if s.rating is not None and s.key > after)
    late.refresh()
    _answer(late, 1 if late.rating != 1 else 2, late.responded_at)  # its own write syncs all of it
    while after is not None:
        after = tallies.sync_next(account, after, limit=40)
    assert tallies.complete(account)
    assert all(tallies.synced(s) for s in CsatSurvey.query(account, CsatSurvey.key.startswith("survey#")))
    for kw in FILTERS:
        assert responses.metrics(account, responses.Filters(**kw)) == _reference(account, **kw), kw
    assert queried  # now from the tallies
    # Run again: nothing is counted twice.
    before = {t.key: t.attribute_values for t in CsatTally.query(account, CsatTally.key.startswith("tally#"))}
    assert tallies.sync_next(account, None, limit=1000) is None
    assert {t.key: t.attribute_values for t in CsatTally.query(account, CsatTally.key.startswith("tally#"))} == before


@REAL_ENGINE
def test_the_reporting_rebuild_runs_the_csat_stage(api, world):
    from tests.integration.channel_support import drain

    account = world.account_id
    AccountObject.get(account, csat_tallies_key()).delete()
    _history(account, tallied=False, seed=5)
    started = api.post(f"/api/v1/accounts/{account}/reporting_events/rebuild", world.admin.token)
    assert started.status in (200, 202), started.json
    for _ in range(20):
        drain("AccountJobsQueue", "account_jobs", rounds=5)
        if api.get(f"/api/v1/accounts/{account}/reporting_events/rebuild", world.admin.token).json["status"] == "done":
            break
    assert tallies.complete(account)
    assert responses.metrics(account, responses.Filters(since=START, until=START + 10 * DAY - 1)) == \
        _reference(account, since=START, until=START + 10 * DAY - 1)
