"""GET/PUT /api/v1/profile, POST /api/v1/profile/availability and /api/v1/profile/reset_access_token."""
from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, signed_in, source_ip
from parley import permissions
from parley.errors import Invalid
from parley.services.account import accounts
from parley.services.access import members, users
from parley.views.users import profile as profile_view

router = Router()


class ProfileUpdate(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=254)
    message_signature: str | None = Field(default=None, max_length=10_000)
    avatar_url: str | None = Field(default=None, max_length=2048)
    ui_settings: dict | None = None
    current_password: str | None = Field(default=None, max_length=256)
    password: str | None = Field(default=None, max_length=256)
    password_confirmation: str | None = Field(default=None, max_length=256)


class Availability(Body):
    availability: Literal["online", "busy", "offline"]
    account_id: int
    auto_offline: bool | None = None


@router.get("/api/v1/profile")
def show():
    principal = signed_in(router)
    return profile_view(principal.user, accounts.memberships_of(principal.user.id), principal.token)


@router.route("/api/v1/profile", method=["PUT", "PATCH"])
def update():
    principal = signed_in(router)
    payload = body(router, ProfileUpdate, wrapper="profile")
    user, token = principal.user, principal.token
    if payload.avatar_url and not payload.avatar_url.startswith("https://"):
        raise Invalid("Avatar URL must be an https:// URL", field="avatar_url")
    changes = payload.model_dump(exclude_unset=True,
                                 exclude={"current_password", "password", "password_confirmation"})
    if payload.password is not None:
        if payload.password != payload.password_confirmation:
            raise Invalid("Password confirmation doesn't match Password", field="password_confirmation")
        if changes:
            users.update_user(user, **changes)
        # Changing the password revokes every token; the caller gets a fresh one.
        token = users.change_password(user, payload.current_password or "", payload.password, source_ip(router))
    elif changes:
        users.update_user(user, **changes)
    return profile_view(user, accounts.memberships_of(user.id), token)


@router.post("/api/v1/profile/availability")
def availability():
    principal = signed_in(router)
    payload = body(router, Availability, wrapper="profile")
    member = permissions.account_member(principal, payload.account_id)
    members.update_member(member, availability=payload.availability, auto_offline=payload.auto_offline)
    return profile_view(principal.user, accounts.memberships_of(principal.user.id), principal.token)


@router.post("/api/v1/profile/reset_access_token")
def reset_access_token():
    """Chatwoot's "reset access token": every token of the caller ends, a new one is issued
    (and shown in the profile, as at sign-in). Audited in each of the caller's accounts."""
    principal = signed_in(router)
    token = users.reset_access_token(principal.user)
    return profile_view(principal.user, accounts.memberships_of(principal.user.id), token)
