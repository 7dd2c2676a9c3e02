"""The help center's indexer: `help_center.changed` events (an EventBridge rule puts them
on the HelpCenterIndexQueue) rebuild the portal's search snapshots
(services/help_center/search.rebuild: both scopes, stored under the content version, then
`data.index_version` raised conditionally) and invalidate the portal's cached pages at
CloudFront (`/hc/<slug>/*`, and the paths the event names as removed, e.g. an old slug's).

Idempotent per version: a repeated or late event finds index_version already at the
content version and builds nothing; several events of one batch for the same portal build
once. The invalidation is skipped where no distribution is configured (the local stack has
no CDN: DISTRIBUTION_ID is empty there). A failure fails that record alone; after the
queue's maxReceiveCount it lands in the alarmed dead-letter queue.

No `from __future__ import annotations`: pydantic resolves the model at import."""

import json
import time

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger
    # parley.consumers before pydantic (tests/unit/test_cold_start_imports.py)
    from parley import consumers
    from pydantic import BaseModel, ConfigDict, Field

    from parley import aws, events
    from parley.settings import get_settings

logger = Logger()
MAX_PATHS = 15  # CloudFront invalidation paths per change (wildcards count as one each)


class Changed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    account_id: int = Field(gt=0)
    portal_id: int = Field(gt=0)
    slug: str = Field(min_length=1, max_length=255)
    version: int = Field(ge=0)
    removed_paths: list[str] = Field(default_factory=list, max_length=1000)


def parse(body: str) -> Changed:
    detail = events.from_bus(json.loads(body))
    if detail is None or detail.get("event") != "help_center.changed":
        raise ValueError("not a help_center.changed event")
    return Changed.model_validate(detail["data"])


def invalidation_paths(change: Changed) -> list[str]:
    paths = [f"/hc/{change.slug}", f"/hc/{change.slug}/*"]
    for path in change.removed_paths:
        if isinstance(path, str) and path.startswith("/hc/") and path not in paths:
            paths.append(path if path.endswith("*") or "/" not in path[4:] else path.rstrip("/"))
    if len(paths) > MAX_PATHS:  # many old paths: the whole help center is cheaper
        paths = ["/hc/*"]
    return paths


def invalidate(change: Changed) -> list[str] | None:
    distribution = get_settings().distribution_id
    if not distribution:
        return None
    paths = invalidation_paths(change)
    aws.client("cloudfront").create_invalidation(DistributionId=distribution, InvalidationBatch={
        "Paths": {"Quantity": len(paths), "Items": paths},
        "CallerReference": f"hc-{change.account_id}-{change.portal_id}-{change.version}-{time.time_ns()}"})
    return paths


def handle(change: Changed, attempt: int) -> dict:
    from parley.services.help_center import search

    built = search.rebuild(change.account_id, change.portal_id)
    # The portal's pages are invalidated after a build: a build reads the content version
    # first, so it covers every change committed before it, this one included. An event
    # whose version a build already covered (several changes, one build) invalidates only
    # if it gives up paths of its own (a renamed slug's). If an invalidation fails after
    # its build, the retry finds nothing to build: CloudFront's 60-second TTL bounds that.
    paths = invalidate(change) if built["built"] or change.removed_paths else None
    return {**built, "portal_id": change.portal_id, "invalidated": paths}


consumer = consumers.QueueConsumer("help center change", parse=parse, handle=handle, logger=logger)


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return consumer(event, context)
