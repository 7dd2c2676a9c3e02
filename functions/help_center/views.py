"""Article page views, counted without a database write per view: the public site's beacon
sends one SQS message per view (app.count_view); this consumer receives them in batches
(the event source's batch window) and adds each article's views with ONE UpdateItem ADD on
its Counter item (`hc_views#<account>#<article>`), however many views the batch holds.

A malformed message is dropped. If an article's update fails, only that article's messages
are reported failed (a partial batch response) and come back; the others are done. SQS
delivers at least once, so a crash between an update and the batch's deletion may count
those views twice: a page-view counter accepts that (exactly-once would cost a write per
view, which is what this avoids)."""

import json

from parley.coldstart import loading

with loading():  # the imports of this init: see parley/coldstart.py
    from aws_lambda_powertools import Logger

logger = Logger()


def _key(body: str) -> tuple[int, int] | None:
    try:
        message = json.loads(body)
        account_id, article_id = int(message["account_id"]), int(message["article_id"])
    except (ValueError, TypeError, KeyError):
        return None
    return (account_id, article_id) if account_id > 0 and article_id > 0 else None


def count(records: list[dict]) -> dict:
    from parley.models.counter import Counter
    from parley.models.help_center import views_counter

    by_article: dict[tuple[int, int], list[str]] = {}
    dropped = 0
    for record in records:
        key = _key(record.get("body") or "")
        if key is None:
            dropped += 1
            continue
        by_article.setdefault(key, []).append(record["messageId"])
    failures: list[str] = []
    for (account_id, article_id), ids in by_article.items():
        try:
            Counter(views_counter(account_id, article_id)).update(actions=[Counter.value.add(len(ids))])
        except Exception:
            logger.exception("views not counted", extra={"account_id": account_id, "article_id": article_id})
            failures += ids
    logger.info("views", extra={"articles": len(by_article), "views": sum(map(len, by_article.values())),
                                "dropped": dropped, "failed": len(failures)})
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failures]}


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return count(event.get("Records") or [])
