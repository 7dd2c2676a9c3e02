"""Helpers for Captain's answering tests: an assistant answering in an inbox with approved
FAQs, the CaptainQueue drained into the real captain function, and a scripted
OpenAI-compatible server (a real HTTP server on 127.0.0.1, reached through the real
adapter because the account's provider settings allow that private address, as an
administrator does for a self-hosted model)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.integration.channel_support import drain, logged

FAQS = [
    ("How do I reset my password?", "Open Settings, then Security, and choose Reset password."),
    ("Can I get a refund for my order?", "Refunds are possible within 30 days of delivery."),
    ("Where do you ship to?", "We ship to every country in the European Union."),
]


def base(world) -> str:
    return f"/api/v1/accounts/{world.account_id}"


def make_assistant(api, world, inbox_id: int, *, config: dict | None = None, faqs=FAQS, **fields) -> dict:
    """An assistant (through the API), linked to the inbox, with approved FAQs."""
    from parley.services.captain import knowledge

    knowledge.forget()
    reply = api.post(f"{base(world)}/captain/assistants", world.admin.token, body={
        "name": "Ava", "description": "Acme's assistant", "config": {"product_name": "Acme", **(config or {})},
        **fields})
    assert reply.status == 200, reply.json
    assistant = reply.json
    linked = api.post(f"{base(world)}/captain/assistants/{assistant['id']}/inboxes", world.admin.token,
                      body={"inbox_id": inbox_id})
    assert linked.status == 200, linked.json
    for question, answer in faqs:
        made = api.post(f"{base(world)}/captain/assistant_responses", world.admin.token,
                        body={"question": question, "answer": answer, "assistant_id": assistant["id"]})
        assert made.status == 200, made.json
    return assistant


def run_captain(rounds: int = 3) -> list[dict]:
    """What Lambda's SQS poller hands the captain function (its own messages come back as
    events too, and are dropped)."""
    return drain("CaptainQueue", "captain", rounds=rounds)


def messages(api, world, conversation_id: int) -> list[dict]:
    reply = api.get(f"{base(world)}/conversations/{conversation_id}/messages", world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json["payload"]


def captain_messages(api, world, conversation_id: int) -> list[dict]:
    return [m for m in messages(api, world, conversation_id) if m.get("sender_type") == "captain_assistant"]


def activities(api, world, conversation_id: int) -> list[dict]:
    return [m for m in messages(api, world, conversation_id) if m["message_type"] == 2]


def conversation(api, world, conversation_id: int) -> dict:
    reply = api.get(f"{base(world)}/conversations/{conversation_id}", world.admin.token)
    assert reply.status == 200, reply.json
    return reply.json


def internal(world, name: str) -> list[dict]:
    return logged(world.account_id, name)


def use_provider(api, world, **settings) -> None:
    reply = api.patch(f"{base(world)}/captain/provider", world.admin.token, body=settings)
    assert reply.status == 200, reply.json


# ---------------------------------------------------------------- a scripted OpenAI-compatible server

def tool_reply(answer: str, *, can_help=True, cited=("S1",), handoff=False, language="en", usage=(120, 30)) -> dict:
    """/chat/completions answering through the `reply` tool."""
    arguments = json.dumps({"answer": answer, "can_help": can_help, "cited_ids": list(cited),
                            "handoff_requested": handoff, "language": language})
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "reply", "arguments": arguments}}]}}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}}


class ModelServer:
    """A real HTTP server on 127.0.0.1 that answers /v1/chat/completions from a script:
    each answer is (status, body) or (status, body, headers) or a callable taking the
    request's JSON and returning one of those; the last answer repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                server.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                answer = server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
                if callable(answer):
                    answer = answer(body)
                status, payload, headers = (tuple(answer) + ({},))[:3]
                if isinstance(payload, (int, float)) and status == "sleep":
                    time.sleep(payload)
                    return
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in {"content-type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *answers) -> None:
        self.answers = list(answers)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def system_prompts(self) -> list[str]:
        return [next((m.get("content") for m in r["body"].get("messages", []) if m.get("role") == "system"), "")
                for r in self.requests]
