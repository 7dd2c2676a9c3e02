"""Amazon Bedrock: the Converse API for generation, an embedding model through InvokeModel.

Authenticated by the function's IAM role (no key). The template grants CaptainFunction
bedrock:InvokeModel (which authorises Converse) on the configured foundation model and
inference profile only.

- Generation: `converse` with the system prompt, the turns (Converse wants them to start
  with the user and alternate: leading assistant turns are dropped and neighbours of one
  role joined), `inferenceConfig` {maxTokens, temperature}, and with a Tool a `toolConfig`
  whose toolChoice names it, so the answer is the tool's input. Forcing one tool by name is
  supported by Anthropic Claude 3+, Amazon Nova and Mistral Large; a model that rejects it
  (a ValidationException about the tool choice) is asked once more with toolChoice "any"
  (the one tool given is still the only one it can call).
- Embeddings: Amazon Titan Text Embeddings v2 (`amazon.titan-embed-text-v2:0`, one text a
  call: {inputText, dimensions, normalize} -> {embedding, inputTextTokenCount}) or Cohere
  Embed (`cohere.embed-*`: {texts, input_type} -> {embeddings}), chosen by the model id.
- The client is made on first use (boto3 costs a cold start) with bounded timeouts and
  botocore's standard retries (throttling included): CONNECT_TIMEOUT, READ_TIMEOUT, ATTEMPTS.
- Errors map to ProviderError reasons: throttling and quotas -> rate_limited; model and
  read timeouts -> timeout; access denied, bad credentials, a model not enabled -> refused;
  validation -> bad_response; a missing model, a model not ready, service errors ->
  unavailable.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from .port import Completion, Embeddings, ProviderError, Tool, Turn, Usage, estimated_tokens

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 25.0
ATTEMPTS = 3  # botocore's standard mode: 3 attempts with backoff on throttling and 5xx
TITAN_DIMENSIONS = 1024
MAX_COHERE_BATCH = 96  # Cohere Embed's texts per call

ERROR_REASONS = {
    "ThrottlingException": "rate_limited",
    "ServiceQuotaExceededException": "rate_limited",
    "TooManyRequestsException": "rate_limited",
    "ModelTimeoutException": "timeout",
    "AccessDeniedException": "refused",
    "UnrecognizedClientException": "refused",
    "ExpiredTokenException": "refused",
    "ValidationException": "bad_response",
    "ModelErrorException": "unavailable",
    "ResourceNotFoundException": "unavailable",
    "ModelNotReadyException": "unavailable",
    "ServiceUnavailableException": "unavailable",
    "InternalServerException": "unavailable",
}


def _translated(exc: Exception) -> ProviderError:
    from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError,
                                     NoCredentialsError, ReadTimeoutError)

    if isinstance(exc, ClientError):
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or "")
        message = "".join(c for c in str(error.get("Message") or "")[:200] if c.isprintable())
        return ProviderError(ERROR_REASONS.get(code, "unavailable"), f"Bedrock {code}: {message}".rstrip(": "))
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ProviderError("timeout", "Bedrock did not answer in time")
    if isinstance(exc, NoCredentialsError):
        return ProviderError("refused", "no AWS credentials for Bedrock")
    if isinstance(exc, (EndpointConnectionError, BotoCoreError)):
        return ProviderError("unavailable", f"cannot reach Bedrock ({type(exc).__name__})")
    raise exc


def messages_of(turns: Sequence[Turn]) -> list[dict]:
    """Converse's messages: user first, roles alternating, no empty text."""
    merged: list[dict] = []
    for turn in turns:
        role = "assistant" if turn.role == "assistant" else "user"
        if not turn.content or (not merged and role == "assistant"):
            continue
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"][0]["text"] += "\n\n" + turn.content
        else:
            merged.append({"role": role, "content": [{"text": turn.content}]})
    if not merged:
        raise ProviderError("bad_response", "nothing from the customer to answer")
    return merged


