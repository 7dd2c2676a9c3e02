"""POST /conversations/filter: Chatwoot's payload, served from the indexes, with bad input
refused before anything is read."""
from __future__ import annotations

import pytest

from tests.spec import assert_matches

pytestmark = pytest.mark.dynamodb_local

FILTER_PATH = "/api/v1/accounts/{account_id}/conversations/filter"


def cond(key, operator, values=(), joiner=None, **extra):
    return {"attribute_key": key, "filter_operator": operator, "values": list(values), "query_operator": joiner,
            **extra}


def start(website, text="Hello"):
    visitor = website.widget.start()
    reply = website.widget.say(visitor, text)
    assert reply.status == 200, reply.json
    return reply.json["conversation_id"]


def run(api, world, token, *conditions, page=None):
    return api.post(f"/api/v1/accounts/{world.account_id}/conversations/filter", token,
                    body={"payload": list(conditions)}, query={"page": page} if page else None)


def ids(reply):
    assert reply.status == 200, reply.json
    return sorted(row["id"] for row in reply.json["payload"])


def test_filters_by_status_assignee_labels_and_or(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    a, b, c = start(website, "one"), start(website, "two"), start(website, "three")
    api.post(f"{base}/{a}/assignments", world.admin.token, body={"assignee_id": world.agent.id})
    api.post(f"{base}/{b}/toggle_status", world.admin.token, body={"status": "resolved"})
    api.post(f"{base}/{c}/labels", world.admin.token, body={"labels": ["billing"]})
    api.post(f"{base}/{c}/toggle_priority", world.admin.token, body={"priority": "urgent"})

    reply = run(api, world, world.admin.token, cond("status", "equal_to", ["open"]))
    assert ids(reply) == [a, c]
    # {meta, payload} at the top level, as Chatwoot's server answers (a recorded spec patch)
    assert_matches(reply.json, "post", FILTER_PATH)
    assert reply.json["meta"] == {"mine_count": 0, "unassigned_count": 1, "assigned_count": 1, "all_count": 2}

    assert ids(run(api, world, world.admin.token, cond("assignee_id", "equal_to", [world.agent.id]))) == [a]
    assert ids(run(api, world, world.agent.token, cond("assignee_id", "is_not_present"))) == [b, c]
    assert ids(run(api, world, world.admin.token, cond("labels", "equal_to", ["billing"]))) == [c]
    assert ids(run(api, world, world.admin.token, cond("priority", "equal_to", ["urgent"]))) == [c]
    assert ids(run(api, world, world.admin.token, cond("inbox_id", "equal_to", [website.id]),
                   )) == [a, b, c]
    # AND binds tighter than OR: (resolved AND labelled billing) OR assigned to the agent
    reply = run(api, world, world.admin.token, cond("status", "equal_to", ["resolved"], "AND"),
                cond("labels", "equal_to", ["billing"], "OR"), cond("assignee_id", "equal_to", [world.agent.id]))
    assert ids(reply) == [a]
    reply = run(api, world, world.admin.token, cond("status", "equal_to", ["resolved"], "OR"),
                cond("labels", "is_present"))
    assert ids(reply) == [b, c]
    assert ids(run(api, world, world.admin.token, cond("display_id", "equal_to", [str(b)]))) == [b]
    assert ids(run(api, world, world.admin.token, cond("created_at", "is_greater_than", ["2020-01-01"]))) == [a, b, c]
    assert ids(run(api, world, world.admin.token, cond("last_activity_at", "days_before", ["1"]))) == []


def test_custom_and_browser_attributes(api, world, website):
    base = f"/api/v1/accounts/{world.account_id}/conversations"
    defined = api.post(f"/api/v1/accounts/{world.account_id}/custom_attribute_definitions", world.admin.token, body={
        "attribute_display_name": "Plan", "attribute_display_type": "text", "attribute_key": "plan",
        "attribute_model": "conversation_attribute"})
    assert defined.status == 200, defined.json
    a, b = start(website), start(website)
    api.post(f"{base}/{a}/custom_attributes", world.admin.token, body={"custom_attributes": {"plan": "Enterprise"}})
    reply = run(api, world, world.admin.token, cond("plan", "equal_to", ["enterprise"],
                                                     custom_attribute_type="conversation_attribute"))
    assert ids(reply) == [a]
    # A custom condition is not bucket-exact: the counts are the matches read.
    assert reply.json["meta"]["all_count"] == 1
    assert ids(run(api, world, world.admin.token, cond("plan", "is_not_present"))) == [b]
    assert ids(run(api, world, world.admin.token, cond("browser_language", "not_equal_to", ["xx"]))) == [a, b]


def test_bad_filters_are_422_naming_the_problem(api, world, website):
    start(website)
    bad = [
        ([cond("colour", "equal_to", ["red"])], "colour"),
        ([cond("status", "sideways", ["open"])], "filter_operator"),
        ([cond("status", "contains", ["op"])], "status"),
        ([cond("status", "equal_to", ["closed"])], "closed"),
        ([cond("created_at", "is_greater_than", ["yesterday-ish"])], "date"),
        ([cond("last_activity_at", "days_before", ["many"])], "days"),
        ([cond("assignee_id", "equal_to", ["bob"])], "ids"),
        ([cond("status", "equal_to", [])], "blank"),
        ([cond("status", "equal_to", ["open"], "XOR"), cond("labels", "is_present")], "query_operator"),
        ([], "payload"),
    ]
    for payload, word in bad:
        reply = api.post(f"/api/v1/accounts/{world.account_id}/conversations/filter", world.admin.token,
                         body={"payload": payload})
        assert reply.status == 422, (payload, reply.json)
        assert word in str(reply.json), (word, reply.json)
    assert api.post(f"/api/v1/accounts/{world.account_id}/conversations/filter", world.admin.token,
                    body="not json").status in (400, 422)
    assert api.post(f"/api/v1/accounts/{world.account_id}/conversations/filter", world.admin.token,
                    body={"payload": [cond("status", "equal_to", ["open"])]}, query={"page": "0"}).status == 422


def test_agents_see_their_inboxes_and_accounts_are_isolated(api, world, website):
    a = start(website)
    other_inbox = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                           body={"name": "Other", "channel": {"type": "api"}}).json
    contact = api.post(f"/api/v1/accounts/{world.account_id}/contacts", world.admin.token,
                       body={"name": "Zed", "email": "zed@example.test"}).json["payload"]["contact"]
    hidden = api.post(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                      body={"inbox_id": other_inbox["id"], "contact_id": contact["id"]})
    assert hidden.status == 200, hidden.json
    everything = cond("status", "equal_to", ["open"])
    assert ids(run(api, world, world.admin.token, everything)) == sorted([a, hidden.json["id"]])
    agent_view = run(api, world, world.agent.token, everything)
    assert ids(agent_view) == [a] and agent_view.json["meta"]["all_count"] == 1
    assert ids(run(api, world, world.agent.token, cond("inbox_id", "equal_to", [other_inbox["id"]]))) == []
    # Globex's administrator filtering Acme's account: not found; in Globex: nothing of Acme's.
    assert run(api, world, world.other_admin.token, everything).status == 404
    reply = api.post(f"/api/v1/accounts/{world.other_account_id}/conversations/filter", world.other_admin.token,
                     body={"payload": [everything]})
    assert reply.status == 200 and reply.json["payload"] == []


def test_pages_of_25(api, world, website):
    from parley.services.conversation import conversations
    from parley.services.contact import contacts
    from parley.services.inbox import inboxes

    inbox = inboxes.get_inbox(world.account_id, website.id)
    for n in range(27):
        contact, link = contacts.new_contact(world.account_id, name=f"P{n}", inbox=inbox)
        conversations.create_conversation(inbox, contact, link)
    first = run(api, world, world.admin.token, cond("status", "equal_to", ["open"]))
    second = run(api, world, world.admin.token, cond("status", "equal_to", ["open"]), page=2)
    assert len(first.json["payload"]) == 25 and len(second.json["payload"]) == 2
    assert not set(ids(first)) & set(ids(second))
    assert first.json["meta"]["all_count"] == 27
