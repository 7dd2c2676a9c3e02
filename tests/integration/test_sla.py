"""SLA policies end to end: the API (administrators change policies, audited; bad
thresholds are refused), applying one by hand and by the add_sla automation action, the
clocks followed from domain events by the automation consumer, ONE schedule per applied
SLA at its next deadline (moved, cancelled), a miss notifying the assignee and the team
and firing `sla_missed` automation rules, and the applied_slas report."""
from __future__ import annotations

import csv
import io
import json
import os
import time

import boto3
import pytest

from tests.conftest import LambdaContext, http_event, load_function
from tests.integration.test_conversations import start_chat
from tests.integration.test_notifications import pump

SCHEDULE_PREFIX = "sla_deadline-"


def url(world, rest: str = "") -> str:
    return f"/api/v1/accounts/{world.account_id}/sla_policies" + (f"/{rest}" if rest else "")


def conversation_url(world, number: int, rest: str = "") -> str:
    return f"/api/v1/accounts/{world.account_id}/conversations/{number}" + (f"/{rest}" if rest else "")


def make_policy(api, world, **fields) -> dict:
    reply = api.post(url(world), world.admin.token, body={"sla_policy": {"name": "Gold", **fields}})
    assert reply.status == 200, reply.json
    return reply.json["payload"]


def schedules() -> dict[str, dict]:
    client, group = boto3.client("scheduler"), os.environ["SCHEDULE_GROUP"]
    return {s["Name"]: client.get_schedule(Name=s["Name"], GroupName=group)
            for s in client.list_schedules(GroupName=group)["Schedules"] if s["Name"].startswith(SCHEDULE_PREFIX)}


def fire(schedule: dict) -> dict:
    """What EventBridge Scheduler does: delete the one-time schedule and invoke the
    scheduled function with its Input."""
    client = boto3.client("scheduler")
    try:
        client.delete_schedule(Name=schedule["Name"], GroupName=os.environ["SCHEDULE_GROUP"])
    except client.exceptions.ResourceNotFoundException:
        pass
    return load_function("scheduled").lambda_handler(json.loads(schedule["Target"]["Input"]), LambdaContext())


def automation() -> int:
    """The automation consumer (which also follows SLA clocks) on what the bus delivered."""
    return pump("DomainEventsToAutomationRule", "automation", "automation")


def notify() -> int:
    return pump("DomainEventsToNotifyRule", "notify", "notify")


def settle() -> None:
    for _ in range(6):
        if not automation():
            return
    raise AssertionError("automation never settled")


