"""What AWS would bill per 1,000,000 inbound messages, from the calls counted on the local
stack while it ingests a burst (local/usage.py, GET /_local/usage).

The burst is bench/ingest.py's: a Telegram inbox, SENDERS chats posting MESSAGES updates
to the webhook, an administrator's dashboard socket open (it gets every message.created
frame, as a working agent's would). The usage is read once the burst is posted and
again when every message's frame has arrived and no function has run for QUIET_SECONDS
(the consumers of message.created: automation, notify, webhooks, deliver ... have
finished); the difference, divided by MESSAGES and multiplied by the list prices below,
is the cost of one message's whole path.

What is not here: storage (DynamoDB GB-month, S3), data transfer, CloudWatch Logs, the
free tiers, and an idle stack's fixed costs (Lambda's SQS pollers long-poll each queue
while it is empty, ~3 requests a minute per poller, whatever the traffic).
"""
from __future__ import annotations

import asyncio
import json
import time

import httpx

from bench.ingest import BOT_TOKEN, FIRST_CHAT, Measured, sender, telegram_burst_setup
from bench.report import print_table
from local.process import LocalStack, fresh_stack

MESSAGES = 300
SENDERS = 10
QUIET_SECONDS = 2.0
SETTLE_LIMIT = 30.0  # seconds after the last frame
TIMEOUT_SECONDS = 120

# List prices, us-east-1, on-demand, taken 2026-12-03 (first pricing tier of each).
# AWS's pricing pages: "Amazon API Gateway pricing", "AWS Lambda pricing" (Arm price),
# "Amazon DynamoDB pricing for on-demand capacity", "Amazon SQS pricing", "Amazon
# EventBridge pricing"; those pages render their tables client-side, so each figure
# was checked against a transcription of them as well (AWS Price List API data).
HTTP_API_PER_MILLION = 1.00           # requests (first 300 million a month), per 512 KB
WEBSOCKET_MESSAGE_PER_MILLION = 1.00  # messages sent or received (first billion), per 32 KB
WEBSOCKET_MINUTE_PER_MILLION = 0.25   # connection minutes
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334   # arm64, first 7.5 billion GB-s a month
DYNAMODB_WRITE_PER_MILLION = 0.625    # write request units, on-demand
DYNAMODB_READ_PER_MILLION = 0.125     # read request units, on-demand
SQS_STANDARD_PER_MILLION = 0.40       # requests, per 64 KB (after the first million)
EVENTBRIDGE_EVENT_PER_MILLION = 1.00  # custom events published, per 64 KB
STREAMS_READ_PER_MILLION = 0.20       # DynamoDB Streams GetRecords ($0.02 per 100,000); free for Lambda triggers
PIPES_REQUEST_PER_MILLION = 0.40      # EventBridge Pipes: events that pass the filter, per 64 KB
# Amazon CloudFront pricing, on-demand, United States/Mexico/Canada and Europe/Israel
# (the same for both), first tier; data from AWS origins (API Gateway, S3) to CloudFront is free.
CLOUDFRONT_HTTPS_PER_MILLION = 1.00   # $0.0100 per 10,000 HTTPS requests
CLOUDFRONT_TRANSFER_PER_GB = 0.085    # data transfer out to the internet, first 10 TB a month
CLOUDFRONT_INVALIDATION_PATH = 0.005  # per path invalidated beyond the first 1,000 a month


def difference(after: dict, before: dict) -> dict:
    """after - before, key by key, through nested dicts (memory_mb is kept, not subtracted)."""
    out = {}
    for key, value in after.items():
        if isinstance(value, dict):
            out[key] = difference(value, before.get(key) or {})
        elif key == "memory_mb":
            out[key] = value
        else:
            out[key] = value - (before.get(key) or 0)
    return out


