"""Shared test harness.

- Environment: every variable the template gives the functions, resolved by local/cfn.py
  (so tests and stack cannot drift), set before anything imports `parley`.
- `aws`: a fresh moto account per test with every table, queue, bucket and rule of
  template.yaml. Tests marked `dynamodb_local` run twice: `[moto]`, and `[dynamodb-local]`
  with the tables on Amazon DynamoDB Local (tests/dynamodb_local.py).
- `api`: calls the handler API Gateway would (the template's most specific route: the
  http_api handler for `{proxy+}`, the captain function for its routes) with HTTP API v2
  events built from tests/events/http_api_v2.json.
- Functions are loaded by path (each has an app.py), never by module name.
"""
from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
import sys
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qsl, urlencode

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "tests" / "events"
sys.path.insert(0, str(ROOT / "layers" / "shared"))
sys.path.insert(0, str(ROOT))

os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true",
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from local.cfn import build_stack  # noqa: E402
from tests import dynamodb_local, event_pipe  # noqa: E402
from tests.moto_speed import speed_up_aws_doubles  # noqa: E402
from tests.dynamodb_local import dynamodb_local_engine  # noqa: E402,F401 (a fixture)

speed_up_aws_doubles()


def _cheap_argon2() -> None:
    """argon2id's production cost (RFC 9106's low-memory profile: 3 passes over 64 MiB,
    0.4 s a hash here) is there to slow an attacker down; the tests sign in hundreds of
    times. They get the same algorithm at one pass over 8 MiB (a hash's parameters travel
    in the hash, so verifying follows). tests/unit/test_passwords.py checks the production
    profile through PRODUCTION_ARGON2."""
    from argon2 import PasswordHasher

    from parley import passwords

    global PRODUCTION_ARGON2
    PRODUCTION_ARGON2 = passwords._hasher.__wrapped__
    passwords._hasher = lru_cache(maxsize=1)(lambda: PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    passwords._dummy_hash.cache_clear()


PRODUCTION_ARGON2 = None
_cheap_argon2()

dynamodb_local.install()

PARAMETERS = {"WidgetTokenSecret": "test-secret-" + "x" * 32, "Stage": "test"}

# One session for every test: botocore then parses each service model once, not per test.
_session = boto3.Session()
with mock_aws():
    _stack = build_stack(_session, prefix="test", parameters=PARAMETERS)
# Every function's variables (they agree where they overlap; tests/infra checks the
# template), so a test may call any function's code.
for _function in _stack.functions:
    os.environ.update(_stack.env_for(_function))


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


_loaded: dict[str, ModuleType] = {}


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py, imported by path with its own folder on sys.path."""
    if name not in _loaded:
        folder = ROOT / "functions" / name
        sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(f"parley_fn_{name}", folder / "app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[name] = module
    return _loaded[name]


def pytest_generate_tests(metafunc):
    dynamodb_local.parametrize(metafunc)


@pytest.fixture
def aws(request):
    """A fresh moto account holding every resource of template.yaml (in the
    [dynamodb-local] variant, its tables on DynamoDB Local, emptied after the test)."""
    from parley import global_config

    with mock_aws(), dynamodb_local.serving(request) as endpoints:
        build_stack(_session, prefix="test", parameters=PARAMETERS, endpoints=endpoints)
        event_pipe.start(_session, _stack, endpoints)
        _seed_installation_config()
        global_config.invalidate()
        global_config._cache["items"] = {}
        # Captain's search index is cached per container by (account, assistant): every
        # test's ids start again at 1, so no test may find another's index.
        knowledge = sys.modules.get("parley.services.captain.knowledge")
        if knowledge is not None:
            knowledge.forget()
        yield


def _seed_installation_config() -> None:
    """The installation config's defaults, as `global_config.load_defaults` writes them into
    an empty table on first use, but in one batch instead of one conditional put per key
    (it would run once per installation; here it would run once per test)."""
    from parley import global_config
    from parley.models.installation_config import SCOPE, InstallationConfig

    with InstallationConfig.batch_write() as batch:
        for default in global_config.defaults().values():
            batch.save(InstallationConfig(SCOPE, default.name, value=default.value, type=default.type,
                                          locked=default.locked, public=default.public,
                                          description=default.description))


@lru_cache(maxsize=1)
def _http_event_sample() -> dict:
    return json.loads((EVENTS / "http_api_v2.json").read_text())


def http_event(method: str, path: str, *, body=None, headers: dict | None = None, query: dict | None = None,
               source_ip: str = "203.0.113.10", raw_body: bytes | None = None) -> dict:
    event = copy.deepcopy(_http_event_sample())
    event["rawPath"] = path
    event["pathParameters"] = {"proxy": path.lstrip("/")}  # the template's ANY /{proxy+} route
    event["requestContext"]["http"].update(method=method, path=path, sourceIp=source_ip)
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16]
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = {k: str(v) for k, v in query.items()}
    if raw_body is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw_body).decode(), True
    elif body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    return event


@dataclass
class Reply:
    status: int
    headers: dict
    json: object


def _parsed(body: str):
    """A JSON body parsed; any other (a CSV download) as its text."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


class Api:
    """Calls the http_api Lambda handler the way API Gateway would."""

    def __init__(self):
        self.app = load_function("http_api")

    @staticmethod
    def function_for(method: str, path: str) -> str:
        """The function API Gateway sends this request to: the template's most specific route
        (local/gateway.match_route), e.g. Captain's routes over HttpApi's `{proxy+}`."""
        from local.gateway import match_route

        found = match_route(_stack.http_routes, method, path)
        return found[0].function_id if found else "HttpApiFunction"

    def handler_for(self, method: str, path: str):
        folder = _stack.functions[self.function_for(method, path)].code_dir.name
        return self.app.lambda_handler if folder == "http_api" else load_function(folder).lambda_handler

    def call(self, method: str, path: str, token: str | None = None, **kw) -> Reply:
        headers = dict(kw.pop("headers", None) or {})
        if token is not None:
            headers["api_access_token"] = token
        path, _, query_string = path.partition("?")  # a path may carry its query string
        if query_string:
            kw["query"] = {**dict(parse_qsl(query_string)), **(kw.get("query") or {})}
        handler = self.handler_for(method, path)
        result = handler(http_event(method, path, headers=headers, **kw), LambdaContext())
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return Reply(result["statusCode"], result.get("headers") or {}, _parsed(body))

    def get(self, path, token=None, **kw):
        return self.call("GET", path, token, **kw)

    def post(self, path, token=None, **kw):
        return self.call("POST", path, token, **kw)

    def put(self, path, token=None, **kw):
        return self.call("PUT", path, token, **kw)

    def patch(self, path, token=None, **kw):
        return self.call("PATCH", path, token, **kw)

    def delete(self, path, token=None, **kw):
        return self.call("DELETE", path, token, **kw)


@pytest.fixture
def api(aws) -> Api:
    return Api()


PASSWORD = "Sup3r-secret!"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from parley import passwords

    return passwords.hash_password(PASSWORD)


@dataclass
class Person:
    id: int
    email: str
    token: str
    password: str = PASSWORD


@dataclass
class World:
    super_admin: Person
    admin: Person
    agent: Person
    other_admin: Person
    account_id: int
    other_account_id: int
    platform_token: str
    platform_app_id: int


@pytest.fixture
def isolated_moto(monkeypatch):
    """DynamoDB runs each request (a transaction as a whole) in isolation; moto in-process
    does not: it checks a condition and writes in separate steps that threads interleave,
    and a cancelled transaction restores whole tables from a copy taken when it began,
    undoing what other threads wrote meanwhile. One lock around each request makes moto as
    isolated as the service, so threads race only the way requests to AWS do. Every test
    that runs requests from threads at once on moto takes this fixture."""
    import threading

    from moto.core.responses import BaseResponse

    lock, real = threading.RLock(), BaseResponse.call_action

    def call_action(self):
        with lock:
            return real(self)

    monkeypatch.setattr(BaseResponse, "call_action", call_action)


@pytest.fixture
def world(aws) -> World:
    """The local seed's cast: a super admin, Acme (administrator + agent), Globex
    (its own administrator) and a platform app."""
    from parley import tokens
    from parley.services.account import accounts
    from parley.services.access import members, platform, users

    def person(email: str, name: str, **kw) -> Person:
        user = users.create_user(email=email, name=name, **kw)
        user.password_hash = _password_hash()  # argon2 is slow on purpose: hash once per run
        user.save()
        return Person(user.id, user.email, tokens.issue(users.owner(user.id)))

    root = person("root@parley.test", "Root", super_admin=True)
    acme, globex = accounts.create_account(name="Acme"), accounts.create_account(name="Globex")
    admin, agent, other = (person("admin@acme.test", "Ada Admin"), person("agent@acme.test", "Aaron Agent"),
                           person("admin@globex.test", "Gloria Globex"))
    members.add_member(acme.id, admin.id, "administrator")
    members.add_member(acme.id, agent.id, "agent", inviter_id=admin.id)
    members.add_member(globex.id, other.id, "administrator")
    app, app_token = platform.create_platform_app("Provisioner")
    return World(root, admin, agent, other, acme.id, globex.id, app_token, app.id)


@dataclass
class Visitor:
    token: str  # X-Auth-Token
    contact_id: int
    pubsub_token: str


class Widget:
    """The widget API as a visitor's browser calls it."""

    def __init__(self, api: Api, website_token: str):
        self.api, self.website_token = api, website_token

    def call(self, method: str, path: str, visitor: Visitor | None = None, **kw) -> Reply:
        headers = {**({"X-Auth-Token": visitor.token} if visitor else {}), **kw.pop("headers", {})}
        query = {"website_token": self.website_token, **kw.pop("query", {})}
        return self.api.call(method, f"/api/v1/widget/{path}", headers=headers, query=query, **kw)

    def start(self, token: str | None = None) -> Visitor:
        """The visitor behind `token`, or a new anonymous one (as its first message would
        create it: opening the widget creates nobody)."""
        if token is None:
            from parley.services.inbox import inboxes
            from parley.services.contact import widget

            token = widget.new_visitor(inboxes.by_website_token(self.website_token))[2]
        reply = self.api.call("POST", "/api/v1/widget/config", headers={"X-Auth-Token": token},
                              query={"website_token": self.website_token})
        assert reply.status == 200, reply.json
        return Visitor(reply.json["auth_token"], reply.json["contact"]["id"], reply.json["contact"]["pubsub_token"])

    def say(self, visitor: Visitor, content: str, echo_id: str | None = None) -> Reply:
        return self.call("POST", "messages", visitor, body={"message": {"content": content, "echo_id": echo_id}})


@dataclass
class WebsiteInbox:
    id: int
    website_token: str
    hmac_token: str
    widget: Widget


@pytest.fixture
def website(api, world) -> WebsiteInbox:
    """The seed's website inbox in Acme, with Acme's agent as a member."""
    reply = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "Acme website", "channel": {"type": "web_widget", "website_url": "https://acme.test",
                                             "welcome_title": "Hi there", "widget_color": "#0f766e"}})
    assert reply.status == 200, reply.json
    inbox = reply.json
    members = api.post(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                       body={"inbox_id": inbox["id"], "user_ids": [world.agent.id]})
    assert members.status == 200, members.json
    return WebsiteInbox(inbox["id"], inbox["website_token"], inbox["hmac_token"], Widget(api, inbox["website_token"]))


@pytest.fixture
def refusals(monkeypatch):
    """Every security_log.refused line a test causes, as (kind, context), still logged."""
    from parley import security_log

    logged = []
    original = security_log.refused

    def record(kind, reason, **context):
        logged.append((kind, context))
        original(kind, reason, **context)

    monkeypatch.setattr(security_log, "refused", record)
    return logged