def shown(api, world, number: int) -> dict:
    reply = api.get(conversation_url(world, number), world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json


@pytest.fixture
def clock(monkeypatch):
    """Moves the SLA service's clock `seconds` ahead of the real one."""
    from parley.services.sla import applied

    def ahead(seconds: int) -> None:
        monkeypatch.setattr(applied, "_now", lambda: int(time.time()) + seconds)
    return ahead


def test_policies_crud_for_administrators_audited_and_bad_thresholds_refused(api, world):
    created = make_policy(api, world, description="Answer fast", first_response_time_threshold=600,
                          next_response_time_threshold=1800, resolution_time_threshold=86400,
                          only_during_business_hours=True)
    assert {k: created[k] for k in ("name", "description", "first_response_time_threshold",
                                    "next_response_time_threshold", "resolution_time_threshold",
                                    "only_during_business_hours")} == {
        "name": "Gold", "description": "Answer fast", "first_response_time_threshold": 600,
        "next_response_time_threshold": 1800, "resolution_time_threshold": 86400, "only_during_business_hours": True}
    one = url(world, str(created["id"]))
    # Members read them (to apply one); only administrators change them.
    assert [p["id"] for p in api.get(url(world), world.agent.token).json["payload"]] == [created["id"]]
    assert api.get(one, world.agent.token).json["payload"]["name"] == "Gold"
    assert api.post(url(world), world.agent.token, body={"name": "Mine", "first_response_time_threshold": 600}).status == 403
    assert api.patch(one, world.agent.token, body={"name": "Mine"}).status == 403
    assert api.delete(one, world.agent.token).status == 403
    # Another account's id is not found.
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/sla_policies/{created['id']}",
                   world.other_admin.token).status == 404
    assert api.patch(f"/api/v1/accounts/{world.other_account_id}/sla_policies/{created['id']}",
                     world.other_admin.token, body={"name": "x"}).status == 404
    updated = api.patch(one, world.admin.token, body={"sla_policy": {"name": "Platinum",
                                                                     "next_response_time_threshold": None}})
    assert updated.status == 200, updated.json
    assert updated.json["payload"]["name"] == "Platinum"
    assert updated.json["payload"]["next_response_time_threshold"] is None
    # Negative, absurd, not a number, none at all: 422 naming the field, nothing changed.
    for fields, field in (({"first_response_time_threshold": -5}, "first_response_time_threshold"),
                          ({"resolution_time_threshold": 10**10}, "resolution_time_threshold"),
                          ({"next_response_time_threshold": "five"}, "next_response_time_threshold"),
                          ({"first_response_time_threshold": 10}, "first_response_time_threshold")):
        refused = api.patch(one, world.admin.token, body=fields)
        assert refused.status == 422 and field in json.dumps(refused.json), (fields, refused.json)
        refused = api.post(url(world), world.admin.token, body={"name": "Bad", **fields})
        assert refused.status == 422, (fields, refused.json)
    assert api.post(url(world), world.admin.token, body={"name": "Empty"}).status == 422
    assert api.post(url(world), world.admin.token, body={"name": "x", "frt": 5}).status == 422  # unknown field
    assert [p["name"] for p in api.get(url(world), world.admin.token).json["payload"]] == ["Platinum"]
    assert api.delete(one, world.admin.token).status == 200
    assert api.get(one, world.admin.token).status == 404
    logged = api.get(f"/api/v1/accounts/{world.account_id}/audit_logs", world.admin.token,
                     query={"auditable_type": "SlaPolicy"}).json
    assert sorted(e["action"] for e in logged["audit_logs"]) == ["create", "destroy", "update"]


