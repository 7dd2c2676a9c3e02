"""Automation rules: the API (Chatwoot's shapes, checked against the spec), and the
automation consumer run on the events the bus delivered, as the local stack hands them
over."""
from __future__ import annotations

import json

import boto3
import pytest

from tests import event_pipe
from tests.conftest import LambdaContext, load_function
from tests.integration.test_conversations import start_chat
from tests.spec import assert_matches


SPEC_LIST = "/api/v1/accounts/{account_id}/automation_rules"
SPEC_ONE = "/api/v1/accounts/{account_id}/automation_rules/{id}"


def url(world, rest: str = "") -> str:
    return f"/api/v1/accounts/{world.account_id}/automation_rules" + (f"/{rest}" if rest else "")


def delivered() -> list[dict]:
    """Everything EventBridge delivered to the automation rule's target, in order, taken off
    its queue (moto delivers rule targets in-process)."""
    event_pipe.pump()
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="test-DomainEventsToAutomationRule-automation-delivery")["QueueUrl"]
    events = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return events


def run(events: list[dict]) -> list[dict]:
    consumer = load_function("automation")
    return [consumer.lambda_handler(event, LambdaContext()) for event in events]


def settle(limit: int = 10) -> int:
    """Run the consumer until the bus is quiet; returns how many rounds of events there
    were (a loop would never get quiet)."""
    for rounds in range(limit):
        events = delivered()
        if not events:
            return rounds
        run(events)
    raise AssertionError("automation never settled: it keeps triggering itself")


def conversation(api, world, conversation_id: int) -> dict:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}", world.admin.token).json


def messages(api, world, conversation_id: int) -> list[dict]:
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                   world.admin.token).json["payload"]


def rule(api, world, **fields) -> dict:
    reply = api.post(url(world), world.admin.token, body=fields)
    assert reply.status == 200, reply.json
    return reply.json["payload"]


@pytest.fixture
def refund_rule(api, world):
    api.post(f"/api/v1/accounts/{world.account_id}/labels", world.admin.token, body={"title": "refund"})
    team = api.post(f"/api/v1/accounts/{world.account_id}/teams", world.admin.token, body={"name": "Billing"}).json
    delivered()
    return rule(api, world, name="Refunds to billing", description="", event_name="message_created", conditions=[
        {"attribute_key": "message_type", "filter_operator": "equal_to", "values": ["incoming"], "query_operator": "and"},
        {"attribute_key": "content", "filter_operator": "contains", "values": ["refund"], "query_operator": None},
    ], actions=[
        {"action_name": "add_label", "action_params": ["refund"]},
        {"action_name": "send_message", "action_params": ["Billing will answer shortly."]},
        {"action_name": "assign_team", "action_params": [team["id"]]},
    ]) | {"team_id": team["id"]}


def test_rules_in_chatwoots_shape(api, world):
    api.post(f"/api/v1/accounts/{world.account_id}/labels", world.admin.token, body={"title": "bugs"})
    created = api.post(url(world), world.admin.token, body={
        "name": "Bugs", "description": "label bug reports", "event_name": "message_created", "active": True,
        "conditions": [{"attribute_key": "content", "filter_operator": "contains", "values": ["bug"],
                        "query_operator": None}],
        "actions": [{"action_name": "add_label", "action_params": ["bugs"]}]})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", SPEC_LIST)
    item = created.json["payload"]
    assert item["event_name"] == "message_created" and item["active"] is True and item["account_id"] == world.account_id
    assert item["actions"] == [{"action_name": "add_label", "action_params": ["bugs"]}]
    listed = api.get(url(world), world.admin.token)
    assert_matches(listed.json, "get", SPEC_LIST)
    assert [r["id"] for r in listed.json["payload"]] == [item["id"]]
    shown = api.get(url(world, str(item["id"])), world.admin.token)
    assert_matches(shown.json, "get", SPEC_ONE)
    updated = api.patch(url(world, str(item["id"])), world.admin.token, body={"active": False, "name": "Bug reports"})
    assert_matches(updated.json, "patch", SPEC_ONE)
    assert updated.json["payload"]["active"] is False and updated.json["payload"]["name"] == "Bug reports"
    assert updated.json["payload"]["conditions"] == item["conditions"]
    # Agents and other accounts: not theirs.
    assert api.get(url(world), world.agent.token).status == 403
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/automation_rules/{item['id']}",
                   world.other_admin.token).status == 404
    assert api.delete(url(world, str(item["id"])), world.admin.token).status == 200
    assert api.get(url(world, str(item["id"])), world.admin.token).status == 404


