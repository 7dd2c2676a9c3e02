"""Channel inboxes in the dashboard: an administrator creates Telegram, email and API
inboxes and sees what to configure at the provider (webhook URL and secret token,
forwarding address, inbox identifier), as the API returns it."""
from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from .pages import api, open_settings, tag

CREATED = re.compile(r"/settings/inboxes/(\d+)\?created=1$")


def new_inbox(page, channel: str, name: str) -> None:
    page.get_by_test_id("settings-nav-inboxes").click()
    page.get_by_test_id("inbox-add").click()
    page.get_by_test_id(f"inbox-channel-{channel}").click()
    expect(page.get_by_test_id(f"inbox-channel-{channel}")).to_have_attribute("aria-checked", "true")
    page.get_by_test_id("inbox-name").fill(name)


def created_id(page) -> int:
    expect(page).to_have_url(CREATED)
    return int(CREATED.search(page.url).group(1))


def test_telegram_inbox_shows_the_webhook_to_register(admin, stack, seed):
    page = admin.page
    account_id = seed["account"]["id"]
    bot_token = f"{secrets.randbelow(10**9) + 10**8}:AA{secrets.token_urlsafe(24)}"
    open_settings(admin, "inboxes")
    new_inbox(page, "telegram", f"Bot {tag()}")
    page.get_by_test_id("inbox-bot-token").fill("not-a-token")
    page.get_by_test_id("inbox-submit").click()
    expect(page.get_by_test_id("inbox-error")).to_contain_text("bot token")  # checked before sending
    page.get_by_test_id("inbox-bot-token").fill(bot_token)
    page.get_by_test_id("inbox-submit").click()
    inbox_id = created_id(page)

    setup = page.get_by_test_id("inbox-setup")
    expect(setup).to_have_attribute("data-channel", "telegram")
    hook = f"{stack.base_url}/webhooks/telegram/{bot_token}"
    expect(page.get_by_test_id("inbox-setup-webhook_url")).to_have_text(hook)
    shown_secret = page.get_by_test_id("inbox-setup-secret_token").inner_text().strip()
    inbox = api(stack, "GET", f"/api/v1/accounts/{account_id}/inboxes/{inbox_id}", seed["administrator"]["access_token"])
    assert shown_secret == inbox["secret_token"] and len(shown_secret) >= 32
    expect(page.get_by_test_id("inbox-setup-set_webhook")).to_contain_text(f"bot{bot_token}/setWebhook?url=")
    page.get_by_test_id("inbox-setup-copy-webhook_url").click()
    expect(page.get_by_test_id("inbox-setup-copy-status")).to_be_visible()  # copied, or selected for Ctrl+C

    # Still there on the inbox's page later; the bot can't be changed there.
    page.reload()
    expect(page.get_by_test_id("inbox-setup-webhook_url")).to_have_text(hook)
    expect(page.get_by_test_id("inbox-bot-token")).to_have_count(0)

    # The same bot for a second inbox: the server's 409, shown, and nothing created.
    new_inbox(page, "telegram", f"Bot again {tag()}")
    page.get_by_test_id("inbox-bot-token").fill(bot_token)
    page.get_by_test_id("inbox-submit").click()
    expect(page.get_by_test_id("inbox-error")).to_have_text("Another inbox already uses this address or number")
    expect(page).to_have_url(re.compile(r"/settings/inboxes/new$"))
    assert admin.dialogs == []


def test_email_and_api_inboxes_show_their_addresses(admin, stack, seed):
    # Email inboxes need the installation's inbound domain (a super admin sets it).
    domain = "inbound.parley.test"
    api(stack, "PATCH", "/super_admin/api/v1/installation_configs/MAILER_INBOUND_EMAIL_DOMAIN",
        seed["super_admin"]["access_token"], {"value": domain})
    page = admin.page
    t = tag()
    open_settings(admin, "inboxes")
    new_inbox(page, "email", f"Mail {t}")
    page.get_by_test_id("inbox-email").fill(f"reply+x@{t}.example")
    page.get_by_test_id("inbox-submit").click()
    expect(page.get_by_test_id("inbox-error")).to_contain_text("reply+")
    page.get_by_test_id("inbox-email").fill(f"Support@{t}.example")
    page.get_by_test_id("inbox-submit").click()
    created_id(page)
    expect(page.get_by_test_id("inbox-setup")).to_have_attribute("data-channel", "email")
    forward = page.get_by_test_id("inbox-setup-forward_to_email")
    expect(forward).to_have_text(re.compile(rf"^[0-9a-f]{{24}}@{re.escape(domain)}$"))
    expect(page.get_by_test_id("inbox-setup-email")).to_have_text(f"support@{t}.example")
    # Named, not yet proven: no mail is routed by it until the link mailed to it is followed.
    expect(page.get_by_test_id("inbox-setup-email-unverified")).to_contain_text(
        re.compile(rf"^\s*Unverified — .*support@{re.escape(t)}\.example"))
    expect(page.get_by_test_id("inbox-email")).to_have_value(f"support@{t}.example")

    new_inbox(page, "api", f"App {t}")
    page.get_by_test_id("inbox-submit").click()
    inbox_id = created_id(page)
    inbox = api(stack, "GET", f"/api/v1/accounts/{seed['account']['id']}/inboxes/{inbox_id}",
                seed["administrator"]["access_token"])
    expect(page.get_by_test_id("inbox-setup-inbox_identifier")).to_have_text(inbox["inbox_identifier"])
    expect(page.get_by_test_id("inbox-setup-client_api")).to_have_text(
        f"{stack.base_url}/public/api/v1/inboxes/{inbox['inbox_identifier']}")
    expect(page.get_by_test_id("inbox-setup-hmac_token")).to_have_text(inbox["hmac_token"])

    page.get_by_test_id("settings-nav-inboxes").click()
    expect(page.get_by_test_id("inbox-row").filter(has_text=f"Mail {t}")).to_have_attribute("data-channel", "email")
    assert admin.dialogs == []
