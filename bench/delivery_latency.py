"""Delivery latency on the local stack: an agent's POST of a reply -> the frame at the
visitor's socket, for MESSAGES messages one after another.

The whole path runs: http_api writes the message and logs the sequenced event, EventBridge
(moto) routes it, the local runner invokes broadcast, which pushes through the
@connections endpoint to the visitor's WebSocket. The clock starts just before the POST
is sent and stops when the frame with that message's id arrives.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from bench.report import print_table
from local.process import LocalStack, free_port

MESSAGES = 200
TARGET_P99_MS = 100


async def measure(stack: LocalStack) -> list[float]:
    seed = stack.seed
    base, agent = stack.base_url, seed["agent"]
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
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
            latencies = []
            for n in range(MESSAGES):
                started = time.perf_counter()
                reply = await http.post(url, headers={"api_access_token": agent["access_token"]},
                                        json={"content": f"Answer {n}"})
                message_id = reply.json()["id"]
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                    if frame.get("event") == "message.created" and frame["data"]["id"] == message_id:
                        break
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="parley-latency-") as tmp:
        stack = LocalStack(Path(tmp) / "state", free_port())
        stack.state_dir.mkdir()
        stack.start()
        try:
            latencies = asyncio.run(measure(stack))
        finally:
            stack.stop()
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print_table(f"Delivery latency on the local stack ({MESSAGES} messages)",
                ["agent POST -> visitor's socket", "ms"],
                [["p50", f"{p50:.1f}"], ["p90", f"{percentile(latencies, 90):.1f}"], ["p99", f"{p99:.1f}"],
                 ["max", f"{max(latencies):.1f}"], ["mean", f"{statistics.mean(latencies):.1f}"],
                 ["target p99", f"<= {TARGET_P99_MS} ({'ok' if p99 <= TARGET_P99_MS else 'OVER'})"]],
                ["one message at a time; includes the POST's own round trip, as the agent would see it"])
