"""Password links: "forgot password" (POST/PUT /auth/password, devise_token_auth's paths)
and the first password of an invited agent. One mechanism for both.

A link carries 32 random bytes; only their SHA-256 is stored, as an access-token item
owned by `PasswordReset#<user id>` (auth.py accepts no such owner, so the link opens no
API) with an expiry the redeeming write checks (TTL removes the item later, but may take
days). The token is found by its hash, so no comparison ever runs over the secret itself.
Redeeming deletes the item on condition, in the same transaction as the new password:
a link works once, even under concurrent clicks.

Why the reset path has its own buckets: a stranger's 5 failed sign-ins lock an e-mail's
password sign-in for 15 minutes. The reset request counts only its own attempts, so the
owner can always ask for a link; following it proves the mailbox, which clears that
lock. Requests are limited per e-mail (3 an hour: no one can flood the owner's mailbox)
and per source; over the per-e-mail limit the answer stays the same and nothing is sent,
so a stranger's requests can't turn into a 429 for the owner, whose mailbox already has
the links those requests mailed (valid for the hour the limit looks back)."""
from __future__ import annotations

import secrets
import time

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, passwords, security_log, tokens
from ...errors import Invalid, ProviderUnavailable, TooManyRequests
from ...models.user import AccessToken, User
from ..account import throttle
from . import users

logger = Logger(child=True)

KIND = "PasswordReset"
# A reset link sits in a mailbox (and in whatever forwards or indexes it): an hour is
# enough to click it and short enough to make a stolen one rarely useful.
RESET_SECONDS = 3600
# An invitation waits for someone who may not read mail today.
INVITATION_SECONDS = 7 * 86400
PER_EMAIL = throttle.Limit("password_reset:email", max_failures=3, window_seconds=3600)
PER_SOURCE = throttle.Limit("password_reset:ip", max_failures=20, window_seconds=3600)
TOO_MANY = "Too many password reset attempts. Try again later."
SENT = "Request for password reset is successful. Check your mail for instructions."
INVALID_TOKEN = "This password link is invalid, used or expired. Ask for a new one."


def _owner(user_id: int) -> str:
    return f"{KIND}#{user_id}"


def request(email: str, source_ip: str, base_url: str) -> str:
    """Mail a reset link if the e-mail has an account. Answers the same either way."""
    throttle.reserve([(PER_SOURCE, throttle.source(source_ip))], TOO_MANY)  # every request counts
    email = (email or "").strip().lower()[:254]
    try:
        throttle.reserve([(PER_EMAIL, email)], TOO_MANY)
    except TooManyRequests:
        security_log.refused("password_reset", "too many reset mails asked for one e-mail; none sent",
                             source_ip=source_ip)
        return SENT
    user = users.find_by_email(email) if users.EMAIL_RE.match(email) else None
    if user is not None:
        item, link = reset_link(user, base_url)
        item.save()
        mail_reset(user, link)
    return SENT


def reset_link(user: User, base_url: str) -> tuple[AccessToken, str]:
    """A reset link (1 hour) and its item, not yet written: the caller writes it, in a
    transaction of its own if it audits (the super admin's "send a reset e-mail")."""
    token = secrets.token_urlsafe(32)
    item = AccessToken(tokens.digest(token), owner=_owner(user.id), expires_at=int(time.time()) + RESET_SECONDS)
    return item, f"{base_url}/app/auth/reset?token={token}"


def mail_reset(user: User, link: str, *, quiet: bool = True) -> None:
    """`quiet`: a mail SES refuses is logged, not raised (the public path must answer alike
    either way); the console passes False to tell the super admin."""
    _mail(user, "Reset your password",
          "Someone (hopefully you, or your installation's administrator) asked to reset the password of your "
          f"account.\n\nOpen this link to choose a new one (it expires in 1 hour and works once):\n\n{link}\n\n"
          "If it was not you, ignore this mail: your password stays as it is.\n", quiet=quiet)


def invite(user: User, account_name: str, base_url: str) -> None:
    """An agent added without a password gets a link to choose one (the reset link, for 7 days)."""
    if user.password_hash:
        return
    link = _link(user, base_url, INVITATION_SECONDS)
    _mail(user, f"You have been invited to {account_name[:100]}",
          f"You have been added as an agent to {account_name[:100]}.\n\n"
          f"Open this link to choose your password (it expires in 7 days and works once):\n\n{link}\n\n"
          "Later, \"Forgot password?\" on the sign-in page sends a new link.\n")


def _link(user: User, base_url: str, lifetime: int) -> str:
    token = secrets.token_urlsafe(32)
    AccessToken(tokens.digest(token), owner=_owner(user.id), expires_at=int(time.time()) + lifetime).save()
    return f"{base_url}/app/auth/reset?token={token}"


def _mail(user: User, subject: str, text: str, quiet: bool = True) -> None:
    from ...channels import DeliveryError, email

    try:
        email.send_notice(user.email, subject, text)
    except DeliveryError as exc:  # the caller's answer does not change: it would tell who has an account
        logger.error("password link not sent", extra={"user_id": user.id, "reason": exc.reason})
        if not quiet:
            raise ProviderUnavailable(f"The reset e-mail was not sent: {exc.reason}") from None


def reset(token: str, password: str, confirmation: str, source_ip: str) -> tuple[User, str]:
    """Set the password through a link: every other session and link of the user ends,
    the e-mail's sign-in lock is lifted, and a fresh API token is returned."""
    if password != confirmation:
        raise Invalid("Password confirmation doesn't match Password", field="password_confirmation")
    passwords.validate(password or "")  # before the link is used up: a weak choice can be retried
    reserved = throttle.reserve([(PER_SOURCE, throttle.source(source_ip))], TOO_MANY)
    user = _redeem(token, password)
    if user is None:
        security_log.refused("password_reset", "an unknown, used, expired or altered password link",
                             source_ip=source_ip)
        raise Invalid(INVALID_TOKEN, field="reset_password_token")
    throttle.release(reserved)
    tokens.revoke_all(_owner(user.id))  # the other links mailed to it
    users.password_changed(user)
    throttle.clear(users.SIGN_IN_PER_EMAIL, user.email)  # the owner proved the mailbox
    if user.otp_required_for_login:  # a mailbox is not the second factor: sign in with a code
        return user, None
    return user, tokens.issue(users.owner(user.id))


def _redeem(token: str, password: str) -> User | None:
    owner = tokens.owner_of(token)
    kind, _, raw_id = (owner or "").partition("#")
    if kind != KIND or not raw_id.isdigit():
        return None
    try:
        user = User.get(int(raw_id))
    except User.DoesNotExist:
        return None
    user.password_hash = passwords.hash_password(password)
    user.password_from_platform = False  # whatever the platform app set, it no longer knows it
    user.confirmed = True
    try:
        with dynamo.transaction() as tx:
            tx.delete(AccessToken(tokens.digest(token)),
                      condition=(AccessToken.owner == owner) & (AccessToken.expires_at > int(time.time())))
            tx.save(user)
            # The link's holder is the user: the new password is audited as theirs.
            audit.for_user(tx, user, "update", {"password": audit.FILTERED}, actor=user)
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            return None
        raise
    return user
