"""Captain's configuration API (issue 14, item 1: assistants, their inbox links, FAQs) in
Chatwoot's shape: /api/v1/accounts/{id}/captain/assistants, .../assistants/{id}/inboxes,
.../assistant_responses and .../bulk_actions. Shapes, filters, pagination, bulk
all-or-nothing, tenant isolation, roles and the audit entry of every change."""
from __future__ import annotations

import pytest

from parley.models.account_object import AccountObject
from parley.models.audit_log import AuditLog
from tests.integration.test_permission_matrix import make_role_agents

ASSISTANT_KEYS = {"account_id", "config", "created_at", "description", "guardrails", "id", "name",
                  "response_guidelines", "updated_at"}


def base(world, account_id=None) -> str:
    return f"/api/v1/accounts/{account_id or world.account_id}/captain"


def entries(account_id: int, auditable_type: str) -> list[AuditLog]:
    return [e for e in AuditLog.query(account_id) if e.auditable_type == auditable_type]


def make_assistant(api, world, name="Helper", **extra):
    reply = api.post(f"{base(world)}/assistants", world.admin.token,
                     body={"assistant": {"name": name, "description": "Answers questions", **extra}})
    assert reply.status == 200, reply.json
    return reply.json


def make_faq(api, world, assistant_id, question="How do I reset my password?", token=None, **extra):
    reply = api.post(f"{base(world)}/assistant_responses", token or world.admin.token,
                     body={"question": question, "answer": "Use the link on the sign-in page.",
                           "assistant_id": assistant_id, **extra})
    assert reply.status == 200, reply.json
    return reply.json


def make_inbox(account_id, name="Captain API inbox"):
    from parley.services.inbox import inboxes
    return inboxes.create_inbox(account_id, name=name, channel_type="api", channel={})


# ---------------------------------------------------------------- assistants

@pytest.mark.dynamodb_local
def test_assistant_crud_in_chatwoots_shape_with_audit(api, world):
    made = make_assistant(api, world, config={"product_name": "Acme Cloud", "temperature": 0.3, "feature_faq": True,
                                              "handoff_message": "A human will help you."},
                          response_guidelines=["Be brief"], guardrails=["No legal advice"])
    assert set(made) == ASSISTANT_KEYS
    assert made["account_id"] == world.account_id and made["name"] == "Helper"
    assert made["config"] == {"product_name": "Acme Cloud", "temperature": 0.3, "feature_faq": True,
                              "handoff_message": "A human will help you."}
    assert isinstance(made["created_at"], int) and isinstance(made["updated_at"], int)
    assert made["response_guidelines"] == ["Be brief"] and made["guardrails"] == ["No legal advice"]

    path = f"{base(world)}/assistants/{made['id']}"
    changed = api.patch(path, world.admin.token, body={"assistant": {"config": {"temperature": 1, "feature_citation": False},
                                                                    "guardrails": []}})
    assert changed.status == 200, changed.json
    # config merges key by key; arrays replace
    assert changed.json["config"] == {"product_name": "Acme Cloud", "temperature": 1, "feature_faq": True,
                                      "feature_citation": False, "handoff_message": "A human will help you."}
    assert changed.json["guardrails"] == [] and changed.json["response_guidelines"] == ["Be brief"]
    assert api.get(path, world.admin.token).json == changed.json

    index = api.get(f"{base(world)}/assistants", world.admin.token)
    assert index.status == 200
    assert index.json["meta"] == {"total_count": 1, "page": 1}
    assert index.json["payload"] == [changed.json]

    newer = make_assistant(api, world, "Newer")
    assert [a["id"] for a in api.get(f"{base(world)}/assistants", world.admin.token).json["payload"]] == \
        [newer["id"], made["id"]]  # newest first, as Chatwoot orders them
    api.delete(f"{base(world)}/assistants/{newer['id']}", world.admin.token)

    assert api.delete(path, world.admin.token).status == 200
    assert api.get(path, world.admin.token).status == 404
    actions = sorted(e.action for e in entries(world.account_id, "Captain::Assistant") if e.auditable_id == made["id"])
    assert actions == ["create", "destroy", "update"]
    update = next(e for e in entries(world.account_id, "Captain::Assistant") if e.action == "update")
    assert update.auditable_id == made["id"] and update.user_id == world.admin.id
    assert update.audited_changes["guardrails"] == [["No legal advice"], []]


