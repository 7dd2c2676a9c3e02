"""POST /auth/sign_in, DELETE /auth/sign_out, POST/PUT /auth/password (Chatwoot's
devise_token_auth paths)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, base_url, body, signed_in, source_ip
from parley.services.account import accounts
from parley.services.access import password_resets, platform, users
from parley.views.users import profile

router = Router()


class SignIn(Body):
    email: str = Field(max_length=254)
    password: str | None = Field(default=None, max_length=256)
    sso_auth_token: str | None = Field(default=None, max_length=256)


@router.post("/auth/sign_in")
def sign_in():
    payload = body(router, SignIn)
    if payload.sso_auth_token:
        user, token = platform.sign_in_with_sso(payload.email, payload.sso_auth_token, source_ip(router))
    else:
        user, token = users.sign_in(payload.email, payload.password or "", source_ip(router))
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
    return {"data": profile(user, accounts.memberships_of(user.id), token)}
