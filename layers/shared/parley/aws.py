"""The one place Parley makes AWS clients.

One client per (service, endpoint, addressing style) and container, made on first use (an
import of boto3 costs a cold start; paths that never call AWS never pay it), in the
region `Settings` names. The endpoint of every service comes from botocore's own
`AWS_ENDPOINT_URL[_<SERVICE>]` variables (the local stack sets them), except the two a
caller must name: API Gateway's `@connections` URL and the public S3 endpoint presigned
URLs point browsers at.

Being the one seam between Parley and AWS, this is also where fault tests inject
failures (`monkeypatch.setattr(aws, "client", ...)`): every caller looks it up here at
call time.
"""
from __future__ import annotations

from functools import lru_cache

from .settings import get_settings

_clients: dict[tuple, object] = {}


def client(service: str, *, endpoint_url: str | None = None, presigning: bool = False,
           timeouts: tuple[float, float, int] | None = None):
    """The container's boto3 client for `service`. `presigning` (S3 only): a client whose
    presigned URLs browsers use: SigV4, virtual-hosted on S3 itself and path-style on any
    other endpoint (a host name cannot carry the bucket there). `timeouts`: (connect
    seconds, read seconds, attempts) for a call that must give up in bounded time (a model's)."""
    key = (service, endpoint_url or None, presigning, timeouts)
    made = _clients.get(key)
    if made is None:
        import boto3

        config = None
        if presigning:
            from botocore.config import Config

            config = Config(signature_version="s3v4", s3={"addressing_style": "path" if key[1] else "virtual"})
        elif timeouts is not None:
            from botocore.config import Config

            connect, read, attempts = timeouts
            # total_max_attempts counts the first call (botocore's max_attempts counts only retries).
            config = Config(connect_timeout=connect, read_timeout=read,
                            retries={"total_max_attempts": attempts, "mode": "standard"})
        made = _clients[key] = boto3.client(service, region_name=get_settings().region, endpoint_url=key[1],
                                            config=config)
    return made


@lru_cache(maxsize=8)
def queue_url(ref: str) -> str:
    """The URL of a queue from its template Ref: a URL on AWS; the local stack and the
    tests resolve a Ref to the queue's name, which SQS turns into the URL."""
    return ref if "://" in ref else client("sqs").get_queue_url(QueueName=ref)["QueueUrl"]
