"""Two-factor sign-in (issue 12, item 4): enrolment at /api/v1/profile/mfa, the second step
of POST /auth/sign_in, recovery codes, replay, throttling, an account that requires it, a
super admin's reset, and the audit entries of each change."""
from __future__ import annotations

import time

import pyotp
import pytest

from parley.models.audit_log import AuditLog
from parley.models.user import AccessToken, User
from parley.services.access import mfa
from tests.integration.test_password_reset import mailer  # noqa: F401  (a fixture)
from tests.integration.test_realtime import connect
from tests.integration.test_socket_rights import assert_revoked, sockets  # noqa: F401  (a fixture)

MFA = "/api/v1/profile/mfa"
real_engine = pytest.mark.dynamodb_local  # conditional writes: also on DynamoDB Local, not only moto


@pytest.fixture
def clock(monkeypatch):
    """The TOTP clock, moved step by step (a code is good once per 30-second step)."""
    now = [time.time()]
    monkeypatch.setattr(mfa, "clock", lambda: now[0])

    class Clock:
        def code(self, secret: str) -> str:
            return pyotp.TOTP(secret).at(now[0])

        def next_step(self) -> None:
            now[0] += 30

    return Clock()


def enrol(api, person, clock) -> tuple[str, list[str]]:
    started = api.post(MFA, person.token)
    assert started.status == 200, started.json
    secret = started.json["secret"]
    verified = api.post(f"{MFA}/verify", person.token, body={"otp_code": clock.code(secret)})
    assert verified.status == 200, verified.json
    clock.next_step()
    return secret, verified.json["backup_codes"]


def password_step(api, person):
    return api.post("/auth/sign_in", body={"email": person.email, "password": person.password})


def entries(account_id: int) -> list[AuditLog]:
    return [e for e in AuditLog.query(account_id, scan_index_forward=False) if e.auditable_type == "User"]


@real_engine
def test_enrolment_shows_a_secret_and_qr_then_the_first_code_turns_it_on(api, world, clock):
    assert api.get(MFA, world.agent.token).json == {"feature_available": True, "enabled": False,
                                                   "backup_codes_generated": False}
    started = api.post(MFA, world.agent.token)
    assert started.status == 200, started.json
    secret = started.json["secret"]
    assert len(secret) == 32 and started.json["enabled"] is False
    uri = pyotp.parse_uri(started.json["provisioning_url"])
    assert (uri.secret, uri.name, uri.issuer, uri.digits, uri.interval) == (secret, world.agent.email, "Parley", 6, 30)
    assert started.json["qr_code_url"].startswith("data:image/svg+xml")
    # Not in force before a code was seen: sign-in still answers the token.
    assert password_step(api, world.agent).json["data"]["access_token"]

    assert api.post(f"{MFA}/verify", world.agent.token, body={"otp_code": "000000" if clock.code(secret) != "000000" else "111111"}).status == 400
    assert api.post(f"{MFA}/verify", world.agent.token, body={}).status == 422
    verified = api.post(f"{MFA}/verify", world.agent.token, body={"otp_code": clock.code(secret)})
    assert verified.status == 200, verified.json
    codes = verified.json["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert verified.json["enabled"] is True and verified.json["backup_codes_generated"] is True
    # Stored only as salted hashes.
    user = User.get(world.agent.id)
    assert len(user.otp_backup_codes) == 10 and not set(codes) & set(user.otp_backup_codes)
    assert not any(code.replace("-", "") in "".join(user.otp_backup_codes) for code in codes)
    # Enabled twice: refused.
    assert api.post(MFA, world.agent.token).status == 422
    assert api.get("/api/v1/profile", world.agent.token).json["mfa_enabled"] is True


def test_sign_in_asks_for_the_code_after_the_password(api, world, clock):
    secret, _ = enrol(api, world.agent, clock)
    first = password_step(api, world.agent)
    assert first.status == 206, first.json
    assert first.json["mfa_required"] is True and "data" not in first.json
    mfa_token = first.json["mfa_token"]
    assert api.get("/api/v1/profile", mfa_token).status == 401  # it opens nothing else

    wrong = api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": "12345"})
    assert wrong.status == 400 and wrong.json["error"] == "Invalid verification code"
    done = api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": clock.code(secret)})
    assert done.status == 200, done.json
    token = done.json["data"]["access_token"]
    assert api.get("/api/v1/profile", token).json["id"] == world.agent.id

    # The mfa_token is single use.
    clock.next_step()
    again = api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": clock.code(secret)})
    assert again.status == 401
    assert api.post("/auth/sign_in", body={"mfa_token": "made-up", "otp_code": clock.code(secret)}).status == 401
    # A wrong password still says nothing of 2FA.
    assert api.post("/auth/sign_in", body={"email": world.agent.email, "password": "Wrong-pass1!"}).status == 401


@real_engine
def test_a_code_replayed_within_its_window_is_refused(api, world, clock):
    secret, _ = enrol(api, world.agent, clock)
    code = clock.code(secret)
    first = api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"], "otp_code": code})
    assert first.status == 200
    replay = api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"], "otp_code": code})
    assert replay.status == 400, replay.json
    # An older step's code, still inside the drift window, is refused too once a newer one was used.
    clock.next_step()
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "otp_code": code}).status == 400
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "otp_code": clock.code(secret)}).status == 200


