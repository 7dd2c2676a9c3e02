"""What AWS would bill per 1,000,000 public help center page views, at list prices
(bench/cost.py's table, us-east-1 on-demand), from a model of the requests one view makes.

The path of one page view (the lead's DESIGN for issue 13):
- the browser asks CloudFront for the page (`/hc/<slug>/articles/<slug>`, Cache-Control
  `public, max-age=0, s-maxage=60`): a CloudFront request and the page's bytes out to the
  internet, whether it is a hit or a miss;
- on a miss (1 - HIT_RATIO of the views) CloudFront asks the origin: one HTTP API request,
  one invocation of the help center function, and its DynamoDB reads as functions/help_center
  makes them (services/help_center/site.py): the portal's slug (or custom domain) claim and
  the account's status (each remembered by a container for 60 s, CloudFront's TTL too, so
  counted on every miss) and the portal's state, its content version (three GetItems; an
  eventually consistent GetItem costs 0.5 RRU per 4 KB of item). The portal's content and
  the rendered page are held by the container per content version: a container's first
  request after a change also reads the portal and Queries its categories and articles,
  once per container per change (not counted: publishing is rare next to page views);
- the article page's view beacon (`POST .../views`, not cached): a CloudFront request, an
  HTTP API request, an invocation of the help center function that sends one SQS message;
- the views consumer: SQS batches (one receive and one batch delete each, as Lambda's
  poller makes them), one invocation per batch and one UpdateItem ADD (1 WRU) per distinct
  article in the batch.

Every page view is counted as an article page (the one with a beacon and the most reads);
the home, category and search pages make fewer reads and no beacon. Not counted: storage,
logs, the free tiers, the S3 GET of a new search snapshot (once per publish per warm
container), CloudFront invalidations (per publish: the first 1,000 paths a month are free,
then $0.005 each), idle SQS polling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bench.cost import (CLOUDFRONT_HTTPS_PER_MILLION, CLOUDFRONT_TRANSFER_PER_GB, DYNAMODB_READ_PER_MILLION,
                        DYNAMODB_WRITE_PER_MILLION, HTTP_API_PER_MILLION, LAMBDA_ARM_GB_SECOND,
                        LAMBDA_REQUEST_PER_MILLION, SQS_STANDARD_PER_MILLION)
from bench.report import print_table

VIEWS = 1_000_000
# The gzip'd article page as served (HTML only, no JavaScript needed): bench help_center_page
# measured 2.1 KB for the corpus's median article (5.6 KB for a 1,500-word guide); 15 KB is
# the ceiling, priced in the table by page size below.
PAGE_BYTES = int(2.2 * 1024)
HIT_RATIO = 0.90


@dataclass(frozen=True)
class Assumptions:
    page_bytes: int = PAGE_BYTES       # gzip'd page body as transferred
    header_bytes: int = 600            # response headers of a page
    hit_ratio: float = HIT_RATIO       # share of page requests CloudFront answers from its cache
    memory_mb: int = 512               # help center function and views consumer (template Globals MemorySize)
    render_ms: float = 5.0             # a page's server time: bench help_center_page measured 2.1 ms p95 rendering
    round_trip_ms: float = 5.0         # one DynamoDB GetItem from Lambda, waited for (reads are sequential)
    consistent_reads: bool = False     # eventually consistent GetItems: 0.5 RRU per 4 KB
    beacons_per_view: float = 1.0      # view beacons per page view (article pages send one)
    beacon_ms: float = 15.0            # the beacon's invocation: parse, resolve nothing, one SQS SendMessage
    beacon_response_bytes: int = 300   # 204 No Content: headers only
    batch_size: int = 100              # views consumer's SQS batch (with a batching window, at traffic)
    consumer_ms: float = 80.0          # one batch: one UpdateItem ADD per distinct article
    distinct_per_batch: int = 30       # distinct articles in a batch of views (views concentrate on few articles)


def reads(a: Assumptions) -> list[tuple[str, float]]:
    """(GetItem, item size in KB) for one article page at the origin, in a warm container."""
    return [("portal slug or custom domain claim (UniqueClaim)", 0.2), ("account status (Account)", 1.0),
            ("portal state: content version", 0.2)]


def read_units(kb: float, consistent: bool) -> float:
    return math.ceil(kb / 4) * (1.0 if consistent else 0.5)


def gb_seconds(ms: float, memory_mb: int) -> float:
    return math.ceil(ms) / 1000 * memory_mb / 1024


def line_items(a: Assumptions, views: int = VIEWS) -> list[tuple[str, str, float, float]]:
    """(service, what, quantity, dollars) for `views` page views."""
    misses = views * (1 - a.hit_ratio)
    beacons = views * a.beacons_per_view
    batches = beacons / a.batch_size
    page_reads = reads(a)
    rru = misses * sum(read_units(kb, a.consistent_reads) for _, kb in page_reads)
    miss_ms = a.render_ms + len(page_reads) * a.round_trip_ms
    transfer_gb = (views * (a.page_bytes + a.header_bytes) + beacons * a.beacon_response_bytes) / 1024 ** 3
    function_gbs = misses * gb_seconds(miss_ms, a.memory_mb) + beacons * gb_seconds(a.beacon_ms, a.memory_mb)
    consumer_gbs = batches * gb_seconds(a.consumer_ms, a.memory_mb)
    sqs_requests = beacons + 2 * batches   # SendMessage each; ReceiveMessage + DeleteMessageBatch per batch
    wru = batches * min(a.distinct_per_batch, a.batch_size)
    return [
        ("CloudFront", "HTTPS requests (pages + beacons)", views + beacons,
         (views + beacons) * CLOUDFRONT_HTTPS_PER_MILLION / 1e6),
        ("CloudFront", "data transfer out (GB)", transfer_gb, transfer_gb * CLOUDFRONT_TRANSFER_PER_GB),
        ("API Gateway", "HTTP API requests (misses + beacons)", misses + beacons,
         (misses + beacons) * HTTP_API_PER_MILLION / 1e6),
        ("Lambda", f"help center function: {misses + beacons:,.0f} invocations (GB-s)", function_gbs,
         function_gbs * LAMBDA_ARM_GB_SECOND + (misses + beacons) * LAMBDA_REQUEST_PER_MILLION / 1e6),
        ("DynamoDB", f"read request units ({len(page_reads)} GetItems per miss)", rru,
         rru * DYNAMODB_READ_PER_MILLION / 1e6),
        ("SQS", "requests (beacon sends, batch receives and deletes)", sqs_requests,
         sqs_requests * SQS_STANDARD_PER_MILLION / 1e6),
        ("Lambda", f"views consumer: {batches:,.0f} invocations (GB-s)", consumer_gbs,
         consumer_gbs * LAMBDA_ARM_GB_SECOND + batches * LAMBDA_REQUEST_PER_MILLION / 1e6),
        ("DynamoDB", "write request units (views ADD per article per batch)", wru,
         wru * DYNAMODB_WRITE_PER_MILLION / 1e6),
    ]


def total(a: Assumptions, views: int = VIEWS) -> float:
    return sum(dollars for *_, dollars in line_items(a, views))


def run(assumptions: Assumptions | None = None) -> dict:
    """Print the bill per 1M page views and how it moves with the hit ratio, the beacon and
    the page's size; return the totals (the unit test checks the arithmetic)."""
    a = assumptions or Assumptions()
    items = line_items(a)
    grand = sum(d for *_, d in items)
    per_miss = sum(read_units(kb, a.consistent_reads) for _, kb in reads(a))
    print_table(f"What AWS would bill per 1,000,000 public help center page views "
                f"(CloudFront hit ratio {a.hit_ratio:.0%}, page {a.page_bytes / 1024:.1f} KB gz)",
                ["service", "what", "quantity", "$ per 1M views", "share"],
                [[s, what, f"{q:,.2f}" if q < 100 else f"{q:,.0f}", f"{d:.2f}", f"{d / grand:.0%}"]
                 for s, what, q, d in items]
                + [["total", "", "", f"{grand:.2f}", "100%"]],
                [f"assumed: {a.hit_ratio:.0%} of page requests answered by CloudFront (s-maxage=60, invalidated on "
                 f"publish); every view an article page with {a.beacons_per_view:g} view beacon",
                 f"a miss: {len(reads(a))} GetItems ({per_miss:g} RRU, eventually consistent: claim, account, "
                 f"content version) and {a.render_ms:g} ms render + {a.round_trip_ms:g} ms per read, at "
                 f"{a.memory_mb} MB arm64; a beacon {a.beacon_ms:g} ms",
                 f"views consumer: batches of {a.batch_size}, {a.distinct_per_batch} distinct articles (1 WRU each) "
                 f"and {a.consumer_ms:g} ms per batch",
                 "list prices us-east-1 on-demand (bench/cost.py); CloudFront US/Europe first tier; no free tier, "
                 "storage, logs or invalidations"])
    no_beacon = replace(a, beacons_per_view=0.0)
    ratios = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
    print_table("Help center bill per 1M page views by CloudFront hit ratio ($)",
                ["hit ratio", "with view beacons", "without beacons", "beacons' share"],
                [[f"{h:.0%}", f"{total(replace(a, hit_ratio=h)):.2f}", f"{total(replace(no_beacon, hit_ratio=h)):.2f}",
                  f"{1 - total(replace(no_beacon, hit_ratio=h)) / total(replace(a, hit_ratio=h)):.0%}"]
                 for h in ratios],
                ["'without beacons': views counted some other way (e.g. from CloudFront's access logs), not modelled"])
    sizes = (5 * 1024, 10 * 1024, 15 * 1024, 30 * 1024, 60 * 1024)
    print_table(f"Help center bill per 1M page views by page size (hit ratio {a.hit_ratio:.0%}, $)",
                ["page KB (gz)", "total", "data transfer"],
                [[f"{b / 1024:g}", f"{total(replace(a, page_bytes=b)):.2f}",
                  f"{line_items(replace(a, page_bytes=b))[1][3]:.2f}"] for b in sizes])
    return {"total": grand, "items": items,
            "by_hit_ratio": {h: total(replace(a, hit_ratio=h)) for h in ratios}}