def test_applied_by_hand_hit_moves_and_cancels_its_one_schedule(api, world, website):
    policy = make_policy(api, world, first_response_time_threshold=600, resolution_time_threshold=7200)
    other = make_policy(api, world, first_response_time_threshold=900)
    _, number = start_chat(website)
    created_at = shown(api, world, number)["created_at"]
    applied = api.patch(conversation_url(world, number), world.agent.token, body={"sla_policy_id": policy["id"]})
    assert applied.status == 200, applied.json
    sla = applied.json["applied_sla"]
    assert applied.json["sla_policy_id"] == policy["id"] and applied.json["sla_events"] == []
    assert sla["sla_status"] == "active" and sla["sla_name"] == "Gold" and sla["due_type"] == "frt"
    assert sla["sla_first_response_time_threshold"] == 600 and sla["next_due_at"] == created_at + 600
    assert list(schedules()) == [f"{SCHEDULE_PREFIX}{world.account_id}-{number}-{created_at + 600}"]
    # Once applied it stays: the same again changes nothing, another or none is refused.
    assert api.patch(conversation_url(world, number), world.agent.token, body={"sla_policy_id": policy["id"]}).status == 200
    for change in ({"sla_policy_id": other["id"]}, {"sla_policy_id": None}):
        refused = api.patch(conversation_url(world, number), world.agent.token, body=change)
        assert refused.status == 422 and "sla" in json.dumps(refused.json), refused.json
    assert api.patch(conversation_url(world, number), world.agent.token, body={"sla_policy_id": 999}).status == 422
    # Another account's policy is not found (for this account: 422).
    for name in ("Theirs", "Also theirs", "Theirs too"):  # ids are per account: 3 is Globex's alone
        foreign = api.post(f"/api/v1/accounts/{world.other_account_id}/sla_policies", world.other_admin.token,
                           body={"name": name, "first_response_time_threshold": 600}).json["payload"]
    assert foreign["id"] == 3
    _, second = start_chat(website, "Another question")
    assert api.patch(conversation_url(world, second), world.agent.token,
                     body={"sla_policy_id": foreign["id"]}).status == 422
    assert "applied_sla" not in shown(api, world, second)
    settle()
    # The agent answers: the first-response clock stops; the schedule moves to resolution.
    assert api.post(conversation_url(world, number, "messages"), world.agent.token, body={"content": "On it"}).status == 200
    settle()
    sla = shown(api, world, number)["applied_sla"]
    assert (sla["sla_status"], sla["due_type"], sla["next_due_at"]) == ("active", "rt", created_at + 7200)
    stale = {"Name": "stale", "Target": {"Input": json.dumps({
        "task": "sla_deadline", "account_id": world.account_id, "conversation_id": number,
        "deadline": created_at + 600})}}
    assert list(schedules()) == [f"{SCHEDULE_PREFIX}{world.account_id}-{number}-{created_at + 7200}"]
    # Resolved: every clock stops, the SLA is hit and no schedule remains.
    assert api.post(conversation_url(world, number, "toggle_status"), world.agent.token,
                    body={"status": "resolved"}).status == 200
    settle()
    conversation = shown(api, world, number)
    assert conversation["applied_sla"]["sla_status"] == "hit" and conversation["applied_sla"]["next_due_at"] is None
    assert schedules() == {}
    # A stale or repeated schedule changes nothing.
    assert fire(stale) == {"done": True}
    assert shown(api, world, number)["applied_sla"]["sla_status"] == "hit" and schedules() == {}
    # A deleted conversation takes its applied SLA (and any pending deadline) with it.
    from tests.integration.channel_support import drain, queued

    metrics = f"/api/v1/accounts/{world.account_id}/applied_slas/metrics"
    assert api.get(metrics, world.admin.token).json["total_applied_slas"] == 1
    assert schedules() == {}
    assert api.delete(conversation_url(world, number), world.admin.token).status == 200
    while queued("AccountJobsQueue"):
        drain("AccountJobsQueue", "account_jobs", visibility=0)
    assert api.get(metrics, world.admin.token).json["total_applied_slas"] == 0