@real_engine
def test_two_concurrent_uses_of_one_code_cannot_both_pass(api, world, clock):
    """The step is written with a condition: a request that read the user before the other
    one's write still fails at its own write."""
    secret, _ = enrol(api, world.agent, clock)
    code = clock.code(secret)
    stale = User.get(world.agent.id)  # read before the first use
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "otp_code": code}).status == 200
    assert mfa._use_totp(stale, code) is False


@real_engine
def test_a_recovery_code_signs_in_once(api, world, clock):
    _, codes = enrol(api, world.agent, clock)
    done = api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "backup_code": codes[3].upper()})
    assert done.status == 200, done.json
    assert len(User.get(world.agent.id).otp_backup_codes) == 9
    again = api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                            "backup_code": codes[3]})
    assert again.status == 400
    stale = User.get(world.agent.id)
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "backup_code": codes[0]}).status == 200
    assert mfa._use_recovery_code(stale, codes[0]) is False  # a concurrent second use of it
    assert mfa._use_recovery_code(stale, codes[1]) is True  # another code still works from a stale read
    assert len(User.get(world.agent.id).otp_backup_codes) == 7


@real_engine
def test_wrong_codes_are_throttled_per_user(api, world, clock):
    secret, _ = enrol(api, world.agent, clock)
    mfa_token = password_step(api, world.agent).json["mfa_token"]
    for _ in range(mfa.CODE_PER_USER.max_failures):
        assert api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": "99999a"}).status == 400
    blocked = api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": clock.code(secret)})
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    # A fresh mfa_token (or another source address) does not reset the user's count.
    other = api.post("/auth/sign_in", body={"email": world.agent.email, "password": world.agent.password},
                     source_ip="198.51.100.9")
    assert api.post("/auth/sign_in", body={"mfa_token": other.json["mfa_token"], "otp_code": clock.code(secret)},
                    source_ip="198.51.100.9").status == 429
    # The profile routes count against the same limit.
    assert api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": clock.code(secret)}).status == 429


@real_engine
def test_an_expired_mfa_token_is_refused(api, world, clock):
    secret, _ = enrol(api, world.agent, clock)
    mfa_token = password_step(api, world.agent).json["mfa_token"]
    from parley import tokens
    item = AccessToken.get(tokens.digest(mfa_token))
    assert item.owner == f"MfaPending#{world.agent.id}" and item.expires_at <= time.time() + mfa.PENDING_SECONDS
    item.update(actions=[AccessToken.expires_at.set(int(time.time()) - 1)])  # TTL has not removed it yet
    expired = api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": clock.code(secret)})
    assert expired.status == 401
    assert expired.json["error"] == "Invalid or expired MFA token. Please sign in again."


def test_disable_needs_the_password_and_a_code(api, world, clock):
    secret, codes = enrol(api, world.agent, clock)
    assert api.delete(MFA, world.agent.token, body={"otp_code": clock.code(secret), "password": "Wrong-pass1!"}).status == 422
    assert api.delete(MFA, world.agent.token, body={"password": world.agent.password}).status == 422
    assert api.delete(MFA, world.agent.token, body={"otp_code": "000000", "password": world.agent.password}).status in (400, 422)
    assert User.get(world.agent.id).otp_required_for_login is True
    off = api.delete(MFA, world.agent.token, body={"backup_code": codes[0], "password": world.agent.password})
    assert off.status == 200 and off.json["enabled"] is False
    user = User.get(world.agent.id)
    assert user.otp_secret is None and user.otp_backup_codes is None
    assert password_step(api, world.agent).json["data"]["access_token"]
    assert api.delete(MFA, world.agent.token, body={"password": world.agent.password}).status == 422  # not on


