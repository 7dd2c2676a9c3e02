"""SQS operations per second over HTTP with ~500 messages queued: the runner's own engine
(local/queues.py, journal on disk) next to moto's SQS behind the same server (local/aws.py),
one boto3 client per thread; and what one fsync of the journal costs on this disk."""
from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from bench.report import print_table
from local.aws import MotoServer
from local.queues import Queues

BACKLOG = 500
OPS = 600  # per operation and thread count


def _client(endpoint: str):
    return boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="bench",
                        aws_secret_access_key="bench", config=Config(max_pool_connections=16))


def _rate(endpoint: str, url: str, threads: int, work) -> float:
    clients = [_client(endpoint) for _ in range(threads)]
    per_thread = OPS // threads
    start = threading.Barrier(threads + 1)

    def run(sqs):
        start.wait()
        for i in range(per_thread):
            work(sqs, url, i)

    workers = [threading.Thread(target=run, args=(c,)) for c in clients]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    return per_thread * threads / (time.perf_counter() - began)


def _measure(engine: bool, threads: int) -> list[float]:
    server = MotoServer(0)
    journal = tempfile.TemporaryDirectory()
    queues = None
    if engine:
        queues = Queues(Path(journal.name), endpoint=server.endpoint)
        server.engines["AmazonSQS"] = queues.handle
    server.start()
    try:
        sqs = _client(server.endpoint)
        url = sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
        body = '{"detail": "' + "x" * 400 + '"}'
        for i in range(0, BACKLOG, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": body} for n in range(10)])
        handles: list[str] = []
        lock = threading.Lock()

        def send(client, url, i):
            client.send_message(QueueUrl=url, MessageBody=body)

        def receive(client, url, i):
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
            with lock:
                handles.extend(m["ReceiptHandle"] for m in got)

        def delete(client, url, i):
            with lock:
                handle = handles.pop()
            client.delete_message(QueueUrl=url, ReceiptHandle=handle)

        return [_rate(server.endpoint, url, threads, op) for op in (send, receive, delete)]
    finally:
        server.stop()
        if queues is not None:
            queues.close()
        journal.cleanup()


def _fsync_ms() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        fd = os.open(Path(folder) / "probe", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        times = []
        for _ in range(200):
            os.write(fd, b"x" * 600 + b"\n")
            began = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - began) * 1000)
        os.close(fd)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def run() -> None:
    rows = []
    for threads in (1, 4):
        for engine in (False, True):
            send, receive, delete = _measure(engine, threads)
            rows.append([f"{'local/queues.py' if engine else 'moto SQS'}, {threads} thread{'s' * (threads > 1)}",
                         f"{send:,.0f}", f"{receive:,.0f}", f"{delete:,.0f}"])
    p50, p99 = _fsync_ms()
    print_table(f"SQS over HTTP, {BACKLOG} messages queued (operations per second)",
                ["", "SendMessage", "ReceiveMessage", "DeleteMessage"], rows,
                [f"one fdatasync of the journal here: p50 {p50:.2f} ms, p99 {p99:.2f} ms (every acknowledged "
                 "send waits for one; concurrent senders share it)"])
