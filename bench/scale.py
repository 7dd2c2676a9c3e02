"""Conversations at scale on the local stack: the inbox list, a filter and searches at
1,000 and at 20,000 conversations in one account, through the HTTP API of `python -m
local` (DynamoDB Local underneath), with the DynamoDB requests and read units each one
costs (metered by the containers, GET /_local/usage).

The conversations are loaded by bench/load.py: contacts (one per 20 conversations, with
their index entries), conversations, one message each with its search terms, and the
count buckets they add up to, built here as the same pynamodb items
services/contact/contacts.py, conversations.py and message_terms.py write, and written straight
to DynamoDB Local. Each size's state is prepared once and kept in .local/bench; every run
starts a stack on a copy of it.
"""
from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.report import print_table

# SCALE_SIZES=200,1000 for a quick run while changing this file; the figures are for the default.
SIZES = tuple(int(n) for n in os.environ.get("SCALE_SIZES", "1000,20000").split(","))
RUNS = 7  # timed warm calls per operation and size; the median is reported
TARGET_RATIO = 1.5
CONVERSATIONS_PER_CONTACT = 20
WORDS = ("order", "delivery", "invoice", "password", "refund", "shipping", "account", "upgrade", "login", "billing")
FIRST = ("Maya", "Liam", "Noor", "Kenji", "Ana", "Tomas", "Ifeoma", "Lars", "Priya", "Mateo", "Sofia", "Yusuf",
         "Elena", "Chen", "Amara", "Jonas", "Leila", "Ravi", "Ines", "Omar")
LAST = ("Okafor", "Lindqvist", "Haddad", "Tanaka", "Moreau", "Silva", "Novak", "Kowalski", "Mensah", "Ibarra",
        "Fischer", "Rossi", "Nakamura", "Costa", "Brennan", "Varga", "Dubois", "Sato", "Petrov", "Quinn", "Adeyemi",
        "Larsen", "Horvat", "Reyes", "Abbasi")
SEARCHED_NAME = "Maya Okafor"  # contact 0's name; other contacts share its first or last name


def make_contacts(tables, account_id: int, inbox_id: int, start: int, count: int) -> list[int]:
    """`count` more contacts with an email, each with what services/contact/contacts.py writes in
    its transaction (its index entries, its email claim, its contact inbox). Through the
    service each took ~0.7 s here: moto copies every table for each transaction."""
    from parley import ids
    from parley.models.contact import Contact, ContactInbox
    from parley.models.counter import Counter
    from parley.services.contact import contacts

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


def seed(tables, account_id: int, inbox_ids: list[int], agent_ids: list[int], contact_ids: list[int],
         start: int, count: int, rng: random.Random) -> None:
    """`count` more conversations (display ids from `start`), one message each with its
    search terms, and the count buckets and id counters they move."""
    from parley import ids
    from parley.models.conversation import Conversation, Message
    from parley.models.conversation_index import ConversationCount
    from parley.models.counter import Counter
    from parley.services.conversation import conversation_queries, message_terms

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


def cases(account_id: int, admin_token: str, agent_token: str) -> dict:
    """name -> (method, path, token, query, body)"""
    base = f"/api/v1/accounts/{account_id}"
    inbox_list = {"status": "open", "assignee_type": "all"}
    billing_filter = {"payload": [
        {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": "AND"},
        {"attribute_key": "labels", "filter_operator": "equal_to", "values": ["billing"]}]}
    return {
        "inbox list, page 1 + meta (admin)": ("GET", f"{base}/conversations", admin_token, inbox_list, None),
        "inbox list, page 1 + meta (agent)": ("GET", f"{base}/conversations", agent_token, inbox_list, None),
        "filter: open AND label billing": ("POST", f"{base}/conversations/filter", admin_token, None, billing_filter),
        "search messages: 'refund'": ("GET", f"{base}/search/messages", admin_token, {"q": "refund"}, None),
        f"search contacts: '{SEARCHED_NAME}'": ("GET", f"{base}/search/contacts", admin_token, {"q": SEARCHED_NAME}, None),
        f"search (all kinds): '{SEARCHED_NAME}'": ("GET", f"{base}/search", admin_token, {"q": SEARCHED_NAME}, None),
    }


def found(body: dict) -> int:
    """How many rows a reply holds (a benchmark of empty pages would prove nothing)."""
    if "data" in body:
        return len(body["data"]["payload"])
    if isinstance(body.get("payload"), list):
        return len(body["payload"])
    return sum(len(rows) for rows in body["payload"].values())


class Figures:
    def __init__(self, rows: int, ms: list[float], requests: float, read_units: float):
        self.rows, self.ms, self.requests, self.read_units = rows, ms, requests, read_units

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)