def test_regenerated_recovery_codes_replace_the_old_ones(api, world, clock):
    secret, old = enrol(api, world.agent, clock)
    assert api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": "abc"}).status == 400
    fresh = api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": clock.code(secret)})
    assert fresh.status == 200, fresh.json
    new = fresh.json["backup_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "backup_code": old[0]}).status == 400
    assert api.post("/auth/sign_in", body={"mfa_token": password_step(api, world.agent).json["mfa_token"],
                                           "backup_code": new[0]}).status == 200


def test_an_account_can_require_two_factor_sign_in(api, world, clock):
    account = f"/api/v1/accounts/{world.account_id}"
    # The administrator must have it first, or the setting would lock them out.
    refused = api.patch(account, world.admin.token, body={"two_factor_required": True})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "two_factor_required"
    assert api.patch(account, world.agent.token, body={"two_factor_required": True}).status == 403
    enrol(api, world.admin, clock)
    on = api.patch(account, world.admin.token, body={"two_factor_required": True})
    assert on.status == 200 and on.json["settings"]["two_factor_required"] is True

    # A member without 2FA: signed in, told to enrol, and refused by the account's routes.
    signed = password_step(api, world.agent)
    assert signed.status == 200 and signed.json["data"]["mfa_enrollment_required"] is True
    token = signed.json["data"]["access_token"]
    blocked = api.get(f"{account}/conversations", token)
    assert blocked.status == 403 and "two-factor" in blocked.json["error"]
    assert api.get(account, token).status == 403
    # Another account's member is not concerned; the profile stays reachable to enrol.
    assert api.get(f"/api/v1/accounts/{world.other_account_id}", world.other_admin.token).status == 200
    assert api.get("/api/v1/profile", token).json["mfa_enrollment_required"] is True
    secret = api.post(MFA, token).json["secret"]
    assert api.post(f"{MFA}/verify", token, body={"otp_code": clock.code(secret)}).status == 200
    assert api.get(f"{account}/conversations", token).status == 200
    # While the account requires it, it cannot be turned off (a super admin can reset it).
    clock.next_step()
    assert api.delete(MFA, token, body={"otp_code": clock.code(secret), "password": world.agent.password}).status == 422


def test_a_super_admin_resets_a_users_two_factor(api, world, clock):
    enrol(api, world.agent, clock)
    path = f"/super_admin/api/v1/users/{world.agent.id}/reset_mfa"
    assert api.post(path, world.admin.token).status == 403  # an administrator is not a super admin
    assert api.post(path).status == 401
    assert api.post("/super_admin/api/v1/users/999999/reset_mfa", world.super_admin.token).status == 404
    done = api.post(path, world.super_admin.token)
    assert done.status == 200 and done.json["enabled"] is False and done.json["id"] == world.agent.id
    assert User.get(world.agent.id).otp_secret is None
    assert password_step(api, world.agent).json["data"]["access_token"]


@real_engine
def test_every_change_is_audited_once_in_each_account_without_secrets(api, world, clock):
    from parley.services.access import members
    members.add_member(world.other_account_id, world.agent.id, "agent")
    secret, codes = enrol(api, world.agent, clock)
    assert api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": clock.code(secret)}).status == 200
    clock.next_step()
    assert api.delete(MFA, world.agent.token, body={"otp_code": clock.code(secret),
                                                    "password": world.agent.password}).status == 200
    clock.next_step()
    enrol(api, world.agent, clock)
    assert api.post(f"/super_admin/api/v1/users/{world.agent.id}/reset_mfa", world.super_admin.token).status == 200
    # A refused attempt leaves no entry.
    assert api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": "123456"}).status == 422

    for account_id in (world.account_id, world.other_account_id):
        logged = entries(account_id)
        assert [(e.action, e.auditable_id) for e in logged] == [("update", world.agent.id)] * 5
        assert [e.audited_changes for e in reversed(logged)] == [
            {"otp_required_for_login": [False, True]}, {"otp_backup_codes": "[FILTERED]"},
            {"otp_required_for_login": [True, False]}, {"otp_required_for_login": [False, True]},
            {"otp_required_for_login": [True, False], "reset": "by a super admin"}]
        assert [e.user_type for e in logged] == ["SuperAdmin", "User", "User", "User", "User"]
        text = repr([e.audited_changes for e in logged])
        assert secret not in text and not any(code in text for code in codes)


def test_a_password_reset_link_or_an_sso_link_still_asks_for_the_code(api, world, clock, mailer):
    """A mailbox or a platform app's link stands in for the password, not for the second factor."""
    from urllib.parse import parse_qs, urlparse

    from tests.integration.test_password_reset import NEW_PASSWORD, ask, reset_tokens

    secret, _ = enrol(api, world.agent, clock)
    assert ask(api, world.agent.email).status == 200
    [token] = reset_tokens(world.agent.email)
    reset = api.put("/auth/password", body={"reset_password_token": token, "password": NEW_PASSWORD,
                                            "password_confirmation": NEW_PASSWORD})
    assert reset.status == 206 and reset.json["mfa_required"] is True and "data" not in reset.json
    assert api.post("/auth/sign_in", body={"mfa_token": reset.json["mfa_token"],
                                           "otp_code": clock.code(secret)}).status == 200
    clock.next_step()

    user = api.post("/platform/api/v1/users", world.platform_token,
                    body={"name": "Pat", "email": "pat@platform.test", "password": "Platform-pass-1!"}).json
    person = type(world.agent)(user["id"], "pat@platform.test", api.post(
        "/auth/sign_in", body={"email": "pat@platform.test", "password": "Platform-pass-1!"}).json["data"]["access_token"],
        "Platform-pass-1!")
    secret, _ = enrol(api, person, clock)
    link = api.get(f"/platform/api/v1/users/{user['id']}/login", world.platform_token).json["url"]
    sso = parse_qs(urlparse(link).query)["sso_auth_token"][0]
    first = api.post("/auth/sign_in", body={"email": person.email, "sso_auth_token": sso})
    assert first.status == 206, first.json
    assert api.post("/auth/sign_in", body={"mfa_token": first.json["mfa_token"],
                                           "otp_code": clock.code(secret)}).status == 200


def test_an_account_that_requires_it_closes_and_refuses_the_sockets_of_members_without_it(api, world, clock, sockets):
    assert connect("agent-socket", token=world.agent.token) == 200
    assert connect("admin-socket", token=world.admin.token) == 200
    enrol(api, world.admin, clock)
    assert api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token,
                     body={"two_factor_required": True}).status == 200
    assert_revoked(sockets, "agent-socket", "two_factor_required")
    assert "admin-socket" not in sockets.closed  # has it: stays
    assert connect("agent-again", token=world.agent.token) == 403

    # Enrolled: welcome back; reset by a super admin: out again.
    secret = api.post(MFA, world.agent.token).json["secret"]
    assert api.post(f"{MFA}/verify", world.agent.token, body={"otp_code": clock.code(secret)}).status == 200
    assert connect("agent-enrolled", token=world.agent.token) == 200
    assert api.post(f"/super_admin/api/v1/users/{world.agent.id}/reset_mfa", world.super_admin.token).status == 200
    assert_revoked(sockets, "agent-enrolled", "two_factor_required")
    assert "admin-socket" not in sockets.closed