BAD_ASSISTANTS = [
    {"description": "no name"},
    {"name": "no description"},
    {"name": "A", "description": "B", "colour": "red"},  # unknown field
    {"name": "A", "description": "B", "config": {"temperature": 1.5}},
    {"name": "A", "description": "B", "config": {"temperature": -0.1}},
    {"name": "A", "description": "B", "config": {"unknown": 1}},
    {"name": "A", "description": "B", "config": {"feature_faq": "yes"}},
    {"name": "A", "description": "B", "response_guidelines": ["x"] * 51},
    {"name": "A", "description": "B", "guardrails": ["y" * 1001]},
    {"name": "A", "description": "B", "guardrails": [""]},
    {"name": "A", "description": "B", "guardrails": "not a list"},
]


def test_bad_assistants_are_422_and_nothing_is_made(api, world):
    """Every bad assistant in turn, on one stack: none is made or audited."""
    for body in BAD_ASSISTANTS:
        reply = api.post(f"{base(world)}/assistants", world.admin.token, body=body)
        assert reply.status == 422, (body, reply.json)
        assert api.get(f"{base(world)}/assistants", world.admin.token).json["payload"] == [], body
        assert entries(world.account_id, "Captain::Assistant") == [], body


def test_a_bad_update_changes_nothing(api, world):
    made = make_assistant(api, world, guardrails=["Keep it"])
    path = f"{base(world)}/assistants/{made['id']}"
    for bad in ({"config": {"temperature": 2}}, {"guardrails": ["z"] * 51}, {"name": ""}, {"nope": 1}):
        assert api.patch(path, world.admin.token, body=bad).status == 422
    assert api.get(path, world.admin.token).json == made
    assert len(entries(world.account_id, "Captain::Assistant")) == 1  # the creation only
    # a config key given as null is removed; the same values again change (and audit) nothing
    api.patch(path, world.admin.token, body={"config": {"product_name": "P", "welcome_message": "Hi"}})
    cleared = api.patch(path, world.admin.token, body={"config": {"product_name": None}})
    assert cleared.status == 200 and cleared.json["config"] == {"welcome_message": "Hi"}
    assert api.patch(path, world.admin.token, body={"config": {"welcome_message": "Hi"}}).json == cleared.json
    assert len(entries(world.account_id, "Captain::Assistant")) == 3


def test_assistants_are_the_accounts_own(api, world):
    made = make_assistant(api, world)
    other = f"{base(world, world.other_account_id)}/assistants/{made['id']}"
    # Globex's administrator, asking for Acme's assistant id in Globex: not found
    assert api.get(other, world.other_admin.token).status == 404
    assert api.patch(other, world.other_admin.token, body={"name": "Stolen"}).status == 404
    assert api.delete(other, world.other_admin.token).status == 404
    # ... and Acme's path is not theirs at all
    assert api.get(f"{base(world)}/assistants/{made['id']}", world.other_admin.token).status == 404
    assert api.get(f"{base(world, world.other_account_id)}/assistants", world.other_admin.token).json["payload"] == []


def test_roles_administrators_write_knowledge_base_managers_read(api, world):
    made = make_assistant(api, world)
    manager = make_role_agents(world)["role_knowledge_base_manage"].token
    path = f"{base(world)}/assistants/{made['id']}"
    assert api.get(path, manager).status == 200
    assert api.get(f"{base(world)}/assistants", manager).status == 200
    assert api.patch(path, manager, body={"name": "Nope"}).status == 403
    assert api.post(f"{base(world)}/assistants", manager, body={"name": "N", "description": "D"}).status == 403
    assert api.delete(path, manager).status == 403
    # a plain agent: nothing
    assert api.get(path, world.agent.token).status == 403
    assert api.get(f"{base(world)}/assistant_responses", world.agent.token).status == 403
    assert api.get(path, world.admin.token).json["name"] == "Helper"


# ---------------------------------------------------------------- inbox links