def test_bad_rules_are_refused_and_change_nothing(api, world):
    base = {"name": "r", "event_name": "conversation_created",
            "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
            "actions": [{"action_name": "resolve_conversation"}]}
    cases = [
        ({"event_name": "contact_created"}, "event_name"),
        ({"conditions": []}, "conditions"),
        ({"conditions": [{"attribute_key": "shoe_size", "filter_operator": "equal_to", "values": ["9"]}]},
         "conditions.0.attribute_key"),
        ({"conditions": [{"attribute_key": "content", "filter_operator": "contains", "values": ["x"]}]},
         "conditions.0.attribute_key"),  # message conditions need message_created
        ({"conditions": [{"attribute_key": "status", "filter_operator": "sounds_like", "values": ["open"]}]},
         "conditions.0.filter_operator"),
        ({"conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["closed"]}]},
         "conditions.0.values"),
        ({"conditions": [{"attribute_key": "labels", "filter_operator": "equal_to", "values": ["ghost"]}]},
         "conditions.0.values"),
        ({"conditions": [{"attribute_key": "team_id", "filter_operator": "equal_to", "values": [77]}]},
         "conditions.0.values"),
        ({"conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"],
                          "query_operator": "XOR"},
                         {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]},
         "payload.0.query_operator"),
        ({"actions": [{"action_name": "assign_agent", "action_params": [world.other_admin.id]}]},
         "actions.0.action_params"),
        ({"actions": [{"action_name": "send_webhook_event", "action_params": ["https://example.test"]}]},
         "actions.0.action_name"),
        ({"actions": [{"action_name": "remove_assigned_team"}]}, "actions.0.action_name"),  # a macro action
    ]
    for change, field in cases:
        reply = api.post(url(world), world.admin.token, body={**base, **change})
        assert reply.status == 422, (change, reply.json)
        assert reply.json["errors"][0]["field"] == field, (change, reply.json)
    assert api.get(url(world), world.admin.token).json["payload"] == []
    item = rule(api, world, **base)
    bad = api.patch(url(world, str(item["id"])), world.admin.token,
                    body={"name": "renamed", "actions": [{"action_name": "add_label", "action_params": ["ghost"]}]})
    assert bad.status == 422 and "'ghost' does not exist" in bad.json["error"]
    assert api.get(url(world, str(item["id"])), world.admin.token).json["payload"] == item


def test_a_matching_message_runs_the_rule_once(api, world, website, refund_rule):
    _, conversation_id = start_chat(website, "I would like a REFUND please")
    rounds = settle()
    shown = conversation(api, world, conversation_id)
    assert shown["labels"] == ["refund"] and shown["team_id"] == refund_rule["team_id"]
    automated = [m for m in messages(api, world, conversation_id) if m["message_type"] == 1]
    assert [m["content"] for m in automated] == ["Billing will answer shortly."]
    assert automated[0]["content_attributes"] == {"automation_rule_id": refund_rule["id"]}
    assert rounds == 2  # the rule's own events were delivered once more, and ignored

    _, other = start_chat(website, "Just saying hello")
    settle()
    assert conversation(api, world, other)["labels"] == []


def test_the_same_event_delivered_twice_acts_once(api, world, website, refund_rule):
    _, conversation_id = start_chat(website, "refund")
    events = delivered()
    run(events)
    run(events)  # EventBridge delivers at least once
    automated = [m for m in messages(api, world, conversation_id) if m["message_type"] == 1]
    assert len(automated) == 1