def test_bad_input_is_a_clear_4xx_and_changes_nothing(api, world, clock):
    secret, _ = enrol(api, world.agent, clock)
    before = User.get(world.agent.id)
    mfa_token = password_step(api, world.agent).json["mfa_token"]
    for body in ({"mfa_token": mfa_token, "otp_code": "1" * 17}, {"mfa_token": mfa_token, "otp_code": 123456},
                 {"mfa_token": "x" * 257, "otp_code": "123456"}, {"mfa_token": mfa_token, "otp_code": "1", "extra": 1},
                 {"password": "x"}):
        assert api.post("/auth/sign_in", body=body).status == 422, body
    assert api.post("/auth/sign_in", body={"mfa_token": mfa_token}).status == 422  # no code at all
    assert api.post("/auth/sign_in", body="[1]").status == 400
    assert api.post(f"{MFA}/verify", world.agent.token, body={"otp_code": ["1"]}).status == 422
    assert api.post(f"{MFA}/backup_codes", world.agent.token, body={"otp_code": clock.code(secret), "x": 1}).status == 422
    assert api.delete(MFA, world.agent.token, body={"password": "p" * 300}).status == 422
    assert api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token,
                     body={"two_factor_required": "sometimes"}).status == 422
    after = User.get(world.agent.id)
    assert (after.otp_secret, after.otp_backup_codes, after.otp_last_step) == (
        before.otp_secret, before.otp_backup_codes, before.otp_last_step)
    # The token still works after all that (none of it was a code attempt).
    assert api.post("/auth/sign_in", body={"mfa_token": mfa_token, "otp_code": clock.code(secret)}).status == 200
