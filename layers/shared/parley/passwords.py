"""Password hashing with argon2id. Imported lazily: only sign-in and password changes pay
for it, not every cold start."""
from __future__ import annotations

import re
from functools import lru_cache

from .errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 128  # argon2 would hash more, but nobody types it and it bounds the work
# A valid argon2id hash of a random password, verified when the email is unknown so that
# a failed sign-in costs the same time whether or not the account exists.
_DUMMY_PASSWORD = "parley-dummy-password"


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


def validate(password: str) -> None:
    """Chatwoot's rule: upper and lower case letters, a number and a special character."""
    problems = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if not re.search(r"[a-z]", password) or not re.search(r"[A-Z]", password):
        problems.append("contain upper and lower case letters")
    if not re.search(r"\d", password):
        problems.append("contain a number")
    if not re.search(r"[^A-Za-z0-9]", password):
        problems.append("contain a special character")
    if problems:
        raise Invalid("Password must " + ", ".join(problems), field="password")


def hash_password(password: str) -> str:
    validate(password)
    return _hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_LENGTH:
        return False
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(_DUMMY_PASSWORD)
