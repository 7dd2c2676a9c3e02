"""Conversations at scale: the inbox list, a filter and searches at 1,000 and at 20,000
conversations in one account, with the DynamoDB reads each costs (counted, not guessed)
and its latency in-process over moto (explained in docs/benchmarks.md, "Conversations at
scale": moto's latency is not DynamoDB's).

The real http_api handler runs in-process over moto with every table of template.yaml.
Contacts (one per 20 conversations, with their index entries), conversations, one
message each with its search terms, and the count buckets they add up to are built as
the same pynamodb items services/contacts.py, conversations.py and message_terms.py
write, and put straight into moto's in-memory tables: through boto3 and moto's request
parsing, 20,000 conversations took minutes (and each contact transaction 0.7 s, moto
copying every table); directly, seconds.

Read units follow DynamoDB's billing rules on the bytes each read returns (item size:
attribute names plus values): a Query 0.5 unit per 4 KB of all its items (eventually
consistent), a BatchGetItem or GetItem 0.5 per 4 KB of each item (1 when consistent).
"""
from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from contextlib import contextmanager

from botocore.client import BaseClient

from bench.report import print_table

# SCALE_SIZES=200,1000 for a quick run while changing this file; the figures are for the default.
SIZES = tuple(int(n) for n in os.environ.get("SCALE_SIZES", "1000,20000").split(","))
RUNS = 3  # timed calls per operation and size, fewer once they took TIME_BUDGET
TIME_BUDGET = 5.0  # seconds: at 20,000 one search over moto takes ~10 s (see docs/benchmarks.md)
CONVERSATIONS_PER_CONTACT = 20
WORDS = ("order", "delivery", "invoice", "password", "refund", "shipping", "account", "upgrade", "login", "billing")
FIRST = ("Maya", "Liam", "Noor", "Kenji", "Ana", "Tomas", "Ifeoma", "Lars", "Priya", "Mateo", "Sofia", "Yusuf",
         "Elena", "Chen", "Amara", "Jonas", "Leila", "Ravi", "Ines", "Omar")
LAST = ("Okafor", "Lindqvist", "Haddad", "Tanaka", "Moreau", "Silva", "Novak", "Kowalski", "Mensah", "Ibarra",
        "Fischer", "Rossi", "Nakamura", "Costa", "Brennan", "Varga", "Dubois", "Sato", "Petrov", "Quinn", "Adeyemi",
        "Larsen", "Horvat", "Reyes", "Abbasi")
SEARCHED_NAME = "Maya Okafor"  # contact 0's name; other contacts share its first or last name


