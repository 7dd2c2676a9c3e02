"""API access tokens: random, shown once, stored only as SHA-256 hashes.

A token is 32 random bytes, so a plain SHA-256 is enough (no salt or slow hash needed:
there is nothing to brute-force). Lookups are one GetItem by hash.
"""
from __future__ import annotations

import hashlib
import secrets

from .models.user import AccessToken


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(owner: str, tx=None) -> str:
    """A new token for `owner` ("User#12", "PlatformApp#3"); returns the only plaintext copy.
    With `tx` (a TransactWrite) the token is written in it, with the change it belongs to."""
    token = secrets.token_urlsafe(32)
    item = AccessToken(digest(token), owner=owner)
    if tx is None:
        item.save()
    else:
        tx.save(item)
    return token


def owner_of(token: str | None) -> str | None:
    # Bound the input before hashing: a real token is 43 characters.
    if not token or len(token) > 256:
        return None
    return owner_of_digest(digest(token))


def owner_of_digest(token_hash: str) -> str | None:
    """Whose the token with this hash is, while it stands (sockets keep only the hash)."""
    item = _get(token_hash)
    return item.owner if item else None


def _get(token_hash: str) -> AccessToken | None:
    try:
        return AccessToken.get(token_hash)
    except AccessToken.DoesNotExist:
        return None


def revoke(token: str, tx=None) -> None:
    item = AccessToken(digest(token))
    if tx is None:
        item.delete()
    else:
        tx.delete(item)


def revoke_all(owner: str, keep: str | None = None) -> int:
    """Delete every token of `owner` (password change, user deleted) but `keep` (a token
    just issued). Returns how many."""
    kept = digest(keep) if keep else None
    hashes = [item.token_hash for item in AccessToken.owner_index.query(owner) if item.token_hash != kept]
    with AccessToken.batch_write() as batch:
        for token_hash in hashes:
            batch.delete(AccessToken(token_hash))
    return len(hashes)
