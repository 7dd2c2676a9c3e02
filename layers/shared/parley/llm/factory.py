"""The provider a settings record names, built (nothing is imported or connected until it
is used: the offline provider costs nothing, and boto3 or httpx load on the first call).

`settings` is the resolved record of services/captain/providers.py: {provider, base_url,
chat_model, embedding_model, allow_private_address}; `api_key` the key read from SSM
Parameter Store (OpenAI-compatible only). Bedrock's models default to the deployment's
(template parameters CaptainBedrockModelId and CaptainBedrockEmbeddingModelId)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .port import Provider, ProviderError

if TYPE_CHECKING:
    import httpx

PROVIDERS = ("bedrock", "openai_compatible", "offline")


def provider_for(settings: dict, api_key: str | None, *, transport: "httpx.BaseTransport | None" = None,
                 bedrock_client: Any = None) -> Provider:
    kind = settings.get("provider") or "offline"
    if kind == "offline":
        from .offline import Offline

        return Offline()
    if kind == "openai_compatible":
        from .openai_compatible import OpenAICompatible

        if not settings.get("base_url") or not settings.get("chat_model"):
            raise ProviderError("unsupported", "the OpenAI-compatible provider needs a base URL and a chat model")
        return OpenAICompatible(settings["base_url"], api_key, settings["chat_model"], settings.get("embedding_model"),
                                allow_private_address=bool(settings.get("allow_private_address")),
                                azure=settings.get("azure"), transport=transport)
    if kind == "bedrock":
        from ..settings import get_settings
        from .bedrock import Bedrock

        env = get_settings()
        return Bedrock(settings.get("chat_model") or env.captain_bedrock_model_id,
                       settings.get("embedding_model") or env.captain_bedrock_embedding_model_id,
                       client=bedrock_client)
    raise ProviderError("unsupported", f"no provider named {kind!r}")
