"""The OpenAI-compatible provider against scripted servers: httpx.MockTransport behind the
real outbound guard and pinning, and a real HTTP server on 127.0.0.1 (reachable only because
the test allows that private host, as an administrator does for a self-hosted model)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from parley.llm.factory import provider_for
from parley.llm.openai_compatible import OpenAICompatible, Timeouts
from parley.llm.port import ProviderError, Tool, Turn

PUBLIC = "93.184.216.34"
KEY = "sk-test-NEVER-LEAK-0123456789"
REPLY = Tool("reply", "Answer the customer", {"type": "object", "properties": {"answer": {"type": "string"},
                                                                               "can_help": {"type": "boolean"}},
                                               "required": ["answer", "can_help"]})
TURNS = [Turn("user", "How do I reset my password?")]


def tool_answer(arguments, usage=(120, 30)) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "reply", "arguments": arguments}}]}}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}}


def text_answer(text: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


class Script:
    """A MockTransport answering from a list of (status, body, headers); the last repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = (answer + ({},))[:3] if len(answer) == 2 else answer
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def provider(script: Script, base="https://api.example.com/v1", key=KEY, fake: FakeTime | None = None, **kw):
    fake = fake or FakeTime()
    return OpenAICompatible(base, key, "gpt-test", kw.pop("embedding_model", "embed-test"),
                            transport=httpx.MockTransport(script), resolver=lambda host, port: [PUBLIC],
                            sleep=fake.sleep, clock=fake.clock, **kw)


def test_structured_answer_through_the_forced_tool():
    script = Script((200, tool_answer('{"answer": "Use the reset link.", "can_help": true}')))
    result = provider(script).complete(system="Be brief.", turns=TURNS, tool=REPLY, temperature=0.1, max_tokens=300)
    assert result.tool_input == {"answer": "Use the reset link.", "can_help": True}
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 30)
    sent = script.bodies[0]
    assert sent["model"] == "gpt-test" and sent["temperature"] == 0.1 and sent["max_tokens"] == 300
    assert sent["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "How do I reset my password?"}]
    assert sent["tools"][0]["function"]["name"] == "reply"
    assert sent["tools"][0]["function"]["parameters"] == REPLY.schema
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "reply"}}
    request = script.requests[0]
    assert str(request.url) == f"https://{PUBLIC}/v1/chat/completions"  # pinned to the checked address
    assert request.headers["host"] == "api.example.com"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_plain_text_answer_and_usage():
    script = Script((200, text_answer("Hello there")))
    result = provider(script).complete(system="", turns=[Turn("user", "hi"), Turn("assistant", "hey"),
                                                         Turn("user", "again")])
    assert result.text == "Hello there" and result.tool_input is None
    assert result.usage.input_tokens == 10 and "tools" not in script.bodies[0]
    assert [m["role"] for m in script.bodies[0]["messages"]] == ["user", "assistant", "user"]


def test_a_server_that_ignores_tool_choice_and_writes_the_object_as_text():
    script = Script((200, text_answer('{"answer": "ok", "can_help": false}')))
    assert provider(script).complete(system="s", turns=TURNS, tool=REPLY).tool_input == {"answer": "ok",
                                                                                          "can_help": False}


def test_429_then_success_honours_retry_after():
    fake = FakeTime()
    script = Script((429, {"error": {"message": "slow down"}}, {"Retry-After": "2"}), (200, text_answer("fine")))
    result = provider(script, fake=fake).complete(system="", turns=TURNS)
    assert result.text == "fine" and len(script.requests) == 2
    assert fake.sleeps and 2.0 <= fake.sleeps[0] <= 8.0


def test_429_forever_gives_up_in_bounded_time():
    fake = FakeTime()
    script = Script((429, {"error": "busy"}, {"Retry-After": "5"}))
    with pytest.raises(ProviderError) as caught:
        provider(script, fake=fake, timeouts=Timeouts(total=20.0)).complete(system="", turns=TURNS)
    assert caught.value.reason == "rate_limited"
    assert len(script.requests) == 3  # MAX_ATTEMPTS
    assert all(s <= 8.0 for s in fake.sleeps) and fake.now - 1000.0 <= 20.0  # total bounded