def http_api_reads(http: httpx.Client) -> tuple[float, float]:
    used = http.get("/_local/usage").json()["lambda"].get("HttpApiFunction", {})
    return used.get("requests", 0), used.get("read_units", 0)


def measure_stack(state: Path) -> dict[str, Figures]:
    from local.process import LocalStack, free_port

    stack = LocalStack(state, free_port())
    stack.start()
    try:
        seed = stack.seed
        admin, agent = seed["administrator"]["access_token"], seed["agent"]["access_token"]
        figures = {}
        with httpx.Client(base_url=stack.base_url, timeout=60) as http:
            for name, (method, path, token, query, body) in cases(seed["account"]["id"], admin, agent).items():
                def call():
                    reply = http.request(method, path, headers={"api_access_token": token}, params=query, json=body)
                    assert reply.status_code == 200, (name, reply.status_code, reply.text[:300])
                    return reply.json()

                call()  # warms the container's caches: a warm call is what is measured
                requests, units = http_api_reads(http)
                rows = found(call())
                requests_after, units_after = http_api_reads(http)
                assert rows, name
                ms = []
                for _ in range(RUNS):
                    began = time.perf_counter()
                    call()
                    ms.append((time.perf_counter() - began) * 1000)
                figures[name] = Figures(rows, ms, requests_after - requests, units_after - units)
    finally:
        stack.stop()
    return figures


def run() -> None:
    from bench.load import copy_of, prepared

    states = prepared(SIZES)
    results: dict[int, dict[str, Figures]] = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory(prefix="parley-scale-") as tmp:
            results[size] = measure_stack(copy_of(states[size][0], Path(tmp)))
    report(results, {size: seconds for size, (_, seconds) in states.items()})


def report(results: dict[int, dict[str, Figures]], loading: dict[int, float | None]) -> None:
    small, large = SIZES
    rows = []
    for name, f1 in results[small].items():
        f2 = results[large][name]
        ratio = f2.p50 / f1.p50
        rows.append([name, f"{f1.rows}/{f2.rows}", f"{f1.p50:.0f}", f"{f2.p50:.0f}", f"{ratio:.2f}",
                     "ok" if ratio <= TARGET_RATIO else "OVER",
                     f"{f1.requests:g}/{f1.read_units:g}", f"{f2.requests:g}/{f2.read_units:g}"])
    print_table(f"Conversations at scale on the local stack: {small:,} vs {large:,} conversations in one account",
                ["operation", "rows", f"{small:,} p50 ms", f"{large:,} p50 ms", "×", f"≤ {TARGET_RATIO}×",
                 f"{small:,} req/RRU", f"{large:,} req/RRU"], rows,
                [f"median of {RUNS} warm calls through the HTTP API (client to answer), one at a time",
                 "req/RRU: DynamoDB requests and read request units of one call, as DynamoDB Local reports them "
                 "to the container's metering",
                 *(f"loading {size:,} conversations into DynamoDB Local (bench/load.py): "
                   + (f"{seconds:.0f} s" if seconds is not None else "kept from an earlier run")
                   for size, seconds in loading.items())])