def _bytes(value: dict) -> int:
    """Size of one DynamoDB attribute value as DynamoDB counts it."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return (len(v.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _bytes(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _bytes(x) for k, x in v.items())
    if kind == "SS":
        return sum(len(x.encode()) for x in v)
    if kind == "NS":
        return sum(_bytes({"N": x}) for x in v)
    return sum(len(x) for x in v)  # BS


def item_bytes(item: dict) -> int:
    return sum(len(name.encode()) + _bytes(value) for name, value in item.items())


def units(size: int, consistent: bool) -> float:
    return max(1, -(-size // 4096)) * (1.0 if consistent else 0.5)


class Reads:
    """DynamoDB reads of one operation: requests, items returned, read units, and the
    time spent inside the SDK calls (botocore + moto here; the network and DynamoDB on AWS)."""

    def __init__(self):
        self.requests = 0
        self.items = 0
        self.units = 0.0
        self.seconds = 0.0
        self.overhead = 0.0  # spent sizing responses: taken off the timed call
        self.by_target: dict[str, list[int]] = {}  # "Query status-index": [requests, items]

    def record(self, operation: str, params: dict, response: dict) -> None:
        consistent = bool(params.get("ConsistentRead"))
        if operation in ("Query", "Scan"):
            items = response.get("Items", [])
            self.units += units(sum(item_bytes(i) for i in items), consistent)
        elif operation == "GetItem":
            items = [response["Item"]] if "Item" in response else []
            self.units += units(item_bytes(items[0]) if items else 0, consistent)
        elif operation == "BatchGetItem":
            items = [i for rows in response.get("Responses", {}).values() for i in rows]
            self.units += sum(units(item_bytes(i), consistent) for i in items)
        else:
            return
        self.requests += 1
        self.items += len(items)
        tables = params.get("RequestItems") or {params.get("TableName", ""): None}
        where = params.get("IndexName") or "+".join(name.split("-", 1)[-1] for name in tables)
        tally = self.by_target.setdefault(f"{operation} {where}", [0, 0])
        tally[0] += 1
        tally[1] += len(items)


@contextmanager
def counting(*, sizes: bool = True):
    """Every DynamoDB read made inside the block; with `sizes` False only the time spent
    in SDK calls (no size arithmetic that would add to the timed run)."""
    reads = Reads()
    original = BaseClient._make_api_call

    def counted(self, operation, params):
        began = time.perf_counter()
        response = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            returned = time.perf_counter()
            reads.seconds += returned - began
            if sizes:
                reads.record(operation, params, response)
                reads.overhead += time.perf_counter() - returned
        return response

    BaseClient._make_api_call = counted
    try:
        yield reads
    finally:
        BaseClient._make_api_call = original


class MotoTables:
    """Puts pynamodb items straight into moto's in-memory tables (what PutItem stores,
    minus request parsing and validation: the items come from our own models)."""

    def __init__(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        from parley.settings import get_settings

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][get_settings().region]

    def put(self, model) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType, Item

        table = self.backend.get_table(model.Meta.table_name)
        attrs = model.serialize()
        hash_key = DynamoType(attrs[table.hash_key_attr])
        range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        item = Item(hash_key, range_key, {})
        item.attrs.update({name: DynamoType(value) for name, value in attrs.items()})
        if range_key is None:
            table.items[hash_key] = item
        else:
            table.items[hash_key][range_key] = item


def make_contacts(tables: MotoTables, account_id: int, inbox_id: int, start: int, count: int) -> list[int]:
    """`count` more contacts with an email, each with what services/contacts.py writes in
    its transaction (its index entries, its email claim, its contact inbox). Through the
    service each took ~0.7 s here: moto copies every table for each transaction."""
    from parley import ids
    from parley.models.contact import Contact, ContactInbox
    from parley.models.counter import Counter
    from parley.services import contacts

    first = ids.next_id("Contact")
    made = []
    for n in range(start, start + count):
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST) + n) % len(LAST)]}"
        contact = Contact(first + n - start, account_id=account_id, name=name, email=f"customer{n}@example.test",
                          last_activity_at=int(time.time()), version=1)
        entries = contacts.entries_for(contact)
        contact.index_ids = set(entries)
        tables.put(contact)
        for entry in entries.values():
            tables.put(entry)
        tables.put(contacts._claim(account_id, "email", contact.email, contact.id))
        tables.put(ContactInbox(inbox_id, str(uuid.uuid4()), contact_id=contact.id, account_id=account_id,
                                pubsub_token=uuid.uuid4().hex))
        made.append(contact.id)
    Counter("Contact").update(actions=[Counter.value.set(first + count)])
    Counter(contacts._listed_counter(account_id)).update(actions=[Counter.value.add(count)])
    return made


def seed(tables: MotoTables, account_id: int, inbox_ids: list[int], agent_ids: list[int], contact_ids: list[int],
         start: int, count: int, rng: random.Random) -> None:
    """`count` more conversations (display ids from `start`), one message each with its
    search terms, and the count buckets and id counters they move."""
    from parley import ids
    from parley.models.conversation import Conversation, Message
    from parley.models.conversation_index import ConversationCount
    from parley.models.counter import Counter
    from parley.services import conversation_queries, message_terms

    buckets: dict[tuple, int] = {}
    now = int(time.time() * 1000)
    first_message = ids.next_id("Message")
    for n in range(start, start + count):
        status = rng.choices(("open", "resolved", "pending", "snoozed"), (5, 3, 1, 1))[0]
        inbox_id = rng.choice(inbox_ids)
        message_id = first_message + n - start
        content = f"About my {rng.choice(WORDS)} and the {rng.choice(WORDS)}, ticket {n}"
        conversation = Conversation(account_id, n, uuid=str(uuid.uuid4()), inbox_id=inbox_id,
                                    contact_id=rng.choice(contact_ids), source_id=str(uuid.uuid4()), status=status,
                                    assignee_id=rng.choice(agent_ids + [None]),
                                    labels=["billing"] if n % 10 == 0 else [],
                                    last_activity_at=now - (start + count - n) * 1000,
                                    last_message={"id": message_id, "content": content, "message_type": 0},
                                    version=1)
        conversation.sync_keys()
        tables.put(conversation)
        message = Message(conversation.key, message_id, account_id=account_id, inbox_id=inbox_id,
                          conversation_id=n, content=content, message_type=0, sender_type="Contact",
                          sender_id=conversation.contact_id)
        tables.put(message)
        for term in message_terms.terms_for(message):
            tables.put(term)
        bucket = conversation_queries.bucket_of(conversation)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    Counter(ids.account_counter(account_id, "Conversation")).update(actions=[Counter.value.set(start + count)])
    Counter("Message").update(actions=[Counter.value.set(first_message + count)])
    for bucket, n in buckets.items():
        ConversationCount(account_id, ConversationCount.key_for(*bucket)).update(
            actions=[ConversationCount.value.add(n)])


def cases(api, account_id: int, admin_token: str, agent_token: str) -> dict:
    base = f"/api/v1/accounts/{account_id}"
    inbox_list = {"status": "open", "assignee_type": "all"}
    billing_filter = {"payload": [
        {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": "AND"},
        {"attribute_key": "labels", "filter_operator": "equal_to", "values": ["billing"]}]}
    return {
        "inbox list, page 1 + meta (admin)": lambda: api.get(f"{base}/conversations", admin_token, query=inbox_list),
        "inbox list, page 1 + meta (agent)": lambda: api.get(f"{base}/conversations", agent_token, query=inbox_list),
        "filter: open AND label billing": lambda: api.post(f"{base}/conversations/filter", admin_token,
                                                           body=billing_filter),
        "search messages: 'refund'": lambda: api.get(f"{base}/search/messages", admin_token, query={"q": "refund"}),
        f"search contacts: '{SEARCHED_NAME}'": lambda: api.get(f"{base}/search/contacts", admin_token,
                                                               query={"q": SEARCHED_NAME}),
        f"search (all kinds): '{SEARCHED_NAME}'": lambda: api.get(f"{base}/search", admin_token,
                                                                  query={"q": SEARCHED_NAME}),
    }


def found(reply) -> int:
    """How many rows a reply holds (a benchmark of empty pages would prove nothing)."""
    body = reply.json
    if "data" in body:
        return len(body["data"]["payload"])
    if isinstance(body.get("payload"), list):
        return len(body["payload"])
    return sum(len(rows) for rows in body["payload"].values())


class Figures:
    def __init__(self, reads: Reads, total_ms: list[float], sdk_ms: list[float], empty_ms: list[float]):
        self.reads, self.total, self.sdk, self.empty = reads, total_ms, sdk_ms, empty_ms

    @property
    def ms(self) -> float:
        return statistics.median(self.total)

    @property
    def own_ms(self) -> float:
        return statistics.median(t - s for t, s in zip(self.total, self.sdk))


def timed(call, *, count: bool) -> tuple[Reads, list[float], list[float]]:
    """Warm calls of `call`: the first counted (when `count`), RUNS in all unless they
    pass TIME_BUDGET. Returns the reads, each call's ms and its ms inside SDK calls."""
    totals, sdk, first = [], [], None
    while len(totals) < RUNS and (not totals or sum(totals) < TIME_BUDGET * 1000):
        with counting(sizes=count and first is None) as reads:
            began = time.perf_counter()
            call()
            totals.append((time.perf_counter() - began - reads.overhead) * 1000)
        sdk.append(reads.seconds * 1000)
        first = first or reads
    return first, totals, sdk