def line_items(used: dict) -> list[tuple[str, str, float, float]]:
    """(service, what, quantity, dollars) for the usage of a whole run."""
    api, functions, dynamodb = used["apigateway"], used["lambda"], used["dynamodb"]
    sqs_http, pollers = used["sqs"]["http"], used["sqs"]["pollers"]
    # Lambda's pollers delete a batch's records with one DeleteMessageBatch; the local
    # pollers delete one by one, so billed deletes = the batches received.
    sqs_requests = (sum(sqs_http.values()) + pollers.get("SendMessage", 0) + 2 * pollers.get("ReceiveMessage", 0)
                    + pollers.get("ChangeMessageVisibility", 0))
    items = [
        ("API Gateway", "HTTP API requests", api.get("http_requests", 0),
         api.get("http_requests", 0) * HTTP_API_PER_MILLION / 1e6),
        ("API Gateway", "WebSocket messages (in + pushed)", api.get("ws_messages", 0),
         api.get("ws_messages", 0) * WEBSOCKET_MESSAGE_PER_MILLION / 1e6),
        ("API Gateway", "WebSocket connection minutes", api.get("ws_connection_minutes", 0),
         api.get("ws_connection_minutes", 0) * WEBSOCKET_MINUTE_PER_MILLION / 1e6),
    ]
    for fid, f in sorted(functions.items()):
        if not f.get("invocations"):
            continue
        gb_seconds = f["billed_ms"] / 1000 * f["memory_mb"] / 1024
        items.append(("Lambda", f"{fid}: {f['invocations']:g} invocations, {f['billed_ms']:g} ms at {f['memory_mb']} MB",
                      gb_seconds, gb_seconds * LAMBDA_ARM_GB_SECOND + f["invocations"] * LAMBDA_REQUEST_PER_MILLION / 1e6))
    items += [
        ("DynamoDB", "write request units", dynamodb.get("write_units", 0),
         dynamodb.get("write_units", 0) * DYNAMODB_WRITE_PER_MILLION / 1e6),
        ("DynamoDB", "read request units", dynamodb.get("read_units", 0),
         dynamodb.get("read_units", 0) * DYNAMODB_READ_PER_MILLION / 1e6),
        ("SQS", "requests (functions' + pollers' receive and batch delete)", sqs_requests,
         sqs_requests * SQS_STANDARD_PER_MILLION / 1e6),
        ("EventBridge", "events published (PutEvents entries)", used["events"].get("entries", 0),
         used["events"].get("entries", 0) * EVENTBRIDGE_EVENT_PER_MILLION / 1e6),
    ]
    pipe_reads = used["dynamodb_streams"]["get_records"].get("pipe", 0)
    items.append(("DynamoDB Streams", "GetRecords by pipes (Lambda triggers' are free)", pipe_reads,
                  pipe_reads * STREAMS_READ_PER_MILLION / 1e6))
    pipe_requests = sum((used.get("pipes") or {}).get("requests", {}).values())
    items.append(("EventBridge Pipes", "requests (events past the filter, per 64 KB: the outbox's way to the bus)",
                  pipe_requests, pipe_requests * PIPES_REQUEST_PER_MILLION / 1e6))
    return items


async def usage(http: httpx.AsyncClient) -> dict:
    return (await http.get("/_local/usage")).json()


async def burst(stack: LocalStack) -> tuple[dict, Measured]:
    measured = Measured()
    async with telegram_burst_setup(stack, measured) as (http, inbox, _account, _auth):
        await asyncio.sleep(QUIET_SECONDS)  # the inbox's own events settle first
        before = await usage(http)
        path = f"/webhooks/telegram/{BOT_TOKEN}"
        measured.started = time.perf_counter()
        await asyncio.gather(*[sender(http, path, inbox["secret_token"], FIRST_CHAT + s, MESSAGES // SENDERS,
                                      measured) for s in range(SENDERS)])
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while len(measured.framed) < MESSAGES:
            if time.monotonic() > deadline:
                raise SystemExit(f"cost benchmark: {len(measured.framed)} of {MESSAGES} frames arrived")
            await asyncio.sleep(0.1)
        # Wait for the other consumers of each message to finish: no invocation for a
        # while, or SETTLE_LIMIT (a function still invoked then is named in the report).
        last, quiet_since, settle_by = None, time.monotonic(), time.monotonic() + SETTLE_LIMIT
        busy: list[str] = []
        while time.monotonic() - quiet_since < QUIET_SECONDS and time.monotonic() < settle_by:
            after = await usage(http)
            counts = {fid: f["invocations"] for fid, f in after["lambda"].items()}
            if counts != last:
                busy = [fid for fid in counts if last and counts[fid] != last.get(fid)]
                last, quiet_since = counts, time.monotonic()
            await asyncio.sleep(0.25)
        measured.still_busy = busy if time.monotonic() >= settle_by else []
    return difference(after, before), measured


