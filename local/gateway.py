"""API Gateway and CloudFront on one port.

- HTTP requests become HTTP API payload 2.0 events for the function whose HttpApi route
  matches (template.yaml's Events), and its answer becomes the HTTP response.
- `/ws` is the WebSocket API: $connect / $default (or a route picked by the route
  selection expression) / $disconnect events for the functions the template's routes name.
- `/@connections/{id}` is the management API that the real boto3 `apigatewaymanagementapi`
  client reaches with `endpoint_url=WEBSOCKET_ENDPOINT` (410 GoneException for a gone socket).
- Files under frontend/dist are served the way CloudFront serves the frontend bucket, and
  every answer gets the headers of its CloudFront behavior (template.yaml's policies).

Handlers run through `invoke(function_id, event)` on a thread of the gateway's own pool
(as many as requests in flight, not asyncio's default of cores + 4), so the event loop
never waits for one and the runtime's containers, not threads, bound the concurrency.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .cfn import ACCOUNT, EdgeBehavior, HttpRoute, Stack
from .providers import PATH as PROVIDERS_PATH
from .runtime import FunctionTimeout
from .usage import Tally

HTTP_API_ID = "localhttp0"
WEBSOCKET_API_ID = "localwsapi"
MAX_POST_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# HTTP APIs hand the body over as text only for these; everything else (forms included)
# arrives base64-encoded.
TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
MAIL_PATH = "/_local/mail"  # what the stack "sent" (local/mail.py): no mailbox receives it locally
USAGE_PATH = "/_local/usage"  # what AWS would bill so far (local/usage.py), as JSON
WS_MESSAGE_CHUNK = 32 * 1024  # WebSocket APIs meter messages in 32 KB increments
HOP_BY_HOP = {"connection", "keep-alive", "upgrade", "te", "transfer-encoding", "proxy-connection"}  # not forwarded

Invoke = Callable[[str, Any], Any]


def aws_id() -> str:
    """An id shaped like API Gateway's connection and request ids ("L0SM9cOFvHcCIhw=")."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(15)) + "="


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def _request_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- HTTP API

