"""What Parley integrates with (Chatwoot's integrations/apps), whether each is enabled for
an account, and the hooks of the apps that take them (Chatwoot's integrations/hooks).

Only what Parley really runs is listed: the account's webhooks, its dashboard apps and the
channels Parley implements (an inbox of that channel enables it). No app is listed that
Parley does not implement.

Hooks: the one app whose hooks Parley runs is `webhook`. Its hooks ARE the account's
webhooks (services/rules/webhooks: signed deliveries, retries), so a hook created here is
a webhook that delivers, its id is the webhook's id, and deleting it deletes the webhook;
nothing is stored that does nothing. A webhook is always on (Parley keeps no paused
webhook), so a hook asked to be disabled is refused rather than stored enabled. Dashboard
apps have their own API (/dashboard_apps) and channels are inboxes: a hook for them, or
for any other app, is a 422."""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.inbox import Inbox
from ..account import dashboard_apps
from . import webhooks

ACCOUNT_HOOK, INBOX_HOOK = "account", "inbox"


@dataclass(frozen=True)
class App:
    id: str
    name: str
    description: str
    hook_type: str
    allow_multiple_hooks: bool
    settings_path: str  # where its settings are in Parley's dashboard (Chatwoot's `action`)
    channel_type: str | None = None  # a channel app: the inbox channel that enables it

    @property
    def takes_hooks(self) -> bool:
        return self.id == WEBHOOK


WEBHOOK, DASHBOARD_APPS = "webhook", "dashboard_apps"

APPS: tuple[App, ...] = (
    App(WEBHOOK, "Webhooks",
        "Events from your account (conversations, messages, contacts) posted to your URLs as signed JSON.",
        ACCOUNT_HOOK, True, "webhooks"),
    App(DASHBOARD_APPS, "Dashboard Apps",
        "Your own web pages shown beside each conversation, given the conversation and its contact.",
        ACCOUNT_HOOK, True, "dashboard-apps"),
    App("website", "Website live chat", "A chat widget on your website.", INBOX_HOOK, False, "inboxes",
        "web_widget"),
    App("api", "API channel", "Conversations from your own systems through the Client API and a webhook URL.",
        INBOX_HOOK, False, "inboxes", "api"),
    App("email", "Email", "Conversations by e-mail, forwarded to the inbox's address.", INBOX_HOOK, False,
        "inboxes", "email"),
    App("telegram", "Telegram", "Conversations with your Telegram bot.", INBOX_HOOK, False, "inboxes", "telegram"),
    App("whatsapp", "WhatsApp", "Conversations on a WhatsApp Business number through the Cloud API.", INBOX_HOOK,
        False, "inboxes", "whatsapp"),
    App("twilio_sms", "Twilio SMS", "Text messages to and from a Twilio number.", INBOX_HOOK, False, "inboxes",
        "sms"),
)
_BY_ID = {app.id: app for app in APPS}


def find(app_id: str) -> App:
    app = _BY_ID.get(app_id)
    if app is None:
        raise NotFound("Integration not found")
    return app


@dataclass(frozen=True)
class Listing:
    """An account's integrations, read once: enabled ids and the webhook app's hooks."""
    enabled: frozenset[str]
    hooks: dict[str, list[AccountObject]]


def listing(account_id: int, only: App | None = None) -> Listing:
    """What is enabled for the account: its webhooks (one Query), whether it has a dashboard
    app (one Query of one item), and its inboxes' channels (one index Query)."""
    wanted = APPS if only is None else (only,)
    enabled: set[str] = set()
    hooks: dict[str, list[AccountObject]] = {}
    if any(app.id == WEBHOOK for app in wanted):
        hooks[WEBHOOK] = webhooks.all_of(account_id)
        if hooks[WEBHOOK]:
            enabled.add(WEBHOOK)
    if any(app.id == DASHBOARD_APPS for app in wanted) and dashboard_apps.any_in(account_id):
        enabled.add(DASHBOARD_APPS)
    if any(app.channel_type for app in wanted):
        channels = {inbox.channel_type for inbox in Inbox.account_index.query(account_id)}
        enabled.update(app.id for app in wanted if app.channel_type in channels)
    return Listing(frozenset(enabled), hooks)


# ---------------------------------------------------------------- hooks

def hook_app(app_id: str) -> App:
    """The app a new hook is for, once it is one that takes hooks (422 otherwise)."""
    app = _BY_ID.get(app_id)
    if app is None:
        raise Invalid(f"app_id {app_id!r} is not an integration of Parley", field="app_id")
    if not app.takes_hooks:
        raise Invalid(f"{app.name} does not take hooks", field="app_id")
    return app


def _enabled(status) -> None:
    if status is not None and status not in (1, True, "enabled"):
        raise Invalid("status: a webhook hook is always enabled; delete it to stop its deliveries", field="status")


def create_hook(account_id: int, app_id: str, inbox_id: int | None, status, settings: dict) -> AccountObject:
    """A hook of an app that takes hooks (the webhook app: a new webhook)."""
    hook_app(app_id)
    if inbox_id is not None:
        raise Invalid("inbox_id: webhook hooks belong to the account, not to an inbox", field="inbox_id")
    _enabled(status)
    return webhooks.create(account_id, settings["url"], settings.get("name"), settings.get("subscriptions"))


def get_hook(account_id: int, hook_id: int) -> AccountObject:
    try:
        return webhooks.get(account_id, hook_id)
    except NotFound:
        raise NotFound("Hook not found") from None


def update_hook(item: AccountObject, status, settings: dict | None) -> AccountObject:
    _enabled(status)
    changes = {key: value for key, value in (settings or {}).items() if value is not None}
    return webhooks.update(item, changes) if changes else item


def delete_hook(item: AccountObject) -> None:
    webhooks.delete(item)