@pytest.mark.dynamodb_local
def test_inbox_links_one_assistant_per_inbox(api, world):
    from parley.services.captain import assistants

    first, second = make_assistant(api, world, "First"), make_assistant(api, world, "Second")
    inbox = make_inbox(world.account_id)
    links = f"{base(world)}/assistants/{first['id']}/inboxes"
    linked = api.post(links, world.admin.token, body={"inbox": {"inbox_id": inbox.id}})
    assert linked.status == 200, linked.json
    assert linked.json["id"] == inbox.id and linked.json["name"] == "Captain API inbox"
    assert api.post(links, world.admin.token, body={"inbox_id": inbox.id}).status == 200  # again: no change

    index = api.get(links, world.admin.token).json
    assert [i["id"] for i in index["payload"]] == [inbox.id] and index["meta"] == {"total_count": 1, "page": 1}
    assert assistants.for_inbox(world.account_id, inbox.id).id == first["id"]

    taken = api.post(f"{base(world)}/assistants/{second['id']}/inboxes", world.admin.token, body={"inbox_id": inbox.id})
    assert taken.status == 409 and str(inbox.id) in taken.json["error"]
    assert taken.json["errors"][0]["field"] == "inbox_id"
    assert assistants.for_inbox(world.account_id, inbox.id).id == first["id"]

    # not linked to the second: 404; unlinked from the first: gone
    assert api.delete(f"{base(world)}/assistants/{second['id']}/inboxes/{inbox.id}", world.admin.token).status == 404
    assert api.delete(f"{links}/{inbox.id}", world.admin.token).status == 200
    assert api.get(links, world.admin.token).json["payload"] == []
    assert assistants.for_inbox(world.account_id, inbox.id) is None
    # now free for the second
    assert api.post(f"{base(world)}/assistants/{second['id']}/inboxes", world.admin.token,
                    body={"inbox_id": inbox.id}).status == 200
    actions = [(e.action, e.audited_changes) for e in entries(world.account_id, "Captain::AssistantInbox")]
    assert sorted(a for a, _ in actions) == ["create", "create", "destroy"]
    assert {"assistant_id": second["id"], "inbox_id": inbox.id} in [c for _, c in actions]


def test_another_accounts_inbox_is_not_found_and_bad_bodies_422(api, world):
    made = make_assistant(api, world)
    theirs = make_inbox(world.other_account_id, "Globex inbox")
    links = f"{base(world)}/assistants/{made['id']}/inboxes"
    assert api.post(links, world.admin.token, body={"inbox_id": theirs.id}).status == 404
    assert api.post(links, world.admin.token, body={"inbox_id": 999_999}).status == 404
    assert api.post(links, world.admin.token, body={"inbox_id": "1"}).status == 422
    assert api.post(links, world.admin.token, body={"inbox_id": 1, "extra": 2}).status == 422
    assert api.post(links, world.admin.token, body={}).status == 422
    assert api.get(links, world.admin.token).json["payload"] == []
    assert AccountObject.count(world.other_account_id, AccountObject.key.startswith("captain_inbox#")) == 0
    # another account's assistant: 404 for its links too
    mine = make_inbox(world.account_id)
    assert api.post(f"{base(world, world.other_account_id)}/assistants/{made['id']}/inboxes",
                    world.other_admin.token, body={"inbox_id": mine.id}).status == 404


@pytest.mark.dynamodb_local
def test_deleting_an_assistant_unlinks_its_inboxes_and_removes_its_faqs(api, world):
    from parley.services.captain import assistants

    doomed, kept = make_assistant(api, world, "Doomed"), make_assistant(api, world, "Kept")
    one, two, three = (make_inbox(world.account_id, f"Inbox {n}") for n in range(3))
    for inbox in (one, two):
        api.post(f"{base(world)}/assistants/{doomed['id']}/inboxes", world.admin.token, body={"inbox_id": inbox.id})
    api.post(f"{base(world)}/assistants/{kept['id']}/inboxes", world.admin.token, body={"inbox_id": three.id})
    make_faq(api, world, doomed["id"])
    survivor = make_faq(api, world, kept["id"], "Kept question")

    assert api.delete(f"{base(world)}/assistants/{doomed['id']}", world.admin.token).status == 200
    assert assistants.for_inbox(world.account_id, one.id) is None
    assert assistants.for_inbox(world.account_id, two.id) is None
    assert assistants.for_inbox(world.account_id, three.id).id == kept["id"]
    listed = api.get(f"{base(world)}/assistant_responses", world.admin.token).json
    assert [r["id"] for r in listed["payload"]] == [survivor["id"]]
    destroyed = next(e for e in entries(world.account_id, "Captain::Assistant") if e.action == "destroy")
    assert sorted(destroyed.audited_changes["inbox_ids"]) == sorted([one.id, two.id])
    # the freed inbox can be linked again
    assert api.post(f"{base(world)}/assistants/{kept['id']}/inboxes", world.admin.token,
                    body={"inbox_id": one.id}).status == 200


