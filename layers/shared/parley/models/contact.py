"""Contacts (the people who write in) and their identity in each inbox."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from .base import TimestampedModel, table_meta


class AccountContactsIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "account-index"
        projection = AllProjection()

    account_id = NumberAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)


class Contact(TimestampedModel):
    Meta = table_meta("contacts_table")

    id = NumberAttribute(hash_key=True)
    account_id = NumberAttribute()
    name = UnicodeAttribute(default="")
    email = UnicodeAttribute(null=True)
    phone_number = UnicodeAttribute(null=True)
    identifier = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    contact_type = UnicodeAttribute(default="visitor")  # visitor | lead | customer
    blocked = BooleanAttribute(default=False)
    custom_attributes = JSONAttribute(default=dict)
    additional_attributes = JSONAttribute(default=dict)
    labels = ListAttribute(of=UnicodeAttribute, default=list)
    last_activity_at = NumberAttribute(null=True)
    version = VersionAttribute()

    account_index = AccountContactsIndex()


class ContactByContactIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "contact-index"
        projection = AllProjection()

    contact_id = NumberAttribute(hash_key=True)
    inbox_id = NumberAttribute(range_key=True)


class ContactByPubsubIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "pubsub-index"
        projection = AllProjection()

    pubsub_token = UnicodeAttribute(hash_key=True)


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

    contact_index = ContactByContactIndex()
    pubsub_index = ContactByPubsubIndex()