def measure(call, empty_call) -> Figures:
    reads, totals, sdk = timed(call, count=True)
    empty_call()  # warms its caches too
    _, empty_totals, _ = timed(empty_call, count=False)
    return Figures(reads, totals, sdk, empty_totals)


def run() -> None:
    from moto import mock_aws

    from tests import conftest

    rng = random.Random(4)
    results: dict[str, dict[int, Figures]] = {}
    timings: dict[int, tuple[float, float]] = {}
    rows_found: dict[str, dict[int, int]] = {}
    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        from parley import global_config
        from parley.services import accounts, inboxes, tokens, users

        global_config.invalidate()
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)
        website = conftest.website.__wrapped__(api, world)
        a = world.account_id
        second = api.post(f"/api/v1/accounts/{a}/inboxes", world.admin.token,
                          body={"name": "API", "channel": {"type": "api"}}).json["id"]
        # The same callers in an account with no conversations: the same Queries on the
        # same tables find nothing, so what remains of their latency is moto's, not the data's.
        empty_inbox = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token,
                               body={"name": "API", "channel": {"type": "api"}}).json["id"]
        empty_agent = users.create_user(email="agent@globex.test", name="Gus Globex")
        accounts.add_member(world.other_account_id, empty_agent.id, "agent", inviter_id=world.other_admin.id)
        inboxes.add_members(inboxes.get_inbox(world.other_account_id, empty_inbox), [empty_agent.id])
        empty_agent_token = tokens.issue(users.owner(empty_agent.id))

        measured = cases(api, a, world.admin.token, world.agent.token)
        empty = cases(api, world.other_account_id, world.other_admin.token, empty_agent_token)
        tables = MotoTables()
        contact_ids: list[int] = []
        done = 0
        for size in SIZES:
            began = time.perf_counter()
            contact_ids += make_contacts(tables, a, website.id, len(contact_ids),
                                         size // CONVERSATIONS_PER_CONTACT - len(contact_ids))
            made_contacts = time.perf_counter()
            seed(tables, a, [website.id, second], [world.admin.id, world.agent.id], contact_ids, done + 1,
                 size - done, rng)
            timings[size] = (made_contacts - began, time.perf_counter() - made_contacts)
            done = size
            meta = measured["inbox list, page 1 + meta (admin)"]().json["data"]["meta"]
            assert meta["all_count"] > size * 0.4, meta  # the seeded rows are what the handler reads
            for name, call in measured.items():
                reply = call()  # warms the container's caches: a warm call is what is measured
                assert reply.status == 200, (name, reply.status, reply.json)
                rows_found.setdefault(name, {})[size] = found(reply)
                assert rows_found[name][size], (name, reply.json)
                results.setdefault(name, {})[size] = measure(call, empty[name])
    report(results, rows_found, timings)


def report(results: dict[str, dict[int, Figures]], rows_found: dict[str, dict[int, int]], timings: dict) -> None:
    small, large = SIZES
    reads_rows, latency_rows = [], []
    for name, by_size in results.items():
        f1, f2 = by_size[small], by_size[large]
        r1, r2 = f1.reads, f2.reads
        reads_rows.append([name, f"{rows_found[name][small]}/{rows_found[name][large]}",
                           f"{r1.requests}/{r1.items}/{r1.units:g}", f"{r2.requests}/{r2.items}/{r2.units:g}",
                           f"{r2.requests / r1.requests:.2f}", f"{r2.items / max(r1.items, 1):.2f}",
                           f"{r2.units / r1.units:.2f}"])
        latency_rows.append([name, f"{f1.ms:.0f}", f"{statistics.median(f1.empty):.0f}",
                             f"{f1.own_ms:.0f}", f"{f2.ms:.0f}", f"{statistics.median(f2.empty):.0f}",
                             f"{f2.own_ms:.0f}", f"{f2.ms / f1.ms:.2f}", f"{f2.own_ms / f1.own_ms:.2f}"])
    print_table(f"Conversations at scale: DynamoDB reads, {small:,} vs {large:,} conversations in one account",
                ["operation", "rows", f"{small:,}: req/items/RCU", f"{large:,}: req/items/RCU", "req ×",
                 "items ×", "RCU ×"], reads_rows,
                [f"rows: rows in the reply at each size; × columns: the {large:,} figure / the {small:,} figure (target: flat)",
                 "RCU from the bytes read (DynamoDB's item size rules): 0.5 per 4 KB of a Query's items, "
                 "of each BatchGet/GetItem item"])
    print(f"\n  where the reads go at {large:,} (requests×, items):")
    for name, by_size in results.items():
        spread = ", ".join(f"{target} {n}×/{items}" for target, (n, items) in by_size[large].reads.by_target.items())
        print(f"  - {name}: {spread}")
    print_table("Conversations at scale: in-process latency over moto (ms; NOT DynamoDB latency)",
                ["operation", f"{small:,}", "empty acct", "Parley", f"{large:,}", "empty acct", "Parley",
                 "total ×", "Parley ×"], latency_rows,
                [f"median of {RUNS} warm calls, or of fewer when they took more than {TIME_BUDGET:g} s "
                 f"(runs at {large:,}: " + ", ".join(str(len(f[large].total)) for f in results.values()) + ")",
                 "empty acct: the same operation in an account with no conversations, on the same tables: "
                 "the same Queries, nothing found",
                 "Parley: the handler's own time (total minus the time inside DynamoDB SDK calls)",
                 *(f"seeding {size:,}: contacts {c:.1f} s, conversations {s:.0f} s "
                   "(written straight into moto's tables)" for size, (c, s) in timings.items())])
