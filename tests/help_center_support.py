"""Help center content for the public site's tests, written the way the account API's
services write it (the DESIGN's storage: the item, its slug claim, the portal's state bumped
and `help_center.changed` published in one transaction), so these tests do not depend on
the dashboard API's routes; the public function and the indexer only ever read it."""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

from parley import events, ids
from parley.models.account_object import AccountObject
from parley.models.help_center import (
    article_key, article_slug_claim, category_key, category_slug_claim, portal_domain_claim, portal_key,
    portal_slug_claim, portal_target,
)
from parley.models.unique import UniqueClaim
from parley.services.help_center import state


def _commit(account_id: int, portal_id: int, slug: str, item: AccountObject, claims=(), article_ids=(),
            removed_paths=()) -> None:
    with events.Outbox() as tx:
        tx.save(item)
        for key, target in claims:
            tx.save(UniqueClaim(key, target=target))
        state.changed(tx, account_id, portal_id, slug, article_ids=article_ids, removed_paths=removed_paths)


def portal(account_id: int, slug: str, *, locales=("en",), default=None, custom_domain=None, **data) -> int:
    portal_id = ids.next_id("Portal")
    body = {"name": data.pop("name", slug.title()), "slug": slug, "custom_domain": custom_domain,
            "color": data.pop("color", "#0f766e"), "homepage_link": data.pop("homepage_link", "https://acme.test"),
            "page_title": data.pop("page_title", f"{slug.title()} Help"), "header_text": data.pop("header_text", "How can we help?"),
            "translations": data.pop("translations", {}), "logo": None, "dark_logo": None,
            "config": {"allowed_locales": list(locales), "default_locale": default or locales[0]},
            "archived": False, "inbox_id": None, "member_ids": [], **data}
    claims = [(portal_slug_claim(slug), portal_target(account_id, portal_id))]
    if custom_domain:
        claims.append((portal_domain_claim(custom_domain), portal_target(account_id, portal_id)))
    _commit(account_id, portal_id, slug, AccountObject(account_id, portal_key(portal_id), id=portal_id, data=body),
            claims)
    return portal_id


def update_portal(account_id: int, portal_id: int, **changes) -> None:
    item = AccountObject.get(account_id, portal_key(portal_id))
    item.data = {**item.data, **changes}
    _commit(account_id, portal_id, item.data["slug"], item)


def category(account_id: int, portal_id: int, slug: str, *, locale="en", name=None, position=1, **data) -> int:
    category_id = ids.next_id("Category")
    body = {"portal_id": portal_id, "name": name or slug.title(), "description": data.pop("description", ""),
            "slug": slug, "locale": locale, "position": position, "icon": None, "parent_category_id": None,
            "associated_category_id": None, **data}
    key = category_key(portal_id, category_id)
    _commit(account_id, portal_id, _slug(account_id, portal_id),
            AccountObject(account_id, key, id=category_id, data=body),
            [(category_slug_claim(account_id, portal_id, locale, slug), key)])
    return category_id


def article(account_id: int, portal_id: int, title: str, content: str = "", *, status="published", locale="en",
            category_id=None, slug=None, position=1, description="", **data) -> dict:
    article_id = ids.next_id("Article")
    now = int(time.time())
    slug = slug or f"{now}-{'-'.join(title.lower().split())[:60]}"
    body = {"portal_id": portal_id, "category_id": category_id, "title": title, "description": description,
            "content": content, "status": status, "author_id": data.pop("author_id", 1), "slug": slug,
            "position": position, "locale": locale, "associated_article_id": data.pop("associated_article_id", None),
            "meta": data.pop("meta", {"title": None, "description": None, "tags": []}),
            "created_at": now, "updated_at": now, **data}
    key = article_key(portal_id, article_id)
    _commit(account_id, portal_id, _slug(account_id, portal_id), AccountObject(account_id, key, id=article_id, data=body),
            [(article_slug_claim(account_id, portal_id, slug), key)], article_ids=[article_id])
    return {**body, "id": article_id}


def update_article(account_id: int, portal_id: int, article_id: int, **changes) -> None:
    item = AccountObject.get(account_id, article_key(portal_id, article_id))
    item.data = {**item.data, **changes, "updated_at": int(time.time())}
    _commit(account_id, portal_id, _slug(account_id, portal_id), item, article_ids=[article_id])


def delete_article(account_id: int, portal_id: int, article_id: int) -> None:
    item = AccountObject.get(account_id, article_key(portal_id, article_id))
    with events.Outbox() as tx:
        tx.delete(item)
        tx.delete(UniqueClaim(article_slug_claim(account_id, portal_id, item.data["slug"])))
        state.changed(tx, account_id, portal_id, _slug(account_id, portal_id), article_ids=[article_id])


def _slug(account_id: int, portal_id: int) -> str:
    return AccountObject.get(account_id, portal_key(portal_id)).data["slug"]


# ---------------------------------------------------------------- calling the function

class Site:
    """functions/help_center/app.py called as API Gateway calls it (payload 2.0)."""

    def __init__(self, module):
        self.app = module

    def call(self, method: str, path: str, *, query: dict | None = None, host: str = "parley.test",
             body: bytes | str | None = None, headers: dict | None = None, viewer: str = "203.0.113.10"):
        from tests.conftest import LambdaContext, http_event

        event = http_event(method, path, query=query, headers={"host": host, "x-forwarded-proto": "https",
                                                               **(headers or {})}, source_ip=viewer)
        event["routeKey"] = "ANY /hc/{proxy+}" if path.startswith("/hc/") else f"GET {path}"
        event["pathParameters"] = {"proxy": path[4:]} if path.startswith("/hc/") else {}
        if query:
            event["rawQueryString"] = urlencode(query)
        if body is not None:
            event["body"] = body if isinstance(body, str) else base64.b64encode(body).decode()
            event["isBase64Encoded"] = not isinstance(body, str)
            event["headers"]["content-type"] = "application/json"
        result = self.app.lambda_handler(event, LambdaContext())
        raw = result.get("body") or ""
        if result.get("isBase64Encoded"):
            raw = base64.b64decode(raw)
        return Page(result["statusCode"], result.get("headers") or {}, raw)

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)


class Page:
    def __init__(self, status: int, headers: dict, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body if isinstance(self.body, str) else self.body.decode()

    @property
    def json(self):
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.text[:300]!r}>"


# ---------------------------------------------------------------- the consumers

def load_handler(module: str):
    """functions/help_center/<module>.py (the indexer and views consumers beside app.py)."""
    import importlib.util
    import sys

    from tests.conftest import ROOT

    name = f"parley_fn_help_center_{module}"
    if name not in sys.modules:
        folder = ROOT / "functions" / "help_center"
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(name, folder / f"{module}.py")
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        sys.modules[name] = loaded
    return sys.modules[name]


def drain(logical_id: str, handler, *, batch: int = 10, rounds: int = 5, invoke=None) -> int:
    """What Lambda's SQS poller hands a consumer: batches; failed items stay on the queue.
    Returns how many messages were handled."""
    import boto3

    from local.sources import sqs_record
    from tests import event_pipe
    from tests.conftest import LambdaContext, _stack

    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names[logical_id])["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[-1]}"
    handled = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(batch, 10),
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        event = {"Records": [sqs_record(m, arn) for m in messages]}
        result = invoke(event) if invoke else handler(event, LambdaContext())
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                handled += 1
    return handled


def run_indexer() -> int:
    return drain("HelpCenterIndexQueue", load_handler("indexer").lambda_handler)


def run_views() -> int:
    return drain("HelpCenterViewsQueue", load_handler("views").lambda_handler)
