"""Contacts (the people who write in), their index entries and their identity in each inbox."""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute,
                                 NumberSetAttribute, UnicodeAttribute, VersionAttribute)
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from .base import TimestampedModel, global_index, table_meta


class Contact(TimestampedModel):
    Meta = table_meta("contacts_table")

    id = NumberAttribute(hash_key=True)
    account_id = NumberAttribute()
    name = UnicodeAttribute(default="")
    email = UnicodeAttribute(null=True)
    phone_number = UnicodeAttribute(null=True)
    identifier = UnicodeAttribute(null=True)
    # True while the identifier rests only on a visitor's word (setUser or the Client API
    # without identifier_hash): a visitor who proves it later takes it back (services/contact/widget.py).
    identifier_unverified = BooleanAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    contact_type = UnicodeAttribute(default="visitor")  # visitor | lead | customer
    blocked = BooleanAttribute(default=False)
    custom_attributes = JSONAttribute(default=dict)
    additional_attributes = JSONAttribute(default=dict)
    labels = ListAttribute(of=UnicodeAttribute, default=list)
    last_activity_at = NumberAttribute(null=True)
    # Ids of the ContactIndexEntry items written for this contact (services/contact/contacts.py
    # keeps them in step with the contact, in the same transaction).
    index_ids = NumberSetAttribute(null=True)
    version = VersionAttribute()

    account_index = global_index("account-index",
                                 account_id=NumberAttribute(hash_key=True),
                                 id=NumberAttribute(range_key=True))


class ContactIndexEntry(Model):
    """One row of an account's contact lists or search terms, stored in the contacts table
    beside the contacts (DynamoDB has one key per item and a GSI one key per item, so a
    contact that must be found by several sort orders and several words owns several
    small items). Only contacts with an email, phone number or identifier have entries
    (Chatwoot's "resolved" contacts).

    `entry_pk` = "<account id>#<kind>": kind is name | email | phone | activity | created
    (one entry each, sorted by that value) or term (one per search term). `entry_sk` =
    "<value>\x1f<contact id, zero-padded>", so equal values keep a stable order and the
    contact id is read back from the key (the index is keys-only). `id` is negative, a
    hash of (entry_pk, entry_sk): it never meets a contact's id and the same entry always
    has the same id. These items have no `account_id`, so the account-index never sees them.
    """

    Meta = table_meta("contacts_table")

    id = NumberAttribute(hash_key=True)
    entry_pk = UnicodeAttribute()
    entry_sk = UnicodeAttribute()

    entry_index = global_index("entry-index",
                               KeysOnlyProjection(),
                               entry_pk=UnicodeAttribute(hash_key=True),
                               entry_sk=UnicodeAttribute(range_key=True))


class ContactInbox(TimestampedModel):
    """A contact as one inbox knows it. `source_id` is the channel's id for the contact
    (a UUID for the widget and the API channel); `pubsub_token` opens its socket."""

    Meta = table_meta("contact_inboxes_table")

    inbox_id = NumberAttribute(hash_key=True)
    source_id = UnicodeAttribute(range_key=True)
    contact_id = NumberAttribute()
    account_id = NumberAttribute()
    pubsub_token = UnicodeAttribute()
    hmac_verified = BooleanAttribute(default=False)
    # The display id of the conversation a messaging channel last opened for this sender: a
    # claim, set only if it still holds what the opener read (services/messaging/ingest.py).
    open_conversation_id = NumberAttribute(null=True)

    contact_index = global_index("contact-index",
                                 contact_id=NumberAttribute(hash_key=True),
                                 inbox_id=NumberAttribute(range_key=True))
    pubsub_index = global_index("pubsub-index", pubsub_token=UnicodeAttribute(hash_key=True))
