"""The audit log: who changed what in an account, written with the change itself.

Key: (account_id, id): an account's entries are one Query, newest first, and tenant
isolation is in the key. Entries are never updated through any API; the domain adds a
multi-step change's outcome to its entry when the change ends (parley/audit.py). TTL
(expires_at) drops an entry after the installation's retention period."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from .base import table_meta, utcnow


class AuditLog(Model):
    Meta = table_meta("audit_logs_table")

    account_id = NumberAttribute(hash_key=True)
    id = NumberAttribute(range_key=True)
    auditable_type = UnicodeAttribute()  # Chatwoot's class name: "Team", "Inbox", "User" ...
    auditable_id = NumberAttribute(null=True)
    action = UnicodeAttribute()  # create | update | destroy | sign_in | sign_out | ...
    audited_changes = JSONAttribute(default=dict)
    user_id = NumberAttribute(null=True)  # who did it; None for the system itself
    user_type = UnicodeAttribute(null=True)  # "User", "SuperAdmin", "PlatformApp"
    username = UnicodeAttribute(null=True)
    remote_address = UnicodeAttribute(null=True)
    request_uuid = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)  # a multi-step change's outcome, added when it ends
    created_at = UTCDateTimeAttribute(default_for_new=utcnow)
    expires_at = NumberAttribute(null=True)
