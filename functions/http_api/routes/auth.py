"""POST /auth/sign_in, DELETE /auth/sign_out, POST/PUT /auth/password (Chatwoot's
devise_token_auth paths)."""
from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, base_url, body, signed_in, source_ip
from parley.errors import Invalid
from parley.services.account import accounts
from parley.services.access import password_resets, platform, users
from parley.views.users import profile

router = Router()


class SignIn(Body):
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, max_length=256)
    sso_auth_token: str | None = Field(default=None, max_length=256)
    # The second step of a two-factor sign-in (Chatwoot's field names).
    mfa_token: str | None = Field(default=None, max_length=256)
    otp_code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)


@router.post("/auth/sign_in")
def sign_in():
    """Email and password; for a user with two-factor sign-in, 206 with an mfa_token
    instead of the access token, then a second call with mfa_token and otp_code (or
    backup_code) answers the usual body (docs/security.md "Two-factor sign-in")."""
    payload = body(router, SignIn)
    if payload.mfa_token:
        from parley.services.access import mfa  # pyotp: only two-factor sign-ins pay for it

        user, token = mfa.complete_sign_in(payload.mfa_token, payload.otp_code, payload.backup_code,
                                           source_ip(router))
    elif not payload.email:
        raise Invalid("Email can't be blank", field="email")
    elif payload.sso_auth_token:
        user, token = platform.sign_in_with_sso(payload.email, payload.sso_auth_token, source_ip(router))
    else:
        user, token = users.sign_in(payload.email, payload.password or "", source_ip(router))
    return signed_in_as(user, token)


def signed_in_as(user, token: str | None):
    """The sign-in body, or (no token: the user has two-factor sign-in on) Chatwoot's 206
    asking for the code, with the single-use mfa_token the second call brings back."""
    if token is None:
        from parley.services.access import mfa

        return Response(206, content_types.APPLICATION_JSON,
                        json.dumps({"mfa_required": True, "mfa_token": mfa.issue_pending(user)}))
    return {"data": profile(user, accounts.memberships_of(user.id), token)}


@router.delete("/auth/sign_out")
def sign_out():
    caller = signed_in(router)
    users.sign_out(caller.user, caller.token)
    return {"success": True}


class PasswordResetRequest(Body):
    email: str = Field(max_length=254)
    # Sent by devise_token_auth clients; ignored: the link always opens this installation's
    # dashboard, never a page the caller names (it would receive the token).
    redirect_url: str | None = Field(default=None, max_length=2048)


class PasswordReset(Body):
    reset_password_token: str = Field(max_length=256)
    password: str = Field(max_length=256)
    password_confirmation: str = Field(max_length=256)


@router.post("/auth/password")
def request_password_reset():
    payload = body(router, PasswordResetRequest)
    return {"message": password_resets.request(payload.email, source_ip(router), base_url(router))}


@router.put("/auth/password")
def reset_password():
    payload = body(router, PasswordReset)
    user, token = password_resets.reset(payload.reset_password_token, payload.password,
                                        payload.password_confirmation, source_ip(router))
    return signed_in_as(user, token)
