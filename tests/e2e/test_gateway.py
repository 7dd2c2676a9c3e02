"""local/gateway.py over real sockets, with the small functions of tests/e2e/toy: the HTTP
API's payload 2.0 events and responses, the WebSocket API's routes, the @connections
management API as the real boto3 client sees it, and the static frontend."""
from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from types import SimpleNamespace

import boto3
import httpx
import pytest
import websockets
from moto import mock_aws

from local.cfn import build_stack
from local.gateway import Gateway
from local.runtime import Runtime

from .conftest import ROOT, TOY_TEMPLATE, serve


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<h1>dashboard</h1>")
    (dist / "widget").mkdir()
    (dist / "widget" / "index.html").write_text("<h1>widget</h1>")
    (dist / "packs" / "js").mkdir(parents=True)
    (dist / "packs" / "js" / "sdk.js").write_text("window.chatwootSDK = {};")
    with mock_aws():
        stack = build_stack(boto3.Session(region_name="us-east-1"), prefix="toy", template_path=TOY_TEMPLATE)
    runtime = Runtime(stack)
    events: list[tuple[str, dict]] = []

    def invoke(function_id: str, event: dict):
        events.append((function_id, event))
        return runtime.invoke(function_id, event)

    with serve(Gateway(stack, invoke, dist).app) as base_url:
        yield SimpleNamespace(base=base_url, ws=base_url.replace("http", "ws") + "/ws", events=events)
    runtime.stop()


def last_event(toy, function_id: str = "WebFunction") -> dict:
    return next(event for fid, event in reversed(toy.events) if fid == function_id)


def wait_for(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def disconnects(toy) -> int:
    return sum(1 for fid, e in toy.events if fid == "SocketFunction" and e["requestContext"]["eventType"] == "DISCONNECT")


def management(base_url: str):
    return boto3.client("apigatewaymanagementapi", endpoint_url=base_url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# ---------------------------------------------------------------- HTTP API

def test_http_request_becomes_a_payload_2_event(toy):
    reply = httpx.post(f"{toy.base}/api/v1/things?b=2&a=1&a=3", json={"hello": "world"},
                       headers={"Cookie": "x=1; y=2", "X-Multi": "one", "User-Agent": "toy-test"})
    assert reply.status_code == 201
    body = reply.json()
    event = body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/api/v1/things"
    assert event["rawQueryString"] == "b=2&a=1&a=3"
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2"}
    assert event["cookies"] == ["x=1", "y=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "one" and event["headers"]["user-agent"] == "toy-test"
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["pathParameters"] == {"proxy": "api/v1/things"}
    assert json.loads(event["body"]) == {"hello": "world"} and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default" and context["accountId"] == "123456789012"
    assert context["http"] == {"method": "POST", "path": "/api/v1/things", "protocol": "HTTP/1.1",
                               "sourceIp": "127.0.0.1", "userAgent": "toy-test"}
    assert isinstance(context["timeEpoch"], int) and context["requestId"]
    # The handler's context, and its response turned back into HTTP.
    assert body["function_name"] == "toy-WebFunction" and 0 < body["remaining_ms"] <= 5000
    assert reply.headers["x-toy"] == "1"
    assert reply.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert reply.headers["apigw-requestid"] == context["requestId"]


@pytest.mark.parametrize("content_type, raw, base64_encoded", [
    ("application/json; charset=utf-8", b'{"a": 1}', False),
    ("text/plain", "héllo".encode(), False),
    ("application/x-www-form-urlencoded", b"Body=hi&From=%2B1555", True),  # as HTTP APIs do (Twilio!)
    ("application/octet-stream", b"\x00\xff\x10", True),
    ("text/plain", b"\xff\xfe not utf-8", True),
])
def test_bodies_are_text_or_base64_like_http_apis(toy, content_type, raw, base64_encoded):
    event = httpx.post(f"{toy.base}/upload", content=raw, headers={"content-type": content_type}).json()["event"]
    assert event["isBase64Encoded"] is base64_encoded
    assert (base64.b64decode(event["body"]) if base64_encoded else event["body"].encode()) == raw


def test_no_body_no_query_no_cookies_means_no_keys(toy):
    event = httpx.get(f"{toy.base}/plain").json()["event"]
    assert not {"body", "cookies", "queryStringParameters"} & set(event)


def test_the_most_specific_route_wins(toy):
    event = httpx.get(f"{toy.base}/items/7").json()["event"]
    assert event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "7"}
    assert httpx.delete(f"{toy.base}/items/7").json()["event"]["routeKey"] == "ANY /{proxy+}"
    root = httpx.post(f"{toy.base}/").json()["event"]
    assert root["routeKey"] == "ANY /" and "pathParameters" not in root


def test_responses_without_status_binary_and_errors(toy):
    bare = httpx.get(f"{toy.base}/bare")
    assert bare.status_code == 200 and bare.json() == {"hello": "world"}
    png = httpx.get(f"{toy.base}/png")
    assert png.content == b"\x89PNG\r\n" and png.headers["content-type"] == "image/png"
    boom = httpx.get(f"{toy.base}/boom")
    assert boom.status_code == 500 and boom.json() == {"message": "Internal Server Error"}


def test_static_files_where_cloudfront_serves_them(toy):
    for dashboard in ("/", "/app", "/app/accounts/1/conversations"):
        assert httpx.get(toy.base + dashboard).text == "<h1>dashboard</h1>"
    # /widget is the API's (CloudFront's /widget behaviour: the page carries each inbox's
    # frame-ancestors); the built file itself is still a static file.
    assert httpx.get(f"{toy.base}/widget").status_code == 201
    assert httpx.get(f"{toy.base}/widget/index.html").text == "<h1>widget</h1>"
    sdk = httpx.get(f"{toy.base}/packs/js/sdk.js")
    assert sdk.text.startswith("window.chatwootSDK") and "javascript" in sdk.headers["content-type"]
    # Not a file (or outside the folder): the API answers.
    assert httpx.get(f"{toy.base}/missing.js").status_code == 201
    assert httpx.get(f"{toy.base}/%2e%2e/template.yaml").status_code == 201


# ---------------------------------------------------------------- WebSocket API

def test_connect_refused_with_the_handlers_status(toy):
    async def scenario():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(toy.ws + "?token=bad"):
                pass
        return refused.value.response.status_code

    assert asyncio.run(scenario()) == 403
    event = last_event(toy, "SocketFunction")
    assert event["requestContext"]["eventType"] == "CONNECT"
    assert event["queryStringParameters"] == {"token": "bad"}


def test_frames_follow_the_route_selection_expression(toy):
    async def scenario():
        async with websockets.connect(toy.ws + "?token=good") as socket:
            await socket.send('{"action": "other"}')  # $default: its body is dropped (no route response)
            await socket.send('{"action": "echo", "n": 1}')  # has a route response: comes back
            assert await asyncio.wait_for(socket.recv(), 5) == '{"action": "echo", "n": 1}'
            await socket.send("crash")
            error = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert error["message"] == "Internal server error" and error["connectionId"]

    before = disconnects(toy)
    asyncio.run(scenario())
    wait_for(lambda: disconnects(toy) > before)  # $disconnect runs after the close
    socket_events = [e for fid, e in toy.events if fid == "SocketFunction"][-5:]
    connect, other, echo, crash, disconnect = socket_events
    assert connect["requestContext"]["routeKey"] == "$connect"
    assert connect["headers"]["Host"].startswith("127.0.0.1") and connect["multiValueHeaders"]["Host"]
    assert (other["requestContext"]["routeKey"], echo["requestContext"]["routeKey"]) == ("$default", "echo")
    assert echo["body"] == '{"action": "echo", "n": 1}' and echo["isBase64Encoded"] is False
    assert crash["requestContext"]["eventType"] == "MESSAGE"
    assert disconnect["requestContext"]["eventType"] == "DISCONNECT"
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000
    ids = {e["requestContext"]["connectionId"] for e in socket_events}
    assert len(ids) == 1 and next(iter(ids)).endswith("=")


def test_management_api_with_the_real_boto3_client(toy):
    client = management(toy.base)

    async def scenario():
        async with websockets.connect(toy.ws + "?token=good", user_agent_header="toy-socket") as socket:
            connection_id = last_event(toy, "SocketFunction")["requestContext"]["connectionId"]
            await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b'{"pushed": true}')
            assert await asyncio.wait_for(socket.recv(), 5) == '{"pushed": true}'

            info = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
            assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "toy-socket"}
            assert info["ConnectedAt"] <= info["LastActiveAt"]

            with pytest.raises(client.exceptions.PayloadTooLargeException):
                await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"x" * 200_000)

            await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 5)
            return connection_id

    before = disconnects(toy)
    connection_id = asyncio.run(scenario())
    wait_for(lambda: disconnects(toy) > before)
    for call in (client.post_to_connection, client.get_connection, client.delete_connection):
        kwargs = {"Data": b"{}"} if call == client.post_to_connection else {}
        with pytest.raises(client.exceptions.GoneException):
            call(ConnectionId=connection_id, **kwargs)
    assert last_event(toy, "SocketFunction")["requestContext"]["eventType"] == "DISCONNECT"


