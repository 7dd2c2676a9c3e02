"""Password reset and agent invitations (issue 9, item 5): POST/PUT /auth/password.

A stranger who locks an e-mail's password sign-in out (5 failed guesses) does not lock its
owner out: the reset path has its own buckets, and proving the mailbox clears the lock.
The request answers alike for every e-mail (no account enumeration) and is limited per
e-mail (the owner's mailbox is not flooded) and per source. The link's token is 32
random bytes, stored only as its SHA-256, single-use, expiring; an invited agent sets
their first password through the same link."""
from __future__ import annotations

import re
import time

import boto3
import pytest

from local.cfn import REGION
from tests.integration.test_channel_claims import sent_to
from tests.integration.test_realtime import connect
from tests.integration.test_socket_rights import assert_revoked, sockets  # noqa: F401 (fixture)

SENDER_DOMAIN = "parley.example"
NEW_PASSWORD = "Fresh-start-42!"
LINK = re.compile(r"https?://[^\s/]+/app/auth/reset\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def mailer(aws):
    from parley import global_config

    global_config.update("MAILER_SUPPORT_EMAIL", f"accounts@{SENDER_DOMAIN}")
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=SENDER_DOMAIN)


def reset_tokens(address: str) -> list[str]:
    return [m.group(1) for body in sent_to(address) for m in LINK.finditer(body)]


def ask(api, email: str, source_ip: str = "198.51.100.10"):
    return api.post("/auth/password", body={"email": email, "redirect_url": "https://evil.example/steal"},
                    source_ip=source_ip)


def set_password(api, token: str, password: str = NEW_PASSWORD, confirmation: str | None = None,
                 source_ip: str = "198.51.100.10"):
    return api.put("/auth/password", body={"reset_password_token": token, "password": password,
                                           "password_confirmation": confirmation or password}, source_ip=source_ip)


def sign_in(api, email: str, password: str, source_ip: str = "198.51.100.10"):
    return api.post("/auth/sign_in", body={"email": email, "password": password}, source_ip=source_ip)


def test_owner_locked_out_by_strangers_resets_and_signs_in(api, world, mailer):
    email = "agent@acme.test"
    for n in range(5):  # strangers, from all over, lock the e-mail's password sign-in
        assert sign_in(api, email, f"guess-{n}", source_ip=f"203.0.113.{n + 1}").status == 401
    assert sign_in(api, email, world.agent.password).status == 429

    reply = ask(api, email)
    assert reply.status == 200
    [token] = reset_tokens(email)
    assert "evil.example" not in sent_to(email)[0]  # the caller's redirect_url is not where the link goes
    changed = set_password(api, token)
    assert changed.status == 200, changed.json
    assert changed.json["data"]["id"] == world.agent.id and changed.json["data"]["access_token"]
    # The owner proved the mailbox: the lock the strangers set is gone, the new password works.
    assert sign_in(api, email, NEW_PASSWORD).status == 200
    assert sign_in(api, email, world.agent.password).status == 401
    assert api.get("/api/v1/profile", changed.json["data"]["access_token"]).status == 200


def test_the_link_points_at_this_installation_not_at_a_forged_host(api, world, mailer):
    """A caller reaching the API without CloudFront's edge secret can't pick the link's
    host: the owner would hand their token to the attacker's site by clicking it."""
    import os

    api.post("/auth/password", body={"email": "agent@acme.test"},
             headers={"x-forwarded-host": "evil.example", "host": "parley.example.com"})
    api.post("/auth/password", body={"email": "agent@acme.test"},
             headers={"x-forwarded-host": "support.acme.example", "host": "abc.execute-api.example",
                      "x-parley-edge": os.environ["EDGE_SECRET"]})
    forged, through_edge = sent_to("agent@acme.test")
    assert "evil.example" not in forged and "://parley.example.com/app/auth/reset?token=" in forged
    assert "://support.acme.example/app/auth/reset?token=" in through_edge


def test_unknown_emails_answer_the_same_and_send_nothing(api, world, mailer):
    known, unknown = ask(api, "agent@acme.test"), ask(api, "nobody@acme.test")
    assert (known.status, known.json) == (unknown.status, unknown.json) == (200, known.json)
    assert reset_tokens("agent@acme.test") and not sent_to("nobody@acme.test")
    # A malformed address gets the same answer too: nothing to learn from the error.
    assert (ask(api, "not-an-address").status, ask(api, "not-an-address").json) == (200, known.json)


def test_a_reset_token_is_single_use(api, world, mailer, refusals):
    ask(api, "agent@acme.test")
    [token] = reset_tokens("agent@acme.test")
    assert set_password(api, token).status == 200
    again = set_password(api, token, "Another-one-43!")
    assert again.status == 422 and "invalid" in again.json["error"].lower()
    assert sign_in(api, "agent@acme.test", NEW_PASSWORD).status == 200
    assert any(kind == "password_reset" for kind, _ in refusals)


def test_a_weak_password_keeps_the_link_usable(api, world, mailer):
    ask(api, "agent@acme.test")
    [token] = reset_tokens("agent@acme.test")
    assert set_password(api, token, "short").status == 422
    assert set_password(api, token, NEW_PASSWORD, confirmation="Not-the-same-1!").status == 422
    assert set_password(api, token).status == 200