# ---------------------------------------------------------------- FAQs

@pytest.mark.dynamodb_local
def test_faq_crud_shape_and_audit(api, world):
    helper = make_assistant(api, world)
    made = make_faq(api, world, helper["id"])
    assert made["status"] == "approved"  # written by a person: approved unless given
    assert made["assistant"] == api.get(f"{base(world)}/assistants/{helper['id']}", world.admin.token).json
    assert made["document"] is None and made["document_id"] is None
    assert {"account_id", "answer", "assistant_id", "created_at", "id", "question", "status",
            "updated_at"} <= set(made)
    assert isinstance(made["created_at"], int)

    path = f"{base(world)}/assistant_responses/{made['id']}"
    wrapped = api.patch(path, world.admin.token, body={"assistant_response": {"status": "pending", "answer": "New"}})
    assert wrapped.status == 200, wrapped.json
    assert wrapped.json["status"] == "pending" and wrapped.json["answer"] == "New"
    assert api.get(path, world.admin.token).json == wrapped.json
    assert api.delete(path, world.admin.token).status == 200
    assert api.get(path, world.admin.token).status == 404
    log = {e.action: e for e in entries(world.account_id, "Captain::AssistantResponse")}
    assert set(log) == {"create", "update", "destroy"}
    assert log["update"].audited_changes == {"answer": ["Use the link on the sign-in page.", "New"],
                                             "status": ["approved", "pending"]}


BAD_FAQS = [
    {"answer": "a"},  # no question
    {"question": "q", "answer": "a", "assistant_id": "1"},
    {"question": "q" * 10_001, "answer": "a"},
    {"question": "q", "answer": "a" * 10_001},
    {"question": "q", "answer": "a", "status": "maybe"},
    {"question": "q", "answer": "a", "document_id": "5"},
    {"question": "q", "answer": "a", "unknown": True},
]


def test_bad_faqs_are_422(api, world):
    """Every bad FAQ in turn, on one stack: none is made."""
    helper = make_assistant(api, world)
    for bad in BAD_FAQS:
        body = {"assistant_id": helper["id"], **bad}
        reply = api.post(f"{base(world)}/assistant_responses", world.admin.token, body=body)
        assert reply.status == 422, (bad, reply.json)
        assert api.get(f"{base(world)}/assistant_responses", world.admin.token).json["meta"]["total_count"] == 0, bad


def test_faqs_are_the_accounts_own(api, world):
    helper = make_assistant(api, world)
    made = make_faq(api, world, helper["id"])
    theirs = f"{base(world, world.other_account_id)}/assistant_responses"
    # Globex cannot file an FAQ under Acme's assistant, nor read, change or bulk-change Acme's FAQ
    assert api.post(theirs, world.other_admin.token, body={"question": "q", "answer": "a",
                                                           "assistant_id": helper["id"]}).status == 404
    assert api.get(f"{theirs}/{made['id']}", world.other_admin.token).status == 404
    assert api.patch(f"{theirs}/{made['id']}", world.other_admin.token, body={"answer": "x"}).status == 404
    assert api.delete(f"{theirs}/{made['id']}", world.other_admin.token).status == 404
    assert api.post(f"{base(world, world.other_account_id)}/bulk_actions", world.other_admin.token,
                    body={"type": "AssistantResponse", "ids": [made["id"]], "fields": {"status": "delete"}}).status == 404
    assert api.get(theirs, world.other_admin.token).json["payload"] == []
    # moving an FAQ to an unknown assistant: 404, unchanged
    path = f"{base(world)}/assistant_responses/{made['id']}"
    assert api.patch(path, world.admin.token, body={"assistant_id": 987_654}).status == 404
    assert api.get(path, world.admin.token).json["assistant_id"] == helper["id"]