class Bedrock:
    name = "bedrock"
    generates = True

    def __init__(self, chat_model: str, embedding_model: str | None = None, *, client: Any = None):
        if not chat_model:
            raise ProviderError("unsupported", "no Bedrock model is configured")
        self.chat_model = chat_model
        self.embedding_model = embedding_model or None
        self._client = client

    def __repr__(self) -> str:
        return f"Bedrock(chat_model={self.chat_model!r}, embedding_model={self.embedding_model!r})"

    @property
    def client(self):
        if self._client is None:
            from .. import aws

            self._client = aws.client("bedrock-runtime", timeouts=(CONNECT_TIMEOUT, READ_TIMEOUT, ATTEMPTS))
        return self._client

    def _call(self, operation: str, **params) -> dict:
        try:
            return getattr(self.client, operation)(**params)
        except ProviderError:
            raise
        except Exception as exc:
            raise _translated(exc) from None

    def complete(self, *, system: str, turns: Sequence[Turn], tool: Tool | None = None,
                 temperature: float = 0.2, max_tokens: int = 800) -> Completion:
        params: dict = {"modelId": self.chat_model, "messages": messages_of(turns),
                        "inferenceConfig": {"maxTokens": max_tokens, "temperature": temperature}}
        if system:
            params["system"] = [{"text": system}]
        if tool is not None:
            spec = {"toolSpec": {"name": tool.name, "description": tool.description, "inputSchema": {"json": tool.schema}}}
            params["toolConfig"] = {"tools": [spec], "toolChoice": {"tool": {"name": tool.name}}}
            try:
                data = self._call("converse", **params)
            except ProviderError as exc:
                if exc.reason != "bad_response" or "tool" not in exc.detail.lower():
                    raise
                params["toolConfig"] = {"tools": [spec], "toolChoice": {"any": {}}}
                data = self._call("converse", **params)
        else:
            data = self._call("converse", **params)
        return parse_converse(data, tool, self.chat_model)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embeddings(texts).vectors

    def embeddings(self, texts: Sequence[str], *, query: bool = False) -> Embeddings:
        """Titan v2: one text a call, its `inputTextTokenCount` counted. Cohere Embed:
        MAX_COHERE_BATCH texts a call, `input_type` search_query for a question and
        search_document for knowledge; its body reports no tokens, so they are estimated."""
        model = self.embedding_model
        if not model:
            raise ProviderError("unsupported", "no Bedrock embedding model is configured")
        if not texts:
            return Embeddings([], Usage(), 0, model)
        vectors: list[list[float]] = []
        tokens = calls = 0
        if model.split(".", 1)[-1].startswith("cohere.embed") or model.startswith("cohere.embed"):
            for start in range(0, len(texts), MAX_COHERE_BATCH):
                batch = list(texts[start:start + MAX_COHERE_BATCH])
                data = self._invoke(model, {"texts": batch, "input_type": "search_query" if query else "search_document",
                                            "truncate": "END"})
                calls += 1
                found = data.get("embeddings")
                if isinstance(found, dict):  # embedding_types given: {"float": [...]}
                    found = found.get("float")
                if not isinstance(found, list) or len(found) != len(batch):
                    raise ProviderError("bad_response", f"expected {len(batch)} embeddings from {model}")
                vectors += [_vector(v) for v in found]
                tokens += estimated_tokens(batch)
            return Embeddings(vectors, Usage(tokens, 0), calls, model)
        for text in texts:
            data = self._invoke(model, {"inputText": text, "dimensions": TITAN_DIMENSIONS, "normalize": True})
            calls += 1
            vectors.append(_vector(data.get("embedding")))
            counted = data.get("inputTextTokenCount")
            tokens += _count(counted) if isinstance(counted, int) else estimated_tokens([text])
        return Embeddings(vectors, Usage(tokens, 0), calls, model)

    def _invoke(self, model: str, body: dict) -> dict:
        data = self._call("invoke_model", modelId=model, body=json.dumps(body).encode(),
                          contentType="application/json", accept="application/json")
        try:
            raw = data["body"].read()
            answer = json.loads(raw)
        except (KeyError, AttributeError, ValueError, UnicodeDecodeError):
            raise ProviderError("bad_response", f"{model} answered no JSON") from None
        if not isinstance(answer, dict):
            raise ProviderError("bad_response", f"{model} answered no JSON object")
        return answer


def _vector(value) -> list[float]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)):
        raise ProviderError("bad_response", "an embedding is not a list of numbers")
    return [float(x) for x in value]


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def parse_converse(data: dict, tool: Tool | None, model: str) -> Completion:
    message = ((data.get("output") or {}).get("message")) if isinstance(data, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        raise ProviderError("bad_response", "Converse answered no message")
    texts, tool_input = [], None
    for block in content:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        use = block.get("toolUse")
        if tool is not None and isinstance(use, dict) and use.get("name") == tool.name and tool_input is None:
            if not isinstance(use.get("input"), dict):
                raise ProviderError("bad_response", "the tool's input is not an object")
            tool_input = use["input"]
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Completion(text="\n".join(texts), tool_input=tool_input,
                      usage=Usage(_count(usage.get("inputTokens")), _count(usage.get("outputTokens"))),
                      model=model)
