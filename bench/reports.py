"""Reports at 1,000 and 100,000 conversations: DynamoDB requests, items and read units.

An account of 20 agents, 5 inboxes (two channel types), 3 teams and 4 labels gets a
generated timeline over 90 days: each conversation is created, gets a customer message,
a first response (and an outgoing message), a reply time and, for most, a resolution.
The rollups are what services/reporting/rollups.py keeps for that timeline:

- the occurrences are summed in memory with rollups' own `increments` (quarters), rolled
  up to hours, UTC days and Nepal's local days, and batch-written: moto copies every
  table for each transaction (about a second each here), so the consumer's path, one
  `rollups.add` TransactWrite per occurrence, is out of reach for a million occurrences;
- on a sample timeline (SAMPLE conversations) the bench checks that this writer stores
  exactly the items that `rollups.add`, one transaction per occurrence, stores.

The count items the live counts read are written for the conversations' final states.
Then the reports run through the real HTTP handler (authentication included) at Nepal's
+05:45, every DynamoDB request counted (bench/dynamo_ops.py), read units estimated by
DynamoDB's rules from the items' sizes: GetItem / BatchGetItem 0.5 RCU per item per
started 4 KB (eventually consistent; 1 when consistent), a key that is absent costing
the minimum, Query 0.5 (or 1) per started 4 KB of everything it returned. Two states:
the local phase complete (its day buckets filled, as after the rebuild) and a phase the
account does not keep (days composed from UTC hours and quarters).

CSAT: one survey per resolved conversation, batch-written as tallied with its CsatTally
items summed by tallies' own `changes` (checked on a sample against one `tallies.sync`
transaction per write); the metrics are measured tallied and, for the 90-day account
range, with the account's tallies marker deleted (every survey read), and the tallied
answers must equal the untallied ones (all six at 1k; at 100k the 90-day account's). A filtered or COUNT Query is counted by the items
it read (what DynamoDB bills), not the ones it returned.
"""
from __future__ import annotations

import json
import random
import re
import time
from collections import defaultdict

from bench.dynamo_ops import sdk_calls
from bench.report import print_table

SIZES = (1_000, 100_000)
SAMPLE = 15  # conversations of the rollups.add sample
DAYS, AGENTS, INBOXES, TEAMS, LABELS = 90, 20, 5, 3, 4
NEPAL = 345  # minutes east of UTC
OFFSET = "5.75"