def test_a_retry_after_beyond_the_cap_is_reported_at_once_not_waited_for():
    fake = FakeTime()
    script = Script((429, {"error": "busy"}, {"Retry-After": "3600"}))
    with pytest.raises(ProviderError) as caught:
        provider(script, fake=fake).complete(system="", turns=TURNS)
    assert caught.value.reason == "rate_limited"
    assert len(script.requests) == 1 and fake.sleeps == []


def test_timeouts_are_retried_then_reported():
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError) as caught:
        provider(script).complete(system="", turns=TURNS)
    assert caught.value.reason == "timeout" and len(script.requests) == 3


def test_500_is_retried_then_unavailable_and_recovers_when_it_passes():
    with pytest.raises(ProviderError) as caught:
        provider(Script((500, b"oops"))).complete(system="", turns=TURNS)
    assert caught.value.reason == "unavailable"
    script = Script((503, b""), (200, text_answer("back")))
    assert provider(script).complete(system="", turns=TURNS).text == "back"


@pytest.mark.parametrize("body", [b"not json at all", b"[1, 2]", json.dumps({"choices": []}).encode(),
                                  json.dumps({"choices": [{"message": "text"}]}).encode(),
                                  json.dumps({"choices": [{"message": {"content": 42}}]}).encode()])
def test_garbage_is_a_bad_response(body):
    with pytest.raises(ProviderError) as caught:
        provider(Script((200, body))).complete(system="", turns=TURNS)
    assert caught.value.reason == "bad_response"


@pytest.mark.parametrize("arguments", ['{"answer": "unterminated', '["a", "list"]', '"a string"', "42", None])
def test_tool_arguments_that_are_not_a_json_object(arguments):
    script = Script((200, tool_answer(arguments)))
    with pytest.raises(ProviderError) as caught:
        provider(script).complete(system="", turns=TURNS, tool=REPLY)
    assert caught.value.reason == "bad_response" and len(script.requests) == 1  # not retried


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_not_retried_and_not_echoed(status):
    script = Script((status, {"error": {"message": f"Incorrect API key provided: {KEY[:8]}..."}}))
    with pytest.raises(ProviderError) as caught:
        provider(script).complete(system="", turns=TURNS)
    assert caught.value.reason == "refused" and len(script.requests) == 1
    assert KEY not in str(caught.value)


def test_an_error_message_echoing_the_key_is_scrubbed():
    script = Script((400, {"error": {"message": f"bad header Authorization: Bearer {KEY}"}}))
    with pytest.raises(ProviderError) as caught:
        provider(script).complete(system="", turns=TURNS)
    assert KEY not in str(caught.value) and "[FILTERED]" in caught.value.detail


