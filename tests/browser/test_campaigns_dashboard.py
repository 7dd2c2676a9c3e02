"""Campaigns in the dashboard (issue 16): an administrator manages live chat campaigns through
the Campaigns section (a bad URL pattern's 422 shown at the field, the campaign then seen
through the API, enabled / disabled inline, edited, deleted) and one-off campaigns on SMS and
WhatsApp inboxes (labels, the local schedule, a WhatsApp template and its parameters); an
agent has no such section.

The SMS and WhatsApp inboxes are added through the API: the local stack's providers'
stand-ins (local/providers.py) prove their numbers and serve Meta's templates. The audience
count, progress, failures and templates are one-off sending's (issue 16's API contract:
POST campaigns/audience, `progress`, GET campaigns/{id}/recipients, sync_templates,
template_params)."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from .pages import api, tag

ONGOING = re.compile(r"/app/accounts/\d+/campaigns/ongoing$")
ONE_OFF = re.compile(r"/app/accounts/\d+/campaigns/one_off$")


def campaigns_url(seed, rest: str = "") -> str:
    return f"/api/v1/accounts/{seed['account']['id']}/campaigns" + (f"/{rest}" if rest else "")


def listed(stack, seed, title: str) -> dict | None:
    found = [c for c in api(stack, "GET", campaigns_url(seed), seed["administrator"]["access_token"]) if c["title"] == title]
    assert len(found) <= 1
    return found[0] if found else None


def open_campaigns(admin, screen: str = "ongoing") -> None:
    page = admin.page
    page.get_by_test_id("nav-campaigns").click()
    expect(page).to_have_url(ONGOING)  # the section opens on live chat
    if screen == "one_off":
        page.get_by_test_id("campaigns-nav-one_off").click()
        expect(page).to_have_url(ONE_OFF)


def made_inbox(stack, seed, kind: str) -> dict:
    """A new SMS or WhatsApp inbox of the account, added through the API (the stand-ins prove
    its number: any Twilio account owns any number; a WhatsApp phone_number_id is its digits)."""
    digits = f"1415{int(tag(), 16) % 10**7:07d}"
    if kind == "sms":
        channel = {"type": "sms", "account_sid": "AC" + "5e" * 16, "auth_token": "0123456789abcdef" * 2,
                   "phone_number": f"+{digits}"}
    else:
        channel = {"type": "whatsapp", "provider": "whatsapp_cloud", "phone_number": f"+{digits}", "provider_config": {
            "api_key": "EAAG-local", "phone_number_id": digits, "business_account_id": "1" + digits,
            "app_secret": "local-app-secret", "webhook_verify_token": f"verify-{digits}"}}
    name = f"Acme {'SMS' if kind == 'sms' else 'WhatsApp'} {digits[-4:]}"
    made = api(stack, "POST", f"/api/v1/accounts/{seed['account']['id']}/inboxes", seed["administrator"]["access_token"],
               {"name": name, "channel": channel})
    return {"id": made["id"], "name": name}


@pytest.fixture
def one_off_inbox(stack, seed) -> int:
    return made_inbox(stack, seed, "sms")["id"]

def test_live_chat_campaign_created_toggled_edited_and_deleted(admin, stack, seed):
    t = tag()
    title = f"Pricing hello {t}"
    page = admin.page
    open_campaigns(admin)
    page.get_by_test_id("campaign-add").click()
    form = page.get_by_test_id("campaign-form")
    page.get_by_test_id("campaign-title").fill(title)
    page.get_by_test_id("campaign-inbox").select_option(label="Acme website")
    page.get_by_test_id("campaign-message").fill(f"Questions about our plans? [{t}]")
    page.get_by_test_id("campaign-sender").select_option(str(seed["agent"]["id"]))
    page.get_by_test_id("campaign-seconds").fill("3")
    expect(page.get_by_test_id("campaign-url-help")).to_contain_text("No regular expressions")
    # A regular expression is refused by the server (422 naming trigger_rules.url): shown at
    # the field, the form kept, nothing created.
    page.get_by_test_id("campaign-url").fill(f"https://acme.test/(pricing|plans)-{t}")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-error-trigger_rules.url")).to_contain_text("not a regular expression")
    expect(page.get_by_test_id("campaign-url")).to_have_attribute("aria-invalid", "true")
    expect(form).to_be_visible()
    assert listed(stack, seed, title) is None

    page.get_by_test_id("campaign-url").fill(f"https://acme.test/pricing-{t}*")
    page.get_by_test_id("campaign-submit").click()
    expect(form).to_have_count(0)
    row = page.get_by_test_id("campaign-row").filter(has_text=title)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("campaign-row-url")).to_have_text(f"https://acme.test/pricing-{t}*")
    campaign = listed(stack, seed, title)
    assert campaign is not None
    assert (campaign["campaign_type"], campaign["enabled"], campaign["inbox_id"], campaign["sender_id"]) == (
        "ongoing", True, seed["website_inbox"]["id"], seed["agent"]["id"])
    assert campaign["trigger_rules"] == {"url": f"https://acme.test/pricing-{t}*", "time_on_page": 3}
    assert campaign["message"] == f"Questions about our plans? [{t}]"
    expect(row).to_have_attribute("data-campaign-id", str(campaign["id"]))

    # Disabled and enabled again inline.
    switch = row.get_by_test_id("campaign-enabled")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(row).to_have_attribute("data-status", "disabled")
    assert listed(stack, seed, title)["enabled"] is False
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert listed(stack, seed, title)["enabled"] is True

    # Edited: the form comes back filled; the change reaches the API.
    row.get_by_test_id("campaign-edit").click()
    expect(page.get_by_test_id("campaign-title")).to_have_value(title)
    expect(page.get_by_test_id("campaign-url")).to_have_value(f"https://acme.test/pricing-{t}*")
    page.get_by_test_id("campaign-seconds").fill("7")
    page.get_by_test_id("campaign-business-hours").check()
    page.get_by_test_id("campaign-submit").click()
    expect(form).to_have_count(0)
    expect(row).to_contain_text("after 7 s")
    changed = listed(stack, seed, title)
    assert changed["trigger_rules"]["time_on_page"] == 7 and changed["trigger_only_during_business_hours"] is True

    # Still there after a reload; then deleted after asking.
    page.reload()
    expect(row).to_have_count(1)
    row.get_by_test_id("campaign-delete").click()
    row.get_by_test_id("campaign-delete-confirm").click()
    expect(row).to_have_count(0)
    assert listed(stack, seed, title) is None
    assert admin.dialogs == []


def test_agents_have_no_campaigns_section(new_agent, stack):
    agent = new_agent("agent")
    agent.open_dashboard()
    page = agent.page
    expect(page.get_by_test_id("nav-conversations")).to_be_visible()
    expect(page.get_by_test_id("nav-campaigns")).to_have_count(0)
    page.goto(page.url.rsplit("/conversations", 1)[0] + "/campaigns/ongoing")
    expect(page).to_have_url(re.compile(r"/conversations$"))
    assert agent.dialogs == []


def test_one_off_screen_offers_sms_and_whatsapp_inboxes_only(admin, stack, seed):
    token, account = seed["administrator"]["access_token"], seed["account"]["id"]
    inboxes = api(stack, "GET", f"/api/v1/accounts/{account}/inboxes", token)["payload"]
    one_off = [i["name"] for i in inboxes if i["channel_type"] in ("Channel::TwilioSms", "Channel::Whatsapp", "Channel::Sms")]
    page = admin.page
    open_campaigns(admin, "one_off")
    if not one_off:  # the seed's stack: none yet
        expect(page.get_by_test_id("campaign-no-inbox")).to_be_visible()
        expect(page.get_by_test_id("campaign-add")).to_be_disabled()
    else:
        page.get_by_test_id("campaign-add").click()
        options = page.get_by_test_id("campaign-inbox").locator("option:not([disabled])")
        expect(options).to_have_text(one_off)  # no website, API, email or Telegram inbox
    assert admin.dialogs == []


def phones(t: str) -> list[str]:
    """Two E.164 numbers of this test's own."""
    n = int(t, 16) % 10**7
    return [f"+1415{n:07d}", f"+1628{n:07d}"]


