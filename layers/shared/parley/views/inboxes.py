"""Inboxes as Chatwoot shows them."""
from __future__ import annotations

import json

from ..models.inbox import CHANNEL_TYPES, Inbox
from ..models.inbox import working_hours
from . import channels as channel_views


def widget_script(base_url: str, website_token: str) -> str:
    """Chatwoot's embed snippet, pointed at this installation."""
    return (
        "<script>\n  (function(d,t) {\n    var BASE_URL=" + json.dumps(base_url) + ";\n"
        '    var g=d.createElement(t),s=d.getElementsByTagName(t)[0];\n'
        '    g.src=BASE_URL+"/packs/js/sdk.js";\n    g.defer = true;\n    g.async = true;\n'
        "    s.parentNode.insertBefore(g,s);\n    g.onload=function(){\n"
        "      window.chatwootSDK.run({\n        websiteToken: " + json.dumps(website_token) + ",\n"
        "        baseUrl: BASE_URL\n      })\n    }\n  })(document,\"script\");\n</script>\n"
    )


CSAT_DEFAULTS = {"display_type": "emoji", "message": "", "survey_rules": {"operator": "contains", "values": []}}


def csat_config(item: Inbox) -> dict:
    """Chatwoot's csat_config, every key present (its defaults where unset)."""
    stored = item.csat_config or {}
    rules = {**CSAT_DEFAULTS["survey_rules"], **(stored.get("survey_rules") or {})}
    return {**CSAT_DEFAULTS, **stored, "survey_rules": rules}


def inbox(item: Inbox, *, base_url: str | None = None, with_secrets: bool = False) -> dict:
    """`with_secrets` adds the HMAC token (administrators only; never in events)."""
    channel = item.channel or {}
    body = {
        "id": item.id,
        "account_id": item.account_id,
        "name": item.name,
        "channel_id": item.id,
        "channel_type": CHANNEL_TYPES[item.channel_type],
        "avatar_url": item.avatar_url or "",
        "greeting_enabled": item.greeting_enabled,
        "greeting_message": item.greeting_message or "",
        "enable_auto_assignment": item.enable_auto_assignment,
        "working_hours_enabled": item.working_hours_enabled,
        "out_of_office_message": item.out_of_office_message or "",
        "working_hours": working_hours(item),
        "timezone": item.timezone,
        "allow_messages_after_resolved": item.allow_messages_after_resolved,
        "enable_email_collect": False,
        "csat_survey_enabled": bool(item.csat_survey_enabled),
        "csat_config": csat_config(item),
        "auto_assignment_config": item.auto_assignment_config or {},
        "hmac_mandatory": item.hmac_mandatory,
    }
    if item.channel_type == "web_widget":
        body.update({
            "website_token": item.website_token,
            "website_url": channel.get("website_url", ""),
            "widget_color": channel.get("widget_color", "#1f93ff"),
            "welcome_title": channel.get("welcome_title", ""),
            "welcome_tagline": channel.get("welcome_tagline", ""),
            "reply_time": channel.get("reply_time", "in_a_few_minutes"),
            "pre_chat_form_enabled": channel.get("pre_chat_form_enabled", False),
            "pre_chat_form_options": channel.get("pre_chat_form_options", {}),
            "allowed_domains": channel.get("allowed_domains", ""),
            # The reference spec types this as an object: each enabled flag maps to true.
            "selected_feature_flags": {flag: True for flag in channel.get("selected_feature_flags", [])},
            "continuity_via_email": channel.get("continuity_via_email", False),
        })
        if base_url:
            body["web_widget_script"] = widget_script(base_url, item.website_token)
    elif item.channel_type in channel_views.BY_CHANNEL_TYPE:  # each provider's settings, secrets to admins only
        body.update(channel_views.BY_CHANNEL_TYPE[item.channel_type](item, base_url=base_url, with_secrets=with_secrets))
    else:
        body.update({"inbox_identifier": item.inbox_identifier, "webhook_url": channel.get("webhook_url", ""),
                     "additional_attributes": channel.get("additional_attributes", {})})
    if with_secrets:
        body["hmac_token"] = item.hmac_token
    return body