def test_a_reasoning_model_gets_the_parameters_it_takes():
    script = Script((400, {"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                                                "Use 'max_completion_tokens' instead."}}),
                    (400, {"error": {"message": "Unsupported value: 'temperature' does not support 0.2"}}),
                    (200, text_answer("thought about it")))
    assert provider(script).complete(system="", turns=TURNS, max_tokens=300).text == "thought about it"
    first, second, third = script.bodies
    assert first["max_tokens"] == 300 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 300 and "max_tokens" not in second and second["temperature"] == 0.2
    assert "temperature" not in third and third["max_completion_tokens"] == 300


def test_other_client_errors():
    with pytest.raises(ProviderError) as caught:
        provider(Script((400, {"error": {"message": "tools are not supported by this model"}}))).complete(
            system="", turns=TURNS, tool=REPLY)
    assert caught.value.reason == "bad_response" and "tools are not supported" in caught.value.detail
    with pytest.raises(ProviderError) as caught:
        provider(Script((404, {"error": {"message": "model not found"}}))).complete(system="", turns=TURNS)
    assert caught.value.reason == "unavailable"


def test_an_endless_answer_is_cut_off():
    huge = b"{" + b" " * (9 * 1024 * 1024)
    with pytest.raises(ProviderError) as caught:
        provider(Script((200, huge))).complete(system="", turns=TURNS)
    assert caught.value.reason == "bad_response"


def test_private_base_urls_are_refused_unless_allowed():
    script = Script((200, text_answer("from inside")))
    for base in ("http://10.0.0.5:11434/v1", "http://127.0.0.1:8000/v1", "http://169.254.169.254/latest"):
        with pytest.raises(ProviderError) as caught:
            provider(script, base=base).complete(system="", turns=TURNS)
        assert caught.value.reason == "blocked"
    # A name resolving to a private address is refused the same way.
    inside = OpenAICompatible("http://ollama.corp:11434/v1", None, "llama3", transport=httpx.MockTransport(script),
                              resolver=lambda host, port: ["10.1.2.3"])
    with pytest.raises(ProviderError) as caught:
        inside.complete(system="", turns=TURNS)
    assert caught.value.reason == "blocked"
    assert not script.requests
    allowed = OpenAICompatible("http://ollama.corp:11434/v1", None, "llama3", transport=httpx.MockTransport(script),
                               resolver=lambda host, port: ["10.1.2.3"], allow_private_address=True)
    assert allowed.complete(system="", turns=TURNS).text == "from inside"
    assert "authorization" not in script.requests[0].headers  # no key, no header
    # The allowance is for private hosts: link-local (the metadata service) stays refused.
    metadata = OpenAICompatible("http://169.254.169.254/v1", None, "m", transport=httpx.MockTransport(script),
                                allow_private_address=True)
    with pytest.raises(ProviderError) as caught:
        metadata.complete(system="", turns=TURNS)
    assert caught.value.reason == "blocked" and len(script.requests) == 1


def test_azure_uses_the_api_key_header_and_keeps_the_api_version():
    script = Script((200, text_answer("azure")))
    azure = provider(script, base="https://acme.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21")
    assert azure.complete(system="", turns=TURNS).text == "azure"
    request = script.requests[0]
    assert request.headers["api-key"] == KEY and "authorization" not in request.headers
    assert request.url.path == "/openai/deployments/gpt4o/chat/completions"
    assert request.url.params["api-version"] == "2024-10-21"


def test_embeddings_in_order_and_checked():
    script = Script((200, {"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1, 0]}],
                           "usage": {"prompt_tokens": 4}}))
    assert provider(script).embed(["a", "b"]) == [[1.0, 0.0], [0.0, 1.0]]
    assert script.bodies[0] == {"model": "embed-test", "input": ["a", "b"]}
    assert script.requests[0].url.path == "/v1/embeddings"
    for bad in ({"data": [{"index": 0, "embedding": [1.0]}]}, {"data": [{"index": 0, "embedding": "x"},
                                                                         {"index": 1, "embedding": [1]}]},
                {"data": "nope"}):
        with pytest.raises(ProviderError) as caught:
            provider(Script((200, bad))).embed(["a", "b"])
        assert caught.value.reason == "bad_response"
    with pytest.raises(ProviderError) as caught:
        provider(script, embedding_model=None).embed(["a"])
    assert caught.value.reason == "unsupported"


def test_embeddings_count_the_servers_tokens_or_estimate_them():
    script = Script((200, {"data": [{"index": 0, "embedding": [1.0, 0.0]}], "usage": {"prompt_tokens": 7}}),
                    (200, {"data": [{"index": 0, "embedding": [1.0, 0.0]}]}))
    model = provider(script)
    done = model.embeddings(["reset my password"], query=True)
    assert (done.vectors, done.usage.input_tokens, done.usage.output_tokens, done.calls, done.model) == \
        ([[1.0, 0.0]], 7, 0, 1, "embed-test")
    # a server that reports no usage (some local ones): about 4 characters a token
    assert model.embeddings(["x" * 10]).usage.input_tokens == 3
    # batches of MAX_EMBED_BATCH: one call each, counted
    from parley.llm.openai_compatible import MAX_EMBED_BATCH
    texts = [f"t{i}" for i in range(MAX_EMBED_BATCH + 1)]
    batched = Script(*[(200, {"data": [{"index": i, "embedding": [1.0]} for i in range(n)],
                              "usage": {"prompt_tokens": n}}) for n in (MAX_EMBED_BATCH, 1)])
    done = provider(batched).embeddings(texts)
    assert (len(done.vectors), done.calls, done.usage.input_tokens) == (MAX_EMBED_BATCH + 1, 2, MAX_EMBED_BATCH + 1)
    assert [len(b["input"]) for b in batched.bodies] == [MAX_EMBED_BATCH, 1]


def test_the_factory_builds_each_provider():
    offline = provider_for({"provider": "offline"}, None)
    assert offline.name == "offline" and not offline.generates
    with pytest.raises(ProviderError) as caught:
        offline.complete(system="", turns=TURNS)
    assert caught.value.reason == "unsupported"
    with pytest.raises(ProviderError):
        offline.embed(["a"])
    script = Script((200, text_answer("built")))
    built = provider_for({"provider": "openai_compatible", "base_url": "https://api.example.com/v1",
                          "chat_model": "gpt-test"}, KEY, transport=httpx.MockTransport(script))
    assert built.name == "openai_compatible" and built.generates and KEY not in repr(built)
    with pytest.raises(ProviderError):
        provider_for({"provider": "openai_compatible", "base_url": "https://api.example.com/v1"}, None)
    bedrock = provider_for({"provider": "bedrock", "chat_model": "anthropic.claude-3-haiku-20240307-v1:0"}, None,
                           bedrock_client=object())
    assert bedrock.name == "bedrock" and bedrock.chat_model.startswith("anthropic.")


# ---------------------------------------------------------------- a real server on 127.0.0.1

class _Handler(BaseHTTPRequestHandler):
    behaviour: dict = {}

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.server.seen.append((self.path, dict(self.headers), body))
        mode = self.server.mode
        if mode == "slow":
            time.sleep(2.0)
        if mode == "busy":
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        if self.path.endswith("/embeddings"):
            answer = {"data": [{"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(body["input"])]}
        else:
            answer = tool_answer(json.dumps({"answer": "Real server says hi", "can_help": True}))
        raw = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.seen, server.mode = [], "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_real_local_server_reached_only_when_allowed(local_server):
    base = f"http://127.0.0.1:{local_server.server_address[1]}/v1"
    refused = OpenAICompatible(base, KEY, "llama3", "nomic-embed-text")
    with pytest.raises(ProviderError) as caught:
        refused.complete(system="", turns=TURNS, tool=REPLY)
    assert caught.value.reason == "blocked" and not local_server.seen
    allowed = provider_for({"provider": "openai_compatible", "base_url": base, "chat_model": "llama3",
                            "embedding_model": "nomic-embed-text", "allow_private_address": True}, KEY)
    result = allowed.complete(system="sys", turns=TURNS, tool=REPLY)
    assert result.tool_input == {"answer": "Real server says hi", "can_help": True}
    assert allowed.embed(["abc", "de"]) == [[3.0, 1.0], [2.0, 1.0]]
    path, headers, body = local_server.seen[0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == f"Bearer {KEY}"
    assert body["tool_choice"]["function"]["name"] == "reply"


def test_a_real_server_that_is_too_slow_or_always_busy_is_given_up_on_in_time(local_server):
    base = f"http://127.0.0.1:{local_server.server_address[1]}/v1"
    local_server.mode = "slow"
    slow = OpenAICompatible(base, None, "m", allow_private_address=True, timeouts=Timeouts(connect=1, read=0.3, total=1.0))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        slow.complete(system="", turns=TURNS)
    assert caught.value.reason == "timeout" and time.monotonic() - started < 1.8
    local_server.mode = "busy"
    busy = OpenAICompatible(base, None, "m", allow_private_address=True, timeouts=Timeouts(connect=1, read=1, total=2.5))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        busy.complete(system="", turns=TURNS)
    assert caught.value.reason == "rate_limited" and time.monotonic() - started < 3.5
