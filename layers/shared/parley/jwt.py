"""HS256 JSON Web Tokens for the widget's X-Auth-Token (stdlib only).

Only HS256 is accepted; the algorithm in the header is checked, never trusted, and the
signature is compared in constant time."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: dict, secret: str) -> str:
    signing_input = _b64(json.dumps(_HEADER, separators=(",", ":")).encode()) + "." + _b64(
        json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def decode(token: str, secret: str) -> dict | None:
    """The claims, or None if the token is malformed, forged, of another algorithm, or expired."""
    if not token or len(token) > 2048 or token.count(".") != 2:
        return None
    header_b64, claims_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(claims_b64))
        signature = _unb64(signature_b64)
    except (ValueError, UnicodeDecodeError):
        return None
    if header != _HEADER or not isinstance(claims, dict):
        return None
    expected = hmac.new(secret.encode(), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        return None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires < time.time():
        return None
    return claims
