"""What a provider told us, as a channel module's `parse` understands it: the one shape
every messaging channel hands to services/messaging/ingest.py (which channels never import)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class Inbound:
    """One inbound message or delivery status."""

    kind: Literal["message", "status"]
    provider_message_id: str
    source_id: str = ""  # the sender's id in the channel (chat id, wa_id, phone, address)
    name: str = ""
    phone_number: str | None = None
    email: str | None = None
    content: str | None = None
    # Files as the provider refers to them: {"file_type", "provider_ref", "file_name", "mime_type"}.
    attachments: list[dict] = field(default_factory=list)
    in_reply_to: str | None = None
    content_attributes: dict = field(default_factory=dict)
    status: str | None = None  # for kind "status": delivered | read | failed (| sent)
    reason: str | None = None
