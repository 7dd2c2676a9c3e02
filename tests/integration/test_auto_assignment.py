"""Auto-assignment: round robin over the inbox's online agents (live socket and chose
"online"), a rotation persisted with a conditional write, team auto-assign."""
from __future__ import annotations

import pytest

from tests.integration.test_notifications import conversation_with_visitor
from tests.integration.test_realtime import Sockets, connect

pytestmark = pytest.mark.dynamodb_local


def second_agent(api, world, website, name="Bea Busy", email="bea@acme.test"):
    from parley import tokens
    from parley.services.access import members, users

    member, _ = members.add_agent(world.account_id, name=name, email=email, role="agent")
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                     body={"inbox_id": website.id, "user_ids": [world.agent.id, member.user_id]})
    assert reply.status == 200, reply.json
    return member.user_id, tokens.issue(users.owner(member.user_id))


def assignee_of(api, world, number):
    return api.get(f"/api/v1/accounts/{world.account_id}/conversations/{number}", world.admin.token).json["assignee_id"]


def online(*pairs):
    recorder = Sockets()  # answers the presence frames sockets are sent
    for name, token in pairs:
        assert connect(name, token=token) == 200
    return recorder


def test_round_robin_over_online_agents_skipping_busy_and_offline(api, world, website):
    bea, bea_token = second_agent(api, world, website)
    assert assignee_of(api, world, conversation_with_visitor(website)) is None  # nobody online
    recorder = online(("aaron", world.agent.token), ("bea", bea_token), ("ada", world.admin.token))
    try:
        picked = [assignee_of(api, world, conversation_with_visitor(website)) for _ in range(4)]
        # Ada is online but not a member of the inbox: never picked.
        assert picked == [world.agent.id, bea, world.agent.id, bea]

        # Busy agents are skipped.
        reply = api.post("/api/v1/profile/availability", bea_token,
                         body={"profile": {"availability": "busy", "account_id": world.account_id}})
        assert reply.status == 200, reply.json
        assert [assignee_of(api, world, conversation_with_visitor(website)) for _ in range(2)] == [world.agent.id] * 2
    finally:
        recorder.close()


def test_disabled_inbox_explicit_assignee_and_reopen(api, world, website):
    recorder = online(("aaron", world.agent.token))
    try:
        inbox_path = f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}"
        assert api.patch(inbox_path, world.admin.token, body={"enable_auto_assignment": False}).status == 200
        number = conversation_with_visitor(website)
        assert assignee_of(api, world, number) is None
        assert api.patch(inbox_path, world.admin.token, body={"enable_auto_assignment": True}).status == 200

        # Reopened without an assignee: auto-assigned; resolved or with an assignee: left alone.
        base = f"/api/v1/accounts/{world.account_id}/conversations/{number}"
        assert api.post(f"{base}/toggle_status", world.admin.token, body={"status": "resolved"}).status == 200
        assert assignee_of(api, world, number) is None
        assert api.post(f"{base}/toggle_status", world.admin.token, body={"status": "open"}).status == 200
        assert assignee_of(api, world, number) == world.agent.id
        api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": world.admin.id})
        api.post(f"{base}/toggle_status", world.admin.token, body={"status": "resolved"})
        api.post(f"{base}/toggle_status", world.admin.token, body={"status": "open"})
        assert assignee_of(api, world, number) == world.admin.id
    finally:
        recorder.close()


def test_two_creations_at_once_take_different_turns(aws, world, monkeypatch):
    """The second writer read the rotation before the first saved: its conditional write
    fails, it re-reads and takes the next agent instead of the same one."""
    from parley.services.inbox import assignment

    eligible = [11, 22, 33]
    real_load = assignment._load
    calls = []

    def load_stale_once(account_id, key):
        calls.append(key)
        if len(calls) == 1:
            copy = real_load(account_id, key)
            # Someone else takes a turn between this read and our write.
            assert assignment.next_in_rotation(account_id, "inbox#9", eligible) == 11
            return copy
        return real_load(account_id, key)

    monkeypatch.setattr(assignment, "_load", load_stale_once)
    assert assignment.next_in_rotation(world.account_id, "inbox#9", eligible) == 22
    monkeypatch.setattr(assignment, "_load", real_load)
    assert assignment.next_in_rotation(world.account_id, "inbox#9", eligible) == 33
    assert assignment.next_in_rotation(world.account_id, "inbox#9", eligible) == 11
    assert assignment.next_in_rotation(world.account_id, "inbox#9", []) is None


