"""Users: create, find, update, sign in, change password."""
from __future__ import annotations

import re
import secrets

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, ids, passwords, tokens
from ...errors import Conflict, Invalid, NotFound, Unauthorized
from ...models.account import AccountUser
from ...models.unique import UniqueClaim
from ...models.base import utcnow
from ...models.user import SUPER_ADMIN, User
from ..account import throttle

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SIGN_IN_PER_EMAIL = throttle.Limit("sign_in:email", max_failures=5, window_seconds=900)
SIGN_IN_PER_SOURCE = throttle.Limit("sign_in:ip", max_failures=30, window_seconds=900)
# A signed-in caller proving its password again (profile changes): a stolen session must
# not become an unlimited oracle for the password.
PASSWORD_CHECK_PER_USER = throttle.Limit("password_check:user", max_failures=5, window_seconds=900)
TOO_MANY_SIGN_INS = "Too many sign-in attempts. Try again later."


MEMBERSHIP_AUDITED = ("role", "custom_role_id", "availability", "auto_offline")  # what an AccountUser entry records


def membership_fields(member: AccountUser) -> dict:
    """A membership as its audit entries show it."""
    return {"user_id": member.user_id, **{field: getattr(member, field) for field in MEMBERSHIP_AUDITED}}


def owner(user_id: int) -> str:
    return f"User#{user_id}"


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise Invalid("Email is invalid", field="email")
    return email


def email_claim(email: str) -> UniqueClaim:
    return UniqueClaim(f"user_email#{email}")


def get_user(user_id: int) -> User:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        raise NotFound("User not found") from None


def find_by_email(email: str) -> User | None:
    return next(iter(User.email_index.query(email.strip().lower(), limit=1)), None)


def create_user(
    *,
    email: str,
    name: str,
    password: str | None = None,
    super_admin: bool = False,
    display_name: str | None = None,
    custom_attributes: dict | None = None,
    platform_app_id: int | None = None,
) -> User:
    email = normalize_email(email)
    if not name or not name.strip():
        raise Invalid("Name can't be blank", field="name")
    user = User(
        ids.next_id("User"),
        email=email,
        name=name.strip(),
        display_name=display_name,
        password_hash=passwords.hash_password(password) if password else None,
        pubsub_token=secrets.token_urlsafe(18),
        custom_attributes=custom_attributes or {},
        type=SUPER_ADMIN if super_admin else None,
        platform_app_id=platform_app_id,
        password_from_platform=bool(password and platform_app_id),
    )
    claim = email_claim(email)
    claim.target = owner(user.id)
    try:
        with dynamo.transaction() as tx:
            tx.save(claim, condition=UniqueClaim.key.does_not_exist())
            tx.save(user, condition=User.id.does_not_exist())
    except TransactWriteError as exc:
        # Only a failed condition means the e-mail's claim exists; any other cancellation
        # (a concurrent transaction, say) propagates with its reasons.
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Conflict("Email has already been taken", field="email") from None
        raise
    return user


def update_user(user: User, *, by_platform: bool = False, **changes) -> User:
    """Apply profile changes. A new email moves its uniqueness claim in the same
    transaction; a new password revokes every token the user has. `by_platform`: the
    Platform API sets it, so its app knows the password."""
    password = changes.pop("password", None)
    new_email = changes.pop("email", None)
    # A new password is audited in each of the user's accounts, in the write that sets it.
    audited = {"password": audit.FILTERED} if password is not None else None
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = passwords.hash_password(password)
        user.password_from_platform = by_platform
    old_email = user.email
    if new_email is not None and normalize_email(new_email) != old_email:
        user.email = normalize_email(new_email)
        claim = email_claim(user.email)
        claim.target = owner(user.id)
        try:
            with dynamo.transaction() as tx:
                tx.save(claim, condition=UniqueClaim.key.does_not_exist())
                tx.delete(email_claim(old_email))
                tx.save(user)  # the version attribute guards against a concurrent edit
                if audited:
                    audit.for_user(tx, user, "update", audited)
        except TransactWriteError as exc:
            user.email = old_email
            if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
                raise Conflict("Email has already been taken", field="email") from None
            raise
    elif audited:
        user.updated_at = utcnow()  # as Model.save() sets it; a transaction's save does not
        with dynamo.transaction() as tx:
            tx.save(user)
            audit.for_user(tx, user, "update", audited)
    else:
        user.save()
    if password is not None:
        password_changed(user)
    return user