class Units:
    """Requests, items and estimated read units of the DynamoDB calls in a block."""

    def __init__(self):
        self.requests = self.items = 0
        self.rcu = 0.0
        self.probing = False  # re-reading a filtered page (_read_by): not a request of the block

    def record(self, operation: str, params: dict, response: dict, client=None) -> None:
        if self.probing or operation not in ("GetItem", "BatchGetItem", "Query", "Scan"):
            return
        self.requests += 1
        if operation == "GetItem":
            self.items += 1
            self.rcu += _item_rcu(response.get("Item"), params.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            found = {table: {json.dumps(_key_of(item, request["Keys"][0]), sort_keys=True): item
                             for item in response.get("Responses", {}).get(table, [])}
                     for table, request in params["RequestItems"].items()}
            for table, request in params["RequestItems"].items():
                for key in request["Keys"]:
                    self.items += 1
                    item = found.get(table, {}).get(json.dumps(key, sort_keys=True))
                    self.rcu += _item_rcu(item, request.get("ConsistentRead", False))
        else:
            items = response.get("Items", [])
            if client is not None and ("FilterExpression" in params or params.get("Select") == "COUNT"):
                items = self._read_by(client, operation, params)
            self.items += len(items)
            size = sum(_size(item) for item in items)
            self.rcu += max(1, -(-size // 4096)) * (1 if params.get("ConsistentRead") else 0.5)

    def _read_by(self, client, operation: str, params: dict) -> list[dict]:
        """The items a filtered or COUNT Query/Scan read (and is billed for), not the ones it
        returned: the same page again without its filter and Select (DynamoDB pages before it
        filters, so it is the same page), not counted itself."""
        stripped = {k: v for k, v in params.items() if k not in ("FilterExpression", "Select", "ProjectionExpression")}
        used = " ".join(str(stripped.get(k, "")) for k in ("KeyConditionExpression",))
        for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            kept = {k: v for k, v in stripped.get(placeholders, {}).items() if re.search(re.escape(k) + r"(?!\w)", used)}
            stripped.pop(placeholders, None)
            if kept:
                stripped[placeholders] = kept
        self.probing = True
        try:
            return getattr(client, "query" if operation == "Query" else "scan")(**stripped).get("Items", [])
        finally:
            self.probing = False


def _key_of(item: dict, example_key: dict) -> dict:
    return {name: item[name] for name in example_key}


def _size(item: dict | None) -> int:
    """An item's size as DynamoDB counts it (names + values), near enough for 4 KB steps."""
    if not item:
        return 0
    total = 0
    for name, value in item.items():
        (kind, raw), = value.items()
        total += len(name) + (len(str(raw)) if kind != "N" else (len(str(raw)) + 1) // 2 + 1)
    return total


def _item_rcu(item: dict | None, consistent: bool) -> float:
    return max(1, -(-_size(item) // 4096)) * (1 if consistent else 0.5)


def measure(call) -> Units:
    units = Units()

    def observe(client, operation, params, response, seconds):
        if client.meta.service_model.service_name == "dynamodb":
            units.record(operation, params, response, client)

    with sdk_calls(observe):
        call()
    return units


# ------------------------------------------------------------------ the timeline

def occurrences(n: int, now: int, agents: list[int], inboxes: list[tuple[int, str]], teams: list[int],
                labels: list[str], seed: int = 15):
    """(metric, at, dimensions, value) of n conversations over the 90 days before `now`,
    and each conversation's final state (status, inbox, assignee, unattended, team)."""
    rng = random.Random(seed)
    events, states = [], []
    for _ in range(n):
        created = now - rng.randrange(DAYS * 86400)
        inbox_id, channel = inboxes[rng.randrange(len(inboxes))]
        agent = agents[rng.randrange(len(agents))] if rng.random() < 0.9 else None
        team = teams[rng.randrange(len(teams))] if rng.random() < 0.6 else None
        label = labels[rng.randrange(len(labels))] if rng.random() < 0.5 else None
        dims = [("agent", agent), ("inbox", inbox_id), ("team", team), ("channel", channel), ("label", label)]
        first = int(rng.expovariate(1 / 7200)) + 30
        reply = int(rng.expovariate(1 / 1800)) + 30
        resolve = first + reply + int(rng.expovariate(1 / 40000))
        events.append(("conversations", created, dims, None))
        events.append(("incoming_messages", created, dims, None))
        for metric, after, value in (("first_response", first, first), ("outgoing_messages", first, None),
                                     ("reply_time", first + reply, reply)):
            if created + after < now:
                events.append((metric, created + after, dims, value))
        resolved = rng.random() < 0.75 and created + resolve < now
        if resolved:
            events.append(("resolution", created + resolve, dims, resolve))
        status = "resolved" if resolved else ("pending" if rng.random() < 0.1 else "open")
        states.append((status, inbox_id, agent or 0, status == "open" and created + first >= now, team or 0))
    return events, states


def aggregate(account_id: int, events, phase: int) -> dict:
    """The rollup items of these occurrences: quarters summed with rollups.increments, then
    rolled up to hours, UTC days and the phase's local days."""
    from parley.services.reporting import rollups

    quarters: dict = defaultdict(lambda: defaultdict(float))
    for metric, at, dims, value in events:
        for key, amounts in rollups.increments(account_id, metric, at, dims, value, granularities=("q",)).items():
            bucket = quarters[key]
            for name, amount in amounts.items():
                bucket[name] += amount
    items: dict = defaultdict(lambda: defaultdict(float))
    for (series, quarter), amounts in quarters.items():
        base = series[:-len("#q")]
        for granularity in ("q", "h", "d0", f"d{phase}"):
            target = items[(f"{base}#{granularity}", rollups.bucket_of(quarter, granularity))]
            for name, amount in amounts.items():
                target[name] += amount
    return items


def write_items(items: dict) -> None:
    from parley.models.report_rollup import ReportRollup

    with ReportRollup.batch_write() as batch:
        for (series, bucket), amounts in items.items():
            batch.save(ReportRollup(series, bucket, **{k: (int(v) if float(v).is_integer() else v)
                                                        for k, v in amounts.items()}))


def stored_items() -> dict:
    from parley.models.report_rollup import ATTRIBUTES, ReportRollup

    found = {}
    for item in ReportRollup.scan():
        found[(item.series, int(item.bucket))] = {name: float(getattr(item, name)) for name in ATTRIBUTES
                                                  if getattr(item, name) is not None}
    return found


def write_counts(account_id: int, states) -> None:
    from parley.models.conversation_index import ConversationCount
    from parley.services.conversation import conversation_queries as queries

    tallies = defaultdict(int)
    for state in states:
        for key in queries.live_keys(state):
            tallies[key] += 1
    with ConversationCount.batch_write() as batch:
        for key, value in tallies.items():
            batch.save(ConversationCount(account_id, key, value=value))


# ------------------------------------------------------------------ CSAT surveys

FIRST_NAMES = ("Aarav", "Sita", "Maya", "Bikash", "Anita", "Ramesh", "Priya", "John", "Laura", "Kenji")
LAST_NAMES = ("Shrestha", "Gurung", "Tamang", "Sharma", "Thapa", "Rai", "Smith", "Garcia", "Tanaka", "Khan")
FEEDBACK = ("Quick and helpful, thank you!", "The agent solved it but it took two days.",
            "Still not working after the reset.", "Great support as always.",
            "Please add a way to export invoices as CSV.", "Too many back-and-forth messages.")


def csat_surveys(account_id: int, events, now: int, assignees: dict[int, dict], seed: int = 17) -> list:
    """One survey per resolved conversation of the timeline, sent at its resolution (its
    inbox, agent and team), with the contact and assignee snapshots surveys.record takes;
    about 40% answered, minutes to two days after (not after `now`). Not yet tallied."""
    from parley.models.csat import CsatSurvey, response_key, survey_key

    rng, rows, conversation = random.Random(seed), [], 0
    for metric, at, dims, _ in events:
        if metric == "conversations":
            conversation += 1
        if metric != "resolution":
            continue
        dimension = dict(dims)
        agent, message_id = dimension["agent"], 900_000_000 + conversation
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact_id = 500_000 + conversation
        contact = {"id": contact_id, "name": f"{first} {last}",
                   "email": f"{first.lower()}.{last.lower()}{contact_id}@example.com",
                   "phone_number": f"+97798{rng.randrange(10**8):08d}", "thumbnail": ""}
        survey = CsatSurvey(account_id, survey_key(at, message_id), message_id=message_id,
                            conversation_id=conversation, conversation_uuid=str(_uuid(rng)),
                            inbox_id=dimension["inbox"], contact_id=contact_id, assignee_id=agent,
                            team_id=dimension["team"], sent_at=at, contact=contact,
                            assignee=assignees.get(agent) if agent else None)
        answered = at + rng.randrange(60, 2 * 86400)
        if rng.random() < 0.4 and answered < now:
            survey.response_id = len(rows) + 1
            survey.rating, survey.responded_at = rng.randint(1, 5), answered
            survey.response_key = response_key(answered, message_id)
            if rng.random() < 0.3:
                survey.feedback_message = rng.choice(FEEDBACK)
        rows.append(survey)
    return rows


def _uuid(rng: random.Random):
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)


def write_csat(surveys) -> int:
    """The surveys batch-written as tallied (`tallied_sent`, `tallied_rating`), with their
    tally items summed in memory by tallies' own `changes` (what `tallies.sync` adds): one
    transaction per survey write is out of reach in moto at 75,000 surveys. Returns the
    number of tally items."""
    from parley.models.csat import CsatSurvey, CsatTally
    from parley.services.csat import tallies

    summed: dict = defaultdict(lambda: defaultdict(int))
    for survey in surveys:
        for key, amounts in tallies.changes(survey).items():
            for name, amount in amounts.items():
                summed[(survey.account_id, key)][name] += amount
        survey.tallied_sent, survey.tallied_rating = True, survey.rating
        survey.version = 2 if survey.rating else 1  # recorded, then rated: two versioned writes
    with CsatSurvey.batch_write() as batch:
        for survey in surveys:
            batch.save(survey)
    with CsatTally.batch_write() as batch:
        for (account_id, key), amounts in summed.items():
            batch.save(CsatTally(account_id, key, **{k: v for k, v in amounts.items() if v}))
    return len(summed)


def write_csat_one_by_one(surveys) -> None:
    """As surveys.record and responses._rate write them: the survey with its tallies in one
    transaction when sent, and again when answered."""
    from parley import dynamo
    from parley.models.csat import CsatSurvey
    from parley.services.csat import tallies

    for survey in surveys:
        answer = (survey.rating, survey.responded_at, survey.response_key, survey.response_id,
                  survey.feedback_message)
        survey.rating = survey.responded_at = survey.response_key = survey.response_id = None
        survey.feedback_message = None
        with dynamo.transaction() as tx:
            tallies.sync(tx, survey)
            tx.save(survey, condition=CsatSurvey.key.does_not_exist())
        if answer[0] is not None:
            (survey.rating, survey.responded_at, survey.response_key, survey.response_id,
             survey.feedback_message) = answer
            with dynamo.transaction() as tx:
                tallies.sync(tx, survey)
                tx.save(survey)


def stored_csat(account_id: int) -> dict:
    """The account's CSAT partition (surveys and tallies) as {key: attributes}, the times left out."""
    from parley.models.csat import CsatSurvey

    found = {}
    for item in CsatSurvey._get_connection().query(account_id)["Items"]:
        found[item["key"]["S"]] = {k: v for k, v in item.items()
                                   if k not in ("account_id", "created_at", "updated_at")}
    return found


def csat_writer_matches_sync(n: int = 20) -> int:
    """The summing writer stores exactly what one transaction per survey write stores
    (tallies.sync with the survey), on the surveys of a small timeline in two accounts."""
    from moto import mock_aws

    from tests import conftest

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        from parley.services.reporting import rollups

        now = rollups.day_start(int(time.time()), rollups.phase_of(NEPAL))
        events, _ = occurrences(n, now, [11, 12, 13], [(21, "api"), (22, "web_widget")], [31, 32], ["x"], seed=16)
        assignees = {agent: {"id": agent, "name": f"Agent {agent}", "available_name": f"Agent {agent}",
                             "email": f"agent{agent}@bench.test", "thumbnail": ""} for agent in (11, 12, 13)}
        one_by_one = csat_surveys(1, events, now, assignees, seed=18)
        summed = csat_surveys(2, events, now, assignees, seed=18)
        assert any(s.rating for s in one_by_one), "the sample must hold answered surveys"
        write_csat_one_by_one(one_by_one)
        write_csat(summed)
        assert stored_csat(1) == stored_csat(2), "the bench's CSAT writer must store what tallies.sync stores"
        return len(one_by_one)


def measure_csat(ok, account_id: int, now: int, agent: int, inbox: int, check_all: bool) -> dict:
    """CSAT metrics over 30 and 90 days at Nepal's midnights, for the account, one agent and
    one inbox, from the tallies; then the 90-day account metrics with the account not
    tallied (its marker deleted, restored after). The tallied answers must equal the
    untallied ones (read from every survey), so the figures are of right answers: all six
    when `check_all` (the small size), else the measured one (moto pages a 100k-survey
    Query slowly: six more of them were most of the run's half hour)."""
    from parley.models.account_object import AccountObject, csat_tallies_key

    assert AccountObject.get(account_id, csat_tallies_key()), "a new account is tallied from its creation"
    path = f"/api/v1/accounts/{account_id}/csat_survey_responses/metrics"
    queries = {}
    for days in (30, 90):
        base = {"since": str(now - days * 86400), "until": str(now)}
        queries[f"CSAT metrics ({days} days, account)"] = base
        queries[f"CSAT metrics ({days} days, one agent)"] = {**base, "user_ids[]": str(agent)}
        queries[f"CSAT metrics ({days} days, one inbox)"] = {**base, "inbox_id": str(inbox)}
    measured, answers = {}, {}
    for name, query in queries.items():
        measured[f"{name} [tallied]"] = measure(lambda: answers.update({name: ok(path, query)}))
    AccountObject.get(account_id, csat_tallies_key()).delete()
    try:
        whole = "CSAT metrics (90 days, account)"
        untallied = {}
        measured[f"{whole} [not tallied]"] = measure(lambda: untallied.update({whole: ok(path, queries[whole])}))
        for name, query in queries.items():
            if check_all and name != whole:
                untallied[name] = ok(path, query)
        for name, answer in untallied.items():
            assert answer == answers[name], f"{name}: the tallies must give what the surveys give"
    finally:
        AccountObject(account_id, csat_tallies_key(), id=0, data={"complete": True}).save()
    return measured


# ------------------------------------------------------------------ the run

def setup_account(conftest):
    from parley.services.access import members
    from parley.services.account import labels, teams
    from parley.services.inbox import inboxes
    from parley.services.reporting.reports import channel_type

    api = conftest.Api()
    world = conftest.world.__wrapped__(None)
    a = world.account_id
    agents = [world.agent.id] + [members.add_agent(a, name=f"Agent {i}", email=f"agent{i}@bench.test",
                                                   role="agent")[1].id for i in range(AGENTS - 1)]
    made = [inboxes.create_inbox(a, name=f"Inbox {i}", channel_type="api" if i % 2 else "web_widget",
                                 channel={} if i % 2 else {"website_url": "https://bench.test"},
                                 timezone="Asia/Kathmandu") for i in range(INBOXES)]
    team_ids = [teams.create(a, f"Team {i}").id for i in range(TEAMS)]
    label_titles = [labels.create(a, f"label{i}").data["title"] for i in range(LABELS)]
    return api, world, agents, [(i.id, channel_type(i)) for i in made], team_ids, label_titles


def scenario(n: int) -> dict:
    from moto import mock_aws

    from tests import conftest

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        from parley.models.account_object import AccountObject
        from parley.services.csat.surveys import _snapshot_user as snapshot_user
        from parley.services.reporting import rollups

        rollups.forget()
        api, world, agents, inboxes, team_ids, label_titles = setup_account(conftest)
        a, phase = world.account_id, rollups.phase_of(NEPAL)
        now = rollups.day_start(int(time.time()), phase)  # today's local midnight in Nepal
        events, states = occurrences(n, now, agents, inboxes, team_ids, label_titles)
        # The phase record as after a rebuild filled Nepal's days: complete from the start.
        AccountObject(a, rollups.phases_key(), id=0, data={str(phase): now - (DAYS + 400) * 86400}).save()
        began = time.perf_counter()
        write_items(aggregate(a, events, phase))
        seconded = time.perf_counter() - began
        write_counts(a, states)
        surveys = csat_surveys(a, events, now, {agent: snapshot_user(agent) for agent in agents})
        began = time.perf_counter()
        tally_items = write_csat(surveys)
        csat_seconds = time.perf_counter() - began

        v2 = f"/api/v2/accounts/{a}"
        month = {"since": now - 30 * 86400, "until": now, "timezone_offset": OFFSET}
        quarter = {"since": now - DAYS * 86400, "until": now, "timezone_offset": OFFSET, "group_by": "day",
                   "metric": "conversations_count"}
        token = world.admin.token

        def ok(path, query=None):
            reply = api.get(path, token, query=query)
            assert reply.status == 200, reply.json
            return reply.json

        ok(f"{v2}/reports/summary", month)  # warm: the caches an account's first request fills
        cases = {
            "summary (30 days, with previous)": lambda: ok(f"{v2}/reports/summary", month),
            "90-day daily series": lambda: ok(f"{v2}/reports", quarter),
            "agent table (30 days, 20 agents)": lambda: ok(f"{v2}/summary_reports/agent", month),
            "live counts (account)": lambda: ok(f"{v2}/reports/conversations", {"type": "account"}),
            "live counts (per agent)": lambda: ok(f"{v2}/reports/conversations", {"type": "agent"}),
        }
        complete = {name: measure(call) for name, call in cases.items()}
        csat = measure_csat(ok, a, now, agents[1], inboxes[0][0], check_all=n == SIZES[0])
        assert sum(ok(f"{v2}/reports", quarter)[i]["value"] for i in range(DAYS)) == \
            sum(1 for e in events if e[0] == "conversations")
        # The same reports when the account keeps no Nepal phase: days from hours and quarters.
        record = AccountObject.get(a, rollups.phases_key(), consistent_read=True)
        record.data = {}
        record.save()
        composed = {name: measure(call) for name, call in list(cases.items())[:3]}
        return {"complete": complete, "composed": composed, "events": len(events), "write_seconds": seconded,
                "csat": csat, "surveys": len(surveys), "answered": sum(1 for s in surveys if s.rating),
                "tally_items": tally_items, "csat_seconds": csat_seconds,
                "survey_bytes": sum(_size(s.serialize()) for s in surveys) / len(surveys)}


def writer_matches_add(n: int = SAMPLE) -> int:
    """The aggregated writer stores exactly what rollups.add stores, on a sample timeline
    (moto copies every table for each transaction, so a million adds are out of reach)."""
    from moto import mock_aws

    from tests import conftest

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        from parley import dynamo
        from parley.models.account_object import AccountObject
        from parley.services.reporting import rollups

        rollups.forget()
        _, world, agents, inboxes, team_ids, label_titles = setup_account(conftest)
        a, phase = world.account_id, rollups.phase_of(NEPAL)
        now = rollups.day_start(int(time.time()), phase)
        AccountObject(a, rollups.phases_key(), id=0, data={str(phase): 0}).save()
        events, _ = occurrences(n, now, agents, inboxes, team_ids, label_titles, seed=16)
        for metric, at, dims, value in events:
            with dynamo.transaction() as tx:
                rollups.add(tx, a, metric, at, dims, value=value)
        expected = {key: dict(amounts) for key, amounts in aggregate(a, events, phase).items()}
        assert stored_items() == expected, "the bench's aggregated writer must store what rollups.add stores"
        return len(events)


def _row(name: str, a: Units, b: Units) -> list[str]:
    return [name, str(a.requests), str(b.requests), str(a.items), str(b.items), f"{a.rcu:g}", f"{b.rcu:g}",
            f"{b.rcu / a.rcu:.2f}"]


def run() -> None:
    checked = writer_matches_add()
    csat_checked = csat_writer_matches_sync()
    results = {n: scenario(n) for n in SIZES}
    small, large = results[SIZES[0]], results[SIZES[1]]
    rows = []
    for state, label in (("complete", "Nepal days kept"), ("composed", "no Nepal phase")):
        for name in small[state]:
            a, b = small[state][name], large[state][name]
            rows.append(_row(f"{name} [{label}]", a, b))
    overview = [small["complete"][k] for k in ("summary (30 days, with previous)", "live counts (account)",
                                               "live counts (per agent)")]
    overview_large = [large["complete"][k] for k in ("summary (30 days, with previous)", "live counts (account)",
                                                     "live counts (per agent)")]
    rows.append(["overview screen (summary + live counts) [Nepal days kept]",
                 str(sum(u.requests for u in overview)), str(sum(u.requests for u in overview_large)),
                 str(sum(u.items for u in overview)), str(sum(u.items for u in overview_large)),
                 f"{sum(u.rcu for u in overview):g}", f"{sum(u.rcu for u in overview_large):g}",
                 f"{sum(u.rcu for u in overview_large) / sum(u.rcu for u in overview):.2f}"])
    rows += [_row(name, small["csat"][name], large["csat"][name]) for name in small["csat"]]
    print_table("Reports at 1,000 and 100,000 conversations (90 days, 20 agents, 5 inboxes, UTC+05:45)",
                ["report", "requests 1k", "requests 100k", "items 1k", "items 100k", "RCU 1k", "RCU 100k",
                 "RCU ratio"], rows,
                [f"{small['events']:,} and {large['events']:,} occurrences, summed with rollups.increments and "
                 f"batch-written ({small['write_seconds']:.0f} s, {large['write_seconds']:.0f} s); that writer stored "
                 f"exactly what rollups.add stores for a {checked}-occurrence sample",
                 f"CSAT: {small['surveys']:,} and {large['surveys']:,} surveys ({small['answered']:,} and "
                 f"{large['answered']:,} answered; {small['survey_bytes']:.0f} and {large['survey_bytes']:.0f} bytes "
                 f"an item), {small['tally_items']:,} and {large['tally_items']:,} tally items, summed with "
                 f"tallies.changes and batch-written ({small['csat_seconds']:.0f} s, {large['csat_seconds']:.0f} s); "
                 f"that writer stored exactly what tallies.sync stores, one transaction per write, for "
                 f"{csat_checked} surveys; the tallied answers equalled the untallied ones (all six at 1k, the "
                 f"90-day account's at 100k)",
                 "requests and items include authentication (token, membership) and the phases record",
                 "items of a filtered or COUNT Query are the items it read (and is billed for), not returned",
                 "RCU: eventually consistent 0.5 per started 4 KB per item (an absent key the minimum)"])