def labelled_contacts(stack, seed, label: str, numbers: list[str]) -> None:
    token, account = seed["administrator"]["access_token"], seed["account"]["id"]
    api(stack, "POST", f"/api/v1/accounts/{account}/labels", token, {"title": label})
    for n, phone in enumerate(numbers):
        made = api(stack, "POST", f"/api/v1/accounts/{account}/contacts", token, {"name": f"{label} {n}", "phone_number": phone})
        contact = made["payload"]["contact"]
        api(stack, "POST", f"/api/v1/accounts/{account}/contacts/{contact['id']}/labels", token, {"labels": [label]})


def test_one_off_campaign_created_with_its_audience(admin, stack, seed, one_off_inbox):
    """The audience counted as the labels are chosen (POST campaigns/audience), then the
    campaign created with its local send time."""
    t = tag()
    label, title = f"spring-{t}", f"Spring sale {t}"
    labelled_contacts(stack, seed, label, phones(t))
    page = admin.page
    open_campaigns(admin, "one_off")
    page.get_by_test_id("campaign-add").click()
    page.get_by_test_id("campaign-title").fill(title)
    page.get_by_test_id("campaign-inbox").select_option(str(one_off_inbox))
    label_id = next(lb["id"] for lb in api(stack, "GET", f"/api/v1/accounts/{seed['account']['id']}/labels",
                                            seed["administrator"]["access_token"])["payload"] if lb["title"] == label)
    page.get_by_test_id(f"campaign-label-{label_id}").check()
    expect(page.get_by_test_id("campaign-audience")).to_have_attribute("data-size", "2")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-error-scheduled_at")).to_be_visible()  # no time yet
    when = page.evaluate("() => { const d = new Date(Date.now() + 2 * 3600e3); d.setSeconds(0, 0); "
                         "const p = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' "
                         "+ p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) }")
    expected_at = page.evaluate("(v) => new Date(v).getTime() / 1000", when)
    page.get_by_test_id("campaign-scheduled").fill(when)
    if page.get_by_test_id("campaign-message").count():
        page.get_by_test_id("campaign-message").fill(f"20% off this week [{t}]")
    else:  # a WhatsApp inbox: its first approved template, parameters filled
        page.get_by_test_id("campaign-template").select_option(index=1)
        for box in page.locator('[data-testid^="campaign-param-"]').all():
            box.fill(t)
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-form")).to_have_count(0)
    row = page.get_by_test_id("campaign-row").filter(has_text=title)
    expect(row).to_have_attribute("data-status", "scheduled")
    campaign = listed(stack, seed, title)
    assert campaign["campaign_type"] == "one_off" and campaign["inbox_id"] == one_off_inbox
    assert campaign["audience"] == [{"type": "Label", "id": label_id}]
    assert campaign["scheduled_at"] == expected_at
    api(stack, "DELETE", campaigns_url(seed, str(campaign["id"])), seed["administrator"]["access_token"])
    assert admin.dialogs == []