def test_team_auto_assign_picks_an_online_team_member_in_the_inbox(api, world, website):
    bea, bea_token = second_agent(api, world, website)
    base = f"/api/v1/accounts/{world.account_id}"
    team = api.post(f"{base}/teams", world.admin.token, body={"name": "Billing", "allow_auto_assign": True}).json
    quiet = api.post(f"{base}/teams", world.admin.token, body={"name": "Quiet", "allow_auto_assign": False}).json
    for t in (team, quiet):
        api.post(f"{base}/teams/{t['id']}/team_members", world.admin.token, body={"user_ids": [bea, world.admin.id]})
    number = conversation_with_visitor(website)  # nobody online yet: unassigned
    recorder = online(("aaron", world.agent.token), ("bea", bea_token), ("ada", world.admin.token))
    try:
        path = f"{base}/conversations/{number}/assignments"
        assert api.post(path, world.admin.token, body={"team_id": quiet["id"]}).status == 200
        assert assignee_of(api, world, number) is None  # the team does not auto-assign
        assert api.post(path, world.admin.token, body={"team_id": team["id"]}).status == 200
        # Ada is in the team but not in the inbox; Aaron is in the inbox but not in the team.
        assert assignee_of(api, world, number) == bea
    finally:
        recorder.close()


def test_max_assignment_limit_skips_agents_with_enough_open_conversations(api, world, website):
    bea, bea_token = second_agent(api, world, website)
    inbox_path = f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}"
    for bad in ({"max_assignment_limit": 0}, {"max_assignment_limit": "x"}, {"limit": 1}):
        assert api.patch(inbox_path, world.admin.token, body={"auto_assignment_config": bad}).status == 422
    reply = api.patch(inbox_path, world.admin.token, body={"auto_assignment_config": {"max_assignment_limit": 1}})
    assert reply.status == 200 and reply.json["auto_assignment_config"] == {"max_assignment_limit": 1}
    recorder = online(("aaron", world.agent.token), ("bea", bea_token))
    try:
        picked = [assignee_of(api, world, conversation_with_visitor(website)) for _ in range(3)]
        assert picked == [world.agent.id, bea, None]  # both at their limit: the third waits
    finally:
        recorder.close()
    assert api.patch(inbox_path, world.admin.token, body={"auto_assignment_config": None}).status == 200
    assert api.get(inbox_path, world.admin.token).json["auto_assignment_config"] == {}


def test_finding_online_agents_never_reads_a_visitors_socket(api, world, website, monkeypatch):
    """Presence reads the sparse agent-index: however many visitors have a socket open,
    auto-assignment and the agents list read the agents' sockets and nothing else."""
    from botocore.client import BaseClient

    from parley.models.connection import Connection

    recorder = online(("aaron", world.agent.token))
    try:
        for n in range(5):
            visitor = website.widget.start()
            assert connect(f"visitor-{n}", pubsub_token=visitor.pubsub_token) == 200

        reads = []  # (socket ids returned, items the Query read before its filter)
        original = BaseClient._make_api_call

        def counted(client, operation, params):
            response = original(client, operation, params)
            # (the account-index is the writers' push to every socket, not presence)
            if (operation == "Query" and params.get("TableName") == Connection.Meta.table_name
                    and params.get("IndexName") != "account-index"):
                reads.append(([item["connection_id"]["S"] for item in response["Items"]], response["ScannedCount"]))
            return response

        monkeypatch.setattr(BaseClient, "_make_api_call", counted)
        number = conversation_with_visitor(website)
        agents = api.get(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token).json
        monkeypatch.setattr(BaseClient, "_make_api_call", original)

        assert assignee_of(api, world, number) == world.agent.id
        assert next(a for a in agents if a["id"] == world.agent.id)["availability_status"] == "online"
        # One lookup for the assignment, one for the list; each read Aaron's socket only.
        assert reads == [(["aaron"], 1), (["aaron"], 1)]
    finally:
        recorder.close()