def password_changed(user: User) -> None:
    """Every session the old password opened ends: its tokens and its open sockets."""
    tokens.revoke_all(owner(user.id))
    close_sockets(user, "password_changed")


def delete_user(user: User) -> None:
    tokens.revoke_all(owner(user.id))
    close_sockets(user, "user_deleted")  # before the memberships go: they say where the sockets are
    for member in AccountUser.user_index.query(user.id):  # each account's log says the member left
        with dynamo.transaction() as tx:
            tx.delete(AccountUser(member.account_id, member.user_id))
            audit.add(tx, member.account_id, "AccountUser", user.id, "destroy", membership_fields(member))
    with dynamo.transaction() as tx:
        tx.delete(email_claim(user.email))
        tx.delete(user)


def sign_out(user: User, token: str) -> None:
    """Revoke this one token (audited as a sign-out in each of the user's accounts); the
    sockets it opened are closed, the user's others stay."""
    with dynamo.transaction() as tx:
        tokens.revoke(token, tx)
        audit.for_user(tx, user, "sign_out")
    close_sockets(user, "token_revoked", token)


def close_sockets(user: User, reason: str, token: str | None = None) -> None:
    from . import connections  # only a credential change pays for this import (sign-in never does)

    connections.credential_revoked(user.id, reason, token)


def sign_in(email: str, password: str, source_ip: str) -> tuple[User, str | None]:
    """Check the password; on success issue a new API token, or None for a user with
    two-factor sign-in on (the caller asks for a code: services/access/mfa.py). Attempts
    are counted per email and per source address (an IPv6 /64), reserved before any hash
    is checked, so parallel guesses get no more than the limit; a success gives its
    attempt back."""
    email = (email or "").strip().lower()[:254]
    reserved = throttle.reserve([(SIGN_IN_PER_EMAIL, email), (SIGN_IN_PER_SOURCE, throttle.source(source_ip))],
                                TOO_MANY_SIGN_INS)
    user = find_by_email(email) if EMAIL_RE.match(email) else None
    # verify() runs even for an unknown email, so timing does not tell which emails exist.
    if not passwords.verify(user.password_hash if user else None, password or "") or user is None:
        raise Unauthorized("Invalid login credentials. Please try again.")
    throttle.release(reserved)
    if user.otp_required_for_login:
        return user, None
    return user, issue_session(user, "sign_in")


def issue_session(user: User, action: str = "sign_in") -> str:
    """A new API token for a user who just proved who they are, written with its audit
    entry (`action` in each of the user's accounts)."""
    with dynamo.transaction() as tx:
        token = tokens.issue(owner(user.id), tx)
        audit.for_user(tx, user, action, actor=user)
    return token


def reset_access_token(user: User) -> str:
    """Chatwoot's "reset access token": a new token is issued with its audit entry (the
    change's first write), then every other token of the user is revoked and the sockets
    they opened are closed."""
    with dynamo.transaction() as tx:
        token = tokens.issue(owner(user.id), tx)
        audit.for_user(tx, user, "update", {"access_token": audit.FILTERED})
    tokens.revoke_all(owner(user.id), keep=token)
    close_sockets(user, "token_revoked")
    return token


def change_password(user: User, current_password: str, new_password: str, source_ip: str) -> str:
    """Verify the current password, set the new one (revoking every token), and return a
    fresh token so the caller stays signed in. Checks are throttled like sign-ins."""
    reserved = throttle.reserve([(PASSWORD_CHECK_PER_USER, str(user.id)),
                                 (SIGN_IN_PER_SOURCE, throttle.source(source_ip))],
                                "Too many password attempts. Try again later.")
    if not passwords.verify(user.password_hash, current_password or ""):
        raise Invalid("Current password is incorrect", field="current_password")
    throttle.release(reserved)
    update_user(user, password=new_password)
    return tokens.issue(owner(user.id))
