"""The widget visitor's session: an X-Auth-Token JWT naming its contact inbox, and
identity validation for `setUser` (HMAC-SHA256 of the identifier with the inbox's
hmac_token, compared in constant time)."""
from __future__ import annotations

import hashlib
import hmac
import time

from pynamodb.exceptions import TransactWriteError

from .. import dynamo, global_config, jwt
from ..errors import NotFound, Unauthorized
from ..models.contact import Contact, ContactInbox
from ..models.inbox import Inbox
from ..models.unique import UniqueClaim
from ..settings import get_settings
from . import contacts

DAY = 24 * 60 * 60


def issue_token(contact_inbox: ContactInbox) -> str:
    days = global_config.get("WIDGET_TOKEN_EXPIRY", 180)
    claims = {"source_id": contact_inbox.source_id, "inbox_id": contact_inbox.inbox_id,
              "exp": int(time.time()) + int(days) * DAY}
    return jwt.encode(claims, get_settings().widget_token_secret)


def resolve(inbox: Inbox, token: str | None) -> tuple[ContactInbox, Contact] | None:
    """The visitor a token names, if it is valid for this inbox; else None."""
    claims = jwt.decode(token or "", get_settings().widget_token_secret)
    if claims is None or claims.get("inbox_id") != inbox.id or not isinstance(claims.get("source_id"), str):
        return None
    contact_inbox = contacts.contact_inbox(inbox.id, claims["source_id"])
    if contact_inbox is None:
        return None
    try:
        return contact_inbox, contacts.get_contact(inbox.account_id, contact_inbox.contact_id)
    except NotFound:  # the contact was deleted: the token names no one any more
        return None


def authenticate(inbox: Inbox, token: str | None) -> tuple[ContactInbox, Contact]:
    session = resolve(inbox, token)
    if session is None:
        raise Unauthorized("Invalid or expired X-Auth-Token")
    return session


def start(inbox: Inbox, token: str | None, *, additional_attributes: dict | None = None
          ) -> tuple[ContactInbox, Contact, str]:
    """The visitor behind `token`, or a new anonymous visitor. Returns a fresh token too."""
    session = resolve(inbox, token)
    if session is None:
        contact = contacts.create_contact(inbox.account_id, additional_attributes=additional_attributes)
        session = contacts.create_contact_inbox(contact, inbox), contact
    return session[0], session[1], issue_token(session[0])


def identifier_hash(inbox: Inbox, identifier: str) -> str:
    return hmac.new((inbox.hmac_token or "").encode(), identifier.encode(), hashlib.sha256).hexdigest()


def verify_identity(inbox: Inbox, identifier: str, given_hash: str | None) -> bool:
    """True if the hash proves the identifier. A wrong hash is refused outright; a missing
    one only where the inbox makes identity validation mandatory."""
    if given_hash is None:
        if inbox.hmac_mandatory:
            raise Unauthorized("Identity validation is required: identifier_hash is missing")
        return False
    if not hmac.compare_digest(identifier_hash(inbox, identifier).encode(), given_hash.encode()):
        raise Unauthorized("identifier_hash is invalid")
    return True


def _identifier_claim(account_id: int, identifier: str) -> str:
    return f"contact_identifier#{account_id}#{identifier}"


def _owner_of(account_id: int, identifier: str) -> int | None:
    try:
        return int(UniqueClaim.get(_identifier_claim(account_id, identifier)).target.split("#", 1)[1])
    except UniqueClaim.DoesNotExist:
        return None


def identify(inbox: Inbox, contact_inbox: ContactInbox, contact: Contact, identifier: str,
             given_hash: str | None) -> tuple[ContactInbox, Contact, str | None]:
    """setUser. Returns the (possibly different) visitor and, when it changed, a new token.

    An identifier that already belongs to another contact is only taken over with a valid
    hash: without one, nobody can read or write as someone else."""
    verified = verify_identity(inbox, identifier, given_hash)
    owner_id = _owner_of(inbox.account_id, identifier)
    if owner_id == contact.id:
        target_inbox, target = contact_inbox, contact
    elif owner_id is not None:
        if not verified:
            raise Unauthorized("This identifier belongs to another contact: identifier_hash is required")
        target = contacts.get_contact(inbox.account_id, owner_id)
        target_inbox = contacts.contact_inbox_for(target, inbox) or contacts.create_contact_inbox(target, inbox)
    else:
        # A fresh identifier. A visitor already identified as someone else becomes a new contact.
        target, target_inbox = contact, contact_inbox
        if contact.identifier and contact.identifier != identifier:
            target = contacts.create_contact(inbox.account_id)
            target_inbox = contacts.create_contact_inbox(target, inbox)
        _claim_identifier(target, identifier)
    if verified and not target_inbox.hmac_verified:
        target_inbox.update(actions=[ContactInbox.hmac_verified.set(True)])
    new_token = issue_token(target_inbox) if target_inbox.source_id != contact_inbox.source_id else None
    return target_inbox, target, new_token


def _claim_identifier(contact: Contact, identifier: str) -> None:
    claim = UniqueClaim(_identifier_claim(contact.account_id, identifier))
    claim.target = f"Contact#{contact.id}"
    contact.identifier = identifier
    try:
        with dynamo.transaction() as tx:
            tx.save(claim, condition=UniqueClaim.key.does_not_exist())
            tx.save(contact)
    except TransactWriteError:
        contact.refresh()
        raise Unauthorized("This identifier belongs to another contact: identifier_hash is required") from None
