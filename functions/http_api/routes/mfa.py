"""Two-factor sign-in of the signed-in user, at Chatwoot's paths (Api::V1::Profile::MfaController):
GET/POST/DELETE /api/v1/profile/mfa, POST /api/v1/profile/mfa/verify and
POST /api/v1/profile/mfa/backup_codes. The service (and pyotp) is imported by each route
when called: this group loads only for these paths anyway."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, signed_in, source_ip

router = Router()


class Code(Body):
    otp_code: str | None = Field(default=None, max_length=16)


class Disable(Body):
    otp_code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)
    password: str | None = Field(default=None, max_length=256)


@router.get("/api/v1/profile/mfa")
def show():
    from parley.services.access import mfa

    return mfa.status(signed_in(router).user)


@router.post("/api/v1/profile/mfa")
def create():
    """Start enrolment: a new secret (not in force until verified), its URI and QR code."""
    from parley.services.access import mfa

    user = signed_in(router).user
    return {**mfa.begin(user), **mfa.status(user)}


@router.post("/api/v1/profile/mfa/verify")
def verify():
    """The first code: 2FA is on from now; the ten recovery codes are shown this once."""
    from parley.services.access import mfa

    user = signed_in(router).user
    codes = mfa.enable(user, body(router, Code).otp_code, source_ip(router))
    return {**mfa.status(user), "backup_codes": codes}


@router.delete("/api/v1/profile/mfa")
def destroy():
    from parley.services.access import mfa

    user = signed_in(router).user
    payload = body(router, Disable)
    mfa.disable(user, payload.otp_code, payload.backup_code, payload.password, source_ip(router))
    return mfa.status(user)


@router.post("/api/v1/profile/mfa/backup_codes")
def backup_codes():
    from parley.services.access import mfa

    user = signed_in(router).user
    codes = mfa.regenerate_recovery_codes(user, body(router, Code).otp_code, source_ip(router))
    return {**mfa.status(user), "backup_codes": codes}
