"""Two-factor sign-in: TOTP (RFC 6238, 30-second steps, 6 digits) with ten single-use
recovery codes.

- Enrolment: `begin` draws a secret (kept on the user, not yet in force) and answers its
  otpauth:// URI and a QR code; `enable` checks a first code and turns 2FA on, answering
  the ten recovery codes once. Only their salted PBKDF2 hashes are stored.
- Sign-in: a correct password for a user with 2FA gets a pending token ("MfaPending#<id>",
  5 minutes, single use) instead of an access token; `complete_sign_in` trades it with a
  code (or a recovery code) for the access token.
- A TOTP code is accepted once: the time step it matched is written to the user with a
  condition that it is newer than the last one accepted, so a replay, or two concurrent
  uses of one code, fail. A recovery code is removed from the list with a condition that
  it is still there.
- Every check of a code is throttled per user (and per source address at sign-in) like
  passwords: reserved before the check, given back on success.
- Changes (enabled, disabled, recovery codes regenerated, reset by a super admin) are
  audited in each account the user belongs to, in the transaction of the change itself.

pyotp and segno are imported on these paths only (cold start)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from ... import audit, dynamo, passwords, permissions, tokens
from ...errors import Invalid, ParleyError, Unauthorized
from ...models.user import AccessToken, User
from ..account import throttle
from ..account.accounts import memberships_of as _memberships
from . import users

ISSUER = "Parley"  # when the installation has no INSTALLATION_NAME
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clock skew, typing time)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
RECOVERY_CODE_LENGTH = 10  # ~49 bits each
HASH_ITERATIONS = 100_000
PENDING_SECONDS = 300
PENDING_KIND = "MfaPending"
# Attempts at a code, whatever the path (sign-in, enrolment, disable, regenerate).
CODE_PER_USER = throttle.Limit("mfa:user", max_failures=5, window_seconds=900)
TOO_MANY_CODES = "Too many two-factor attempts. Try again later."


class InvalidCode(ParleyError):
    """A wrong or used code: 400 with Chatwoot's message."""
    status, code = 400, "invalid_code"


# ---------------------------------------------------------------- status and enrolment

