"""The Contacts API: list, search, filter, one contact, labels, conversations, contact
inboxes, merge. Responses are validated against the reference spec's schemas; where the
spec and Chatwoot's real answer differ (create and update wrap the contact in `payload`),
the contact inside is validated against the spec's `contact_list_item`."""
from __future__ import annotations

import hashlib
import hmac

import pytest
from jsonschema import Draft202012Validator

from tests.integration.test_conversations import start_chat
from tests.spec import _nullable, assert_matches, spec

# The tests below that write with transactions or conditions, or read through GSIs,
# also run on DynamoDB Local (tests/dynamodb_local.py).
real_engine = pytest.mark.dynamodb_local


def assert_schema(body, name: str) -> None:
    """`body` against components/schemas/<name> of the reference spec."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _nullable(spec()["components"])}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, f"{name}: " + "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])


def base(world, account_id=None) -> str:
    return f"/api/v1/accounts/{account_id or world.account_id}/contacts"


def create(api, world, token=None, **fields):
    reply = api.post(base(world), token or world.agent.token, body=fields)
    assert reply.status == 200, reply.json
    return reply.json["payload"]["contact"]


def events(world, name: str) -> list[dict]:
    from parley.models.event_log import LoggedEvent

    return [e.detail for e in LoggedEvent.query(world.account_id) if e.detail["event"] == name]


def claim(key: str) -> str | None:
    from parley.models.unique import UniqueClaim

    try:
        return UniqueClaim.get(key).target
    except UniqueClaim.DoesNotExist:
        return None


# ---------------------------------------------------------------- create, show, update

def test_create_with_an_inbox_show_and_update(api, world, website):
    reply = api.post(base(world), world.agent.token, body={
        "inbox_id": website.id, "name": "Alice Liddell", "email": "Alice@Wonder.Land", "phone_number": "+15551234567",
        "identifier": "crm-1", "custom_attributes": {"plan": "pro", "seats": 3},
        "additional_attributes": {"city": "Oxford", "company_name": "Wonder"}})
    assert reply.status == 200, reply.json
    contact = reply.json["payload"]["contact"]
    assert_schema(contact, "contact_list_item")
    assert contact["email"] == "alice@wonder.land"  # stored in lower case, as Chatwoot does
    assert contact["custom_attributes"] == {"plan": "pro", "seats": 3}
    assert [ci["inbox"]["id"] for ci in contact["contact_inboxes"]] == [website.id]
    link = reply.json["payload"]["contact_inbox"]
    assert link["inbox"]["id"] == website.id and link["source_id"] == contact["contact_inboxes"][0]["source_id"]
    assert [e["data"]["id"] for e in events(world, "contact.created")] == [contact["id"]]

    shown = api.get(f"{base(world)}/{contact['id']}", world.agent.token)
    assert shown.status == 200
    assert_matches(shown.json, "get", "/api/v1/accounts/{account_id}/contacts/{id}")
    assert shown.json["payload"]["name"] == "Alice Liddell"

    updated = api.put(f"{base(world)}/{contact['id']}", world.agent.token, body={
        "name": "Alice L.", "custom_attributes": {"seats": 5}, "blocked": True})
    assert updated.status == 200, updated.json
    assert_schema(updated.json["payload"], "contact_list_item")
    after = updated.json["payload"]
    assert after["name"] == "Alice L." and after["blocked"] is True
    assert after["custom_attributes"] == {"plan": "pro", "seats": 5}  # merged, as Chatwoot does
    assert after["email"] == "alice@wonder.land" and after["identifier"] == "crm-1"  # untouched
    change = events(world, "contact.updated")[-1]
    assert change["changed_attributes"]["name"] == ["Alice Liddell", "Alice L."]
    # PATCH works too, and null clears a field (and frees its claim).
    cleared = api.patch(f"{base(world)}/{contact['id']}", world.agent.token, body={"phone_number": None})
    assert cleared.status == 200 and "phone_number" not in cleared.json["payload"]
    assert claim(f"contact_phone#{world.account_id}#+15551234567") is None


def test_create_without_an_inbox(api, world):
    reply = api.post(base(world), world.agent.token, body={"name": "Bob", "email": "bob@x.test"})
    assert reply.status == 200, reply.json
    assert reply.json["payload"]["contact_inbox"] == {"inbox": None, "source_id": None}
    assert reply.json["payload"]["contact"]["contact_inboxes"] == []


@real_engine
def test_email_phone_and_identifier_are_unique_per_account(api, world):
    first = create(api, world, name="A", email="Same@X.test", phone_number="+4915112345678", identifier="ext-1")
    for field, value in (("email", "same@x.TEST"), ("phone_number", "+4915112345678"), ("identifier", "ext-1")):
        reply = api.post(base(world), world.agent.token, body={"name": "B", field: value})
        assert reply.status == 422, reply.json
        assert reply.json["errors"][0]["field"] == field and "already been taken" in reply.json["error"]
    second = create(api, world, name="B", email="b@x.test")
    assert api.put(f"{base(world)}/{second['id']}", world.agent.token, body={"email": "SAME@x.test"}).status == 422
    assert api.get(f"{base(world)}/{second['id']}", world.agent.token).json["payload"]["email"] == "b@x.test"
    # Identifiers are case-sensitive (the widget's claims are exact values).
    assert api.post(base(world), world.agent.token, body={"identifier": "EXT-1"}).status == 200
    # Changing a value frees the old one; another account may use the same values.
    assert api.put(f"{base(world)}/{first['id']}", world.agent.token, body={"email": "new@x.test"}).status == 200
    assert api.post(base(world), world.agent.token, body={"email": "same@x.test"}).status == 200
    assert api.post(base(world, world.other_account_id), world.other_admin.token,
                    body={"email": "new@x.test", "identifier": "ext-1"}).status == 200
    assert claim(f"contact_email#{world.account_id}#new@x.test") == f"Contact#{first['id']}"


@real_engine
def test_identifier_claims_are_shared_with_the_widget(api, world, website):
    # The widget claims identifiers through services/contact/contacts.py (claim_identifier): one scheme.
    visitor = website.widget.start()
    signature = hmac.new(website.hmac_token.encode(), b"user-42", hashlib.sha256).hexdigest()
    assert website.widget.call("POST", "contact/set_user", visitor, body={
        "identifier": "user-42", "identifier_hash": signature, "name": "Jane Widget"}).status == 200
    reply = api.post(base(world), world.agent.token, body={"name": "Impostor", "identifier": "user-42"})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "identifier"
    # The identified visitor is now a listed ("resolved") contact and can be found.
    listed = api.get(base(world), world.agent.token).json["payload"]
    assert [c["id"] for c in listed] == [visitor.contact_id]
    found = api.get(f"{base(world)}/search", world.agent.token, query={"q": "widget"}).json["payload"]
    assert [c["id"] for c in found] == [visitor.contact_id]


@real_engine
def test_bad_input_is_refused_and_writes_nothing(api, world, website):
    bad_bodies = [
        {"name": "x", "email": "not-an-email"},
        {"name": "x", "phone_number": "555-1234"},
        {"name": "x", "avatar_url": "javascript:alert(1)"},
        {"name": "x", "unknown_field": 1},
        {"name": "x" * 256},
        {"name": "x", "custom_attributes": {"k": {"nested": "object"}}},
        {"name": "x", "custom_attributes": {f"k{n}": n for n in range(101)}},
        {"name": "x", "additional_attributes": {"blob": "y" * 20_000}},
        {"name": "x", "custom_attributes": "not an object"},
        {"name": "x", "inbox_id": "abc"},
        {"name": "x", "email": "ok@x.test", "source_id": "s-1"},  # a source id needs an inbox
        {"name": ["x"]},
    ]
    for bad in bad_bodies:
        reply = api.post(base(world), world.agent.token, body=bad)
        assert reply.status == 422, (bad, reply.status, reply.json)
    assert api.post(base(world), world.agent.token, body="{not json").status == 400
    assert api.post(base(world), world.agent.token, body="[1, 2]").status == 400
    # An inbox of another account is not found; the email was not claimed by the failed tries.
    other_inbox = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token,
                           body={"name": "G", "channel": {"type": "api"}}).json
    assert api.post(base(world), world.agent.token,
                    body={"email": "ok@x.test", "inbox_id": other_inbox["id"]}).status == 404
    # A source id already taken in the inbox: 422, and neither contact nor claim is written.
    taken = create(api, world, email="first@x.test", inbox_id=website.id)
    source_id = taken["contact_inboxes"][0]["source_id"]
    reply = api.post(base(world), world.agent.token,
                     body={"email": "ok@x.test", "inbox_id": website.id, "source_id": source_id})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "source_id"
    assert claim(f"contact_email#{world.account_id}#ok@x.test") is None
    listed = api.get(base(world), world.agent.token).json
    assert listed["meta"]["count"] == 1 and [c["id"] for c in listed["payload"]] == [taken["id"]]
    for query in ({"sort": "size"}, {"page": "0"}, {"page": "x"}, {"page": "1001"}):
        assert api.get(base(world), world.agent.token, query=query).status == 422, query
    assert api.get(f"{base(world)}/abc", world.agent.token).status == 404
    assert api.put(f"{base(world)}/{taken['id']}", world.agent.token, body={"blocked": None}).status == 422
    assert api.put(f"{base(world)}/{taken['id']}", world.agent.token, body={"labels": ["x"]}).status == 422


# ---------------------------------------------------------------- list

def test_list_shows_resolved_contacts_15_a_page_with_sorting(api, world, website):
    website.widget.start()  # an anonymous visitor: a contact, but not listed (Chatwoot's resolved contacts)
    names = ["delta", "Alpha", "charlie", "Echo", "bravo"] + [f"zulu {n:02d}" for n in range(12)]
    made = [create(api, world, name=name, email=f"{name.replace(' ', '')}@x.test") for name in names]
    nameless = create(api, world, phone_number="+15550000001")
    first = api.get(base(world), world.agent.token)
    assert first.status == 200
    assert_matches(first.json, "get", "/api/v1/accounts/{account_id}/contacts")
    assert first.json["meta"] == {"count": 18, "current_page": "1"}
    assert len(first.json["payload"]) == 15
    # Default: newest activity first; the last page holds the rest.
    second = api.get(base(world), world.agent.token, query={"page": 2}).json
    assert second["meta"]["current_page"] == "2" and len(second["payload"]) == 3
    seen = [c["id"] for c in first.json["payload"] + second["payload"]]
    assert sorted(seen) == sorted([c["id"] for c in made] + [nameless["id"]])
    by_name = [c["name"] for c in api.get(base(world), world.agent.token, query={"sort": "name"}).json["payload"]]
    assert by_name[:5] == ["Alpha", "bravo", "charlie", "delta", "Echo"]  # case-insensitive
    last = api.get(base(world), world.agent.token, query={"sort": "name", "page": 2}).json["payload"]
    assert last[-1]["id"] == nameless["id"]  # no name sorts last ascending
    descending = api.get(base(world), world.agent.token, query={"sort": "-name"}).json["payload"]
    assert descending[0]["id"] == nameless["id"] and descending[1]["name"] == "zulu 11"
    created = api.get(base(world), world.agent.token, query={"sort": "created_at"}).json["payload"]
    assert [c["id"] for c in created][:3] == [made[0]["id"], made[1]["id"], made[2]["id"]]
    newest = api.get(base(world), world.agent.token, query={"sort": "-created_at"}).json["payload"]
    assert newest[0]["id"] == nameless["id"]
    by_email = api.get(base(world), world.agent.token, query={"sort": "-email"}).json["payload"]
    assert by_email[0]["id"] == nameless["id"] and by_email[1]["email"] == "zulu11@x.test"
    by_phone = api.get(base(world), world.agent.token, query={"sort": "phone_number"}).json["payload"]
    assert by_phone[0]["id"] == nameless["id"]
    lean = api.get(base(world), world.agent.token, query={"include_contact_inboxes": "false"}).json["payload"]
    assert all("contact_inboxes" not in c for c in lean)
    # Other accounts' contacts are never listed.
    assert api.get(base(world, world.other_account_id), world.other_admin.token).json["meta"]["count"] == 0


def test_count_follows_resolution_and_deletion(api, world):
    contact = create(api, world, name="Temp", email="temp@x.test")
    assert api.get(base(world), world.agent.token).json["meta"]["count"] == 1
    # Losing its email (its only unique value) makes it an unlisted contact.
    api.put(f"{base(world)}/{contact['id']}", world.agent.token, body={"email": ""})
    assert api.get(base(world), world.agent.token).json == {"meta": {"count": 0, "current_page": "1"}, "payload": []}
    api.put(f"{base(world)}/{contact['id']}", world.agent.token, body={"identifier": "back"})
    assert api.get(base(world), world.agent.token).json["meta"]["count"] == 1
    assert api.delete(f"{base(world)}/{contact['id']}", world.admin.token).status == 200
    assert api.get(base(world), world.agent.token).json["meta"]["count"] == 0


# ---------------------------------------------------------------- search

@real_engine
def test_search_by_name_words_email_phone_and_identifier(api, world):
    alice = create(api, world, name="Alice Mary Liddell", email="alice.liddell@wonder.land",
                   phone_number="+447700900123", identifier="CRM-Alice")
    bob = create(api, world, name="Bob Builder", email="bob@constructs.test", phone_number="+15551234567")
    create(api, world, name="Carol", identifier="crm-carol")
    search = f"{base(world)}/search"

    def ids(q, **extra):
        reply = api.get(search, world.agent.token, query={"q": q, **extra})
        assert reply.status == 200, reply.json
        assert_matches(reply.json, "get", "/api/v1/accounts/{account_id}/contacts/search")
        return [c["id"] for c in reply.json["payload"]]

    assert ids("ALI") == [alice["id"]]  # case-insensitive prefix of the name
    assert ids("liddell") == [alice["id"]]  # a later word
    assert ids("mary lid") == [alice["id"]]  # several words: each must start a term
    assert ids("wonder.land") == [alice["id"]]  # the email's domain
    assert ids("alice.liddell@") == [alice["id"]]
    assert ids("+44 7700") == [alice["id"]]  # phone: by digits
    assert ids("555 123") == [bob["id"]]  # without the country code
    assert ids("builder") == [bob["id"]]
    assert sorted(ids("crm")) == sorted([alice["id"], ids("carol")[0]])  # identifiers
    assert ids(str(bob["id"]))[0] == bob["id"]  # an id, as Chatwoot matches
    assert ids("nobody") == []
    assert ids("b", sort="name") == [bob["id"]]
    reply = api.get(search, world.agent.token, query={"q": "   "})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "q"
    assert api.get(search, world.agent.token, query={"q": "x" * 201}).status == 422
    # Renaming moves the search terms; another account's contacts are never found.
    api.put(f"{base(world)}/{bob['id']}", world.agent.token, body={"name": "Robert Plant"})
    assert ids("builder") == [] and ids("plant") == [bob["id"]]
    assert api.get(f"{base(world, world.other_account_id)}/search", world.other_admin.token,
                   query={"q": "alice"}).json["payload"] == []


def test_search_pages(api, world):
    for n in range(20):
        create(api, world, name=f"Sam {n:02d}", email=f"sam{n}@x.test")
    search = f"{base(world)}/search"
    first = api.get(search, world.agent.token, query={"q": "sam", "sort": "name"}).json
    second = api.get(search, world.agent.token, query={"q": "sam", "sort": "name", "page": 2}).json
    assert first["meta"] == {"count": 20, "current_page": "1"}
    assert [c["name"] for c in first["payload"] + second["payload"]] == [f"Sam {n:02d}" for n in range(20)]


# ---------------------------------------------------------------- filter

@real_engine
def test_filter(api, world):
    alice = create(api, world, name="Alice", email="alice@acme.test", custom_attributes={"plan": "Pro", "seats": 10},
                   additional_attributes={"city": "Berlin", "country_code": "DE"})
    bob = create(api, world, name="Bob", email="bob@globex.test", phone_number="+15551234567",
                 custom_attributes={"plan": "free"})
    carol = create(api, world, name="Carol", identifier="c-1")
    api.post(f"{base(world)}/{bob['id']}/labels", world.agent.token, body={"labels": ["vip"]})
    api.put(f"{base(world)}/{carol['id']}", world.agent.token, body={"blocked": True})
    url = f"{base(world)}/filter"

    def ids(*conditions, **params):
        reply = api.post(url, world.agent.token, body={"payload": list(conditions)}, query=params or None)
        assert reply.status == 200, reply.json
        assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/contacts/filter")
        return sorted(c["id"] for c in reply.json["payload"])

    def cond(key, operator, values, joiner=None, **extra):
        return {"attribute_key": key, "filter_operator": operator, "values": values, "query_operator": joiner,
                **extra}

    assert ids(cond("email", "contains", ["ACME"])) == [alice["id"]]
    assert ids(cond("name", "equal_to", ["bob"])) == [bob["id"]]
    assert ids(cond("name", "not_equal_to", ["bob"])) == [alice["id"], carol["id"]]
    assert ids(cond("phone_number", "equal_to", ["15551234567"])) == [bob["id"]]  # "+" added, as Chatwoot does
    assert ids(cond("identifier", "equal_to", ["c-1"])) == [carol["id"]]
    assert ids(cond("blocked", "equal_to", [True])) == [carol["id"]]
    assert ids(cond("labels", "equal_to", ["vip"])) == [bob["id"]]
    assert ids(cond("labels", "is_not_present", [])) == [alice["id"], carol["id"]]
    assert ids(cond("city", "contains", ["berl"])) == [alice["id"]]
    assert ids(cond("country_code", "equal_to", ["de"])) == [alice["id"]]
    assert ids(cond("plan", "equal_to", ["pro"], custom_attribute_type="contact_attribute")) == [alice["id"]]
    assert ids(cond("plan", "contains", ["RE"], custom_attribute_type="contact_attribute")) == [bob["id"]]
    assert ids(cond("seats", "is_greater_than", ["5"], custom_attribute_type="contact_attribute")) == [alice["id"]]
    assert ids(cond("created_at", "is_greater_than", ["2000-01-01"])) == [alice["id"], bob["id"], carol["id"]]
    assert ids(cond("created_at", "is_less_than", ["2000-01-01"])) == []
    assert ids(cond("last_activity_at", "days_before", ["1"])) == []
    # query_operator joins a condition to the next; AND binds tighter than OR.
    assert ids(cond("name", "equal_to", ["alice"], "OR"), cond("name", "equal_to", ["bob"], "AND"),
               cond("blocked", "equal_to", ["true"])) == [alice["id"]]
    assert ids(cond("email", "contains", ["test"], "and"), cond("labels", "is_present", [])) == [bob["id"]]
    paged = api.post(url, world.agent.token, body={"payload": [cond("name", "contains", ["a"])]},
                     query={"page": 1, "sort": "-name"}).json
    assert [c["name"] for c in paged["payload"]] == ["Carol", "Alice"] and paged["meta"]["count"] == 2


def test_filter_refuses_unknown_attributes_operators_and_values(api, world):
    url = f"{base(world)}/filter"
    bad_payloads = [
        [{"attribute_key": "shoe_size", "filter_operator": "equal_to", "values": ["9"]}],
        [{"attribute_key": "name", "filter_operator": "is_greater_than", "values": ["a"]}],
        [{"attribute_key": "name", "filter_operator": "sounds_like", "values": ["a"]}],
        [{"attribute_key": "name", "filter_operator": "equal_to", "values": []}],
        [{"attribute_key": "blocked", "filter_operator": "equal_to", "values": ["maybe"]}],
        [{"attribute_key": "created_at", "filter_operator": "is_greater_than", "values": ["yesterday"]}],
        [{"attribute_key": "created_at", "filter_operator": "days_before", "values": ["-3"]}],
        [{"attribute_key": "name", "filter_operator": "equal_to", "values": ["a"], "query_operator": "XOR"},
         {"attribute_key": "email", "filter_operator": "equal_to", "values": ["b"]}],
        [{"attribute_key": "name", "filter_operator": "equal_to", "values": ["a"]},
         {"attribute_key": "email", "filter_operator": "equal_to", "values": ["b"]}],  # no joiner
        [{"attribute_key": "name", "filter_operator": "equal_to", "values": ["a"], "sql": "1=1"}],
        [{"attribute_key": "name", "filter_operator": "equal_to", "values": [{"id": 1}]}],
        [],
    ]
    for payload in bad_payloads:
        reply = api.post(url, world.agent.token, body={"payload": payload})
        assert reply.status == 422, (payload, reply.json)
    assert "shoe_size" in api.post(url, world.agent.token, body={"payload": bad_payloads[0]}).json["error"]
    assert api.post(url, world.agent.token, body={}).status == 422
    assert api.post(url, world.agent.token, body={"payload": [{"attribute_key": "name", "filter_operator": "contains",
                                                               "values": ["a"]}]}, query={"sort": "x"}).status == 422


# ---------------------------------------------------------------- conversations, labels, contact inboxes

def test_contact_conversations_follow_inbox_membership(api, world, website):
    visitor, conversation_id = start_chat(website)
    url = f"{base(world)}/{visitor.contact_id}/conversations"
    reply = api.get(url, world.agent.token)
    assert reply.status == 200
    assert_matches(reply.json, "get", "/api/v1/accounts/{account_id}/contacts/{id}/conversations")
    assert [c["id"] for c in reply.json["payload"]] == [conversation_id]
    api.delete(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
               body={"inbox_id": website.id, "user_ids": [world.agent.id]})
    assert api.get(url, world.agent.token).json["payload"] == []
    assert [c["id"] for c in api.get(url, world.admin.token).json["payload"]] == [conversation_id]
    assert api.get(f"{base(world, world.other_account_id)}/{visitor.contact_id}/conversations",
                   world.other_admin.token).status == 404


def test_labels_replace_the_list(api, world):
    contact = create(api, world, name="L", email="l@x.test")
    url = f"{base(world)}/{contact['id']}/labels"
    assert api.get(url, world.agent.token).json == {"payload": []}
    reply = api.post(url, world.agent.token, body={"labels": ["vip", "billing", "vip"]})
    assert reply.status == 200
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/contacts/{id}/labels")
    assert reply.json == {"payload": ["billing", "vip"]}
    assert api.post(url, world.agent.token, body={"labels": ["support"]}).json == {"payload": ["support"]}
    assert_matches(api.get(url, world.agent.token).json, "get", "/api/v1/accounts/{account_id}/contacts/{id}/labels")
    for bad in ({"labels": ["has space"]}, {"labels": "vip"}, {}, {"labels": ["x"] * 101}):
        assert api.post(url, world.agent.token, body=bad).status == 422, bad
    assert api.get(url, world.agent.token).json == {"payload": ["support"]}
    assert events(world, "contact.updated")[-1]["changed_attributes"]["labels"] == [["billing", "vip"], ["support"]]


def test_contact_inboxes_and_contactable_inboxes(api, world, website):
    api_inbox = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                         body={"name": "API", "channel": {"type": "api"}}).json
    contact = create(api, world, name="C", email="c@x.test")
    url = f"{base(world)}/{contact['id']}"
    contactable = api.get(f"{url}/contactable_inboxes", world.admin.token)
    assert contactable.status == 200
    assert_matches(contactable.json, "get", "/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes")
    assert [row["inbox"]["id"] for row in contactable.json["payload"]] == [api_inbox["id"]]  # no widget identity yet
    made = api.post(f"{url}/contact_inboxes", world.agent.token, body={"inbox_id": website.id, "source_id": "src-1"})
    assert made.status == 200, made.json
    assert_matches(made.json, "post", "/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes")
    assert made.json["source_id"] == "src-1" and made.json["inbox"]["id"] == website.id
    again = api.post(f"{url}/contact_inboxes", world.agent.token, body={"inbox_id": website.id, "source_id": "src-1"})
    assert again.status == 422 and again.json["errors"][0]["field"] == "source_id"
    # The agent works in the website inbox only: the API inbox is refused and not offered.
    assert api.post(f"{url}/contact_inboxes", world.agent.token, body={"inbox_id": api_inbox["id"]}).status == 422
    offered = api.get(f"{url}/contactable_inboxes", world.agent.token).json["payload"]
    assert offered == [{"source_id": "src-1", "inbox": offered[0]["inbox"]}] and offered[0]["inbox"]["id"] == website.id
    assert api.post(f"{url}/contact_inboxes", world.agent.token, body={"inbox_id": 999999}).status == 404
    assert api.post(f"{url}/contact_inboxes", world.agent.token, body={}).status == 422
    shown = api.get(url, world.agent.token).json["payload"]
    assert [ci["source_id"] for ci in shown["contact_inboxes"]] == ["src-1"]


# ---------------------------------------------------------------- delete, merge, permissions

@real_engine
def test_delete_is_for_administrators_and_frees_the_claims(api, world, website):
    contact = create(api, world, name="Gone", email="gone@x.test", identifier="gone-1", inbox_id=website.id)
    url = f"{base(world)}/{contact['id']}"
    assert api.delete(url, world.agent.token).status == 403
    assert api.delete(f"{base(world, world.other_account_id)}/{contact['id']}", world.other_admin.token).status == 404
    assert api.delete(url, world.admin.token).status == 200
    assert api.get(url, world.agent.token).status == 404
    assert api.delete(url, world.admin.token).status == 404
    assert [e["data"]["id"] for e in events(world, "contact.deleted")] == [contact["id"]]
    assert claim(f"contact_email#{world.account_id}#gone@x.test") is None
    assert api.post(base(world), world.agent.token, body={"email": "gone@x.test", "identifier": "gone-1"}).status == 200
    from parley.services.contact import contacts

    assert contacts.contact_inbox(website.id, contact["contact_inboxes"][0]["source_id"]) is None


@real_engine
def test_merge_moves_conversations_and_inboxes_and_keeps_the_base(api, world, website):
    visitor, conversation_id = start_chat(website)
    api.put(f"{base(world)}/{visitor.contact_id}", world.agent.token, body={
        "name": "Visitor", "email": "visitor@x.test", "identifier": "v-1",
        "custom_attributes": {"plan": "free", "source": "widget"}, "additional_attributes": {"city": "Paris"}})
    api.post(f"{base(world)}/{visitor.contact_id}/labels", world.agent.token, body={"labels": ["lead"]})
    kept = create(api, world, name="Known Customer", identifier="crm-7", custom_attributes={"plan": "pro"})
    api.post(f"{base(world)}/{kept['id']}/labels", world.agent.token, body={"labels": ["vip"]})
    action = f"/api/v1/accounts/{world.account_id}/actions/contact_merge"
    body = {"base_contact_id": kept["id"], "mergee_contact_id": visitor.contact_id}
    assert api.post(action, world.agent.token, body=body).status == 403
    merged = api.post(action, world.admin.token, body=body)
    assert merged.status == 200, merged.json
    assert_matches(merged.json, "post", "/api/v1/accounts/{account_id}/actions/contact_merge")
    result = merged.json
    assert result["id"] == kept["id"] and result["name"] == "Known Customer" and result["identifier"] == "crm-7"
    assert result["email"] == "visitor@x.test"  # the base had none
    assert result["custom_attributes"] == {"plan": "pro", "source": "widget"}
    assert result["additional_attributes"]["city"] == "Paris" and result["labels"] == ["lead", "vip"]
    assert api.get(f"{base(world)}/{visitor.contact_id}", world.admin.token).status == 404
    conversation = api.get(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}",
                           world.admin.token).json
    assert conversation["meta"]["sender"]["id"] == kept["id"]
    assert [c["id"] for c in api.get(f"{base(world)}/{kept['id']}/conversations", world.admin.token).json["payload"]] \
        == [conversation_id]
    # The visitor's widget session now speaks for the base contact.
    assert website.widget.say(visitor, "still me").status == 200
    assert api.get(f"{base(world)}/{kept['id']}", world.admin.token).json["payload"]["contact_inboxes"][0][
        "inbox"]["id"] == website.id
    # Claims: the email moved to the base, the mergee's identifier is free again.
    assert claim(f"contact_email#{world.account_id}#visitor@x.test") == f"Contact#{kept['id']}"
    assert claim(f"contact_identifier#{world.account_id}#v-1") is None
    assert api.post(base(world), world.agent.token, body={"identifier": "v-1"}).status == 200
    assert api.post(base(world), world.agent.token, body={"email": "visitor@x.test"}).status == 422
    found = api.get(f"{base(world)}/search", world.admin.token, query={"q": "visitor"}).json
    assert [c["id"] for c in found["payload"]] == [kept["id"]]
    assert [e["data"]["id"] for e in events(world, "contact.merged")] == [kept["id"]]
    assert api.get(base(world), world.admin.token).json["meta"]["count"] == 2  # the base and the new v-1


def test_merge_refuses_bad_requests(api, world):
    a = create(api, world, name="A", email="a@x.test")
    other = api.post(base(world, world.other_account_id), world.other_admin.token, body={"email": "o@x.test"}).json
    action = f"/api/v1/accounts/{world.account_id}/actions/contact_merge"
    assert api.post(action, world.admin.token, body={"base_contact_id": a["id"], "mergee_contact_id": a["id"]}
                    ).status == 422
    assert api.post(action, world.admin.token, body={"base_contact_id": a["id"],
                                                      "mergee_contact_id": other["payload"]["contact"]["id"]}
                    ).status == 404
    assert api.post(action, world.admin.token, body={"base_contact_id": a["id"]}).status == 422
    assert api.post(action, world.admin.token, body={"base_contact_id": a["id"], "mergee_contact_id": "x"}).status == 422
    assert api.post(f"/api/v1/accounts/{world.other_account_id}/actions/contact_merge", world.admin.token,
                    body={"base_contact_id": a["id"], "mergee_contact_id": a["id"]}).status == 404
    assert api.get(f"{base(world)}/{a['id']}", world.admin.token).status == 200


def test_other_accounts_and_outsiders_get_404_or_401(api, world, website):
    contact = create(api, world, name="Mine", email="mine@x.test")
    other = base(world, world.other_account_id)
    mine = f"{base(world)}/{contact['id']}"
    for method, path, body in (
        ("GET", base(world), None), ("POST", base(world), {"name": "x"}),
        ("GET", f"{base(world)}/search", None), ("POST", f"{base(world)}/filter", {"payload": []}),
        ("GET", mine, None), ("PUT", mine, {"name": "x"}), ("DELETE", mine, None),
        ("GET", f"{mine}/conversations", None), ("GET", f"{mine}/labels", None),
        ("POST", f"{mine}/labels", {"labels": []}), ("POST", f"{mine}/contact_inboxes", {"inbox_id": website.id}),
        ("GET", f"{mine}/contactable_inboxes", None),
        ("POST", f"/api/v1/accounts/{world.account_id}/actions/contact_merge",
         {"base_contact_id": contact["id"], "mergee_contact_id": contact["id"]}),
    ):
        assert api.call(method, path, world.other_admin.token, body=body).status == 404, (method, path)
        assert api.call(method, path, None, body=body).status == 401, (method, path)
    # Acme's contact id under Globex's account: not found.
    for method, suffix in (("GET", ""), ("PUT", ""), ("GET", "/labels"), ("GET", "/conversations")):
        assert api.call(method, f"{other}/{contact['id']}{suffix}", world.other_admin.token,
                        body={} if method == "PUT" else None).status == 404
    assert api.get(mine, world.agent.token).json["payload"]["name"] == "Mine"


# ---------------------------------------------------------------- the outbox: a change and its event commit together

def _contact_row(contact_id: int):
    from parley.models.contact import Contact

    try:
        return Contact.get(contact_id, consistent_read=True)
    except Contact.DoesNotExist:
        return None


@real_engine
def test_a_contact_write_and_its_event_commit_together_or_not_at_all(api, world, monkeypatch):
    """Each contact write carries its event in the same transaction: a write that fails
    (its TransactWriteItems throttled past the SDK's retries, the event log's record in
    it) leaves neither the change nor the event; one that commits has exactly one event in
    the log, even if the function dies before it pushes anything."""
    from tests.integration.channel_support import logged, throttle_event_log_once
    from tests.integration.test_echo_id import Died, die_after_commit

    # Create: refused, nothing at all; then created, one contact.created.
    state = throttle_event_log_once(monkeypatch)
    assert api.post(base(world), world.agent.token, body={"name": "Tess", "email": "tess@x.test"}).status == 500
    assert state["thrown"] == 1 and logged(world.account_id, "contact.created") == []
    assert claim(f"contact_email#{world.account_id}#tess@x.test") is None
    assert api.get(base(world), world.admin.token).json["payload"] == []
    contact = create(api, world, name="Tess", email="tess@x.test")
    assert [c["id"] for c in logged(world.account_id, "contact.created")] == [contact["id"]]

    # Update: refused, unchanged and unannounced; then committed (the function dying
    # before it pushes), changed with one contact.updated.
    url = f"{base(world)}/{contact['id']}"
    state = throttle_event_log_once(monkeypatch)
    assert api.put(url, world.agent.token, body={"name": "Tessa"}).status == 500
    assert state["thrown"] == 1 and logged(world.account_id, "contact.updated") == []
    assert _contact_row(contact["id"]).name == "Tess"
    recover = die_after_commit(monkeypatch)
    with pytest.raises(Died):
        api.put(url, world.agent.token, body={"name": "Tessa"})
    recover()
    assert _contact_row(contact["id"]).name == "Tessa"
    assert [c["name"] for c in logged(world.account_id, "contact.updated")] == ["Tessa"]

    # Delete: refused, still there; then gone with one contact.deleted.
    state = throttle_event_log_once(monkeypatch)
    assert api.delete(url, world.admin.token).status == 500
    assert state["thrown"] == 1 and _contact_row(contact["id"]) is not None
    assert logged(world.account_id, "contact.deleted") == []
    assert api.delete(url, world.admin.token).status == 200
    assert _contact_row(contact["id"]) is None
    assert [c["id"] for c in logged(world.account_id, "contact.deleted")] == [contact["id"]]


@real_engine
def test_a_merge_and_its_events_commit_together(api, world, monkeypatch):
    from tests.integration.channel_support import logged, throttle_event_log_once

    kept = create(api, world, name="Kept", email="kept@x.test")
    mergee = create(api, world, name="Mergee", phone_number="+15550001111")
    action = f"/api/v1/accounts/{world.account_id}/actions/contact_merge"
    body = {"base_contact_id": kept["id"], "mergee_contact_id": mergee["id"]}
    state = throttle_event_log_once(monkeypatch)
    assert api.post(action, world.admin.token, body=body).status == 500
    assert state["thrown"] == 1 and _contact_row(mergee["id"]) is not None
    assert _contact_row(kept["id"]).phone_number is None
    assert logged(world.account_id, "contact.deleted") == logged(world.account_id, "contact.merged") == []
    assert api.post(action, world.admin.token, body=body).status == 200  # running it again finishes it
    assert _contact_row(mergee["id"]) is None
    assert [c["id"] for c in logged(world.account_id, "contact.deleted")] == [mergee["id"]]
    assert [c["phone_number"] for c in logged(world.account_id, "contact.merged")] == ["+15550001111"]
