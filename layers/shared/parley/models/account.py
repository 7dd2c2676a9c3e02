"""Accounts (tenants) and their members."""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute)

from .base import TimestampedModel, global_index, table_meta, utcnow

ROLES = ("agent", "administrator")
ACTIVE, SUSPENDED, DELETING = "active", "suspended", "deleting"  # an account's status
AVAILABILITY = ("online", "busy", "offline")


class Account(TimestampedModel):
    Meta = table_meta("accounts_table")

    id = NumberAttribute(hash_key=True)
    name = UnicodeAttribute()
    locale = UnicodeAttribute(default="en")
    domain = UnicodeAttribute(null=True)
    support_email = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default=ACTIVE)  # ACTIVE | SUSPENDED | DELETING
    features = ListAttribute(of=UnicodeAttribute, default=list)
    settings = JSONAttribute(default=dict)
    custom_attributes = JSONAttribute(default=dict)
    limits = JSONAttribute(default=dict)
    platform_app_id = NumberAttribute(null=True)
    # The audit log entry that recorded the start of the account's deletion (AuditLogs id),
    # concluded with its outcome when the deletion job ends.
    deletion_audit_id = NumberAttribute(null=True)
    version = VersionAttribute()


class AccountUser(TimestampedModel):
    """Membership. Access: members of an account (Query on account_id); accounts of a
    user (user-index); one membership (GetItem) on every account-scoped request."""

    Meta = table_meta("account_users_table")

    account_id = NumberAttribute(hash_key=True)
    user_id = NumberAttribute(range_key=True)
    role = UnicodeAttribute(default="agent")
    availability = UnicodeAttribute(default="online")
    auto_offline = BooleanAttribute(default=True)
    inviter_id = NumberAttribute(null=True)
    # The account's custom role (AccountObject "custom_role#<id>") this agent works under;
    # None: the plain agent's rights. Administrators keep every right whatever it says.
    custom_role_id = NumberAttribute(null=True)
    active_at = UTCDateTimeAttribute(default_for_new=utcnow)
    # Not stored: the custom role's item once read (custom_role_read), by permissions.py
    # or a BatchGet for a list (services/account/accounts.attach_custom_roles); views
    # render it.
    custom_role_item = None
    custom_role_read = False

    user_index = global_index("user-index",
                              user_id=NumberAttribute(hash_key=True),
                              account_id=NumberAttribute(range_key=True))
