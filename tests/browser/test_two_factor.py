"""Two-factor sign-in in the dashboard (issue 12, item 4): a person enrols from Settings ›
Two-factor (the QR code and the key on screen; the test computes the code from the key
with pyotp, as an authenticator app would), keeps the ten recovery codes, then signs in
with a code and with a recovery code; an administrator requires it for the account and a
member without it is sent to the enrolment before anything else."""
from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from .pages import Agent, api, open_settings, tag

VIEWPORT = {"width": 1440, "height": 900}


def platform_call(stack, seed, method: str, path: str, body: dict):
    return api(stack, method, path, seed["platform_token"], body, timeout=30)


def own_account(stack, seed, name: str) -> tuple[dict, dict]:
    """An account of a platform app's with one administrator: no other test's user is touched."""
    account = platform_call(stack, seed, "POST", "/platform/api/v1/accounts", {"name": f"Two-factor {name}"})
    return account, member(stack, seed, account, f"tf-admin-{name}", "administrator")


def member(stack, seed, account: dict, local: str, role: str) -> dict:
    person = {"email": f"{local}@parley.test", "password": "Two-factor-secret-1!"}
    user = platform_call(stack, seed, "POST", "/platform/api/v1/users", {"name": local, **person})
    platform_call(stack, seed, "POST", f"/platform/api/v1/accounts/{account['id']}/account_users",
                  {"user_id": user["id"], "role": role})
    return person


def enrol(page) -> tuple[str, list[str]]:
    """Set up on the panel shown: scan (read the key), type the code, keep the codes."""
    page.get_by_test_id("mfa-start").click()
    expect(page.get_by_test_id("mfa-qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_test_id("mfa-code").fill(pyotp.TOTP(secret).now())
    page.get_by_test_id("mfa-verify").click()
    codes = page.get_by_test_id("mfa-recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    return secret, [c.strip() for c in codes.all_inner_texts()]


def code_step(page, value: str, recovery: bool = False) -> None:
    expect(page.get_by_test_id("signin-mfa-form")).to_be_visible()
    if recovery:
        page.get_by_test_id("signin-use-recovery").click()
    page.get_by_test_id("signin-otp").fill(value)
    page.get_by_test_id("signin-otp-submit").click()


def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(new_context, stack, seed):
    account, person = own_account(stack, seed, tag())
    home = re.compile(rf"/app/accounts/{account['id']}/conversations$")

    context = new_context(viewport=VIEWPORT, permissions=["clipboard-read", "clipboard-write"])
    admin = Agent(context, stack, person)
    admin.sign_in()
    expect(admin.page).to_have_url(home)
    open_settings(admin, "two-factor")
    page = admin.page
    expect(page.get_by_test_id("mfa-status")).to_have_attribute("data-enabled", "false")
    secret, codes = enrol(page)
    assert len(set(codes)) == 10
    page.get_by_test_id("mfa-copy-codes").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").split("\n") == codes
    page.get_by_test_id("mfa-done").click()
    expect(page.get_by_test_id("mfa-recovery-codes")).to_have_count(0)  # shown once
    expect(page.get_by_test_id("mfa-status")).to_have_attribute("data-enabled", "true")

    # Signing in now asks for a code after the password. The enrolment used this 30-second
    # step's code, so the app's next one (accepted: one step of drift) is typed.
    again = Agent(new_context(viewport=VIEWPORT), stack, person)
    again.sign_in()
    code_step(again.page, "000000" if pyotp.TOTP(secret).at(time.time() + 30) != "000000" else "111111")
    expect(again.page.get_by_test_id("signin-error")).to_have_text("Invalid verification code")
    code_step(again.page, pyotp.TOTP(secret).at(time.time() + 30))
    expect(again.page).to_have_url(home)

    # A recovery code signs in once.
    third = Agent(new_context(viewport=VIEWPORT), stack, person)
    third.sign_in()
    code_step(third.page, codes[0], recovery=True)
    expect(third.page).to_have_url(home)
    fourth = Agent(new_context(viewport=VIEWPORT), stack, person)
    fourth.sign_in()
    code_step(fourth.page, codes[0], recovery=True)
    expect(fourth.page.get_by_test_id("signin-error")).to_have_text("Invalid verification code")
    expect(fourth.page).to_have_url(re.compile(r"/app/login"))


def test_an_account_that_requires_it_sends_a_member_to_enrol_first(new_context, stack, seed):
    name = tag()
    account, person = own_account(stack, seed, name)
    agent_person = member(stack, seed, account, f"tf-agent-{name}", "agent")

    admin = Agent(new_context(viewport=VIEWPORT), stack, person)
    admin.sign_in()
    expect(admin.page).to_have_url(re.compile(r"/conversations$"))
    # Required before the administrator has it: refused, with the reason.
    open_settings(admin, "account")
    admin.page.get_by_test_id("two-factor-required").check()
    admin.page.get_by_test_id("security-save").click()
    expect(admin.page.get_by_test_id("security-error")).to_contain_text("Enable two-factor authentication on your own profile")
    open_settings(admin, "two-factor")
    enrol(admin.page)
    admin.page.get_by_test_id("mfa-done").click()
    open_settings(admin, "account")
    admin.page.get_by_test_id("two-factor-required").check()
    admin.page.get_by_test_id("security-save").click()
    expect(admin.page.get_by_test_id("security-saved")).to_be_visible()

    agent = Agent(new_context(viewport=VIEWPORT), stack, agent_person)
    agent.sign_in()
    page = agent.page
    expect(page).to_have_url(re.compile(r"/app/profile/two-factor$"))
    expect(page.get_by_test_id("mfa-required-notice")).to_be_visible()
    page.goto(stack.base_url + f"/app/accounts/{account['id']}/conversations")
    expect(page).to_have_url(re.compile(r"/app/profile/two-factor$"))  # nothing else first
    enrol(page)
    page.get_by_test_id("mfa-done").click()
    expect(page.get_by_test_id("mfa-required-notice")).to_have_count(0)
    page.get_by_test_id("mfa-continue").click()
    expect(page).to_have_url(re.compile(rf"/app/accounts/{account['id']}/conversations$"))
    expect(page.get_by_test_id("conversation-list")).to_be_visible()
