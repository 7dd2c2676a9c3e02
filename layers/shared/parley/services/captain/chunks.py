"""Text cut into the passages Captain retrieves: paragraphs packed up to CHUNK_TARGET
characters, a longer paragraph cut at sentence ends (at a space, or hard, as the last
resort), never over CHUNK_MAX. Used for documents' chunks (services/captain/ingest.py) and
help center articles' excerpts (services/captain/knowledge.py)."""
from __future__ import annotations

import re
from typing import Iterable

CHUNK_TARGET = 1_200
CHUNK_MAX = 1_500
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def _pieces(paragraph: str) -> list[str]:
    """A paragraph as pieces of at most CHUNK_MAX characters, cut at sentence ends first."""
    if len(paragraph) <= CHUNK_MAX:
        return [paragraph]
    pieces, current = [], ""
    for sentence in _SENTENCE.split(paragraph):
        while len(sentence) > CHUNK_MAX:  # one endless sentence: cut at a space, or hard
            cut = sentence.rfind(" ", 0, CHUNK_MAX)
            cut = cut if cut > CHUNK_MAX // 2 else CHUNK_MAX
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > CHUNK_MAX:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def pack(paragraphs: Iterable[str]) -> list[str]:
    """The paragraphs (blank ones skipped) packed into passages, joined by blank lines."""
    packed, current = [], ""
    for paragraph in paragraphs:
        for piece in _pieces(paragraph.strip()):
            if not piece:
                continue
            if current and len(current) + 2 + len(piece) > CHUNK_TARGET:
                packed.append(current)
                current = piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
    if current:
        packed.append(current)
    return packed
