"""POST /auth/sign_in, DELETE /auth/sign_out (Chatwoot's devise_token_auth paths)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, principal, source_ip
from parley import permissions
from parley.services import accounts, platform, users
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
    caller = permissions.user(principal(router))
    users.sign_out(caller.user, caller.token)
    return {"success": True}