def _route_pattern(path: str) -> re.Pattern:
    parts = []
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{") and piece.endswith("+}"):
            parts.append(f"(?P<{piece[1:-2]}>.+)")
        elif piece.startswith("{"):
            parts.append(f"(?P<{piece[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts) + "$")


def match_route(routes: list[HttpRoute], method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
    """API Gateway's choice: the most specific matching route (literal text beats a
    variable, a method beats ANY), else `$default`."""
    best, best_rank, params = None, None, {}
    for route in routes:
        if route.path is None or route.method not in ("ANY", method):
            continue
        found = _route_pattern(route.path).match(path)
        if not found:
            continue
        rank = (len(re.sub(r"\{[^}]+\}", "", route.path)), "+}" not in route.path, route.method != "ANY")
        if best_rank is None or rank > best_rank:
            best, best_rank, params = route, rank, {k: unquote(v) for k, v in found.groupdict().items()}
    if best is None:
        best = next((r for r in routes if r.path is None), None)
    return (best, params) if best else None


def _text_body(body: bytes, content_type: str) -> str | None:
    """The body as text if an HTTP API would pass it as text, else None (base64 it)."""
    media = content_type.split(";")[0].strip().lower()
    if not (media.startswith("text/") or media in TEXT_TYPES):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def http_event(request: Request, body: bytes, route: HttpRoute, path_parameters: dict[str, str]) -> dict:
    """The payload 2.0 event API Gateway sends for this request."""
    now = time.time()
    source_ip = request.client.host if request.client else "127.0.0.1"
    headers: dict[str, str] = {}
    for key, value in request.headers.raw:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        if name not in HOP_BY_HOP:
            headers[name] = f"{headers[name]},{text}" if name in headers else text
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    forwarded = headers.get("x-forwarded-for")
    headers.update({
        "x-forwarded-for": f"{forwarded}, {source_ip}" if forwarded else source_ip,
        "x-forwarded-port": str(request.url.port or 80),
        "x-forwarded-proto": request.url.scheme,
        "x-amzn-trace-id": _trace_id(now),
    })
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    raw_query = request.scope.get("query_string", b"").decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    domain = request.url.hostname or "localhost"

    event: dict[str, Any] = {"version": "2.0", "routeKey": route.route_key, "rawPath": raw_path,
                             "rawQueryString": raw_query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ACCOUNT,
        "apiId": HTTP_API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {"method": request.method, "path": raw_path, "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
                 "sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
        "requestId": aws_id(),
        "routeKey": route.route_key,
        "stage": "$default",
        "time": _request_time(now),
        "timeEpoch": int(now * 1000),
    }
    text = _text_body(body, headers.get("content-type", "")) if body else None
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["isBase64Encoded"] = bool(body) and text is None
    return event


def http_response(result: Any, request_id: str) -> Response:
    """What API Gateway makes of a payload 2.0 response."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # 2.0 treats anything without a statusCode as a 200 JSON body.
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(body, 200, media_type="application/json", headers={"apigw-requestid": request_id})
    raw_body = result.get("body") or ""
    content = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    response = Response(content, int(result["statusCode"]))
    # 2.0 has no multiValueHeaders; repeated values are comma-joined, cookies are a list.
    extra = [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() != "content-length"]
    extra += [("set-cookie", cookie) for cookie in result.get("cookies") or []]
    extra.append(("apigw-requestid", request_id))
    response.raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra]
    return response


# ---------------------------------------------------------------- WebSocket API

@dataclass
class Socket:
    websocket: WebSocket
    connected_at: float
    source_ip: str
    user_agent: str
    last_active_at: float = field(default_factory=time.time)
    accepted: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, data: bytes) -> None:
        try:
            await self.websocket.send_text(data.decode("utf-8"))
        except UnicodeDecodeError:
            await self.websocket.send_bytes(data)
        self.last_active_at = time.time()


def _log_frame(connection_id: str, route_key: str, outcome: Any, began: float) -> None:
    """One line per WebSocket frame, beside uvicorn's one per HTTP request (frames are
    invisible there): which socket, which route, what the function answered, how long."""
    print(f"WS:       {connection_id} {route_key} -> {outcome} in {(time.perf_counter() - began) * 1000:.0f} ms",
          flush=True)


def _with_edge_headers(response: Response, behavior: EdgeBehavior | None) -> Response:
    """Add what the behavior's CloudFront ResponseHeadersPolicy adds (template.yaml)."""
    for name, (value, override) in (behavior.headers if behavior else {}).items():
        if override or name.lower() not in response.headers:
            response.headers[name] = value
    return response


def _header_case(name: str) -> str:
    """WebSocket events keep the client's header casing; browsers send these forms."""
    return "-".join(p.capitalize() for p in name.split("-")).replace("Websocket", "WebSocket")


def _gone(connection_id: str) -> Response:
    return JSONResponse({"message": f"Connection {connection_id} is gone"}, 410,
                        headers={"x-amzn-errortype": "GoneException"})


class Gateway:
    def __init__(self, stack: Stack, invoke: Invoke, static_dir: Path | None = None,
                 demo_page: Callable[[str | None], str] | None = None, s3: Any = None,
                 mail_page: Callable[[], str] | None = None, usage: Callable[[], dict] | None = None,
                 providers: Any = None):
        self.stack = stack
        self.usage = usage  # the other services' metering; the gateway meters API Gateway itself
        self.metered = Tally()
        self.invoke = invoke
        self.demo_page = demo_page
        self.mail_page = mail_page
        self.providers = providers
        self.static_dir = static_dir.resolve() if static_dir and static_dir.is_dir() else None
        self.sockets: dict[str, Socket] = {}
        self._threads = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="gateway")
        self.app = Starlette(routes=[
            Route("/@connections/{connection_id:path}", self.connections, methods=["GET", "POST", "DELETE"]),
            WebSocketRoute("/ws", self.websocket),
            Route("/demo", self.demo, methods=["GET"]),
            Route(MAIL_PATH, self.mail, methods=["GET"]),
            Route(USAGE_PATH, self.usage_page, methods=["GET"]),
            # The messaging providers' stand-ins (local/providers.py): their API calls and what was sent.
            *([Route(f"{PROVIDERS_PATH}/{{rest:path}}", providers.handle, methods=["GET", "POST", "DELETE"]),
               Route(PROVIDERS_PATH, providers.page, methods=["GET"]),
               Route(f"{PROVIDERS_PATH}.json", providers.page, methods=["GET"])] if providers is not None else []),
            # Presigned S3 uploads and downloads (local/s3.py), when the stack has S3.
            *([Route("/s3/{path:path}", s3.asgi, methods=["GET", "HEAD", "POST"])] if s3 is not None else []),
            Route("/{path:path}", self.http, methods=METHODS),
        ])

    async def _invoke(self, function_id: str, event: dict) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self.invoke, function_id, event)

    # ------------------------------------------------------------ HTTP

    async def http(self, request: Request) -> Response:
        path = request.url.path
        behavior = self.stack.edge_behavior(path)
        return _with_edge_headers(await self._origin(request, behavior is None or not behavior.to_api), behavior)

    async def _origin(self, request: Request, bucket_first: bool) -> Response:
        path = request.url.path
        if bucket_first and request.method in ("GET", "HEAD") and (static := self.static(path)) is not None:
            return static
        found = match_route(self.stack.http_routes, request.method, path)
        if found is None:
            return JSONResponse({"message": "Not Found"}, 404)
        route, params = found
        self.metered.add("http_requests")
        event = http_event(request, await request.body(), route, params)
        request_id = event["requestContext"]["requestId"]
        try:
            return http_response(await self._invoke(route.function_id, event), request_id)
        except FunctionTimeout:  # what an HTTP API answers when its Lambda integration times out
            return JSONResponse({"message": "Service Unavailable"}, 503, headers={"apigw-requestid": request_id})
        except Exception:  # the handler raised, or answered something API Gateway rejects
            return JSONResponse({"message": "Internal Server Error"}, 500, headers={"apigw-requestid": request_id})

    async def demo(self, request: Request) -> Response:
        """A stand-in customer page (local only: on AWS it is the customer's own site)."""
        if self.demo_page is None:
            return JSONResponse({"message": "Not Found"}, 404)
        return HTMLResponse(self.demo_page(request.query_params.get("with")))

    async def mail(self, request: Request) -> Response:
        """The mail SES (moto) accepted (local only: on AWS it reaches real mailboxes)."""
        if self.mail_page is None:
            return JSONResponse({"message": "Not Found"}, 404)
        text = await asyncio.to_thread(self.mail_page)
        return PlainTextResponse(text, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    def api_gateway_usage(self) -> dict[str, float]:
        """HTTP API requests, WebSocket messages (in and pushed out, per 32 KB), connections
        and connection minutes (the open sockets' time so far included)."""
        counts = self.metered.snapshot()
        now = time.time()
        open_ms = sum((now - s.connected_at) * 1000 for s in list(self.sockets.values()))
        counts["ws_connection_minutes"] = (counts.pop("ws_connection_ms", 0) + open_ms) / 60_000
        return counts

    async def usage_page(self, request: Request) -> Response:
        """What AWS would bill for the work done since the start (local only)."""
        others = await asyncio.to_thread(self.usage) if self.usage is not None else {}
        return JSONResponse({"apigateway": self.api_gateway_usage(), **others}, headers={"Cache-Control": "no-store"})

    def static(self, path: str) -> Response | None:
        """The frontend bucket behind CloudFront: template.yaml's FrontendRoutingFunction
        maps `/` and `/app/*` (the dashboard) to its file; other paths are files as they
        are. Not a file: the API answers (CloudFront sends only its API path patterns
        there, the API's own endpoint sends it everything)."""
        if path in ("/", "/app") or path.startswith("/app/"):
            key = "index.html"
        else:
            key = path.lstrip("/")
        if self.static_dir is None:
            return HTMLResponse(NOT_BUILT) if key.endswith("index.html") else None
        wanted = (self.static_dir / key).resolve()
        if wanted.is_relative_to(self.static_dir) and wanted.is_file():
            return FileResponse(wanted)
        return None

    # ------------------------------------------------------------ WebSocket

    def _ws_context(self, websocket: WebSocket, connection_id: str, route_key: str, event_type: str,
                    connected_at: float) -> dict:
        now = time.time()
        request_id = aws_id()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.stack.websocket.stage,
            "connectedAt": int(connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": websocket.client.host if websocket.client else "127.0.0.1",
                         "userAgent": websocket.headers.get("user-agent", "")},
            "requestId": request_id,
            "domainName": websocket.url.hostname or "localhost",
            "connectionId": connection_id,
            "apiId": WEBSOCKET_API_ID,
        }

    def connect_event(self, websocket: WebSocket, connection_id: str, connected_at: float) -> dict:
        multi: dict[str, list[str]] = {}
        for key, value in websocket.headers.raw:
            if key.decode("latin-1").lower() not in HOP_BY_HOP:
                multi.setdefault(_header_case(key.decode("latin-1")), []).append(value.decode("latin-1"))
        source_ip = websocket.client.host if websocket.client else "127.0.0.1"
        multi["X-Amzn-Trace-Id"] = [_trace_id(connected_at)]
        multi.setdefault("X-Forwarded-For", []).append(source_ip)
        multi["X-Forwarded-Port"] = [str(websocket.url.port or 80)]
        multi["X-Forwarded-Proto"] = [websocket.url.scheme.replace("ws", "http")]
        event: dict[str, Any] = {"headers": {k: ",".join(v) for k, v in multi.items()}, "multiValueHeaders": multi}
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(websocket.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            query.setdefault(key, []).append(value)
        if query:
            event["queryStringParameters"] = {k: v[-1] for k, v in query.items()}
            event["multiValueQueryStringParameters"] = query
        event["requestContext"] = self._ws_context(websocket, connection_id, "$connect", "CONNECT", connected_at)
        event["isBase64Encoded"] = False
        return event

    def _route_for(self, text: str | None) -> str:
        """The route selection expression ($request.body.action) picks a route by the
        frame's field when that route exists; everything else goes to $default."""
        field_name = self.stack.websocket.selection_field
        if not (field_name and text):
            return "$default"
        try:
            frame = json.loads(text)
        except ValueError:
            return "$default"
        key = frame.get(field_name) if isinstance(frame, dict) else None
        routes = self.stack.websocket.routes
        return key if isinstance(key, str) and key in routes and not key.startswith("$") else "$default"

    async def websocket(self, websocket: WebSocket) -> None:
        api = self.stack.websocket
        if api is None:
            await websocket.close(1008)
            return
        connection_id, connected_at = aws_id(), time.time()
        if "$connect" in api.routes:
            began = time.perf_counter()
            try:
                result = await self._invoke(api.routes["$connect"], self.connect_event(websocket, connection_id, connected_at))
                status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
            except Exception:
                status = 500
            _log_frame(connection_id, "$connect", status, began)
            if not 200 <= status < 300:
                # A non-2xx from $connect refuses the handshake with that status.
                await websocket.send_denial_response(Response(status_code=status))
                return
        socket = Socket(websocket, connected_at, websocket.client.host if websocket.client else "127.0.0.1",
                        websocket.headers.get("user-agent", ""))
        self.sockets[connection_id] = socket
        self.metered.add("ws_connections")
        close_code, reason = 1006, ""
        try:
            await websocket.accept()
            socket.accepted.set()
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code, reason = message.get("code", 1005), message.get("reason") or ""
                    break
                socket.last_active_at = time.time()
                await self._on_frame(websocket, socket, connection_id, message)
        except WebSocketDisconnect as exc:
            close_code, reason = exc.code, exc.reason or ""
        finally:
            self.sockets.pop(connection_id, None)
            self.metered.add("ws_connection_ms", (time.time() - connected_at) * 1000)
            if "$disconnect" in api.routes:
                context = self._ws_context(websocket, connection_id, "$disconnect", "DISCONNECT", connected_at)
                context.update(disconnectStatusCode=close_code, disconnectReason=reason)
                host = websocket.headers.get("host", "")
                event = {"headers": {"Host": host}, "multiValueHeaders": {"Host": [host]},
                         "requestContext": context, "isBase64Encoded": False}
                try:
                    await self._invoke(api.routes["$disconnect"], event)
                except Exception:
                    pass  # already logged by the runtime; the socket is gone either way

    async def _on_frame(self, websocket: WebSocket, socket: Socket, connection_id: str, message: dict) -> None:
        api = self.stack.websocket
        text = message.get("text")
        size = len(text.encode()) if text is not None else len(message.get("bytes") or b"")
        self.metered.add("ws_messages", max(1, -(-size // WS_MESSAGE_CHUNK)))
        route_key = self._route_for(text)
        context = self._ws_context(websocket, connection_id, route_key, "MESSAGE", socket.connected_at)
        context["messageId"] = aws_id()
        if route_key not in api.routes:
            await socket.send(json.dumps({"message": "Forbidden", "connectionId": connection_id,
                                          "requestId": context["requestId"]}).encode())
            return
        if text is not None:
            event = {"requestContext": context, "body": text, "isBase64Encoded": False}
        else:
            event = {"requestContext": context, "body": base64.b64encode(message.get("bytes") or b"").decode(),
                     "isBase64Encoded": True}
        began = time.perf_counter()
        try:
            result = await self._invoke(api.routes[route_key], event)
        except Exception as exc:
            _log_frame(connection_id, route_key, type(exc).__name__, began)
            await socket.send(json.dumps({"message": "Internal server error", "connectionId": connection_id,
                                          "requestId": context["requestId"]}).encode())
            return
        _log_frame(connection_id, route_key, result.get("statusCode") if isinstance(result, dict) else "-", began)
        # Without a RouteResponse API Gateway drops what the handler returns.
        if route_key in api.two_way and isinstance(result, dict) and result.get("body"):
            body = result["body"]
            data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
            self.metered.add("ws_messages", max(1, -(-len(data) // WS_MESSAGE_CHUNK)))
            await socket.send(data)

    # ------------------------------------------------------------ @connections

    async def connections(self, request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        socket = self.sockets.get(connection_id)
        if socket is not None and not socket.accepted.is_set():
            # $connect has succeeded and the handshake is finishing: wait for it.
            try:
                await asyncio.wait_for(socket.accepted.wait(), 5)
            except asyncio.TimeoutError:
                socket = None
        if socket is None or connection_id not in self.sockets:
            return _gone(connection_id)
        if request.method == "GET":
            return JSONResponse({"connectedAt": _iso(socket.connected_at),
                                 "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent},
                                 "lastActiveAt": _iso(socket.last_active_at)})
        if request.method == "DELETE":
            await socket.websocket.close(1000)
            return Response(status_code=204)
        data = await request.body()
        if len(data) > MAX_POST_BYTES:
            return JSONResponse({"message": "Message too long"}, 413, headers={"x-amzn-errortype": "PayloadTooLargeException"})
        try:
            await socket.send(data)
        except Exception:  # the client went away between lookup and send
            return _gone(connection_id)
        self.metered.add("ws_messages", max(1, -(-len(data) // WS_MESSAGE_CHUNK)))
        return Response(status_code=200)


NOT_BUILT = """<!doctype html>
<title>Parley</title>
<p>Parley's API is running, but the frontend is not built: run <code>make frontend</code>
(or <code>make dev</code>, which builds it) to get the dashboard here.</p>
"""
