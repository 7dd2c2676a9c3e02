"""Account labels, custom attribute definitions (and the check of values against them),
custom filters (issue 4)."""
from __future__ import annotations

import time

import pytest

from tests.spec import assert_matches

# The tests below that write with transactions or conditions, or read through GSIs,
# also run on DynamoDB Local (tests/dynamodb_local.py).
real_engine = pytest.mark.dynamodb_local

ATTRS = "/api/v1/accounts/{account_id}/custom_attribute_definitions"
ATTR = ATTRS + "/{id}"
FILTERS = "/api/v1/accounts/{account_id}/custom_filters"
FILTER = FILTERS + "/{custom_filter_id}"
LABEL_FIELDS = {"id", "title", "description", "color", "show_on_sidebar"}


# ---------------------------------------------------------------- labels

def test_labels(api, world):
    base = f"/api/v1/accounts/{world.account_id}/labels"
    created = api.post(base, world.admin.token, body={"title": "VIP", "description": "Big spenders",
                                                      "color": "#FF0000", "show_on_sidebar": True})
    assert created.status == 200, created.json
    assert created.json == {"id": created.json["id"], "title": "vip", "description": "Big spenders",
                            "color": "#FF0000", "show_on_sidebar": True}
    plain = api.post(base, world.admin.token, body={"label": {"title": "billing-2"}})
    assert plain.status == 200, plain.json
    assert plain.json["color"] == "#1f93ff" and plain.json["show_on_sidebar"] is False
    assert plain.json["description"] == ""
    listed = api.get(base, world.agent.token)  # agents may list
    assert listed.status == 200
    assert [item["title"] for item in listed.json["payload"]] == ["billing-2", "vip"]  # by title
    assert all(set(item) == LABEL_FIELDS for item in listed.json["payload"])
    label_id = created.json["id"]
    assert api.get(f"{base}/{label_id}", world.agent.token).json == created.json
    updated = api.patch(f"{base}/{label_id}", world.admin.token, body={"color": "#00ff00", "show_on_sidebar": False})
    assert updated.status == 200
    assert (updated.json["title"], updated.json["color"], updated.json["show_on_sidebar"]) == ("vip", "#00ff00", False)
    assert api.delete(f"{base}/{label_id}", world.admin.token).status == 200
    assert api.get(f"{base}/{label_id}", world.admin.token).status == 404
    assert [item["title"] for item in api.get(base, world.agent.token).json["payload"]] == ["billing-2"]


@real_engine
def test_label_titles_are_unique_case_insensitively(api, world):
    base = f"/api/v1/accounts/{world.account_id}/labels"
    first = api.post(base, world.admin.token, body={"title": "urgent"}).json
    assert api.post(base, world.admin.token, body={"title": "URGENT"}).status == 409
    other = api.post(base, world.admin.token, body={"title": "later"}).json
    assert api.patch(f"{base}/{other['id']}", world.admin.token, body={"title": "Urgent"}).status == 409
    assert api.get(f"{base}/{other['id']}", world.admin.token).json["title"] == "later"
    # Renaming frees the old title; another account may use any title.
    assert api.patch(f"{base}/{first['id']}", world.admin.token, body={"title": "Asap"}).json["title"] == "asap"
    assert api.post(base, world.admin.token, body={"title": "urgent"}).status == 200
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/labels", world.other_admin.token,
                    body={"title": "urgent"}).status == 200


