"""Platform apps: installation-level clients that provision accounts and users.

As in Chatwoot, an app may only read or change what it created itself. A user is the
app's only while it belongs to no account the app does not own: once another tenant
invites that e-mail, logging in as the user, editing it or adding it anywhere would be
a way into that tenant."""
from __future__ import annotations

import secrets
import time

from pynamodb.exceptions import DeleteError, DoesNotExist

from ... import ids, security_log, tokens
from ...errors import NotFound, Unauthorized
from ...models.platform_app import PlatformApp
from ...models.user import AccessToken, User
from ..account import accounts, throttle
from . import users


def owner(app_id: int) -> str:
    return f"PlatformApp#{app_id}"


def create_platform_app(name: str) -> tuple[PlatformApp, str]:
    app = PlatformApp(ids.next_id("PlatformApp"), name=name)
    app.save()
    return app, tokens.issue(owner(app.id))


def ensure_owned(app_id: int, resource) -> None:
    """404 for anything another app (or a person) created: its existence is not the app's business."""
    if getattr(resource, "platform_app_id", None) != app_id:
        raise NotFound()


def controls(app_id: int, user: User) -> bool:
    """True while the app created the user, it is no super admin, and every account it
    belongs to is the app's own (one index Query plus one BatchGet)."""
    if user.platform_app_id != app_id or user.is_super_admin:
        return False
    return all(account.platform_app_id == app_id for _, account in accounts.memberships_of(user.id))


def controlled_user(app_id: int, user_id: int) -> User:
    """The user, if the app may read, edit, delete, log in as or add it; 404 otherwise."""
    user = users.get_user(user_id)
    ensure_owned(app_id, user)
    if not controls(app_id, user):
        # The app created it, but another tenant has it now: worth an operator's look.
        security_log.refused("platform_foreign_user", "Platform app reached for a user another account has",
                             platform_app_id=app_id, user_id=user.id)
        raise NotFound("User not found")
    return user


# ---------------------------------------------------------------- SSO login links

SSO_SECONDS = 300


def issue_sso_token(user: User) -> str:
    """A single-use sign-in link token for the Platform API's SSO login (5 minutes)."""
    token = secrets.token_urlsafe(32)
    AccessToken(tokens.digest(token), owner=f"SsoLogin#{user.id}", expires_at=int(time.time()) + SSO_SECONDS).save()
    return token


def sign_in_with_sso(email: str, sso_token: str, source_ip: str) -> tuple[User, str]:
    """Sign in with a link from the login route. The token is 32 random bytes: guessing
    it is limited per source address only, so strangers who lock an e-mail's password
    sign-in out (a per-e-mail limit) do not lock its owner out of this way in."""
    email = (email or "").strip().lower()[:254]
    reserved = throttle.reserve([(users.SIGN_IN_PER_SOURCE, throttle.source(source_ip))], users.TOO_MANY_SIGN_INS)
    user = users.find_by_email(email) if users.EMAIL_RE.match(email) else None
    item = AccessToken(tokens.digest(sso_token)) if user else None
    try:
        # Deleting with a condition makes the link single-use even under concurrent clicks.
        if item is None:
            raise DoesNotExist()
        item.delete(condition=(AccessToken.owner == f"SsoLogin#{user.id}")
                    & (AccessToken.expires_at > int(time.time())))
    except (DeleteError, DoesNotExist):
        raise Unauthorized("Invalid login credentials. Please try again.") from None
    # A link minted while the app still controlled the user opens nothing once another
    # tenant has invited it (the link is used up either way).
    if user.platform_app_id is None or not controls(user.platform_app_id, user):
        raise Unauthorized("Invalid login credentials. Please try again.")
    throttle.release(reserved)
    if user.otp_required_for_login:  # the link replaces the password, not the second factor
        return user, None
    return user, users.issue_session(user)