def test_a_miss_by_automation_notifies_the_assignee_and_team_and_fires_sla_missed(api, world, website, clock):
    base = f"/api/v1/accounts/{world.account_id}"
    policy = make_policy(api, world, first_response_time_threshold=600)
    team = api.post(f"{base}/teams", world.admin.token, body={"name": "Escalations"}).json
    assert api.post(f"{base}/teams/{team['id']}/team_members", world.admin.token,
                    body={"user_ids": [world.agent.id]}).status == 200
    for rule in ({"name": "SLA for everyone", "event_name": "conversation_created",
                  "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
                  "actions": [{"action_name": "add_sla", "action_params": [policy["id"]]},
                              {"action_name": "assign_team", "action_params": [team["id"]]}]},
                 {"name": "Escalate misses", "event_name": "sla_missed",
                  "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
                  "actions": [{"action_name": "change_priority", "action_params": ["urgent"]}]}):
        reply = api.post(f"{base}/automation_rules", world.admin.token, body=rule)
        assert reply.status == 200, reply.json
    bad = api.post(f"{base}/automation_rules", world.admin.token, body={
        "name": "x", "event_name": "conversation_created",
        "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
        "actions": [{"action_name": "add_sla", "action_params": [987654]}]})
    assert bad.status == 422 and "actions.0.action_params" in json.dumps(bad.json)
    _, number = start_chat(website)
    settle()
    notify()
    conversation = shown(api, world, number)
    assert conversation["sla_policy_id"] == policy["id"] and conversation["team_id"] == team["id"]
    (schedule,) = schedules().values()
    # Ten minutes later, unanswered: the schedule fires and records the miss.
    clock(700)
    assert fire(schedule) == {"done": True}
    conversation = shown(api, world, number)
    assert conversation["applied_sla"]["sla_status"] == "active_with_misses"
    assert [e["event_type"] for e in conversation["sla_events"]] == ["frt"]
    assert schedules() == {}  # no clock runs any more
    settle()  # sla.missed -> the sla_missed rule
    assert shown(api, world, number)["priority"] == "urgent"
    notify()
    notes = api.get(f"{base}/notifications", world.agent.token).json["data"]["payload"]
    missed = [n for n in notes if n["notification_type"] == "sla_missed_first_response"]
    assert len(missed) == 1 and missed[0]["primary_actor_id"] == number
    # Firing again (a duplicate delivery) records nothing new.
    fire(schedule)
    assert len(shown(api, world, number)["sla_events"]) == 1
    # The report: the miss listed, the metrics, the CSV; report_manage only.
    listed = api.get(f"{base}/applied_slas", world.admin.token)
    assert listed.status == 200, listed.json
    assert listed.json["meta"] == {"count": 1, "current_page": 1}
    row = listed.json["payload"][0]
    assert row["conversation"]["id"] == number and [e["event_type"] for e in row["sla_events"]] == ["frt"]
    assert row["applied_sla"]["sla_id"] == policy["id"]
    metrics = api.get(f"{base}/applied_slas/metrics", world.admin.token).json
    assert metrics == {"total_applied_slas": 1, "number_of_sla_misses": 1, "hit_rate": "0.0%"}
    assert api.get(f"{base}/applied_slas/metrics", world.admin.token,
                   query={"inbox_id": str(website.id + 1000)}).json["total_applied_slas"] == 0
    assert api.get(f"{base}/applied_slas/metrics", world.admin.token,
                   query={"since": "100", "until": "50"}).status == 422
    path = f"{base}/applied_slas/download"
    download = api.handler_for("GET", path)(http_event("GET", path, headers={"api_access_token": world.admin.token}),
                                            LambdaContext())
    assert download["statusCode"] == 200 and download["headers"]["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download["body"].lstrip("\ufeff"))))
    assert rows[1][0] == str(number) and rows[1][1] == "Gold" and rows[1][3] == "Escalations" and rows[1][-1] == "frt"
    for path in ("applied_slas", "applied_slas/metrics", "applied_slas/download"):
        assert api.get(f"{base}/{path}", world.agent.token).status == 403
        assert api.get(f"/api/v1/accounts/{world.other_account_id}/{path}", world.admin.token).status == 404


def test_next_response_clock_starts_with_the_customer_and_its_miss_names_the_message(api, world, website, clock):
    policy = make_policy(api, world, first_response_time_threshold=600, next_response_time_threshold=300)
    visitor, number = start_chat(website)
    assert api.patch(conversation_url(world, number), world.admin.token,
                     body={"sla_policy_id": policy["id"]}).status == 200
    assert api.post(conversation_url(world, number, "messages"), world.agent.token, body={"content": "Hi!"}).status == 200
    settle()
    assert shown(api, world, number)["applied_sla"]["next_due_at"] is None and schedules() == {}
    asked = website.widget.say(visitor, "One more thing")
    assert asked.status == 200, asked.json
    settle()
    conversation = shown(api, world, number)
    waiting = conversation["waiting_since"]
    assert (conversation["applied_sla"]["due_type"], conversation["applied_sla"]["next_due_at"]) == ("nrt", waiting + 300)
    (schedule,) = schedules().values()
    clock(400)
    fire(schedule)
    events = shown(api, world, number)["sla_events"]
    assert [(e["event_type"], e["meta"]["message_id"]) for e in events] == [("nrt", asked.json["id"])]