def test_labels_validation_permissions_and_isolation(api, world):
    base = f"/api/v1/accounts/{world.account_id}/labels"
    for bad in ({"title": "has space"}, {"title": "-lead"}, {"title": "x"}, {"title": "<b>"}, {"title": "a" * 256},
                {"description": "no title"}, {"title": "ok", "color": "red"}, {"title": "ok", "color": "#12345"},
                {"title": "ok", "show_on_sidebar": "maybe"}, {"title": "ok", "extra": 1}, {"title": ["ok"]}):
        reply = api.post(base, world.admin.token, body=bad)
        assert reply.status == 422, (bad, reply.json)
    assert api.post(base, world.admin.token, body="[1]").status == 400
    assert api.post(base, world.admin.token, body="{not json").status == 400
    assert api.get(base, world.admin.token).json == {"payload": []}  # nothing was written
    assert api.post(base, world.admin.token, body={"title": "ünïcode_1"}).status == 200  # Chatwoot allows letters
    item = api.post(base, world.admin.token, body={"title": "mine"}).json
    assert api.post(base, world.agent.token, body={"title": "agents-cannot"}).status == 403
    assert api.patch(f"{base}/{item['id']}", world.agent.token, body={"color": "#000000"}).status == 403
    assert api.delete(f"{base}/{item['id']}", world.agent.token).status == 403
    assert api.patch(f"{base}/{item['id']}", world.admin.token, body={"title": "bad title"}).status == 422
    other = f"/api/v1/accounts/{world.other_account_id}/labels/{item['id']}"
    assert api.get(other, world.other_admin.token).status == 404
    assert api.patch(other, world.other_admin.token, body={"title": "stolen"}).status == 404
    assert api.delete(other, world.other_admin.token).status == 404
    assert api.get(base, world.other_admin.token).status == 404
    assert api.get(f"{base}/abc", world.admin.token).status == 404
    assert api.get(f"{base}/{item['id']}", world.admin.token).json["title"] == "mine"


# ---------------------------------------------------------------- custom attribute definitions

