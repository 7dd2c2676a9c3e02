"""The port every model provider implements, and what crosses it.

A provider generates (`complete`) and, where it can, embeds (`embed`). The offline provider
generates nothing (`generates` is False): Captain then answers with the approved text that
matches best (services/captain/answering.py). Every failure a caller must act on is a
ProviderError with a reason the handoff records; nothing else escapes a provider."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

REASONS = ("timeout", "rate_limited", "bad_response", "unavailable", "refused", "blocked", "unsupported")


class ProviderError(Exception):
    def __init__(self, reason: str, detail: str = ""):
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Tool:
    """A tool the model must answer through: its arguments are the structured answer."""
    name: str
    description: str
    schema: dict  # JSON Schema of the arguments (an object)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    text: str  # the model's text (may be empty when it answered through the tool)
    tool_input: dict | None  # the tool's arguments, parsed and checked to be an object
    usage: Usage = field(default_factory=Usage)
    model: str = ""


@dataclass(frozen=True)
class Embeddings:
    """Vectors, one per text in order, and what making them cost: input tokens (as the
    server reported them; estimated at 4 characters a token where it reports none), the
    model calls made and the model's id (its price, services/captain/usage.py)."""
    vectors: list
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    model: str = ""


def estimated_tokens(texts: Sequence[str]) -> int:
    """Tokens of texts a server did not count: about 4 characters a token (on the high side
    for English, so a budget is not overrun)."""
    return sum(-(-len(t) // 4) for t in texts)


class Provider(Protocol):
    name: str  # "bedrock" | "openai_compatible" | "offline"
    generates: bool

    def complete(self, *, system: str, turns: Sequence[Turn], tool: Tool | None = None,
                 temperature: float = 0.2, max_tokens: int = 800) -> Completion: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embeddings(self, texts: Sequence[str], *, query: bool = False) -> Embeddings:
        """`embed` with its cost; `query`: the texts are questions to search with (a model
        with separate query and document modes, such as Cohere Embed, is told so)."""
        ...
