"""The captain function's HTTP door: the routes API Gateway sends here rather than to
HttpApi's `{proxy+}` (the most specific route wins: template.yaml) — the playground
(playground.py) and the copilot (copilot.py). A request is authenticated and its body
validated as HttpApi's are (unknown keys, wrong types, not JSON: 422; too large: 413); a
ParleyError is its status and body; anything else a 500 that is logged. Imported on a
request's first use only (app.lambda_handler)."""
from __future__ import annotations

import base64
import json
import re
from typing import Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from parley import audit, permissions
from parley.auth import authenticate
from parley.errors import Invalid, NotFound, ParleyError, PayloadTooLarge

MAX_BODY = 256 * 1024  # the playground's history: 20 turns of 4,000 characters
ACCOUNT = r"^/api/v1/accounts/(?P<account_id>[^/]+)/captain"
# As HttpApi's routes answer (functions/http_api/app.py CORSConfig): auth is by header, so
# any origin may call.
CORS = {"access-control-allow-origin": "*"}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse(model: type[Body], data: dict) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "code": e["type"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise Invalid(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors) from None


def path_id(value) -> int:
    value = str(value)
    if not value.isdigit() or len(value) > 18:
        raise NotFound()
    return int(value)


class Request:
    def __init__(self, event: dict, params: dict):
        self.event, self.params = event, params
        self.headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        self._caller = None

    @property
    def caller(self):
        if self._caller is None:
            self._caller = authenticate(self.headers.get("api_access_token"))
            audit.acting(self._caller.user, platform_app_id=self._caller.platform_app_id)
        return self._caller

    def member(self):
        """The path's account id and the caller's membership (404 for a non-member)."""
        account_id = path_id(self.params["account_id"])
        return account_id, permissions.account_member(self.caller, account_id)

    def body(self, model: type[Body]) -> Body:
        raw = self.event.get("body") or ""
        data = base64.b64decode(raw) if self.event.get("isBase64Encoded") else raw.encode()
        if len(data) > MAX_BODY:
            raise PayloadTooLarge(f"Request body is larger than {MAX_BODY} bytes")
        try:
            parsed = json.loads(data) if data.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise Invalid("Request body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise Invalid("Request body must be a JSON object")
        return parse(model, parsed)

    def query(self, model: type[Body]) -> Body:
        return parse(model, dict(self.event.get("queryStringParameters") or {}))


Route = tuple[re.Pattern, dict[str, Callable[[Request], dict]]]


def _path(event: dict) -> str:
    http = (event.get("requestContext") or {}).get("http") or {}
    path = event.get("rawPath") or http.get("path") or ""
    return path.rstrip("/") if len(path) > 1 else path


def _json(status: int, body: dict, headers: dict | None = None) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json", **CORS, **(headers or {})},
            "body": json.dumps(body)}


def dispatch(event: dict, routes: list[Route], logger=None) -> dict:
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = str(http.get("method") or "").upper(), _path(event)
    with audit.request(http.get("sourceIp"), (event.get("requestContext") or {}).get("requestId")):
        try:
            for pattern, methods in routes:
                found = pattern.match(path)
                if found is None:
                    continue
                if method == "OPTIONS":
                    return {"statusCode": 204, "headers": {
                        **CORS, "access-control-allow-methods": ", ".join(methods),
                        "access-control-allow-headers": "api_access_token, Content-Type"}}
                if method not in methods:
                    return _json(405, {"error": "Method not allowed", "description": "Method not allowed",
                                       "errors": []}, {"allow": ", ".join(methods)})
                return _json(200, methods[method](Request(event, found.groupdict())))
            raise NotFound("Not found")
        except ParleyError as exc:
            retry = getattr(exc, "retry_after", None)
            return _json(exc.status, exc.body(), {"Retry-After": str(retry)} if retry is not None else None)
        except Exception:
            if logger is not None:
                logger.exception("captain request failed")
            return _json(500, {"error": "Something went wrong", "description": "Something went wrong", "errors": []})
