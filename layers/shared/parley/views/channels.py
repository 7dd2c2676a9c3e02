"""Each provider's inbox fields, as Chatwoot shows them (`views/inboxes.inbox` adds them):
what any agent sees, and what only administrators see (`with_secrets`: the URLs and tokens
a provider's console asks for; a secret that was set is never shown again in full)."""
from __future__ import annotations

from ..models.inbox import email_verified


def telegram(inbox, *, base_url: str | None, with_secrets: bool) -> dict:
    """Administrators see what setWebhook needs: the URL and the secret token."""
    channel = inbox.channel or {}
    shown = {"bot_name": channel.get("bot_name", "")}
    if with_secrets:
        shown.update(bot_token=channel.get("bot_token"), secret_token=channel.get("secret_token"),
                     webhook_url=f"{base_url or ''}/webhooks/telegram/{channel.get('bot_token')}")
    return shown


def whatsapp(inbox, *, base_url: str | None, with_secrets: bool) -> dict:
    """The API key and app secret are never shown again, only whether they are set;
    administrators see the verify token and callback URL Meta's setup asks for."""
    channel = inbox.channel or {}
    config = channel.get("provider_config") or {}
    shown_config = {"phone_number_id": config.get("phone_number_id"),
                    "business_account_id": config.get("business_account_id"),
                    "api_key": "********" if config.get("api_key") else ""}
    shown = {"phone_number": channel.get("phone_number"), "provider": channel.get("provider", "whatsapp_cloud"),
             "provider_config": shown_config, "message_templates": channel.get("message_templates") or [],
             "message_templates_last_updated": channel.get("message_templates_last_updated")}
    if with_secrets:
        shown_config["webhook_verify_token"] = config.get("webhook_verify_token")
        shown["webhook_url"] = f"{base_url or ''}/webhooks/whatsapp/{channel.get('phone_number')}"
    return shown


def email(inbox, *, base_url: str | None, with_secrets: bool) -> dict:
    """Chatwoot's Channel::Email fields: the support address and where to forward it;
    whether the address is confirmed, and (administrators) where the link was mailed."""
    channel = inbox.channel or {}
    shown = {"email": channel.get("email") or "", "forward_to_email": channel.get("forward_to_email") or "",
             "email_verified": email_verified(channel)}
    if with_secrets and not shown["email_verified"]:
        pending = channel.get("email_verification") or {}
        shown.update(email_verification_sent_to=pending.get("sent_to"),
                     email_verification_error=pending.get("error"))
    return shown


def sms(inbox, *, base_url: str | None, with_secrets: bool) -> dict:
    """Chatwoot's Twilio inbox fields. The auth token never leaves in full; administrators
    see the URLs to set on the number or messaging service in Twilio's console."""
    channel = inbox.channel or {}
    shown = {"provider": "twilio", "medium": "sms", "phone_number": channel.get("phone_number") or "",
             "messaging_service_sid": channel.get("messaging_service_sid") or ""}
    if with_secrets:
        token = channel.get("auth_token") or ""
        root = base_url or channel.get("public_url") or ""
        shown.update(account_sid=channel.get("account_sid") or "", auth_token="*" * 28 + token[-4:] if token else "",
                     callback_webhook_url=f"{root}/twilio/callback",
                     delivery_status_url=f"{root}/twilio/delivery_status")
    return shown


BY_CHANNEL_TYPE = {"telegram": telegram, "whatsapp": whatsapp, "email": email, "sms": sms}