def test_a_retry_after_a_failure_finishes_without_repeating(api, world, website, refund_rule, monkeypatch):
    from parley.services.conversation import conversations

    _, conversation_id = start_chat(website, "refund")
    events = delivered()
    real = conversations.assign_team

    def flaky(*args, **kwargs):
        raise RuntimeError("DynamoDB is having a moment")

    monkeypatch.setattr(conversations, "assign_team", flaky)
    with pytest.raises(RuntimeError):
        run(events)
    assert conversation(api, world, conversation_id)["team_id"] is None
    monkeypatch.setattr(conversations, "assign_team", real)
    run(events)  # Lambda's retry
    shown = conversation(api, world, conversation_id)
    assert shown["team_id"] == refund_rule["team_id"] and shown["labels"] == ["refund"]
    assert len([m for m in messages(api, world, conversation_id) if m["message_type"] == 1]) == 1


def test_rules_do_not_trigger_each_other_forever(api, world, website):
    api.post(f"/api/v1/accounts/{world.account_id}/labels", world.admin.token, body={"title": "seen"})
    # Each rule's action is an update that the other rule's event would match.
    for text in ("ping", "pong"):
        rule(api, world, name=text, event_name="conversation_updated",
             conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}],
             actions=[{"action_name": "add_private_note", "action_params": [text]},
                      {"action_name": "add_label", "action_params": ["seen"]}])
    _, conversation_id = start_chat(website)
    delivered()
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/toggle_priority", world.agent.token,
             body={"priority": "high"})
    settle()
    notes = [m["content"] for m in messages(api, world, conversation_id) if m["private"]]
    assert sorted(notes) == ["ping", "pong"]
    assert conversation(api, world, conversation_id)["labels"] == ["seen"]


def test_conversation_events_and_conditions(api, world, website):
    inbox_rule = rule(api, world, name="Website chats to Aaron", event_name="conversation_created", conditions=[
        {"attribute_key": "inbox_id", "filter_operator": "equal_to", "values": [website.id], "query_operator": "OR"},
        {"attribute_key": "email", "filter_operator": "contains", "values": ["@vip.test"]}],
        actions=[{"action_name": "assign_agent", "action_params": [world.agent.id]}])
    rule(api, world, name="Resolved", event_name="conversation_resolved",
         conditions=[{"attribute_key": "assignee_id", "filter_operator": "is_present", "values": []}],
         actions=[{"action_name": "add_private_note", "action_params": ["Resolved while assigned"]}])
    rule(api, world, name="Off", event_name="conversation_resolved", active=False,
         conditions=[{"attribute_key": "status", "filter_operator": "equal_to", "values": ["resolved"]}],
         actions=[{"action_name": "add_private_note", "action_params": ["inactive rules never run"]}])
    _, conversation_id = start_chat(website)
    settle()
    assert conversation(api, world, conversation_id)["meta"]["assignee"]["id"] == world.agent.id
    api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/toggle_status", world.agent.token,
             body={"status": "resolved"})
    settle()
    notes = [m["content"] for m in messages(api, world, conversation_id) if m["private"]]
    assert notes == ["Resolved while assigned"]
    assert inbox_rule["conditions"][0]["values"] == [website.id]


def test_a_reference_deleted_since_is_skipped_and_the_rest_applied(api, world, website, refund_rule, caplog):
    api.delete(f"/api/v1/accounts/{world.account_id}/teams/{refund_rule['team_id']}", world.admin.token)
    _, conversation_id = start_chat(website, "refund")
    results = run(delivered())
    assert {"conversation_id": conversation_id, "action_name": "assign_team",
            "reason": f"assign_team: team {refund_rule['team_id']} does not exist"} in \
        [s for r in results for s in r.get("skipped", [])]
    shown = conversation(api, world, conversation_id)
    assert shown["labels"] == ["refund"] and shown["team_id"] is None
    assert any("skipped action assign_team" in r.getMessage() for r in caplog.records)


def test_malformed_events_are_dropped(world):
    consumer = load_function("automation")
    assert consumer.lambda_handler({"detail-type": "x", "detail": "nope"}, LambdaContext()) == {"matched": []}
    assert consumer.lambda_handler({"detail": {"id": "1", "event": "message.created", "account_id": "1", "data": {}}},
                                   LambdaContext())["ignored"]
