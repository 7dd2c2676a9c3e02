"""Delivery latency on the local stack: an agent's POST of a reply -> the frame at the
visitor's socket, for MESSAGES messages one after another.

The whole path runs: http_api writes the message with its sequenced event in one
transaction (DynamoDB Local) and, once it commits, pushes the frame itself through the
@connections endpoint to the visitor's WebSocket (the event reaches the bus separately,
through the event log's stream and EventLogPipe, for the other consumers). Measured on a stack
holding CONVERSATIONS conversations (bench/load.py), alone and with an ingest burst
posting beside it. The clock starts just before the POST
is sent and stops when the frame with that message's id arrives.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from bench.report import print_table
from local.process import LocalStack, free_port

MESSAGES = 200
CONVERSATIONS = 20_000
TARGET_P99_MS = 100
TARGET_BUSY_P99_MS = 250  # with an ingest burst running beside it
# Replies measured beside the burst: fewer, as each took seconds there (2026-12-03).
BESIDE_MESSAGES = int(os.environ.get("BESIDE_MESSAGES", "30"))
ONLY_BESIDE = bool(os.environ.get("ONLY_BESIDE"))  # skip the quiet measurement (rerunning one row)


async def measure(stack: LocalStack, ready: asyncio.Event | None = None, count: int = MESSAGES) -> list[float]:
    """`ready` is set once the visitor's conversation and socket are there, before the
    timed replies."""
    seed = stack.seed
    base, agent = stack.base_url, seed["agent"]
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:  # a busy stack may take seconds
        website = {"website_token": seed["website_inbox"]["website_token"]}
        first = await http.post("/api/v1/widget/messages", params=website,
                                json={"message": {"content": "Hello, I have a question"}})  # creates the visitor
        conversation = first.json()["conversation_id"]
        visitor = {"X-Auth-Token": first.json()["widget_auth_token"]}
        config = (await http.post("/api/v1/widget/config", params=website, headers=visitor)).json()
        url = f"/api/v1/accounts/{seed['account']['id']}/conversations/{conversation}/messages"
        socket_url = f"{stack.ws_url}?pubsub_token={config['contact']['pubsub_token']}"
        async with websockets.connect(socket_url) as socket:
            await socket.send(json.dumps({"action": "resume", "since": 0}))
            while json.loads(await socket.recv()).get("event") != "resume.done":
                pass
            latencies, failed = [], []
            if ready is not None:
                ready.set()
                await asyncio.sleep(3)  # the burst is under way before the first reply
            for n in range(count):
                started = time.perf_counter()
                reply = await http.post(url, headers={"api_access_token": agent["access_token"]},
                                        json={"content": f"Answer {n}"})
                if reply.status_code != 200:  # e.g. 503: the POST outlived http_api's Timeout
                    failed.append(reply.status_code)
                    continue
                message_id = reply.json()["id"]
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 60))
                    if frame.get("event") == "message.created" and frame["data"]["id"] == message_id:
                        break
                latencies.append((time.perf_counter() - started) * 1000)
    if failed:
        print(f"  {len(failed)} of {count} replies were refused: {sorted(set(failed))}", flush=True)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def beside_ingest(stack: LocalStack) -> tuple[list[float], int, float]:
    """`measure` while bench/ingest.py's SENDERS chats post to the Telegram webhook, one
    update after another each, for as long as the measurement runs; also the updates
    posted and the seconds they took."""
    from bench import ingest

    seed = stack.seed
    auth = {"api_access_token": seed["administrator"]["access_token"]}
    done, ready = asyncio.Event(), asyncio.Event()
    posted = 0
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30,
                                 limits=httpx.Limits(max_connections=ingest.SENDERS + 2)) as http:
        created = await http.post(f"/api/v1/accounts/{seed['account']['id']}/inboxes", headers=auth, json={
            "name": "Bench Telegram", "channel": {"type": "telegram", "bot_token": ingest.BOT_TOKEN}})
        created.raise_for_status()
        secret, path = created.json()["secret_token"], f"/webhooks/telegram/{ingest.BOT_TOKEN}"

        async def chat(chat_id: int) -> None:
            nonlocal posted
            await ready.wait()
            n = 0
            while not done.is_set():
                await ingest.sender(http, path, secret, chat_id, 1, ingest.Measured(), first=n)
                n += 1
                posted += 1

        chats = [asyncio.create_task(chat(ingest.FIRST_CHAT + s)) for s in range(ingest.SENDERS)]
        began = time.perf_counter()
        try:
            latencies = await measure(stack, ready, BESIDE_MESSAGES)
        finally:
            ready.set()
            done.set()
            await asyncio.gather(*chats)
    return latencies, posted, time.perf_counter() - began


def row(label: str, latencies: list[float], target: float) -> list[str]:
    p99 = percentile(latencies, 99)
    return [label, f"{percentile(latencies, 50):.0f}", f"{percentile(latencies, 90):.0f}", f"{p99:.0f}",
            f"{max(latencies):.0f}", f"<= {target:g} ({'ok' if p99 <= target else 'OVER'})"]


def run() -> None:
    from bench.load import copy_of, prepared

    full, _ = prepared((1000, CONVERSATIONS))[CONVERSATIONS]  # the states bench/scale.py uses
    rows, notes = [], []
    for beside in (True,) if ONLY_BESIDE else (False, True):
        with tempfile.TemporaryDirectory(prefix="parley-latency-") as tmp:
            stack = LocalStack(copy_of(full, Path(tmp)), free_port())
            stack.start()
            try:
                if beside:
                    try:
                        latencies, posted, seconds = asyncio.run(beside_ingest(stack))
                    except (httpx.HTTPError, asyncio.TimeoutError, KeyError) as exc:  # say so, keep the other figure
                        rows.append([f"{CONVERSATIONS:,} conversations, ingest beside it", "-", "-", "-", "-",
                                     f"<= {TARGET_BUSY_P99_MS:g} (failed: {type(exc).__name__})"])
                        continue
                    rows.append(row(f"{CONVERSATIONS:,} conversations, ingest beside it ({len(latencies)} replies)",
                                    latencies, TARGET_BUSY_P99_MS))
                    notes.append(f"ingest beside it: {posted} Telegram updates posted in {seconds:.0f} s "
                                 f"({posted / seconds:.1f}/s) by 10 chats, one after another each")
                else:
                    latencies = asyncio.run(measure(stack))
                    rows.append(row(f"{CONVERSATIONS:,} conversations", latencies, TARGET_P99_MS))
            finally:
                stack.stop()
    print_table(f"Delivery latency on the local stack: agent POST -> visitor's socket ({MESSAGES} messages, ms)",
                ["stack", "p50", "p90", "p99", "max", "target p99"], rows,
                ["one message at a time; includes the POST's own round trip, as the agent would see it",
                 f"the stack holds {CONVERSATIONS:,} conversations (bench/load.py) before the visitor's is made",
                 *notes])
