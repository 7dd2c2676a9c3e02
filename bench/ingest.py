"""Channel ingest: inbound messages per second through the whole local path, and the
DynamoDB requests each inbound message costs.

1. Throughput on the local stack (`python -m local`, a child process). A Telegram inbox is
   created through the API; SENDERS concurrent senders (distinct private chats, so one
   conversation each) POST MESSAGES signed updates in all to /webhooks/telegram/<token>,
   each sender one after another, as Telegram does per chat. The path is the real one:
   http_api verifies and enqueues on IngestQueue (the runner's SQS engine), the local
   pollers hand batches of up to 10 to channel_ingest, which stores each message in
   DynamoDB Local with message.created in one transaction, and pushes that event to the
   administrator's socket itself (the event log's stream takes it to the bus for the
   other consumers). Measured: each webhook's answer time; each message's time from
   its POST to its frame at the socket; and "all stored": the first poll of the inbox's
   conversation list (one request every POLL_SECONDS) whose unread counts add up to
   MESSAGES. Afterwards every conversation's messages are read back to check that each
   update was stored exactly once.
2. DynamoDB requests and items per inbound message, counted at botocore in-process over
   moto (as bench/dynamo_ops.py does): the webhook, and channel_ingest for a new sender's
   first message and for a follow-up in the same conversation.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from contextlib import asynccontextmanager, contextmanager

import httpx
import websockets

from bench.delivery_latency import percentile
from bench.dynamo_ops import sdk_calls
from bench.report import print_table
from local.process import LocalStack, fresh_stack

MESSAGES = 300
SENDERS = 10
SOLO = 20  # follow-ups sent one at a time after the burst
POLL_SECONDS = 0.5  # each poll is a list request competing with the burst: keep it rare
TIMEOUT_SECONDS = 90
RETRIES = 5
BOT_TOKEN = "7000002:AAbenchmarkBENCHMARKbenchmark01"
FIRST_CHAT = 880_000_000


def update(chat_id: int, n: int) -> dict:
    """A private-chat text update as Telegram sends it."""
    person = {"id": chat_id, "first_name": "Sender", "last_name": str(chat_id - FIRST_CHAT)}
    return {"update_id": chat_id * 1000 + n, "message": {
        "message_id": n + 1, "from": {**person, "is_bot": False}, "chat": {**person, "type": "private"},
        "date": int(time.time()), "text": f"bench {chat_id}:{n}"}}


class Measured:
    def __init__(self):
        self.posted: dict[str, float] = {}    # content -> when its POST started
        self.answered: list[float] = []       # webhook answer times, ms
        self.framed: dict[str, float] = {}    # content -> when its message.created frame arrived
        self.duplicate_frames = 0
        self.retried = 0                      # webhooks answered other than 200 and posted again
        self.frames: Counter = Counter()      # every frame the socket got, by event
        self.solo: list[float] = []           # POST -> frame with nothing queued, ms
        self.started = self.posts_done = self.stored = 0.0


async def listen(socket, measured: Measured) -> None:
    async for raw in socket:
        frame = json.loads(raw)
        measured.frames[frame.get("event")] += 1
        if frame.get("event") != "message.created":
            continue
        content = (frame.get("data") or {}).get("content") or ""
        if content in measured.framed:
            measured.duplicate_frames += 1
        elif content.startswith("bench "):
            measured.framed[content] = time.perf_counter()


async def sender(http: httpx.AsyncClient, path: str, secret: str, chat_id: int, count: int, measured: Measured,
                 first: int = 0) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"}
    for n in range(first, first + count):
        body = update(chat_id, n)
        started = time.perf_counter()
        measured.posted[body["message"]["text"]] = started
        reply = await http.post(path, content=json.dumps(body), headers=headers)
        measured.answered.append((time.perf_counter() - started) * 1000)
        for _ in range(RETRIES):  # Telegram delivers an update again until the webhook answers 200
            if reply.status_code == 200:
                break
            measured.retried += 1
            await asyncio.sleep(1)
            reply = await http.post(path, content=json.dumps(body), headers=headers)
        if reply.status_code != 200:
            raise RuntimeError(f"webhook answered {reply.status_code}: {reply.text[:200]}")


async def all_messages(http: httpx.AsyncClient, path: str, headers: dict) -> list[dict]:
    """Every message of a conversation, paging back with `before`."""
    found, before = [], None
    while True:
        page = (await http.get(path, headers=headers, params={"before": before} if before else None)).json()["payload"]
        if not page:
            return found
        found += page
        before = min(m["id"] for m in page)


@asynccontextmanager
async def telegram_burst_setup(stack: LocalStack, measured: Measured):
    """A Telegram inbox made through the API and the administrator's socket, resumed and
    listened to: (http client, inbox, account id, auth headers)."""
    seed = stack.seed
    admin, account = seed["administrator"], seed["account"]["id"]
    auth = {"api_access_token": admin["access_token"]}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30,
                                 limits=httpx.Limits(max_connections=SENDERS + 4)) as http:
        created = await http.post(f"/api/v1/accounts/{account}/inboxes", headers=auth, json={
            "name": "Bench Telegram", "channel": {"type": "telegram", "bot_token": BOT_TOKEN}})
        created.raise_for_status()
        inbox = created.json()
        socket_url = f"{stack.ws_url}?token={admin['access_token']}&account_id={account}"
        async with websockets.connect(socket_url) as socket:
            await socket.send(json.dumps({"action": "resume", "since": 0}))
            while json.loads(await socket.recv()).get("event") != "resume.done":
                pass
            listener = asyncio.create_task(listen(socket, measured))
            try:
                yield http, inbox, account, auth
            finally:
                listener.cancel()


async def measure(stack: LocalStack) -> tuple[Measured, dict]:
    measured = Measured()
    async with telegram_burst_setup(stack, measured) as (http, inbox, account, auth):
        listing = {"inbox_id": inbox["id"], "status": "all", "assignee_type": "all"}
        path = f"/webhooks/telegram/{BOT_TOKEN}"
        measured.started = time.perf_counter()
        senders = [sender(http, path, inbox["secret_token"], FIRST_CHAT + s, MESSAGES // SENDERS, measured)
                   for s in range(SENDERS)]
        poll_stored = asyncio.create_task(wait_stored(http, account, auth, listing, measured))
        await asyncio.gather(*senders)
        measured.posts_done = time.perf_counter()
        await asyncio.wait_for(poll_stored, TIMEOUT_SECONDS)
        # The last frames trail the store by their push: give them a moment.
        deadline = time.perf_counter() + 10
        while len(measured.framed) < MESSAGES and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        conversations = (await http.get(f"/api/v1/accounts/{account}/conversations", headers=auth,
                                        params=listing)).json()["data"]["payload"]
        contents = []
        for conversation in conversations:
            rows = await all_messages(http, f"/api/v1/accounts/{account}/conversations/{conversation['id']}/messages",
                                      auth)
            contents += [m["content"] for m in rows if m["message_type"] == 0]
        check = {"conversations": len(conversations), "stored": len(contents), "distinct": len(set(contents)),
                 "expected": set(contents) == set(measured.posted)}
        # The same path with no backlog: one follow-up at a time, each waiting for its frame.
        for n in range(MESSAGES // SENDERS, MESSAGES // SENDERS + SOLO):
            content = update(FIRST_CHAT, n)["message"]["text"]
            await sender(http, path, inbox["secret_token"], FIRST_CHAT, 1, measured, first=n)
            deadline = time.perf_counter() + 10
            while content not in measured.framed and time.perf_counter() < deadline:
                await asyncio.sleep(0.002)
            if content in measured.framed:
                measured.solo.append((measured.framed[content] - measured.posted[content]) * 1000)
    return measured, check


async def wait_stored(http: httpx.AsyncClient, account: int, auth: dict, listing: dict, measured: Measured) -> None:
    """One list request per poll: each incoming message adds one to its conversation's
    unread count (nobody reads them here), so the sum is the number stored."""
    while True:
        reply = await http.get(f"/api/v1/accounts/{account}/conversations", headers=auth, params=listing)
        if reply.status_code != 200:  # a list that timed out under the burst (503): ask again
            await asyncio.sleep(POLL_SECONDS)
            continue
        rows = reply.json()["data"]["payload"]
        if sum(r["unread_count"] for r in rows) >= MESSAGES:
            measured.stored = time.perf_counter()
            return
        await asyncio.sleep(POLL_SECONDS)


def throughput() -> None:
    with fresh_stack("parley-ingest-") as stack:
        measured, check = asyncio.run(measure(stack))
    burst = [c for c in measured.posted if int(c.rsplit(":", 1)[1]) < MESSAGES // SENDERS]
    framed = sum(c in measured.framed for c in burst)
    ok = check["stored"] == check["distinct"] == MESSAGES and check["expected"] and check["conversations"] == SENDERS
    if not ok or len(measured.solo) != SOLO:
        raise SystemExit(f"ingest benchmark: messages lost or duplicated: {check}, "
                         f"{len(measured.solo)} of {SOLO} one-at-a-time frames")
    end_to_end = [(measured.framed[c] - measured.posted[c]) * 1000 for c in burst if c in measured.framed]
    posting = measured.posts_done - measured.started
    storing = measured.stored - measured.started
    last_frame = max(measured.framed[c] for c in burst if c in measured.framed) - measured.started
    answers = measured.answered[:MESSAGES]  # the burst's; the one-at-a-time posts come after
    print_table(f"Channel ingest on the local stack ({MESSAGES} Telegram updates, {SENDERS} concurrent chats)",
                ["", "value"],
                [["webhook answer p50 (ms)", f"{percentile(answers, 50):.1f}"],
                 ["webhook answer p99 (ms)", f"{percentile(answers, 99):.1f}"],
                 ["webhooks accepted per s", f"{MESSAGES / posting:.0f}"],
                 ["all stored after (s)", f"{storing:.2f}"],
                 ["messages stored per s (end to end)", f"{MESSAGES / storing:.1f}"],
                 ["frames at the agent's socket", f"{framed} of {MESSAGES}"],
                 ["last frame after (s)", f"{last_frame:.2f}"],
                 ["POST -> socket frame p50 (ms)", f"{percentile(end_to_end, 50):.0f}"],
                 ["POST -> socket frame p99 (ms)", f"{percentile(end_to_end, 99):.0f}"],
                 ["mean per message: POST -> frame (ms)", f"{statistics.mean(end_to_end):.0f}"],
                 [f"no backlog, {SOLO} one at a time: POST -> frame p50 (ms)", f"{percentile(measured.solo, 50):.0f}"],
                 ["no backlog: POST -> frame max (ms)", f"{max(measured.solo):.0f}"],
                 ["no backlog: 1000 / p50 (serial messages per s)", f"{1000 / percentile(measured.solo, 50):.1f}"],
                 ["conversations / stored / distinct", f"{check['conversations']} / {check['stored']} / {check['distinct']}"],
                 ["each update stored exactly once", "yes"],
                 ["duplicate socket frames", str(measured.duplicate_frames)],
                 ["webhooks answered 5xx and posted again (as Telegram does)", str(measured.retried)],
                 ["socket frames per message", ", ".join(f"{event} {count / (MESSAGES + SOLO):.2f}"
                                                         for event, count in measured.frames.most_common())]],
                [f"'stored' = first poll (every {POLL_SECONDS:.1f} s) whose unread counts add up to {MESSAGES}"])


@contextmanager
def timing():
    """Seconds spent inside AWS SDK calls, per service."""
    spent: Counter = Counter()

    def timed(client, operation, params, response, seconds):
        spent[client.meta.service_model.service_name] += seconds

    with sdk_calls(timed):
        yield spent


def dynamo_per_message() -> None:
    from moto import mock_aws

    from bench.dynamo_ops import Tally, counting
    from tests import conftest, event_pipe
    from tests.integration.channel_support import drain

    rows, timings = [], []

    def row(name: str, tally: Tally, note: str) -> None:
        rows.append([name, str(tally.calls["read"]), str(tally.items["read"]), str(tally.calls["write"]),
                     str(tally.items["write"]), note])

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        event_pipe.start(conftest._session, conftest._stack, None)  # the outbox's pipe, as the tests run it
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)
        inbox = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
            "name": "Bench Telegram", "channel": {"type": "telegram", "bot_token": BOT_TOKEN}}).json
        headers = {"X-Telegram-Bot-Api-Secret-Token": inbox["secret_token"]}

        def post(chat_id: int, n: int):
            reply = api.post(f"/webhooks/telegram/{BOT_TOKEN}", headers=headers,
                             raw_body=json.dumps(update(chat_id, n)).encode())
            assert reply.status == 200, reply.json

        def ingest() -> None:
            [result] = drain("IngestQueue", "channel_ingest")
            assert not result["batchItemFailures"], result

        # Warm both functions (their first call fills caches: inbox, config).
        post(FIRST_CHAT, 0)
        ingest()
        post(FIRST_CHAT, 1)
        ingest()

        with counting() as tally:
            post(FIRST_CHAT + 1, 0)
        row("webhook (http_api): verify + enqueue", tally, "bot token claim -> inbox; SQS send not counted")
        with counting() as tally:
            ingest()
        row("ingest: new sender's first message", tally, "contact, contact inbox, conversation created")
        post(FIRST_CHAT + 1, 1)
        with counting() as tally:
            ingest()
        row("ingest: follow-up message", tally, "contact inbox -> open conversation, message")
        post(FIRST_CHAT + 1, 1)  # Telegram retrying the same update
        with counting() as tally:
            ingest()
        row("ingest: provider retry (duplicate)", tally, "claim found complete: nothing written")
        messages = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token,
                           query={"inbox_id": inbox["id"], "assignee_type": "all"}).json["data"]["payload"]
        assert sorted(c["unread_count"] for c in messages) == [2, 2], messages
        # Time per message for a whole batch, as channel_ingest receives it, and the share
        # spent inside the AWS SDK calls (answered by moto here).
        for label, start in (("first messages (new senders)", 0), ("follow-ups", 1), ("follow-ups", 2)):
            for s in range(10):
                post(FIRST_CHAT + 10 + s, start)
            with timing() as spent:
                began = time.perf_counter()
                ingest()
                total = (time.perf_counter() - began) * 1000
            timings.append([f"batch of 10 {label}", f"{total / 10:.0f}"] + [
                f"{spent[service] * 1000 / 10:.0f}" for service in ("dynamodb", "events", "sqs")]
                + [f"{(total - sum(spent.values()) * 1000) / 10:.0f}"])
    print_table("DynamoDB per inbound message (requests / items)",
                ["step", "read req", "read items", "write req", "write items", "what"], rows,
                ["counted at botocore in-process over moto, warm functions; the push of message.created "
                 "to the sockets is included (1 Query of the account's sockets, no writes)"])
    print_table("channel_ingest in-process over moto: ms per message",
                ["batch", "total", "in DynamoDB calls", "in EventBridge calls", "in SQS calls", "the rest"], timings,
                ["'in ... calls': time inside botocore for that service, i.e. moto's work plus botocore's "
                 "(de)serialisation; 'the rest' is Parley, pynamodb and Powertools"])


def run() -> None:
    dynamo_per_message()
    throughput()
