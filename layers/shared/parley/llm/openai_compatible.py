"""Any OpenAI-compatible endpoint: OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio ...

`POST {base}/chat/completions` with the Tool as the one function the model must call
(`tool_choice` names it: the function's arguments are the structured answer), and
`POST {base}/embeddings`. The base URL is whatever the server documents as its
OpenAI-compatible root: https://api.openai.com/v1, http://ollama.internal:11434/v1,
http://vllm:8000/v1, http://lmstudio.lan:1234/v1, https://<resource>.openai.azure.com/openai/v1.

Where a request may go: every request goes through parley.outbound (the host is resolved
and every address checked, the connection pinned to the checked address, no redirects
followed, no proxy variables honoured). A private or loopback address is refused unless an
administrator set `allow_private_address` for this endpoint (a self-hosted model): then
that one host, and no other, may be private; link-local addresses (169.254.0.0/16, the
cloud metadata service; fe80::/10) stay refused even then.

Azure OpenAI authenticates with an `api-key` header, not `Authorization: Bearer`: a base
URL on *.openai.azure.com, *.cognitiveservices.azure.com or *.services.ai.azure.com is
Azure's, or `azure=True` says so. A query string in the base URL (`?api-version=...`,
Azure's dated API) is kept on every request.

Failures (every one a ProviderError, nothing else escapes):
- 429, 5xx, 408, a timeout or a connection failure is retried with exponential backoff and
  jitter, honouring Retry-After up to RETRY_AFTER_CAP seconds (a longer one is not waited
  for: the failure is reported at once), for at most MAX_ATTEMPTS
  attempts and never past `total_seconds` from the first attempt; then "rate_limited"
  (the last answer was a 429), "timeout" or "unavailable".
- 401, 403: "refused" (a key is wrong or lacks access); retrying will not fix it.
- 400, 404, 422 and other 4xx: "bad_response" / "unavailable" (404: no such model or path).
  A 400 that names `max_tokens` or `temperature` (OpenAI's reasoning models) is sent again
  once with `max_completion_tokens`, or without the temperature.
- A body that is not JSON, not the documented shape, larger than MAX_RESPONSE_BYTES, or
  tool arguments that are not a JSON object: "bad_response".
- A destination refused by the SSRF rules: "blocked".
The key is sent only in its header: it is in no error detail and no log line.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from .. import outbound
from .port import Completion, Embeddings, ProviderError, Tool, Turn, Usage, estimated_tokens

if TYPE_CHECKING:
    import httpx

MAX_ATTEMPTS = 3
RETRY_AFTER_CAP = 8.0  # seconds: a longer Retry-After is a handoff, not a wait
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # an embeddings batch of 64 texts at 3,072 dimensions fits
MAX_EMBED_BATCH = 64
AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
LINK_LOCAL = ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 20.0  # one attempt's wait for the answer (generation is slow on small hosts)
    total: float = 30.0  # every attempt and backoff together


class _ModelGuard(outbound.Guard):
    """outbound.Guard, with the administrator's one private host allowed, and link-local
    addresses refused even for that host: no model is served from the metadata service."""

    def address_for(self, scheme: str, host: str, port: int) -> str:
        import ipaddress

        address = super().address_for(scheme, host, port)
        parsed = ipaddress.ip_address(address)
        if any(parsed in ipaddress.ip_network(n) for n in LINK_LOCAL if ipaddress.ip_network(n).version == parsed.version):
            raise outbound.Blocked(f"{host} is a link-local address")
        return address


def is_azure(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    return host.endswith(AZURE_HOSTS)


class _Retryable(Exception):
    def __init__(self, reason: str, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.retry_after = reason, detail, retry_after


class OpenAICompatible:
    name = "openai_compatible"
    generates = True

    def __init__(self, base_url: str, api_key: str | None, chat_model: str, embedding_model: str | None = None, *,
                 allow_private_address: bool = False, azure: bool | None = None,
                 transport: "httpx.BaseTransport | None" = None, resolver: outbound.Resolver | None = None,
                 timeouts: Timeouts = Timeouts(), max_attempts: int = MAX_ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProviderError("blocked", "the base URL is not an http(s) URL")
        self.base_url = base_url
        self._parts = parts
        self.host = parts.hostname.lower().rstrip(".")
        self._key = api_key or None
        self.chat_model = chat_model
        self.embedding_model = embedding_model or None
        self.azure = is_azure(base_url) if azure is None else azure
        self.allow_private_address = allow_private_address
        self._transport = transport
        self._resolver = resolver
        self.timeouts = timeouts
        self.max_attempts = max(1, max_attempts)
        self._sleep, self._clock = sleep, clock
        self._http: "httpx.Client | None" = None

    # ------------------------------------------------------------ plumbing

    def __repr__(self) -> str:  # never the key
        return f"OpenAICompatible({self.base_url!r}, chat_model={self.chat_model!r}, key_set={self._key is not None})"

    def _client(self) -> "httpx.Client":
        if self._http is None:
            allowed = frozenset({self.host}) if self.allow_private_address else frozenset()
            guard = _ModelGuard(resolver=self._resolver, allowed_hosts=allowed)
            self._http = outbound.client(guard, self._transport)
        return self._http

    def url(self, path: str) -> str:
        p = self._parts
        return urlunsplit((p.scheme, p.netloc, p.path.rstrip("/") + "/" + path.lstrip("/"), p.query, ""))

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            if self.azure:
                headers["api-key"] = self._key
            else:
                headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def _post(self, path: str, payload: dict) -> dict:
        """POST `payload`, retried as the module says; the answer's JSON object."""
        import httpx

        started = self._clock()
        deadline = started + self.timeouts.total
        last: _Retryable | None = None
        for attempt in range(self.max_attempts):
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            try:
                return self._attempt(path, payload, remaining)
            except _Retryable as exc:
                last = exc
            except outbound.Blocked as exc:
                raise ProviderError("blocked", str(exc)) from None
            except outbound.Unreachable as exc:
                last = _Retryable("unavailable", str(exc))
            except httpx.TimeoutException:
                last = _Retryable("timeout", "the model server did not answer in time")
            except httpx.TransportError as exc:
                last = _Retryable("unavailable", f"cannot reach the model server ({type(exc).__name__})")
            if attempt + 1 >= self.max_attempts:
                break
            if last.retry_after is not None and last.retry_after > RETRY_AFTER_CAP:
                break  # "come back in an hour": a handoff now, not a wait and a doomed retry
            backoff = 0.5 * (2 ** attempt) * (0.5 + random.random())
            wait = min(max(backoff, last.retry_after or 0.0), RETRY_AFTER_CAP)
            if self._clock() + wait >= deadline:
                break  # no time left for another attempt after the wait
            self._sleep(wait)
        if last is None:
            raise ProviderError("timeout", "no time left")
        raise ProviderError(last.reason, last.detail)

    def _attempt(self, path: str, payload: dict, remaining: float) -> dict:
        import httpx

        t = self.timeouts
        read = min(t.read, remaining)
        timeout = httpx.Timeout(connect=min(t.connect, remaining), read=read, write=read, pool=min(t.connect, remaining))
        request = self._client().build_request("POST", self.url(path), json=payload, headers=self._headers(),
                                               timeout=timeout)
        response = self._client().send(request, stream=True)
        try:
            status = response.status_code
            if status == 429 or status == 408 or status >= 500:
                reason = "rate_limited" if status == 429 else "timeout" if status == 408 else "unavailable"
                raise _Retryable(reason, f"the model server answered {status}", _retry_after(response))
            if status in (401, 403):
                raise ProviderError("refused", f"the model server answered {status} (check the key and its access)")
            if status == 404:
                raise ProviderError("unavailable", "the model server answered 404 (check the base URL and model)")
            if 300 <= status < 400:
                raise ProviderError("bad_response", f"the model server redirected ({status}); give its final URL")
            if status >= 400:
                said = _error_of(response)
                if self._key and self._key in said:  # a server echoing the request's headers
                    said = said.replace(self._key, "[FILTERED]")
                raise ProviderError("bad_response", f"the model server refused the request ({status}{said})")
            raw = _read_bounded(response, self._clock() + remaining, self._clock)
        finally:
            response.close()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ProviderError("bad_response", "the answer is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderError("bad_response", "the answer is not a JSON object")
        return data

    # ------------------------------------------------------------ the port

    def complete(self, *, system: str, turns: Sequence[Turn], tool: Tool | None = None,
                 temperature: float = 0.2, max_tokens: int = 800) -> Completion:
        messages = [{"role": "system", "content": system}] if system else []
        messages += [{"role": "assistant" if t.role == "assistant" else "user", "content": t.content}
                     for t in turns if t.content]
        payload: dict = {"model": self.chat_model, "messages": messages, "temperature": temperature,
                         "max_tokens": max_tokens}
        if tool is not None:
            payload["tools"] = [{"type": "function", "function": {"name": tool.name, "description": tool.description,
                                                                   "parameters": tool.schema}}]
            payload["tool_choice"] = {"type": "function", "function": {"name": tool.name}}
        for _ in range(3):
            try:
                data = self._post("chat/completions", payload)
                break
            except ProviderError as exc:
                adjusted = _adjusted(payload, exc)
                if adjusted is None:
                    raise
                payload = adjusted
        else:
            raise ProviderError("bad_response", "the model server refused every form of the request")
        return parse_completion(data, tool, self.chat_model)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embeddings(texts).vectors

    def embeddings(self, texts: Sequence[str], *, query: bool = False) -> Embeddings:
        """`POST embeddings`, MAX_EMBED_BATCH texts a call; tokens as the server's `usage`
        reports them (`prompt_tokens`), estimated where it reports none."""
        if not self.embedding_model:
            raise ProviderError("unsupported", "no embedding model is configured")
        vectors: list[list[float]] = []
        tokens = calls = 0
        for start in range(0, len(texts), MAX_EMBED_BATCH):
            batch = list(texts[start:start + MAX_EMBED_BATCH])
            data = self._post("embeddings", {"model": self.embedding_model, "input": batch})
            calls += 1
            vectors += parse_embeddings(data, len(batch))
            counted = (data.get("usage") or {}).get("prompt_tokens") if isinstance(data.get("usage"), dict) else None
            tokens += counted if isinstance(counted, int) and not isinstance(counted, bool) and counted >= 0 \
                else estimated_tokens(batch)
        return Embeddings(vectors, Usage(tokens, 0), calls, self.embedding_model)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


# ---------------------------------------------------------------- answers

def _adjusted(payload: dict, exc: ProviderError) -> dict | None:
    """The request in the form a refusal asks for, or None: OpenAI's reasoning models take
    `max_completion_tokens` instead of `max_tokens`, and only their default temperature."""
    if exc.reason != "bad_response" or "(400" not in exc.detail:
        return None
    said = exc.detail.lower()
    if "max_tokens" in said and "max_tokens" in payload:
        changed = {k: v for k, v in payload.items() if k != "max_tokens"}
        return changed | {"max_completion_tokens": payload["max_tokens"]}
    if "temperature" in said and "temperature" in payload:
        return {k: v for k, v in payload.items() if k != "temperature"}
    return None


def _retry_after(response: "httpx.Response") -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


def _error_of(response: "httpx.Response") -> str:
    """A short, printable reason from an error body (OpenAI's {"error": {"message"}}), if any."""
    try:
        raw = _read_bounded(response, time.monotonic() + 2.0, limit=16_384)
        error = json.loads(raw).get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except Exception:
        return ""
    if not isinstance(message, str) or not message.strip():
        return ""
    return ": " + "".join(c for c in message.strip()[:200] if c.isprintable())


def _read_bounded(response: "httpx.Response", deadline: float, clock: Callable[[], float] = time.monotonic,
                  limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The body, at most `limit` bytes and read before `deadline` (a server can drip
    an endless body inside each read timeout)."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise ProviderError("bad_response", f"the answer is larger than {limit} bytes")
        if clock() > deadline:
            raise ProviderError("timeout", "the answer took too long to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _object(value, what: str) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ProviderError("bad_response", f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise ProviderError("bad_response", f"{what} is not a JSON object")
    return value


def parse_completion(data: dict, tool: Tool | None, model: str) -> Completion:
    """A chat completion's first choice: its text and, with a tool, the tool's arguments.
    A server that ignored tool_choice and wrote the object as text (some local servers do)
    is read as if it had called the tool; anything else without a call leaves tool_input None
    for the caller to decide on."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError("bad_response", "the answer has no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ProviderError("bad_response", "the answer's choice has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ProviderError("bad_response", "the message's content is not text")
    text = content or ""
    tool_input = None
    calls = message.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise ProviderError("bad_response", "tool_calls is not a list")
    if tool is not None and calls:
        call = next((c for c in calls if isinstance(c, dict) and isinstance(c.get("function"), dict)
                     and c["function"].get("name") == tool.name), None)
        if call is None:
            raise ProviderError("bad_response", f"the model called no tool named {tool.name}")
        tool_input = _object(call["function"].get("arguments"), "the tool's arguments")
    elif tool is not None and text.strip().startswith("{"):
        try:
            tool_input = _object(text.strip(), "the answer")
        except ProviderError:
            tool_input = None
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    answered_by = data.get("model") if isinstance(data.get("model"), str) else model
    return Completion(text=text, tool_input=tool_input,
                      usage=Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))),
                      model=answered_by[:200])


def parse_embeddings(data: dict, expected: int) -> list[list[float]]:
    rows = data.get("data")
    if not isinstance(rows, list) or len(rows) != expected:
        raise ProviderError("bad_response", f"expected {expected} embeddings")
    ordered: list = [None] * expected
    for position, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ProviderError("bad_response", "an embedding row is not an object")
        index = row.get("index", position)
        vector = row.get("embedding")
        if (not isinstance(index, int) or not 0 <= index < expected or ordered[index] is not None
                or not isinstance(vector, list) or not vector
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector)):
            raise ProviderError("bad_response", "an embedding is not a list of numbers")
        ordered[index] = [float(x) for x in vector]
    if len({len(v) for v in ordered}) != 1:
        raise ProviderError("bad_response", "the embeddings differ in length")
    return ordered