def test_custom_attribute_definitions(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_attribute_definitions"
    created = api.post(base, world.admin.token, body={
        "attribute_display_name": "Order total", "attribute_display_type": 2, "attribute_description": "In EUR",
        "attribute_key": "order_total", "attribute_model": 0})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", ATTRS)
    assert (created.json["attribute_display_type"], created.json["attribute_model"]) == ("currency",
                                                                                       "conversation_attribute")
    assert created.json["attribute_values"] == [] and "regex_pattern" not in created.json
    # Names work as well as Chatwoot's integers, and so does the wrapped body.
    plan = api.post(base, world.admin.token, body={"custom_attribute_definition": {
        "attribute_display_name": "Plan", "attribute_display_type": "list", "attribute_key": "plan",
        "attribute_values": ["free", "pro"], "attribute_model": "contact_attribute", "default_value": "free"}})
    assert plan.status == 200, plan.json
    assert plan.json["attribute_values"] == ["free", "pro"] and plan.json["default_value"] == "free"
    code = api.post(base, world.admin.token, body={
        "attribute_display_name": "Code", "attribute_display_type": "0", "attribute_key": "code",
        "attribute_model": "1", "regex_pattern": "/^[A-Z]{3}$/", "regex_cue": "Three capitals"})
    assert code.status == 200, code.json
    assert code.json["regex_pattern"] == "/^[A-Z]{3}$/"

    listed = api.get(base, world.agent.token)  # agents may list: the dashboard needs the definitions
    assert listed.status == 200
    assert_matches(listed.json, "get", ATTRS)
    assert [a["attribute_key"] for a in listed.json] == ["order_total", "plan", "code"]
    for model, keys in ((0, ["order_total"]), ("1", ["plan", "code"]), ("contact_attribute", ["plan", "code"])):
        assert [a["attribute_key"] for a in api.get(base, world.agent.token,
                                                    query={"attribute_model": model}).json] == keys
    assert api.get(base, world.agent.token, query={"attribute_model": "7"}).status == 422

    one = api.get(f"{base}/{code.json['id']}", world.agent.token)
    assert_matches(one.json, "get", ATTR)
    # The dashboard's edit form sends null to switch the pattern off.
    updated = api.patch(f"{base}/{code.json['id']}", world.admin.token, body={
        "attribute_display_name": "Voucher code", "regex_pattern": None, "regex_cue": None})
    assert updated.status == 200, updated.json
    assert_matches(updated.json, "patch", ATTR)
    assert updated.json["attribute_display_name"] == "Voucher code"
    assert "regex_pattern" not in updated.json and "regex_cue" not in updated.json
    assert updated.json["attribute_key"] == "code"
    assert api.delete(f"{base}/{code.json['id']}", world.admin.token).status == 200
    assert api.get(f"{base}/{code.json['id']}", world.admin.token).status == 404


@real_engine
def test_attribute_keys_are_unique_per_account_and_model(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_attribute_definitions"

    def define(key, model, token=world.admin.token, url=base):
        return api.post(url, token, body={"attribute_display_name": key, "attribute_display_type": "text",
                                          "attribute_key": key, "attribute_model": model})

    first = define("tier", "contact_attribute")
    assert first.status == 200
    taken = define("tier", "contact_attribute")
    assert taken.status == 409 and taken.json["errors"][0]["field"] == "attribute_key"
    assert define("tier", "conversation_attribute").status == 200  # another model
    assert define("tier", "contact_attribute", world.other_admin.token,
                  f"/api/v1/accounts/{world.other_account_id}/custom_attribute_definitions").status == 200
    other = define("segment", "contact_attribute").json
    assert api.patch(f"{base}/{other['id']}", world.admin.token, body={"attribute_key": "tier"}).status == 409
    # Moving to the other model collides there too; a free key moves.
    moved = api.patch(f"{base}/{first.json['id']}", world.admin.token, body={"attribute_model": 0})
    assert moved.status == 409
    assert api.patch(f"{base}/{first.json['id']}", world.admin.token, body={"attribute_key": "level"}).status == 200
    assert define("tier", "contact_attribute").status == 200  # the old key is free again
    api.delete(f"{base}/{other['id']}", world.admin.token)
    assert define("segment", "contact_attribute").status == 200


def test_custom_attribute_validation_permissions_and_isolation(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_attribute_definitions"
    good = {"attribute_display_name": "Note", "attribute_display_type": "text", "attribute_key": "note",
            "attribute_model": "conversation_attribute"}
    for bad in ({**good, "attribute_display_type": "colour"}, {**good, "attribute_display_type": 8},
                {**good, "attribute_display_type": True}, {**good, "attribute_model": 2},
                {**good, "attribute_model": "ticket"}, {**good, "attribute_key": "Has Caps"},
                {**good, "attribute_key": "status"},  # Chatwoot's own conversation attribute
                {**good, "attribute_display_type": "list"}, {**good, "attribute_display_type": 6, "attribute_values": []},
                {**good, "attribute_values": [""]}, {**good, "attribute_values": "a,b"},
                {**good, "regex_pattern": "x" * 201}, {**good, "regex_pattern": "(unclosed"},
                {**good, "regex_pattern": "(?=.*\\d)\\w+"},  # look-ahead: not in the linear-time engine
                {**good, "regex_pattern": "a{1000}{1000}"},  # compiles too large
                {**good, "attribute_display_name": ""}, {**good, "surprise": True},
                {k: v for k, v in good.items() if k != "attribute_model"}):
        reply = api.post(base, world.admin.token, body=bad)
        assert reply.status == 422, (bad, reply.json)
    assert api.get(base, world.admin.token).json == []  # nothing was written
    assert api.post(base, world.admin.token, body={**good, "attribute_key": "email",
                                                   "attribute_model": "conversation_attribute"}).status == 200
    item = api.post(base, world.admin.token, body=good).json
    assert api.patch(f"{base}/{item['id']}", world.admin.token, body={"attribute_display_name": None}).status == 422
    assert api.patch(f"{base}/{item['id']}", world.admin.token, body={"attribute_display_type": "list"}).status == 422
    assert api.get(f"{base}/{item['id']}", world.admin.token).json["attribute_display_type"] == "text"
    assert api.post(base, world.agent.token, body={**good, "attribute_key": "mine"}).status == 403
    assert api.patch(f"{base}/{item['id']}", world.agent.token, body={"attribute_description": "x"}).status == 403
    assert api.delete(f"{base}/{item['id']}", world.agent.token).status == 403
    other = f"/api/v1/accounts/{world.other_account_id}/custom_attribute_definitions/{item['id']}"
    assert api.get(other, world.other_admin.token).status == 404
    assert api.patch(other, world.other_admin.token, body={"attribute_description": "x"}).status == 404
    assert api.delete(other, world.other_admin.token).status == 404
    assert api.get(base, world.other_admin.token).status == 404
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/custom_attribute_definitions",
                   world.other_admin.token).json == []


# ---------------------------------------------------------------- custom attribute values

def define_all(account_id: int) -> None:
    from parley.services.account import custom_attributes

    def define(key, kind, model="conversation_attribute", **extra):
        custom_attributes.create(account_id, {"attribute_display_name": key, "attribute_display_type": kind,
                                              "attribute_key": key, "attribute_model": model, **extra})

    for kind in ("number", "currency", "percent", "link", "date", "checkbox", "text"):
        define(f"a_{kind}", kind)
    define("a_list", "list", attribute_values=["gold", "silver"])
    define("a_code", "text", regex_pattern=r"[A-Z]{2}-\d{3}", regex_cue="Like AB-123")
    define("a_js", "text", regex_pattern="/^[a-z]+$/i")  # how Chatwoot's dashboard saves a pattern
    define("a_slow", "text", regex_pattern=r"(\w+\s?)*")  # catastrophic for a backtracking engine
    define("a_contact_only", "number", model="contact_attribute")


GOOD = {"a_number": 3, "a_currency": 9.99, "a_percent": "12.5", "a_link": "https://acme.test/x?y=1",
        "a_date": "2024-02-29", "a_checkbox": False, "a_text": "anything", "a_list": "gold", "a_code": "AB-123",
        "a_js": "MixedCase", "a_slow": "words and words", "free_key": {"not": "checked"}}
BAD = [("a_number", "3 apples"), ("a_number", True), ("a_number", float("nan")), ("a_currency", "1e5"),
       ("a_percent", [1]), ("a_link", "ftp://acme.test"), ("a_link", "acme.test"), ("a_link", "https://"),
       ("a_link", "https://acme.test/a b"), ("a_date", "2024-02-30"), ("a_date", "yesterday"), ("a_date", 20240101),
       ("a_checkbox", "true"), ("a_checkbox", 1), ("a_text", 5), ("a_list", "bronze"), ("a_list", ["gold"]),
       ("a_code", "ab-123"), ("a_code", "AB-1234"), ("a_code", "xAB-123"), ("a_js", "with space"),
       ("a_slow", "a" * 1001)]  # would match, but is longer than a pattern is applied to


def test_validate_custom_attribute_values(world):
    from parley.errors import Invalid
    from parley.services.account import custom_attributes

    define_all(world.account_id)
    assert custom_attributes.validate(world.account_id, "conversation_attribute", GOOD) == GOOD
    # The dashboard's date picker sends a timestamp; None clears a value of any type.
    cleared = {"a_date": "2024-01-15T00:00:00.000Z", "a_number": None, "a_checkbox": None}
    assert custom_attributes.validate(world.account_id, "conversation_attribute", cleared) == cleared
    for key, value in BAD:
        with pytest.raises(Invalid) as error:
            custom_attributes.validate(world.account_id, "conversation_attribute", {"a_text": "fine", key: value})
        assert error.value.errors[0]["field"] == key and key in error.value.message, (key, value)
    with pytest.raises(Invalid, match="Like AB-123"):  # the definition's cue is the message
        custom_attributes.validate(world.account_id, "conversation_attribute", {"a_code": "nope"})
    # Definitions apply to their own model only, and to their own account only.
    assert custom_attributes.validate(world.account_id, "conversation_attribute", {"a_contact_only": "x"}) == \
        {"a_contact_only": "x"}
    with pytest.raises(Invalid):
        custom_attributes.validate(world.account_id, "contact_attribute", {"a_contact_only": "x"})
    assert custom_attributes.validate(world.other_account_id, "conversation_attribute", {"a_number": "x"}) == \
        {"a_number": "x"}
    with pytest.raises(ValueError):
        custom_attributes.validate(world.account_id, "ticket_attribute", {})


def test_regex_check_stays_fast_on_a_pathological_value(world):
    from parley.errors import Invalid
    from parley.services.account import custom_attributes

    define_all(world.account_id)
    started = time.monotonic()
    with pytest.raises(Invalid):  # Python's re would backtrack for hours on this
        custom_attributes.validate(world.account_id, "conversation_attribute", {"a_slow": "a" * 999 + "!"})
    assert time.monotonic() - started < 1


# ---------------------------------------------------------------- custom filters

def conditions(*rows):
    return {"payload": [{"attribute_key": key, "filter_operator": op, "values": values, "query_operator": qo}
                        for key, op, values, qo in rows]}


OPEN_MINE = conditions(("status", "equal_to", ["open"], "and"), ("assignee_id", "equal_to", [7], None))


def test_custom_filters(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_filters"
    created = api.post(base, world.agent.token, body={"name": "Open and mine", "type": "conversation",
                                                      "query": OPEN_MINE})
    assert created.status == 200, created.json
    assert_matches(created.json, "post", FILTERS)
    assert created.json["query"] == OPEN_MINE and created.json["type"] == "conversation"
    # Chatwoot's dashboard wraps the body and names the type filter_type; rows carry its extra fields.
    dashboard_row = {"attribute_key": "city", "attribute_model": "standard", "filter_operator": "contains",
                     "values": ["Paris"], "query_operator": None, "custom_attribute_type": ""}
    contacts = api.post(base, world.agent.token, body={"custom_filter": {
        "name": "Parisians", "filter_type": "contact", "query": {"payload": [dashboard_row]}}})
    assert contacts.status == 200, contacts.json
    assert contacts.json["type"] == "contact" and contacts.json["query"]["payload"] == [dashboard_row]
    untyped = api.post(base, world.agent.token, body={"name": "Default type", "query": OPEN_MINE})
    assert untyped.json["type"] == "conversation"

    listed = api.get(base, world.agent.token)  # filter_type defaults to conversation, as in Chatwoot
    assert_matches(listed.json, "get", FILTERS)
    assert [f["name"] for f in listed.json] == ["Open and mine", "Default type"]
    assert [f["name"] for f in api.get(base, world.agent.token, query={"filter_type": "contact"}).json] == ["Parisians"]
    assert api.get(base, world.agent.token, query={"filter_type": "report"}).json == []
    assert api.get(base, world.agent.token, query={"filter_type": "everything"}).status == 422

    one = api.get(f"{base}/{created.json['id']}", world.agent.token)
    assert_matches(one.json, "get", FILTER)
    updated = api.patch(f"{base}/{created.json['id']}", world.agent.token,
                        body={"name": "Open, mine", "query": conditions(("status", "equal_to", ["open"], None))})
    assert updated.status == 200, updated.json
    assert_matches(updated.json, "patch", FILTER)
    assert updated.json["name"] == "Open, mine" and len(updated.json["query"]["payload"]) == 1
    assert updated.json["type"] == "conversation"
    assert api.delete(f"{base}/{created.json['id']}", world.agent.token).status == 200
    assert api.get(f"{base}/{created.json['id']}", world.agent.token).status == 404


def test_custom_filters_belong_to_their_user(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_filters"
    mine = api.post(base, world.agent.token, body={"name": "Agent's", "query": OPEN_MINE}).json
    api.post(base, world.admin.token, body={"name": "Admin's", "query": OPEN_MINE})
    assert [f["name"] for f in api.get(base, world.agent.token).json] == ["Agent's"]
    assert [f["name"] for f in api.get(base, world.admin.token).json] == ["Admin's"]
    # Not even an administrator of the account reaches another user's filter.
    theirs = f"{base}/{mine['id']}"
    assert api.get(theirs, world.admin.token).status == 404
    assert api.patch(theirs, world.admin.token, body={"name": "Taken over"}).status == 404
    assert api.delete(theirs, world.admin.token).status == 404
    other = f"/api/v1/accounts/{world.other_account_id}/custom_filters"
    assert api.get(f"{other}/{mine['id']}", world.other_admin.token).status == 404
    assert api.get(base, world.other_admin.token).status == 404
    assert api.get(other, world.other_admin.token).json == []
    assert api.get(theirs, world.agent.token).json["name"] == "Agent's"


def test_custom_filter_queries_are_validated(api, world):
    base = f"/api/v1/accounts/{world.account_id}/custom_filters"
    row = {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": None}
    for query in ({}, {"payload": []}, {"payload": [row] * 21}, {"payload": row}, {"payload": [row], "sort": "x"},
                  {"payload": [{**row, "filter_operator": "matches_regex"}]},
                  {"payload": [{**row, "values": "open"}]}, {"payload": [{**row, "values": [{"id": 1}]}]},
                  {"payload": [{**row, "values": ["x"] * 101}]}, {"payload": [{**row, "attribute_key": 5}]},
                  {"payload": [{**row, "attribute_key": ""}]}, {"payload": [{**row, "query_operator": "xor"}]},
                  {"payload": [{**row, "drop_table": True}]}, {"payload": [{k: v for k, v in row.items()
                                                                           if k != "values"}]},
                  "status = open", ["payload"]):
        reply = api.post(base, world.agent.token, body={"name": "Bad", "query": query})
        assert reply.status == 422, (query, reply.json)
    for bad in ({"query": {"payload": [row]}}, {"name": "", "query": {"payload": [row]}},
                {"name": "x", "type": "ticket", "query": {"payload": [row]}},
                {"name": "x", "type": "contact", "filter_type": "report", "query": {"payload": [row]}},
                {"name": "x", "query": {"payload": [row]}, "shared": True}):
        reply = api.post(base, world.agent.token, body=bad)
        assert reply.status == 422, (bad, reply.json)
    assert api.get(base, world.agent.token).json == []  # nothing was written
    item = api.post(base, world.agent.token, body={"name": "Fine", "query": {"payload": [row] * 20}}).json
    assert api.patch(f"{base}/{item['id']}", world.agent.token, body={"query": {"payload": []}}).status == 422
    assert len(api.get(f"{base}/{item['id']}", world.agent.token).json["query"]["payload"]) == 20


def test_custom_filters_per_user_limit(api, world):
    from parley.services.account import custom_filters

    for n in range(custom_filters.MAX_PER_USER - 1):
        custom_filters.create(world.account_id, world.agent.id, f"f{n}", "conversation", OPEN_MINE)
    base = f"/api/v1/accounts/{world.account_id}/custom_filters"
    assert api.post(base, world.agent.token, body={"name": "last", "query": OPEN_MINE}).status == 200
    over = api.post(base, world.agent.token, body={"name": "one too many", "query": OPEN_MINE})
    assert over.status == 422 and "50" in over.json["error"]
    assert api.post(base, world.admin.token, body={"name": "admin's first", "query": OPEN_MINE}).status == 200


def test_definitions_check_contact_and_conversation_values(api, world, website):
    """A defined key's value must fit its type, on contacts and on conversations alike;
    undefined keys stay free, and a refused value changes nothing."""
    from tests.integration.test_conversations import start_chat

    base = f"/api/v1/accounts/{world.account_id}/custom_attribute_definitions"
    for key, kind, model, extra in (("seats", "number", "contact_attribute", {}),
                                    ("code", "text", "contact_attribute", {"regex_pattern": "/^[A-Z]{3}$/"}),
                                    ("tier", "list", "conversation_attribute", {"attribute_values": ["gold", "silver"]})):
        assert api.post(base, world.admin.token, body={"attribute_display_name": key, "attribute_display_type": kind,
                                                       "attribute_key": key, "attribute_model": model,
                                                       **extra}).status == 200
    contacts = f"/api/v1/accounts/{world.account_id}/contacts"
    refused = api.post(contacts, world.agent.token, body={"name": "A", "custom_attributes": {"seats": "many"}})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "seats"
    created = api.post(contacts, world.agent.token, body={"name": "A", "email": "a@x.test",
                                                          "custom_attributes": {"seats": 3, "free": "anything"}})
    assert created.status == 200, created.json
    contact_id = created.json["payload"]["contact"]["id"]
    bad = api.put(f"{contacts}/{contact_id}", world.agent.token, body={"custom_attributes": {"code": "abc"}})
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "code"
    assert api.put(f"{contacts}/{contact_id}", world.agent.token,
                   body={"custom_attributes": {"code": "ABC"}}).status == 200
    shown = api.get(f"{contacts}/{contact_id}", world.agent.token).json["payload"]
    assert shown["custom_attributes"] == {"seats": 3, "free": "anything", "code": "ABC"}

    _, conversation_id = start_chat(website)
    url = f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/custom_attributes"
    assert api.post(url, world.agent.token, body={"custom_attributes": {"tier": "bronze"}}).status == 422
    assert api.post(url, world.agent.token, body={"custom_attributes": {"tier": "gold"}}).json == \
        {"custom_attributes": {"tier": "gold"}}