def status(user: User) -> dict:
    """GET /api/v1/profile/mfa (Chatwoot's fields)."""
    return {"feature_available": True, "enabled": bool(user.otp_required_for_login),
            "backup_codes_generated": bool(user.otp_backup_codes)}


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app scans: the installation's name as issuer."""
    import pyotp

    from ... import global_config

    issuer = global_config.get("INSTALLATION_NAME", ISSUER)
    issuer = issuer.strip()[:64] if isinstance(issuer, str) and issuer.strip() else ISSUER
    return pyotp.TOTP(user.otp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code(uri: str) -> str:
    """The URI as a QR code, an SVG data URI the dashboard shows as an <img> (segno: pure
    Python, no image library)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def begin(user: User) -> dict:
    """A new secret, not yet in force: sign-in ignores it until `enable` saw a code from it."""
    import pyotp

    if user.otp_required_for_login:
        raise Invalid("Two-factor authentication is already enabled", field="otp_code")
    user.otp_secret = pyotp.random_base32()  # 32 characters: 160 bits
    user.otp_last_step = None
    user.save()
    uri = provisioning_uri(user)
    return {"secret": user.otp_secret, "provisioning_url": uri, "qr_code_url": qr_code(uri)}


def enable(user: User, otp_code: str | None, source_ip: str | None) -> list[str]:
    """Check the first code of the secret from `begin` and turn 2FA on; returns the ten
    recovery codes (the only plaintext copy)."""
    if user.otp_required_for_login:
        raise Invalid("Two-factor authentication is already enabled", field="otp_code")
    if not user.otp_secret:
        raise Invalid("Start the two-factor set-up first (POST /api/v1/profile/mfa)", field="otp_code")
    _check(user, otp_code, None, source_ip)
    codes = _new_recovery_codes(user)
    user.otp_required_for_login = True
    _save_audited(user, {"otp_required_for_login": [False, True]})
    return codes


def disable(user: User, otp_code: str | None, backup_code: str | None, password: str | None,
            source_ip: str | None) -> None:
    """Turn 2FA off: needs the password and a current code (or a recovery code), as Chatwoot."""
    _require_enabled(user)
    required = [m.account_id for m, a in _memberships(user.id) if (a.settings or {}).get(permissions.TWO_FACTOR_REQUIRED)]
    if required:
        raise Invalid("An account you belong to requires two-factor authentication "
                      f"(account {', '.join(map(str, required))}): it cannot be turned off", field="otp_code")
    _check_password(user, password, source_ip)
    _check(user, otp_code, backup_code, source_ip)
    _clear(user)
    _save_audited(user, {"otp_required_for_login": [True, False]})


def regenerate_recovery_codes(user: User, otp_code: str | None, source_ip: str | None) -> list[str]:
    """Ten new recovery codes replace the old ones (all of them), after a current code."""
    _require_enabled(user)
    _check(user, otp_code, None, source_ip)
    codes = _new_recovery_codes(user)
    _save_audited(user, {"otp_backup_codes": "regenerated"})
    return codes


def reset(user_id: int) -> User:
    """A super admin turns a user's 2FA off (a lost device and no recovery code left)."""
    user = users.get_user(user_id)
    if not user.otp_required_for_login and not user.otp_secret:
        return user
    was = bool(user.otp_required_for_login)
    _clear(user)
    _save_audited(user, {"otp_required_for_login": [was, False], "reset": "by a super admin"})
    from . import connections  # its sockets in accounts that require 2FA close, as their doors now refuse it

    for _member, account in _memberships(user.id):
        if (account.settings or {}).get(permissions.TWO_FACTOR_REQUIRED):
            connections.two_factor_missing(account.id, {user.id})
    return user


def _require_enabled(user: User) -> None:
    if not user.otp_required_for_login:
        raise Invalid("Two-factor authentication is not enabled", field="otp_code")


def _clear(user: User) -> None:
    user.otp_required_for_login = False
    user.otp_secret = None
    user.otp_backup_codes = None
    user.otp_salt = None
    user.otp_last_step = None


def _check_password(user: User, password: str | None, source_ip: str | None) -> None:
    reserved = throttle.reserve([(users.PASSWORD_CHECK_PER_USER, str(user.id)),
                                 (users.SIGN_IN_PER_SOURCE, throttle.source(source_ip))],
                                "Too many password attempts. Try again later.")
    if not passwords.verify(user.password_hash, password or ""):
        raise Invalid("Current password is incorrect", field="password")
    throttle.release(reserved)


def _save_audited(user: User, changes: dict) -> None:
    """The user's write and its entry ("User", "update") in each of their accounts, in one
    transaction (audit.for_user)."""
    with dynamo.transaction() as tx:
        tx.save(user)  # the version attribute guards against a concurrent change
        audit.for_user(tx, user, "update", changes)


# ---------------------------------------------------------------- sign-in

def issue_pending(user: User) -> str:
    """The mfa_token a correct password earns a user with 2FA: single use, 5 minutes; it
    opens nothing but `complete_sign_in` (parley.auth knows no such owner)."""
    token = secrets.token_urlsafe(32)
    AccessToken(tokens.digest(token), owner=f"{PENDING_KIND}#{user.id}",
                expires_at=int(time.time()) + PENDING_SECONDS).save()
    return token


def complete_sign_in(mfa_token: str, otp_code: str | None, backup_code: str | None,
                     source_ip: str | None) -> tuple[User, str]:
    """Trade the pending token and a code for an access token. A wrong code leaves the
    token usable (until it expires or the attempts run out); a right one uses it up."""
    item = _pending(mfa_token)
    user_id = int(item.owner.partition("#")[2])
    try:
        user = User.get(user_id)
    except User.DoesNotExist:
        raise Unauthorized("Invalid or expired MFA token. Please sign in again.") from None
    if not user.otp_required_for_login:  # reset since: sign in again
        raise Unauthorized("Invalid or expired MFA token. Please sign in again.")
    _check(user, otp_code, backup_code, source_ip, per_source=True)
    try:  # single use, even for two requests racing with two different good codes
        item.delete(condition=(AccessToken.owner == item.owner) & (AccessToken.expires_at > int(time.time())))
    except DeleteError:
        raise Unauthorized("Invalid or expired MFA token. Please sign in again.") from None
    return user, users.issue_session(user)  # the sign-in, audited now that it is complete


def _pending(mfa_token: str | None) -> AccessToken:
    if mfa_token and len(mfa_token) <= 256:
        try:
            item = AccessToken.get(tokens.digest(mfa_token))
        except DoesNotExist:
            item = None
        # TTL removes an expired item late (up to days): the expiry is checked here.
        if item is not None and item.owner.startswith(PENDING_KIND + "#") and (item.expires_at or 0) > time.time():
            return item
    raise Unauthorized("Invalid or expired MFA token. Please sign in again.")


# ---------------------------------------------------------------- codes

def clock() -> float:
    """Now, for TOTP steps (one name for tests to move)."""
    return time.time()


def _check(user: User, otp_code: str | None, backup_code: str | None, source_ip: str | None,
           per_source: bool = False) -> None:
    """Accept one code (TOTP, or else a recovery code) and use it up; InvalidCode otherwise.
    Throttled per user (and per source address at sign-in)."""
    if not otp_code and not backup_code:
        raise Invalid("Enter the code from your authenticator app or a recovery code", field="otp_code")
    limits = [(CODE_PER_USER, str(user.id))]
    if per_source:
        limits.append((users.SIGN_IN_PER_SOURCE, throttle.source(source_ip)))
    reserved = throttle.reserve(limits, TOO_MANY_CODES)
    accepted = _use_totp(user, otp_code) if otp_code else _use_recovery_code(user, backup_code)
    if not accepted:
        from ...security_log import refused

        refused("mfa_code", "a wrong or used two-factor code", user_id=user.id)
        raise InvalidCode("Invalid verification code")
    throttle.release(reserved)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    import pyotp

    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):  # every step compared: no timing hint
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step if found is None else found
    return found


