"""One-off campaigns on the local stack: send throughput, pacing, and what AWS would bill
per 10,000 campaign messages (provider fees excluded).

A fresh stack gets an SMS inbox (Twilio's stand-in, local/providers.py, checks the number
and takes the sends), CONTACTS contacts with a phone number and the campaign's label (through
the API), and then, for each send rate in RATES (the inbox's `channel.campaign_send_rate`),
a one-off campaign scheduled a few seconds ahead. Measured from the scheduled time: when the
last recipient is `sent` (the whole path: the schedule fires, the account job claims each
contact and writes its conversation and message, the deliver consumer sends it through the
stand-in and reports the outcome); the stand-in's highest count of sends within one second
(the pacing); and the usage the stack metered (local/usage.py) from just before the first
campaign's time until the last one settles, priced as bench/cost.py prices the inbound path.
"""
from __future__ import annotations

import asyncio
import time

import httpx

from bench.cost import bill_table, difference, dynamodb_by_function, line_items
from bench.report import print_table
from local.process import LocalStack, fresh_stack

CONTACTS = 200
RATES = (5, 50)  # messages a second: a paced inbox, and one fast enough to find the stack's own ceiling
LEAD_SECONDS = 8  # the campaign's scheduled_at, after its creation
TIMEOUT_SECONDS = 300
NUMBER = "+15550009999"
PER = 10_000
POLL_SECONDS = 0.5  # the benchmark reads the campaign's progress as the dashboard would (counted in the usage)


async def _setup(http: httpx.AsyncClient, account: int) -> tuple[dict, dict]:
    inbox = await http.post(f"/api/v1/accounts/{account}/inboxes", json={
        "name": "Bench SMS", "channel": {"type": "sms", "account_sid": "AC" + "1" * 32, "auth_token": "b" * 32,
                                         "phone_number": NUMBER}})
    inbox.raise_for_status()
    label = await http.post(f"/api/v1/accounts/{account}/labels", json={"title": "bench-audience"})
    label.raise_for_status()
    gate = asyncio.Semaphore(8)

    async def one(n: int) -> None:
        async with gate:
            made = await http.post(f"/api/v1/accounts/{account}/contacts", json={
                "name": f"Bench contact {n}", "phone_number": f"+1555{7_000_000 + n:07d}"})
            made.raise_for_status()
            contact_id = made.json()["payload"]["contact"]["id"]
            tagged = await http.post(f"/api/v1/accounts/{account}/contacts/{contact_id}/labels",
                                     json={"labels": ["bench-audience"]})
            tagged.raise_for_status()

    await asyncio.gather(*[one(n) for n in range(CONTACTS)])
    return inbox.json(), label.json()


async def _campaign(http: httpx.AsyncClient, account: int, inbox: dict, label: dict, rate: float) -> dict:
    """One campaign at `rate`: its figures once every recipient is sent."""
    changed = await http.patch(f"/api/v1/accounts/{account}/inboxes/{inbox['id']}",
                               json={"channel": {"campaign_send_rate": rate}})
    changed.raise_for_status()
    audience = await http.post(f"/api/v1/accounts/{account}/campaigns/audience",
                               json={"inbox_id": inbox["id"], "audience": [{"type": "Label", "id": label["id"]}]})
    audience.raise_for_status()
    at = int(time.time()) + LEAD_SECONDS
    made = await http.post(f"/api/v1/accounts/{account}/campaigns", json={
        "title": f"Bench at {rate:g}/s", "message": "Our spring sale starts today.", "inbox_id": inbox["id"],
        "scheduled_at": at, "audience": [{"type": "Label", "id": label["id"]}]})
    made.raise_for_status()
    url = f"/api/v1/accounts/{account}/campaigns/{made.json()['id']}"
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        shown = (await http.get(url)).json()
        progress = shown.get("progress") or {}
        if progress.get("audience_size") and progress.get("sent", 0) + progress.get("failed", 0) \
                + progress.get("skipped", 0) >= progress["audience_size"] and shown["campaign_status"] == "completed":
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"campaigns benchmark: not done after {TIMEOUT_SECONDS} s: {progress}")
        await asyncio.sleep(POLL_SECONDS)
    done = time.time()
    return {"rate": rate, "audience": audience.json()["audience_size"], "progress": progress,
            "seconds": done - at, "started_after": (progress.get("started_at") or at) - at, "window": (at, done)}


def peak_per_second(times: list[float]) -> int:
    """The most sends within any one second (a sliding window over the send times)."""
    times, best, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def closest_sends_ms(times: list[float]) -> str:
    """The shortest time between two consecutive sends, in ms (the slots are 1.1/rate apart)."""
    times = sorted(times)
    gaps = [b - a for a, b in zip(times, times[1:])]
    return f"{min(gaps) * 1000:.0f}" if gaps else "-"


async def _run(stack: LocalStack) -> tuple[list[dict], dict, dict]:
    seed = stack.seed
    account = seed["account"]["id"]
    headers = {"api_access_token": seed["administrator"]["access_token"]}
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers, timeout=60) as http:
        inbox, label = await _setup(http, account)
        await asyncio.sleep(3)  # the setup's own consumers settle
        before = (await http.get("/_local/usage")).json()
        runs = []
        for rate in RATES:
            runs.append(await _campaign(http, account, inbox, label, rate))
        await asyncio.sleep(3)  # the last deliveries' reports and their consumers
        after = (await http.get("/_local/usage")).json()
        sandbox = (await http.get("/_local/providers.json")).json()
    return runs, difference(after, before), sandbox


def run() -> None:
    with fresh_stack("parley-campaigns-") as stack:
        runs, used, sandbox = asyncio.run(_run(stack))
    rows = []
    for r in runs:
        p = r["progress"]
        start, end = r["window"]
        sends = [m["at"] for m in sandbox["messages"] if m["from"] == NUMBER and start <= m["at"] <= end]
        sending = max(r["seconds"] - r["started_after"], 1e-9)
        rows.append([f"{r['rate']:g}/s", str(r["audience"]), str(p.get("sent")), str(p.get("failed")),
                     str(p.get("skipped")), f"{r['started_after']:.1f}", f"{r['seconds']:.1f}",
                     f"{p.get('sent', 0) / sending:.1f}", str(peak_per_second(sends)), closest_sends_ms(sends)])
    print_table(f"One-off SMS campaigns on the local stack ({CONTACTS} labelled contacts, Twilio's stand-in)",
                ["send rate", "audience", "sent", "failed", "skipped", "started after s", "all sent after s",
                 "messages/s", "most sends in 1 s", "closest sends ms"], rows,
                ["seconds from the campaign's scheduled_at; messages/s over the time after the job started",
                 "most sends in 1 s: the stand-in's arrival times, any one-second window (the pacing kept)",
                 "closest sends: the shortest gap between two arrivals (the send slots are 1.1/rate apart: "
                 "220 ms at 5/s, 22 ms at 50/s)"])
    messages = sum(r["progress"].get("sent", 0) for r in runs)
    bill_table(line_items(used), messages, PER,
               f"What AWS would bill per {PER:,} campaign messages (from {messages} sent on the local stack)",
               ["provider fees (Twilio, Meta) excluded; list prices as bench/cost.py; no free tier, storage, "
                "data transfer or logs",
                "includes every consumer of the campaign's events (reporting, automation, webhooks, notify ...) "
                f"and the benchmark's own reads of the campaign's progress (every {POLL_SECONDS:g} s)"])
    print(dynamodb_by_function(used, messages))
