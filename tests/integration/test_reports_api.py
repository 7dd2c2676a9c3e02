"""Chatwoot's v2 reports through the HTTP API, read from rollups written by rollups.add
(as the reporting consumer writes them) on a scripted timeline at Nepal's +05:45, and the
live counts from real conversations."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from parley import dynamo
from parley.services.reporting import rollups
from tests.conftest import LambdaContext, http_event
from tests.integration.test_conversations import start_chat
from tests.spec import assert_matches

NEPAL = 345
DAY = 86400


def local(*args, offset: int = NEPAL) -> int:
    return int(datetime(*args, tzinfo=timezone(timedelta(minutes=offset))).timestamp())


MAR1 = local(2026, 3, 1)


def record(account_id, metric, at, agent=None, inbox=None, value=None, value_bh=None, channel="Channel::WebWidget",
           label=None):
    dims = [("agent", agent), ("inbox", inbox), ("channel", channel), ("label", label)]
    with dynamo.transaction() as tx:
        rollups.add(tx, account_id, metric, at, dims, value=value, value_bh=value_bh)


@pytest.fixture
def timeline(api, world, website):
    """Three Nepal days of occurrences, some at the edges of local midnight."""
    rollups.forget()
    a, agent, inbox = world.account_id, world.agent.id, website.id
    # 1 March (local): two conversations, one at 00:05 local (18:20 UTC the day before)
    record(a, "conversations", local(2026, 3, 1, 0, 5), agent=agent, inbox=inbox)
    record(a, "conversations", local(2026, 3, 1, 23, 59), inbox=inbox)
    record(a, "first_response", local(2026, 3, 1, 0, 30), agent=agent, inbox=inbox, value=1500, value_bh=600)
    record(a, "resolution", local(2026, 3, 1, 9, 0), agent=agent, inbox=inbox, value=32000, value_bh=20000)
    # 2 March: one conversation, a slow first response (5 h)
    record(a, "conversations", local(2026, 3, 2, 12, 0), agent=agent, inbox=inbox)
    record(a, "first_response", local(2026, 3, 2, 17, 0), agent=agent, inbox=inbox, value=18000, value_bh=18000)
    record(a, "incoming_messages", local(2026, 3, 2, 12, 0), inbox=inbox)
    # 28 February (the previous period of a 1-3 March window): one conversation
    record(a, "conversations", local(2026, 2, 28, 23, 59), inbox=inbox)
    # Another account's occurrences never show
    record(world.other_account_id, "conversations", local(2026, 3, 1, 12), inbox=999)
    return a


def base(world) -> str:
    return f"/api/v2/accounts/{world.account_id}"


def window(**extra) -> dict:
    return {"since": MAR1, "until": MAR1 + 3 * DAY, "timezone_offset": "5.75", **extra}


def raw_get(api, path, token, query=None):
    """A CSV answer (the test client parses JSON)."""
    headers = {} if token is None else {"api_access_token": token}
    result = api.handler_for("GET", path)(http_event("GET", path, headers=headers, query=query), LambdaContext())
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return result["statusCode"], result.get("headers") or {}, body


def test_daily_series_in_nepal_time(api, world, timeline):
    reply = api.get(f"{base(world)}/reports", world.admin.token, query=window(metric="conversations_count"))
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "get", "/api/v2/accounts/{account_id}/reports")
    assert reply.json == [{"value": 2, "timestamp": MAR1}, {"value": 1, "timestamp": MAR1 + DAY},
                          {"value": 0, "timestamp": MAR1 + 2 * DAY}]
    # The same days in UTC group differently: 00:05 Nepal is the day before in UTC.
    utc = api.get(f"{base(world)}/reports", world.admin.token,
                  query={"metric": "conversations_count", "since": local(2026, 2, 28, offset=0),
                         "until": local(2026, 3, 3, offset=0)})
    assert [row["value"] for row in utc.json] == [2, 1, 1]


def test_average_series_business_hours_and_agent(api, world, timeline):
    query = window(metric="avg_first_response_time", type="agent", id=world.agent.id)
    rows = api.get(f"{base(world)}/reports", world.admin.token, query=query).json
    assert [(r["value"], r["count"]) for r in rows] == [(1500, 1), (18000, 1), (0, 0)]
    rows = api.get(f"{base(world)}/reports", world.admin.token, query={**query, "business_hours": "true"}).json
    assert [r["value"] for r in rows] == [600, 18000, 0]


def test_hourly_groups_at_a_quarter_hour_offset(api, world, timeline):
    rows = api.get(f"{base(world)}/reports", world.admin.token,
                   query={"metric": "conversations_count", "since": MAR1, "until": MAR1 + DAY, "group_by": "hour",
                          "timezone_offset": "5.75"}).json
    assert len(rows) == 24 and rows[0] == {"value": 1, "timestamp": MAR1}
    assert rows[23] == {"value": 1, "timestamp": MAR1 + 23 * 3600}
    assert sum(r["value"] for r in rows) == 2


def test_summary_with_previous_period(api, world, timeline):
    reply = api.get(f"{base(world)}/reports/summary", world.admin.token, query=window())
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "get", "/api/v2/accounts/{account_id}/reports/summary")
    body = reply.json
    assert body["conversations_count"] == 3 and body["incoming_messages_count"] == 1
    assert body["avg_first_response_time"] == (1500 + 18000) / 2
    assert body["resolutions_count"] == 1 and body["avg_resolution_time"] == 32000
    assert body["previous"]["conversations_count"] == 1  # 28 Feb 23:59 .. the 3 days before

def test_inbox_summary(api, world, website, timeline):
    inbox = api.get(f"{base(world)}/reports/summary", world.admin.token, query=window(type="inbox", id=website.id))
    assert inbox.json["conversations_count"] == 3


def test_summary_reports_tables_distribution_and_csv(api, world, timeline):
    agents = api.get(f"{base(world)}/summary_reports/agent", world.admin.token, query=window()).json
    mine = next(row for row in agents if row["id"] == world.agent.id)
    assert mine == {"id": world.agent.id, "conversations_count": 2, "resolved_conversations_count": 1,
                    "avg_resolution_time": 32000, "avg_first_response_time": 9750, "avg_reply_time": None}
    admin_row = next(row for row in agents if row["id"] == world.admin.id)
    assert admin_row["conversations_count"] == 0 and admin_row["avg_first_response_time"] is None

    distribution = api.get(f"{base(world)}/reports/first_response_time_distribution", world.admin.token,
                           query=window()).json
    assert distribution == {"Channel::WebWidget": {"0-1h": 1, "1-4h": 0, "4-8h": 1, "8-24h": 0, "24h+": 0}}

    channel = api.get(f"{base(world)}/summary_reports/channel", world.admin.token, query=window()).json
    assert_matches(channel, "get", "/api/v2/accounts/{account_id}/summary_reports/channel")
    assert channel["Channel::WebWidget"]["total"] == 3 and channel["Channel::WebWidget"]["resolved"] == 1

    status, headers, text = raw_get(api, f"{base(world)}/reports/agents", world.admin.token, window())
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment; filename=agents_report.csv" == headers["Content-Disposition"]
    lines = text.splitlines()
    assert lines[0] == "Reporting period 2026-03-01 to 2026-03-03"
    assert "Aaron Agent,2,1,9750,32000," in lines

    status, _, text = raw_get(api, f"{base(world)}/reports/conversation_traffic", world.admin.token, window())
    rows = [line.split(",") for line in text.splitlines()]
    assert rows[0][0] == "Conversations per hour (UTC+05:45)" and rows[0][1] == "00:00"
    assert rows[1][0] == "2026-03-01" and rows[1][1] == "1" and rows[1][24] == "1"
    assert rows[2][13] == "1" and len(rows) == 4


def test_live_counts(api, world, website):
    start_chat(website)
    visitor, second = start_chat(website, "Second question")
    path = f"/api/v1/accounts/{world.account_id}/conversations/{second}"
    assert api.post(f"{path}/assignments", world.admin.token, body={"assignee_id": world.agent.id}).status == 200
    live = api.get(f"{base(world)}/reports/conversations", world.admin.token, query={"type": "account"})
    assert live.status == 200, live.json
    assert_matches(live.json, "get", "/api/v2/accounts/{account_id}/reports/conversations")
    assert live.json == {"open": 2, "unattended": 2, "unassigned": 1, "pending": 0}
    # The agent answers: no longer unattended; the customer writes again: unattended again.
    assert api.post(f"{path}/messages", world.agent.token, body={"content": "On it"}).status == 200
    assert api.get(f"{base(world)}/reports/conversations", world.admin.token).json["unattended"] == 1
    per_agent = api.get(f"{base(world)}/reports/conversations/", world.admin.token, query={"type": "agent"})
    assert_matches(per_agent.json, "get", "/api/v2/accounts/{account_id}/reports/conversations/")
    mine = next(row for row in per_agent.json if row["id"] == world.agent.id)
    assert mine["metric"] == {"open": 1, "unattended": 0}
    website.widget.say(visitor, "Still there?")
    mine = next(row for row in api.get(f"{base(world)}/reports/conversations", world.admin.token,
                                       query={"type": "agent"}).json if row["id"] == world.agent.id)
    assert mine["metric"] == {"open": 1, "unattended": 1}
    assert api.post(f"{path}/toggle_status", world.agent.token, body={"status": "resolved"}).status == 200
    assert api.get(f"{base(world)}/reports/conversations", world.admin.token).json == {
        "open": 1, "unattended": 1, "unassigned": 1, "pending": 0}
    # The rebuild recomputes the same counts from the stored conversations, in chunks.
    from parley.models.conversation_index import ConversationCount
    from parley.services.reporting import live_counts
    for item in ConversationCount.query(world.account_id):
        if item.key.startswith("conversation_unattended#"):
            item.update(actions=[ConversationCount.value.set(7)])
    assert live_counts.rebuild(world.account_id, limit=1)
    assert live_counts.account(world.account_id) == {"open": 1, "unattended": 1, "unassigned": 1, "pending": 0}


@pytest.mark.parametrize("query,field", [
    ({"metric": "nonsense"}, "metric"),
    ({"metric": "conversations_count", "type": "planet"}, "type"),
    ({"metric": "conversations_count", "since": "200", "until": "100"}, "since"),
    ({"metric": "conversations_count", "since": "0", "until": str(800 * DAY)}, "since"),
    ({"metric": "conversations_count", "since": "0", "until": str(40 * DAY), "group_by": "hour"}, "group_by"),
    ({"metric": "conversations_count", "group_by": "fortnight"}, "group_by"),
    ({"metric": "conversations_count", "timezone_offset": "5.6"}, "timezone_offset"),
    ({"metric": "conversations_count", "timezone_offset": "+05:30"}, "timezone_offset"),
    ({"metric": "conversations_count", "timezone_offset": "15"}, "timezone_offset"),
    ({"metric": "conversations_count", "since": "yesterday"}, "since"),
    ({"metric": "conversations_count", "business_hours": "maybe"}, "business_hours"),
    ({"metric": "conversations_count", "type": "agent"}, "id"),
])
def test_bad_input_is_422_naming_the_parameter(api, world, query, field):
    reply = api.get(f"{base(world)}/reports", world.admin.token, query=query)
    assert reply.status == 422, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_who_may_read_reports(api, world, website):
    path = f"{base(world)}/reports/summary"
    assert api.get(path, world.agent.token).status == 403
    assert api.get(path, world.other_admin.token).status == 404
    assert api.get(f"/api/v2/accounts/{world.other_account_id}/reports/summary", world.admin.token).status == 404
    # another account's inbox, agent or team id: 404
    other_inbox = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token, body={
        "name": "Globex", "channel": {"type": "api"}}).json["id"]
    assert api.get(f"{base(world)}/reports", world.admin.token,
                   query={"metric": "conversations_count", "type": "inbox", "id": other_inbox}).status == 404
    assert api.get(f"{base(world)}/reports", world.admin.token,
                   query={"metric": "conversations_count", "type": "agent", "id": world.other_admin.id}).status == 404


def test_csv_downloads_with_every_caller(api, world):
    """The CSV routes (the permission matrix reads JSON): report_manage or administrator."""
    from tests.integration.test_permission_matrix import CALLERS, REPORT, token_of

    failures = []
    for name in ("agents", "inboxes", "labels", "teams", "conversation_traffic", "conversations_export"):
        path = f"{base(world)}/reports/{name}"
        for caller, expected in zip(CALLERS, REPORT):
            status, headers, text = raw_get(api, path, token_of(world, caller))
            if status != expected or (status == 200) != headers.get("Content-Type", "").startswith("text/csv"):
                failures.append(f"GET {path} as {caller}: {status} (expected {expected}) {text[:80]}")
    assert not failures, "\n".join(failures)


def test_per_conversation_export(api, world, website):
    """A real conversation's reporting events (the reporting consumer's), exported one line
    per conversation, with the numbers the reporting events API gives."""
    import time

    from tests.integration.test_reporting_events import consume, received

    rollups.forget()
    visitor, display_id = start_chat(website)
    path = f"/api/v1/accounts/{world.account_id}/conversations/{display_id}"
    assert api.post(f"{path}/messages", world.agent.token, body={"content": "Hello!"}).status == 200
    website.widget.say(visitor, "One more question")
    assert api.post(f"{path}/messages", world.agent.token, body={"content": "Sure"}).status == 200
    assert api.post(f"{path}/toggle_status", world.agent.token, body={"status": "resolved"}).status == 200
    consume(received("ReportingQueue"))
    events = {e["name"]: e for e in api.get(f"{path}/reporting_events", world.admin.token).json}
    now = int(time.time())
    query = {"since": str(now - 3600), "until": str(now + 3600), "timezone_offset": "5.75"}
    status, headers, text = raw_get(api, f"{base(world)}/reports/conversations_export", world.admin.token, query)
    assert status == 200 and headers["Content-Disposition"] == "attachment; filename=conversations_report.csv"
    lines = [line.split(",") for line in text.splitlines()]
    assert lines[2][:3] == ["Conversation", "Inbox", "Status"]
    [row] = lines[3:]
    assert row[0] == str(display_id) and row[1] == "Acme website" and row[2] == "resolved"
    assert float(row[7]) == events["first_response"]["value"]
    assert row[8] == "1" and float(row[9]) == events["reply_time"]["value"]
    assert row[10] == "1" and float(row[11]) == events["conversation_resolved"]["value"]
    assert row[6].endswith("+05:45")
    assert raw_get(api, f"{base(world)}/reports/conversations_export", world.agent.token, query)[0] == 403
    too_long = {"since": "0", "until": str(100 * DAY)}
    assert raw_get(api, f"{base(world)}/reports/conversations_export", world.admin.token, too_long)[0] == 422


def test_team_and_label_reports(api, world):
    from parley.services.account import labels, teams

    rollups.forget()
    a = world.account_id
    team, label = teams.create(a, "Support"), labels.create(a, "VIP")
    for hour in (1, 5, 30):
        with dynamo.transaction() as tx:
            rollups.add(tx, a, "conversations", MAR1 + hour * 3600, [("team", team.id), ("label", "vip")])
    with dynamo.transaction() as tx:
        rollups.add(tx, a, "resolution", MAR1 + 7200, [("team", team.id), ("label", "vip")], value=600)
    rows = api.get(f"{base(world)}/summary_reports/team", world.admin.token, query=window()).json
    assert rows == [{"id": team.id, "conversations_count": 3, "resolved_conversations_count": 1,
                     "avg_resolution_time": 600, "avg_first_response_time": None, "avg_reply_time": None}]
    rows = api.get(f"{base(world)}/summary_reports/label", world.admin.token, query=window()).json
    assert rows[0]["id"] == label.id and rows[0]["title"] == "vip" and rows[0]["conversations_count"] == 3
    series = api.get(f"{base(world)}/reports", world.admin.token,
                     query=window(metric="conversations_count", type="label", id=label.id)).json
    assert [p["value"] for p in series] == [2, 1, 0]
    status, _, text = raw_get(api, f"{base(world)}/reports/teams", world.admin.token, window())
    assert status == 200 and "Support,3,1,,600," in text.splitlines()
    teams.create(world.other_account_id, "Theirs")
    other_team = teams.create(world.other_account_id, "Theirs too")  # id 2: a team of Globex only
    assert api.get(f"{base(world)}/reports", world.admin.token,
                   query=window(metric="conversations_count", type="team", id=other_team.id)).status == 404
