"""The widget visitor's session: an X-Auth-Token JWT naming its contact inbox, and
identity validation for `setUser` (HMAC-SHA256 of the identifier with the inbox's
hmac_token, compared in constant time)."""
from __future__ import annotations

import hashlib
import hmac
import time

from ... import global_config, jwt, security_log
from ...errors import Invalid, NotFound, Unauthorized
from ...models.contact import Contact, ContactInbox
from ...models.inbox import Inbox
from ...settings import get_settings
from . import contacts

DAY = 24 * 60 * 60
TAKEN = "This identifier belongs to another contact: identifier_hash is required"


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


def new_visitor(inbox: Inbox, *, additional_attributes: dict | None = None) -> tuple[ContactInbox, Contact, str]:
    """A new anonymous visitor and its token. Only a visitor's first message, upload or
    setUser makes one: opening the widget writes nothing."""
    contact, contact_inbox = contacts.new_contact(inbox.account_id, inbox=inbox,
                                                  additional_attributes=additional_attributes)
    return contact_inbox, contact, issue_token(contact_inbox)


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


def identify(inbox: Inbox, contact_inbox: ContactInbox | None, contact: Contact | None, identifier: str,
             given_hash: str | None, *, reuse_verified_inbox: bool = True, **new_contact_fields
             ) -> tuple[ContactInbox, Contact, str | None]:
    """setUser, and the Client API's identifier. Returns the visitor to go on as and, when
    that is another contact inbox than the caller's (or the caller had none yet), its token.

    A verified identity never inherits what an unverified claimant touched:
    - an identifier that another contact holds is only joined with a valid hash, and then
      only through a contact inbox proven the same way (`reuse_verified_inbox`) or a new one;
    - an identifier held on a visitor's word alone is taken back by the first visitor who
      proves it: the claimant keeps its contact and history, without the identifier."""
    verified = verify_identity(inbox, identifier, given_hash)
    owner = contacts.find_by_unique(inbox.account_id, "identifier", identifier)
    if owner is not None and contact is not None and owner.id == contact.id:
        target, target_inbox = contact, contact_inbox
        if verified and contact.identifier_unverified:
            contacts.claim_identifier(contact, identifier, verified=True)
    elif owner is not None and not verified:
        raise Unauthorized(TAKEN)
    elif owner is not None and not owner.identifier_unverified:
        target = owner
        target_inbox = ((contacts.verified_contact_inbox(owner, inbox) if reuse_verified_inbox else None)
                        or contacts.create_contact_inbox(owner, inbox, hmac_verified=True))
    else:
        # A fresh identifier, or one only an unverified claimant (`owner`) holds.
        target, target_inbox = contact, contact_inbox
        try:
            if contact is None or (contact.identifier and contact.identifier != identifier):
                # No visitor yet, or one identified as someone else: a new contact.
                fresh = {"identifier": identifier, "identifier_unverified": not verified} if owner is None else {}
                target, target_inbox = contacts.new_contact(inbox.account_id, inbox=inbox, hmac_verified=verified,
                                                            **fresh, **new_contact_fields)
            if target.identifier != identifier:
                contacts.claim_identifier(target, identifier, verified=verified, taken_from=owner)
            if owner is not None:  # an unverified claim of a real user's identity: maybe an attempt
                security_log.refused("widget_identity", "an unverified identifier claim was taken back by a "
                                     "verified visitor", account_id=inbox.account_id, inbox_id=inbox.id,
                                     claimant_contact_id=owner.id, contact_id=target.id)
        except Invalid as exc:
            if not any(error.get("field") == "identifier" for error in exc.errors):
                raise
            raise Unauthorized(TAKEN) from None  # another visitor claimed it a moment ago
    if verified and not target_inbox.hmac_verified:
        target_inbox.update(actions=[ContactInbox.hmac_verified.set(True)])
    moved = contact_inbox is None or target_inbox.source_id != contact_inbox.source_id
    return target_inbox, target, issue_token(target_inbox) if moved else None
