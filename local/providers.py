"""The messaging providers' APIs on the local stack: Twilio, Meta's WhatsApp Cloud API and
Telegram's Bot API have no local engine (moto has none of them), and a trial stack must
not reach the real ones. This is their stand-in, as moto is SES's (local/mail.py).

The runner sets PROVIDER_SANDBOX_URL for every function; parley/channels sends the
requests it would make to api.twilio.com, messaging.twilio.com, graph.facebook.com and
api.telegram.org to `<that URL>/<host>/<path>` instead (template.yaml never sets it, so on
AWS they go to the providers). The sandbox answers each call the way the provider's
documentation says it answers a successful one, checks what the provider would refuse
(missing fields, a send without a recipient), and keeps every message "sent", shown
newest first at /_local/providers (JSON at /_local/providers.json, with each send's time:
bench/campaigns.py reads a campaign's pacing from them).

Conventions of the stand-in (docs/local.md): any Twilio account SID and auth token own any
number and messaging service they name; a WhatsApp inbox's `phone_number_id` must be the
number's digits (Meta alone knows which number an id is); every WhatsApp Business account
has Meta's own starter template `hello_world` (approved, en_US), as a new one has on Meta,
plus `order_update` with one body parameter, so templated sends can be tried.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
import itertools
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

PATH = "/_local/providers"
SANDBOX_ENV = "PROVIDER_SANDBOX_URL"  # parley.settings.provider_sandbox_url
KEEP = 5000  # messages kept for the page (oldest dropped first)
TEMPLATES = [
    {"name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": "1000000000000001",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                    {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability "
                                             "to send a WhatsApp message notification from the Cloud API."},
                    {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}]},
    {"name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": "1000000000000002",
     "components": [{"type": "BODY", "text": "Hi! Your order {{1}} is on its way.",
                     "example": {"body_text": [["#1234"]]}}]},
]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status)


class ProviderSandbox:
    """What the providers were asked to send, and the answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: deque[dict] = deque(maxlen=KEEP)
        self._telegram_ids = itertools.count(1)  # message_id, unique however many the page keeps

    def _record(self, provider: str, sender: str, to: str, body: Any, provider_id: str) -> None:
        with self._lock:
            self.sent.appendleft({"provider": provider, "from": sender, "to": to, "body": body, "id": provider_id,
                                  "at": round(time.time(), 3)})

    # ------------------------------------------------------------ the endpoints

    async def handle(self, request: Request) -> Response:
        host, _, path = request.path_params["rest"].partition("/")
        raw = await request.body()
        handler = {"api.twilio.com": self._twilio, "messaging.twilio.com": self._twilio_messaging,
                   "graph.facebook.com": self._meta, "api.telegram.org": self._telegram}.get(host)
        if handler is None:
            return _error(404, f"The local stack has no stand-in for {host}")
        return handler(request, path, raw)

    def _twilio(self, request: Request, path: str, raw: bytes) -> Response:
        parts = path.split("/")  # 2010-04-01/Accounts/<sid>/<what>.json
        if len(parts) != 4 or parts[:2] != ["2010-04-01", "Accounts"]:
            return _error(404, "The requested resource was not found", code=20404)
        sid = parts[2]
        if parts[3] == "IncomingPhoneNumbers.json" and request.method == "GET":
            number = request.query_params.get("PhoneNumber") or ""
            listed = [{"sid": "PN" + uuid.uuid5(uuid.NAMESPACE_URL, number).hex, "account_sid": sid,
                       "phone_number": number}] if number else []
            return JSONResponse({"incoming_phone_numbers": listed})
        if parts[3] == "Messages.json" and request.method == "POST":
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            sender = form.get("From") or form.get("MessagingServiceSid")
            if not form.get("To") or not sender:
                return _error(400, "A 'To' phone number and a 'From' number or MessagingServiceSid are required",
                              code=21604)
            if not (form.get("Body") or "").strip() and "MediaUrl" not in form:
                return _error(400, "Message body is required", code=21602)
            message_sid = "SM" + uuid.uuid4().hex
            self._record("twilio", sender, form["To"], form.get("Body"), message_sid)
            return JSONResponse({"sid": message_sid, "account_sid": sid, "status": "queued", "to": form["To"],
                                 "from": form.get("From"), "body": form.get("Body")}, 201)
        return _error(404, "The requested resource was not found", code=20404)

    def _twilio_messaging(self, request: Request, path: str, raw: bytes) -> Response:
        parts = path.split("/")  # v1/Services/<sid>
        if len(parts) == 3 and parts[:2] == ["v1", "Services"] and request.method == "GET":
            account = _basic_user(request)
            return JSONResponse({"sid": parts[2], "account_sid": account, "friendly_name": "Local sandbox service"})
        return _error(404, "The requested resource was not found", code=20404)

    def _meta(self, request: Request, path: str, raw: bytes) -> Response:
        parts = path.split("/")  # v20.0/<id>[/messages|/message_templates]
        if len(parts) < 2 or not parts[1].isdigit():
            return _meta_error(400, "Unsupported request: the object does not exist")
        object_id = parts[1]
        if len(parts) == 2 and request.method == "GET":
            return JSONResponse({"id": object_id, "display_phone_number": f"+{object_id}"})
        if len(parts) == 3 and parts[2] == "message_templates" and request.method == "GET":
            return JSONResponse({"data": TEMPLATES, "paging": {"cursors": {"before": "", "after": ""}}})
        if len(parts) == 3 and parts[2] == "messages" and request.method == "POST":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _meta_error(400, "Invalid JSON")
            if not isinstance(body, dict) or not body.get("to") or body.get("type") not in ("text", "template"):
                return _meta_error(400, "(#100) The parameter to and a message type (text or template) are required")
            if body["type"] == "template":
                template = body.get("template") or {}
                known = {(t["name"], t["language"]) for t in TEMPLATES}
                if (template.get("name"), (template.get("language") or {}).get("code")) not in known:
                    return _meta_error(404, "(#132001) Template name does not exist in the translation")
            message_id = "wamid." + uuid.uuid4().hex
            shown = body.get("text", {}).get("body") if body["type"] == "text" else {"template": body.get("template")}
            self._record("whatsapp", f"+{object_id}", str(body["to"]), shown, message_id)
            return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                 "messages": [{"id": message_id}]})
        return _meta_error(400, "Unsupported request")

    def _telegram(self, request: Request, path: str, raw: bytes) -> Response:
        token, _, method = path.partition("/")
        if not token.startswith("bot"):
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        if method == "getMe":
            return JSONResponse({"ok": True, "result": {"id": 1, "is_bot": True, "username": "parley_local_bot"}})
        if method in ("setWebhook", "deleteWebhook"):
            return JSONResponse({"ok": True, "result": True})
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if not body.get("chat_id"):
                return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}, 400)
            with self._lock:
                number = next(self._telegram_ids)
            self._record("telegram", token[3:].split(":")[0], str(body["chat_id"]), body.get("text") or body.get("caption"),
                         str(number))
            return JSONResponse({"ok": True, "result": {"message_id": number, "chat": {"id": body["chat_id"]}}})
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    # ------------------------------------------------------------ what was sent

    def snapshot(self) -> dict:
        with self._lock:
            return {"messages": list(self.sent)}

    async def page(self, request: Request) -> Response:
        if request.url.path.endswith(".json"):
            return JSONResponse(self.snapshot(), headers={"Cache-Control": "no-store"})
        shown = self.snapshot()
        lines = [f"Messages the providers' stand-ins accepted since the stack started ({len(shown['messages'])}, "
                 "newest first). Nothing left this machine.", ""]
        for m in shown["messages"]:
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(m["at"]))
            lines.append(f"{at}Z  {m['provider']:9} {m['from']} -> {m['to']}  {json.dumps(m['body'])[:300]}")
        return PlainTextResponse("\n".join(lines) + "\n",
                                 headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _meta_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "OAuthException", "code": 100}}, status)


def _basic_user(request: Request) -> str:
    import base64

    header = request.headers.get("authorization") or ""
    if not header.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(header[6:]).decode("utf-8", "replace").partition(":")[0]
    except ValueError:
        return ""