def test_a_tampered_or_foreign_token_fails(api, world, mailer):
    ask(api, "agent@acme.test")
    [token] = reset_tokens("agent@acme.test")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert set_password(api, tampered).status == 422
    # An API token is not a reset token, and a reset token opens no API.
    assert set_password(api, world.agent.token).status == 422
    assert api.get("/api/v1/profile", token).status == 401
    assert sign_in(api, "agent@acme.test", world.agent.password).status == 200  # nothing changed


def test_a_reset_link_expires_after_an_hour(api, world, mailer, monkeypatch):
    ask(api, "agent@acme.test")
    [token] = reset_tokens("agent@acme.test")
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)  # DynamoDB's TTL may take days: the check is ours
    assert set_password(api, token).status == 422
    monkeypatch.undo()
    assert sign_in(api, "agent@acme.test", world.agent.password).status == 200


def test_a_reset_revokes_every_token_and_socket(api, world, website, mailer, sockets):  # noqa: F811
    from parley import tokens
    from parley.services.access import users

    second_device = tokens.issue(users.owner(world.agent.id))
    assert connect("laptop", token=world.agent.token) == 200
    assert connect("phone", token=second_device) == 200
    ask(api, "agent@acme.test")
    ask(api, "agent@acme.test")  # two links outstanding: using one retires the other
    first, second = reset_tokens("agent@acme.test")
    assert set_password(api, second).status == 200
    for socket in ("laptop", "phone"):
        assert_revoked(sockets, socket, "password_changed")
    assert api.get("/api/v1/profile", world.agent.token).status == 401
    assert api.get("/api/v1/profile", second_device).status == 401
    assert set_password(api, first, "Another-one-43!").status == 422


def test_a_platform_set_password_is_no_longer_the_apps(api, world, mailer):
    token = world.platform_token
    user_id = api.post("/platform/api/v1/users", token, body={
        "name": "Pat", "email": "pat@platform.test", "password": "Platform-set-1!"}).json["id"]
    ask(api, "pat@platform.test")
    [reset] = reset_tokens("pat@platform.test")
    assert set_password(api, reset).status == 200
    from parley.services.access import users

    assert users.get_user(user_id).password_from_platform is False


def test_reset_requests_are_limited_per_email_and_per_source(api, world, mailer, refusals):
    email = "agent@acme.test"
    answers = [ask(api, email, source_ip=f"203.0.113.{n + 1}") for n in range(6)]
    # Every caller hears the same; the owner's mailbox gets 3 mails an hour, not 6.
    assert {(a.status, str(a.json)) for a in answers} == {(200, str(answers[0].json))}
    assert len(reset_tokens(email)) == 3
    assert any(kind == "password_reset" for kind, _ in refusals)
    # One source asking for many e-mails is refused outright.
    statuses = [ask(api, f"someone{n}@acme.test", source_ip="2001:db8:7:7::1").status for n in range(25)]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
    assert ask(api, "admin@acme.test", source_ip="2001:db8:7:7::ffff").status == 429  # the same /64
    assert ask(api, "admin@acme.test", source_ip="2001:db8:7:8::1").status == 200


def test_guessing_reset_tokens_is_limited_per_source(api, world, mailer):
    statuses = [set_password(api, f"guess-{n}-" + "x" * 40, source_ip="203.0.113.99").status for n in range(22)]
    assert statuses[:20] == [422] * 20 and statuses[20:] == [429] * 2


def test_reset_does_not_touch_sign_in_buckets(api, world, mailer):
    """A stranger's reset requests never lock the owner's sign-in, and the other way round."""
    for n in range(6):
        ask(api, "agent@acme.test", source_ip=f"203.0.113.{n + 1}")
    assert sign_in(api, "agent@acme.test", world.agent.password, source_ip="203.0.113.1").status == 200


def test_an_invited_agent_gets_a_mail_and_sets_a_password(api, world, mailer, monkeypatch):
    email = "newbie@acme.test"
    reply = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                     body={"name": "Newbie", "email": email, "role": "agent"})
    assert reply.status == 200, reply.json
    [body] = sent_to(email)
    assert "Acme" in body
    [token] = reset_tokens(email)
    assert sign_in(api, email, NEW_PASSWORD).status == 401
    later = time.time() + 3 * 86400  # an invitation waits days, not an hour
    monkeypatch.setattr(time, "time", lambda: later)
    assert set_password(api, token).status == 200
    assert sign_in(api, email, NEW_PASSWORD).status == 200


def test_an_invitation_link_expires_after_a_week(api, world, mailer, monkeypatch):
    email = "late@acme.test"
    api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
             body={"name": "Late", "email": email, "role": "agent"})
    [token] = reset_tokens(email)
    later = time.time() + 7 * 86400 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert set_password(api, token).status == 422


def test_adding_an_agent_who_has_a_password_sends_no_link(api, world, mailer):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                     body={"name": "Gloria", "email": "admin@globex.test", "role": "agent"})
    assert reply.status == 200
    assert reset_tokens("admin@globex.test") == []