def run() -> None:
    with fresh_stack("parley-cost-") as stack:
        used, measured = asyncio.run(burst(stack))
    report(used, MESSAGES)
    last_frame = max(measured.framed.values()) - measured.started
    print(f"  the burst: {MESSAGES} updates from {SENDERS} chats, every message's frame at the dashboard socket "
          f"{last_frame:.1f} s after the first POST: {MESSAGES / last_frame:.1f} messages per second end to end; "
          f"{measured.retried} webhooks answered 5xx and were posted again")
    if measured.still_busy:
        print(f"  still being invoked {SETTLE_LIMIT:g} s after the last frame (counted up to then): "
              + ", ".join(measured.still_busy))


def bill_table(items: list, messages: int, per: int, title: str, notes: list[str]) -> float:
    """Print the line items scaled to `per` messages (from `messages` measured); the total
    for the run."""
    total = sum(dollars for *_, dollars in items)
    scale = per / messages
    decimals = 2 if per >= 1e6 else 4
    print_table(title, ["service", "what", "per message", f"$ per {per:,}", "share"],
                [[service, what, f"{quantity / messages:.3g}", f"{dollars * scale:.{decimals}f}",
                  f"{dollars / total:.0%}" if total else "-"] for service, what, quantity, dollars in items if quantity]
                + [["total", "", "", f"{total * scale:.{decimals}f}", "100%"]], notes)
    return total


def dynamodb_by_function(used: dict, messages: int) -> str:
    return "  DynamoDB per message by function (WRU/RRU): " + "; ".join(
        f"{fid} {f.get('write_units', 0) / messages:.1f}/{f.get('read_units', 0) / messages:.1f}"
        for fid, f in sorted(used["lambda"].items(), key=lambda kv: -kv[1].get("write_units", 0))
        if f.get("requests"))


def report(used: dict, messages: int) -> None:
    items = line_items(used)
    per_million = 1e6 / messages
    by_service: dict[str, float] = {}
    for service, _, _, dollars in items:
        by_service[service] = by_service.get(service, 0) + dollars
    total = bill_table(items, messages, 1_000_000,
                       f"What AWS would bill per 1,000,000 inbound messages (from a burst of {messages} on the local stack)",
                       ["Lambda 'per message' is GB-seconds (billed ms rounded up to 1 ms, at the template's MemorySize, "
                        "arm64); its $ includes $0.20 per million invocations",
                        "list prices us-east-1 on-demand taken 2026-12-03 (bench/cost.py); no free tier, storage, "
                        "data transfer or logs"])
    print_table("By service ($ per 1M inbound messages)", ["service", "$", "share"],
                [[s, f"{d * per_million:.2f}", f"{d / total:.0%}" if total else "-"]
                 for s, d in sorted(by_service.items(), key=lambda kv: -kv[1])])
    ranked = sorted(items, key=lambda item: -item[3])[:2]
    print("\n  largest drivers: " + "; ".join(f"{service} {what} (${dollars * per_million:.2f})"
                                           for service, what, _, dollars in ranked))
    print("  Lambda per function: " + "; ".join(
        f"{fid} {f['invocations'] / messages:.2f}/msg, {f['billed_ms'] / max(f['invocations'], 1):.0f} ms each"
        + (f", {f['cold_starts']:g} cold starts" if f.get("cold_starts") else "")
        for fid, f in sorted(used["lambda"].items()) if f.get("invocations")))
    print(dynamodb_by_function(used, messages))
    dynamodb = used["dynamodb"]
    print(f"  DynamoDB per message: {dynamodb.get('requests', 0) / messages:.1f} requests, "
          f"{dynamodb.get('write_units', 0) / messages:.1f} WRU, {dynamodb.get('read_units', 0) / messages:.1f} RRU, "
          f"{dynamodb.get('failed_writes', 0) / messages:.2f} refused conditional writes")
    print("  SQS counted: functions over HTTP " + json.dumps({k: v for k, v in used["sqs"]["http"].items() if v})
          + "; pollers " + json.dumps({k: v for k, v in used["sqs"]["pollers"].items() if v}))