def _use_totp(user: User, code: str) -> bool:
    if not user.otp_secret:
        return False
    step = _matching_step(user.otp_secret, code, clock())
    if step is None or (user.otp_last_step is not None and user.otp_last_step >= step):
        return False  # wrong, or this code (or a later one) was used already
    try:  # the condition, not the read above, decides between two concurrent uses
        user.update(actions=[User.otp_last_step.set(step)], add_version_condition=False,
                    condition=User.otp_last_step.does_not_exist() | (User.otp_last_step < step))
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(salt: str, code: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", _normalize_recovery(code).encode(), bytes.fromhex(salt),
                               HASH_ITERATIONS).hex()


def _use_recovery_code(user: User, code: str) -> bool:
    normalized = _normalize_recovery(code)
    if len(normalized) != RECOVERY_CODE_LENGTH or not user.otp_salt:
        return False
    digest = _hash(user.otp_salt, normalized)
    for _ in range(2):  # once more if another code was used meanwhile (the list moved)
        index = None
        for i, stored in enumerate(user.otp_backup_codes or []):  # every hash compared, in constant time each
            if hmac.compare_digest(stored, digest) and index is None:
                index = i
        if index is None:
            return False
        try:  # removed only if still at its place: two uses of one code cannot both pass
            user.update(actions=[User.otp_backup_codes[index].remove()], add_version_condition=False,
                        condition=User.otp_backup_codes[index] == digest)
            return True
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            user.refresh(consistent_read=True)
    return False


def _new_recovery_codes(user: User) -> list[str]:
    """Ten new codes: the user keeps the hashes (and a new salt), the caller gets the text."""
    user.otp_salt = secrets.token_hex(16)
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    user.otp_backup_codes = [_hash(user.otp_salt, code) for code in codes]
    return codes