@pytest.mark.dynamodb_local
def test_faq_listing_filters_and_pages(api, world):
    one, two = make_assistant(api, world, "One"), make_assistant(api, world, "Two")
    made = [make_faq(api, world, one["id"], f"Question {n}", status="pending" if n % 3 == 0 else "approved")
            for n in range(30)]
    make_faq(api, world, two["id"], "Shipping to Mars?")
    url = f"{base(world)}/assistant_responses"

    first = api.get(url, world.admin.token).json
    assert first["meta"] == {"total_count": 31, "page": 1} and len(first["payload"]) == 25
    ids = [r["id"] for r in first["payload"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    second = api.get(url, world.admin.token, query={"page": "2"}).json
    assert second["meta"] == {"total_count": 31, "page": 2} and len(second["payload"]) == 6
    assert not set(ids) & {r["id"] for r in second["payload"]}

    of_one = api.get(url, world.admin.token, query={"assistant_id": str(one["id"])}).json
    assert of_one["meta"]["total_count"] == 30
    pending = api.get(url, world.admin.token, query={"assistant_id": str(one["id"]), "status": "pending"}).json
    assert {r["id"] for r in pending["payload"]} == {m["id"] for n, m in enumerate(made) if n % 3 == 0}
    assert all(r["status"] == "pending" for r in pending["payload"])
    found = api.get(url, world.admin.token, query={"search": "mars"}).json
    assert [r["question"] for r in found["payload"]] == ["Shipping to Mars?"]
    by_answer = api.get(url, world.admin.token, query={"search": "SIGN-IN PAGE", "assistant_id": str(two["id"])}).json
    assert by_answer["meta"]["total_count"] == 1
    assert api.get(url, world.admin.token, query={"document_id": "1"}).json["meta"]["total_count"] == 0
    assert api.get(url, world.admin.token, query={"status": "maybe"}).status == 422
    assert api.get(url, world.admin.token, query={"page": "0"}).status == 422


# ---------------------------------------------------------------- bulk actions

@pytest.mark.dynamodb_local
def test_bulk_approve_and_delete_all_or_nothing(api, world):
    helper = make_assistant(api, world)
    pending = [make_faq(api, world, helper["id"], f"P{n}", status="pending") for n in range(3)]
    approved = make_faq(api, world, helper["id"], "Already")
    url = f"{base(world)}/bulk_actions"
    ids = [p["id"] for p in pending] + [approved["id"]]

    # one unknown id: 404, nothing changes, nothing audited
    before = len(entries(world.account_id, "Captain::AssistantResponse"))
    refused = api.post(url, world.admin.token, body={"type": "AssistantResponse", "ids": ids + [999_999],
                                                     "fields": {"status": "approve"}})
    assert refused.status == 404
    assert {r["status"] for r in api.get(f"{base(world)}/assistant_responses", world.admin.token,
                                         query={"status": "pending"}).json["payload"]} == {"pending"}
    assert len(entries(world.account_id, "Captain::AssistantResponse")) == before

    done = api.post(url, world.admin.token, body={"type": "AssistantResponse", "ids": ids, "fields": {"status": "approve"}})
    assert done.status == 200, done.json
    assert sorted(r["id"] for r in done.json) == sorted(ids) and {r["status"] for r in done.json} == {"approved"}
    assert api.get(f"{base(world)}/assistant_responses", world.admin.token,
                   query={"status": "pending"}).json["meta"]["total_count"] == 0
    bulk = [e for e in entries(world.account_id, "Captain::AssistantResponse") if e.audited_changes.get("bulk_action")]
    assert len(bulk) == 1 and sorted(bulk[0].audited_changes["ids"]) == sorted(p["id"] for p in pending)

    gone = api.post(url, world.admin.token, body={"type": "AssistantResponse", "ids": ids[:2], "fields": {"status": "delete"}})
    assert gone.status == 200 and gone.json == []
    left = api.get(f"{base(world)}/assistant_responses", world.admin.token).json
    assert sorted(r["id"] for r in left["payload"]) == sorted(ids[2:])


BAD_BULK_ACTIONS = [
    {"type": "Document", "ids": [1], "fields": {"status": "approve"}},
    {"type": "AssistantResponse", "ids": [], "fields": {"status": "approve"}},
    {"type": "AssistantResponse", "ids": list(range(1, 101)), "fields": {"status": "approve"}},
    {"type": "AssistantResponse", "ids": [1], "fields": {"status": "archive"}},
    {"type": "AssistantResponse", "ids": [1]},
    {"type": "AssistantResponse", "ids": ["1"], "fields": {"status": "delete"}},
]


def test_bad_bulk_actions_are_422(api, world):
    for body in BAD_BULK_ACTIONS:
        reply = api.post(f"{base(world)}/bulk_actions", world.admin.token, body=body)
        assert reply.status == 422, (body, reply.json)


def test_knowledge_base_managers_write_faqs(api, world):
    helper = make_assistant(api, world)
    manager = make_role_agents(world)["role_knowledge_base_manage"].token
    made = make_faq(api, world, helper["id"], "By a manager", token=manager, status="pending")
    assert made["status"] == "pending"
    path = f"{base(world)}/assistant_responses/{made['id']}"
    assert api.patch(path, manager, body={"answer": "Better"}).status == 200
    assert api.post(f"{base(world)}/bulk_actions", manager, body={"type": "AssistantResponse", "ids": [made["id"]],
                                                                  "fields": {"status": "approve"}}).json[0]["status"] == "approved"
    assert api.delete(path, manager).status == 200
    entry = entries(world.account_id, "Captain::AssistantResponse")[0]
    assert entry.user_id == make_role_agents(world)["role_knowledge_base_manage"].id


@pytest.mark.dynamodb_local
def test_deleting_an_inbox_drops_its_link(api, world):
    from parley.services.captain import assistants

    helper = make_assistant(api, world)
    inbox, kept = make_inbox(world.account_id, "Going"), make_inbox(world.account_id, "Staying")
    links = f"{base(world)}/assistants/{helper['id']}/inboxes"
    for each in (inbox, kept):
        assert api.post(links, world.admin.token, body={"inbox_id": each.id}).status == 200
    assert api.delete(f"/api/v1/accounts/{world.account_id}/inboxes/{inbox.id}", world.admin.token).status == 200
    assert AccountObject.count(world.account_id, AccountObject.key == f"captain_inbox#{inbox.id:012d}") == 0
    assert assistants.for_inbox(world.account_id, inbox.id) is None
    assert [i["id"] for i in api.get(links, world.admin.token).json["payload"]] == [kept.id]
    # an inbox never linked is deleted as before
    lone = make_inbox(world.account_id, "Never linked")
    assert api.delete(f"/api/v1/accounts/{world.account_id}/inboxes/{lone.id}", world.admin.token).status == 200


@pytest.mark.dynamodb_local
def test_a_link_left_by_a_deleted_assistant_is_taken_over(api, world):
    """An assistant deleted while one of its links was being made (its deletion's Query ran
    first) leaves that link behind: the inbox is free, not claimed for ever."""
    from parley.services.captain import assistants

    helper = make_assistant(api, world)
    inbox = make_inbox(world.account_id)
    stale = AccountObject(world.account_id, assistants.link_key(inbox.id), id=inbox.id, data={"assistant_id": 424_242})
    stale.save()
    assert assistants.for_inbox(world.account_id, inbox.id) is None
    taken = api.post(f"{base(world)}/assistants/{helper['id']}/inboxes", world.admin.token, body={"inbox_id": inbox.id})
    assert taken.status == 200, taken.json
    assert assistants.for_inbox(world.account_id, inbox.id).id == helper["id"]


def test_linking_to_a_deleted_assistant_is_not_found(api, world):
    from parley.services.captain import assistants

    helper = make_assistant(api, world)
    inbox = make_inbox(world.account_id)
    item = assistants.get(world.account_id, helper["id"])
    item.delete()  # gone between the route's read and the link's write
    from parley.errors import NotFound
    with pytest.raises(NotFound):
        assistants.link(item, inbox.id)
    assert assistants.for_inbox(world.account_id, inbox.id) is None
    assert AccountObject.count(world.account_id, AccountObject.key == assistants.link_key(inbox.id)) == 0


def test_an_faq_for_an_assistant_deleted_meanwhile_is_not_written(world):
    from parley.errors import NotFound
    from parley.services.captain import assistants, responses

    helper = assistants.create(world.account_id, {"name": "Brief", "description": "d"})
    faq = responses.create(world.account_id, {"question": "q", "answer": "a", "assistant_id": helper.id})
    helper.delete()  # as if deleted between the check and the write
    with pytest.raises(NotFound):
        responses._written(faq, False, "update", {"answer": ["a", "b"]})
    assert responses.get(world.account_id, faq.id).data["answer"] == "a"
