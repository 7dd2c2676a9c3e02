"""The offline provider: no model host, no key. It generates nothing (`generates` False):
Captain then answers with the approved FAQ answer or article excerpt that retrieval ranks
best, and hands off when nothing matches well enough (services/captain/answering.py).
Retrieval embeds with its own offline model, shipped in the captain layer; this provider
has no embedding model of its own to offer."""
from __future__ import annotations

from typing import Sequence

from .port import Completion, Embeddings, ProviderError, Tool, Turn


class Offline:
    name = "offline"
    generates = False

    def __repr__(self) -> str:
        return "Offline()"

    def complete(self, *, system: str, turns: Sequence[Turn], tool: Tool | None = None,
                 temperature: float = 0.2, max_tokens: int = 800) -> Completion:
        raise ProviderError("unsupported", "the offline provider generates no text")

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise ProviderError("unsupported", "the offline provider has no embedding model (retrieval has its own)")

    def embeddings(self, texts: Sequence[str], *, query: bool = False) -> Embeddings:
        raise ProviderError("unsupported", "the offline provider has no embedding model (retrieval has its own)")
