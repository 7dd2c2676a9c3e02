"""Run the benchmarks named on the command line, or all of them, and print their figures.

    python -m bench                   # every benchmark
    python -m bench cold_start        # only these
    python -m bench --list

A benchmark is a module of this package with a `run()` that prints its tables; add one by
writing the module and naming it in BENCHMARKS.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from bench.report import machine

BENCHMARKS = {
    "cold_start": "import time of every function, next to a bare boto3 client",
    "layer_size": "installed size of the shared layer for Lambda arm64",
    "widget_size": "gzipped size of the loader and of everything the open widget loads",
    "delivery_latency": "agent POST -> frame at the visitor's socket on the local stack, p50/p99",
    "dynamo_ops": "DynamoDB requests and items per message sent, list page and socket push",
    "scale": "inbox list, filter and search at 1,000 and 20,000 conversations: reads and latency",
    "start_time": "make dev start time: first start and a restart with 20,000 conversations stored",
    "ingest": "Telegram webhooks -> queue -> channel_ingest -> socket on the local stack; DynamoDB per inbound message",
    "cost": "what AWS would bill per 1M inbound messages, from the calls metered during an ingest burst",
    "queue_ops": "SQS send/receive/delete per second over HTTP, the runner's engine next to moto; fsync cost",
    "help_center_search": "help center search: MRR@10 and recall@5 on labelled queries, latency at 100-5,000 articles",
    "help_center_page": "public article page: server time warm / rendering / reloading, bytes and gzip bytes",
    "help_center_cost": "what AWS would bill per 1M public help center page views, at a stated CloudFront hit ratio",
    "captain": "Captain retrieval on CLINC150: top-1, handoff in and out of scope, latency and size per offline retriever",
    "captain_cost": "what AWS would bill per 1,000 customer messages Captain answers with a model on Bedrock, by model",
    "reporting": "reporting consumer's DynamoDB cost per conversation; the rebuild's per 10,000 stored conversations",
    "reports": "reports at 1,000 and 100,000 conversations: DynamoDB requests, items and read units at UTC+05:45",
    "audit": "audit log: extra DynamoDB requests, items and WRU per audited write; its share of the HTTP API's cold start",
    "campaigns": "one-off SMS campaigns on the local stack: send throughput, pacing, AWS cost per 10,000 messages",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Print Parley's benchmark figures.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, what in BENCHMARKS.items():
            print(f"{name:12} {what}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    print(f"Parley benchmarks on {machine()}")
    for name in args.names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