def test_one_off_progress_and_failures_as_the_api_reports_them(admin, stack, seed, one_off_inbox):
    """One-off sending on the local stack: the campaign is sent through the real path
    (schedule, job, deliver, the provider), then the dashboard shows the progress and the
    failed contacts the API reports (the stand-in takes every message: usually none fail).
    The counts and the failures list are compared once the API says completed with nothing
    left queued (within 30 s: otherwise the started state only)."""
    t = tag()
    label, title = f"winter-{t}", f"Winter sale {t}"
    labelled_contacts(stack, seed, label, phones(t))
    token, account = seed["administrator"]["access_token"], seed["account"]["id"]
    label_id = next(lb["id"] for lb in api(stack, "GET", f"/api/v1/accounts/{account}/labels", token)["payload"]
                    if lb["title"] == label)
    made = api(stack, "POST", campaigns_url(seed), token, {
        "title": title, "message": f"Warm socks [{t}]", "inbox_id": one_off_inbox,
        "audience": [{"type": "Label", "id": label_id}], "scheduled_at": int(time.time()) + 3})
    # Started: every contact claimed (queued, then sent or failed as the provider answers).
    deadline = time.monotonic() + 90
    while True:
        progress = api(stack, "GET", campaigns_url(seed, str(made["id"])), token)["progress"]
        counted = progress and sum(progress[k] for k in ("sent", "failed", "queued", "skipped"))
        if counted == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert progress and progress["audience_size"] == 2 and counted == 2, progress

    page = admin.page
    open_campaigns(admin, "one_off")
    row = page.get_by_test_id("campaign-row").filter(has_text=title)
    expect(row).to_have_attribute("data-status", re.compile(r"^(sending|completed)$"))
    shown = row.get_by_test_id("campaign-progress")
    expect(shown).to_have_attribute("data-total", "2")
    expect(row.get_by_test_id("campaign-edit")).to_have_count(0)  # started: no more changes
    # The failures the API reports (the provider's answers, or none reached), with their reasons.
    # Completed means every contact has its message; the deliveries may still be under way
    # (queued), so the figures are compared once none is left queued: they no longer move.
    deadline = time.monotonic() + 30
    while True:
        campaign = api(stack, "GET", campaigns_url(seed, str(made["id"])), token)
        settled = campaign["campaign_status"] == "completed" and not campaign["progress"]["queued"]
        if settled or time.monotonic() > deadline:
            break
        time.sleep(1)
    if settled:
        done = campaign["progress"]
        for key in ("sent", "failed", "queued", "skipped"):  # the screen asks again while sending
            expect(shown).to_have_attribute(f"data-{key}", str(done[key]), timeout=15_000)
        expect(row).to_have_attribute("data-status", "completed")
        if done["failed"]:
            failed = api(stack, "GET", campaigns_url(seed, f"{made['id']}/recipients?status=failed"), token)
            row.get_by_test_id("campaign-show-failures").click()
            expect(row.get_by_test_id("campaign-failure")).to_have_count(len(failed["payload"]))
            for recipient in failed["payload"]:
                one = row.locator(f'[data-testid="campaign-failure"][data-contact-id="{recipient["contact_id"]}"]')
                expect(one).to_contain_text(recipient["reason"])
    assert admin.dialogs == []