# ---------------------------------------------------------------- the samples in tests/events

def _shape(value, depth=0):
    """Keys (nested down to requestContext's parts) of an event, for comparing shapes."""
    if isinstance(value, dict) and depth < 3:
        return {k: _shape(v, depth + 1) for k, v in value.items() if k not in ("headers", "multiValueHeaders")}
    return type(value).__name__


def test_the_sample_events_are_what_the_gateway_builds():
    """tests/events/*.json feed the in-process tests; they must stay the local stack's shapes."""
    with mock_aws():
        stack = build_stack(boto3.Session(region_name="us-east-1"), parameters={"WidgetTokenSecret": "x" * 32})
    captured: dict[str, dict] = {}

    def capture(function_id: str, event: dict):
        captured["http" if "version" in event else event["requestContext"]["eventType"]] = event
        return {"statusCode": 200}

    async def traffic(base_url: str):
        async with httpx.AsyncClient() as http:
            await http.get(f"{base_url}/api/v1/profile")
        async with websockets.connect(base_url.replace("http", "ws") + "/ws?token=t") as socket:
            await socket.send('{"action": "heartbeat"}')
            await asyncio.sleep(0.1)

    with serve(Gateway(stack, capture).app) as base_url:
        asyncio.run(traffic(base_url))
        wait_for(lambda: "DISCONNECT" in captured)
    events = Path(ROOT / "tests" / "events")
    for kind, name in {"http": "http_api_v2", "CONNECT": "ws_connect", "MESSAGE": "ws_message",
                       "DISCONNECT": "ws_disconnect"}.items():
        assert _shape(json.loads((events / f"{name}.json").read_text())) == _shape(captured[kind]), name
