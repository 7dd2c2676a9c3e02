"""The AWS endpoint of the local stack, in the runner's process: the worker processes reach
it over HTTP through AWS_ENDPOINT_URL (DynamoDB has its own, DynamoDB Local).

A JSON-protocol request whose X-Amz-Target names an engine of the runner's own (SQS:
local/queues.py; EventBridge PutEvents: local/bus.py) goes to it; everything else
(S3, SES, Scheduler, EventBridge's management calls) to moto's server mode.

Every moto request runs under one lock: moto's backends are not thread-safe, and the runner's
own direct reads of them (the mail page, the queue journal) take the same lock. After each
request the `after_request` hooks run, still under the lock and before the answer leaves:
that is where the queue journal makes an accepted message durable. `activity` is notified
after every request that may have changed something, so pollers wake at once.
"""
from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

HOST = "127.0.0.1"
# An engine answers one JSON-protocol call: (operation, request body) -> (status, body) or
# (status, body, extra headers), or None to let moto answer it (the bus takes only PutEvents).
Engine = Callable[[str, dict], "tuple | None"]


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: the workers make thousands."""

    def log_request(self, code="-", size="-") -> None:
        pass


class MotoServer:
    def __init__(self, port: int = 0):
        self.lock = threading.RLock()
        self.activity = threading.Condition()
        self.changes = 0  # requests that may have changed state; pollers wait on it
        self.after_request: list[Callable[[], None]] = []
        self.engines: dict[str, Engine] = {}  # X-Amz-Target prefix ("AmazonSQS") -> engine
        self.calls: dict[str, int] = {}  # "sqs.SendMessage" -> count (the cost benchmark reads it)
        self._calls_lock = threading.Lock()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(HOST, port, self._app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_address[1]
        self.endpoint = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def _app(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        prefix, _, operation = (environ.get("HTTP_X_AMZ_TARGET") or "").partition(".")
        engine = self.engines.get(prefix)
        if engine is not None:
            return self._engine_call(engine, prefix, operation, environ, start_response)
        return self._moto_call(environ, start_response)

    def _count(self, name: str) -> None:
        with self._calls_lock:  # the server's threads count at once: no count may be lost
            self.calls[name] = self.calls.get(name, 0) + 1

    def _engine_call(self, engine: Engine, prefix: str, operation: str, environ: dict,
                     start_response: Callable) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            request = None
        extra = None
        if not isinstance(request, dict):
            status, body = 400, {"__type": "SerializationException", "message": "the body is not a JSON object"}
        else:
            answer = engine(operation, request)
            if answer is None:
                environ["wsgi.input"] = io.BytesIO(raw)
                return self._moto_call(environ, start_response)
            status, body, *rest = answer
            extra = rest[0] if rest else None
        self._count(f"{prefix}.{operation}")
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))]
        if extra is not None:
            headers += extra
        elif status >= 400 and "__type" in body:
            # SQS's JSON protocol also names the error as the query protocol did.
            headers.append(("x-amzn-query-error", f"{body['__type'].rsplit('#', 1)[-1]};Sender"))
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
        return [data]

    def _moto_call(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        self._count(environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')[:40]}")
        answer: list = []

        def keep(status, headers, exc_info=None):
            answer[:] = [status, headers, exc_info]

        with self.lock:
            result = self._moto(environ, keep)
            try:
                body = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
            for hook in self.after_request:
                hook()
        if environ.get("REQUEST_METHOD") != "GET":
            with self.activity:
                self.changes += 1
                self.activity.notify_all()
        start_response(*answer)
        return [body]

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until a request after `seen` may have changed state (or `timeout`)."""
        with self.activity:
            self.activity.wait_for(lambda: self.changes != seen, timeout)
            return self.changes