def test_whatsapp_campaign_with_an_approved_template(admin, stack, seed):
    """A WhatsApp inbox's templates synced from Meta (the stand-in's hello_world and
    order_update): approved ones offered, order_update's {{1}} filled, the text the contact
    will read shown and sent as the message with Chatwoot's template_params."""
    inbox = made_inbox(stack, seed, "whatsapp")
    t = tag()
    label, title = f"offer-{t}", f"Order news {t}"
    labelled_contacts(stack, seed, label, phones(t))
    token, account = seed["administrator"]["access_token"], seed["account"]["id"]
    label_id = next(lb["id"] for lb in api(stack, "GET", f"/api/v1/accounts/{account}/labels", token)["payload"]
                    if lb["title"] == label)
    page = admin.page
    open_campaigns(admin, "one_off")
    page.get_by_test_id("campaign-add").click()
    page.get_by_test_id("campaign-title").fill(title)
    page.get_by_test_id("campaign-inbox").select_option(label=inbox["name"])
    expect(page.get_by_test_id("campaign-message")).to_have_count(0)  # a template instead
    picker = page.get_by_test_id("campaign-template")
    page.get_by_test_id("campaign-sync-templates").click()
    expect(picker.locator("option")).to_have_text(["Choose an approved template", "hello_world (en_US)", "order_update (en_US)"])
    expect(page.get_by_test_id("campaign-templates-error")).to_have_count(0)
    synced = api(stack, "GET", f"/api/v1/accounts/{account}/inboxes/{inbox['id']}", token)["message_templates"]
    assert {tpl["name"] for tpl in synced} == {"hello_world", "order_update"}
    page.get_by_test_id(f"campaign-label-{label_id}").check()
    expect(page.get_by_test_id("campaign-audience")).to_have_attribute("data-size", "2")
    when = page.evaluate("() => { const d = new Date(Date.now() + 3 * 3600e3); const p = (n) => String(n).padStart(2, '0'); "
                         "return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) "
                         "+ ':' + p(d.getMinutes()) }")
    page.get_by_test_id("campaign-scheduled").fill(when)
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-error-template_params")).to_contain_text("approved WhatsApp template")
    picker.select_option("order_update|en_US")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-error-template_params")).to_contain_text("{{1}}")  # left empty
    page.get_by_test_id("campaign-param-1").fill(f"#{t}")
    expect(page.get_by_test_id("campaign-template-preview")).to_have_text(f"Hi! Your order #{t} is on its way.")
    page.get_by_test_id("campaign-submit").click()
    expect(page.get_by_test_id("campaign-form")).to_have_count(0)
    campaign = listed(stack, seed, title)
    assert campaign["template_params"] == {"name": "order_update", "category": "UTILITY", "language": "en_US",
                                           "processed_params": {"1": f"#{t}"}}
    assert campaign["message"] == f"Hi! Your order #{t} is on its way."
    row = page.get_by_test_id("campaign-row").filter(has_text=title)
    expect(row).to_contain_text("template order_update")

    # Edited: the template and its parameter come back in the form.
    row.get_by_test_id("campaign-edit").click()
    expect(picker).to_have_value("order_update|en_US")
    expect(page.get_by_test_id("campaign-param-1")).to_have_value(f"#{t}")
    page.get_by_test_id("campaign-cancel").click()
    api(stack, "DELETE", campaigns_url(seed, str(campaign["id"])), token)
    assert admin.dialogs == []
