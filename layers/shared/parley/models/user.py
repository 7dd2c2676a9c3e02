"""Users (agents, administrators, super admins) and their sign-in tokens."""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute,
                                 UnicodeAttribute, VersionAttribute)
from pynamodb.indexes import KeysOnlyProjection

from .base import TimestampedModel, global_index, table_meta

SUPER_ADMIN = "SuperAdmin"


class User(TimestampedModel):
    """Access pattern: by id (GetItem); by email (email-index) at sign-in."""

    Meta = table_meta("users_table")

    id = NumberAttribute(hash_key=True)
    email = UnicodeAttribute()  # stored lower-cased; unique via the email lock item
    name = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    pubsub_token = UnicodeAttribute()
    avatar_url = UnicodeAttribute(null=True)
    message_signature = UnicodeAttribute(null=True)
    ui_settings = JSONAttribute(default=dict)
    custom_attributes = JSONAttribute(default=dict)
    type = UnicodeAttribute(null=True)  # "SuperAdmin" or None, as Chatwoot's users.type
    confirmed = BooleanAttribute(default=True)
    platform_app_id = NumberAttribute(null=True)  # the platform app that created it
    # The password was set through the Platform API, so the app knows it (services/access/members.hand_over).
    password_from_platform = BooleanAttribute(default=False)
    # Two-factor sign-in (services/access/mfa.py), named as Chatwoot's devise-two-factor columns.
    otp_secret = UnicodeAttribute(null=True)  # base32 TOTP secret; set at enrolment, live once verified
    otp_required_for_login = BooleanAttribute(default=False)  # 2FA is on: sign-in asks for a code
    otp_backup_codes = ListAttribute(of=UnicodeAttribute, null=True)  # recovery codes' salted hashes, one per unused code
    otp_salt = UnicodeAttribute(null=True)  # the per-user salt of those hashes
    otp_last_step = NumberAttribute(null=True)  # the last TOTP time step accepted: a code is used once
    version = VersionAttribute()

    email_index = global_index("email-index", email=UnicodeAttribute(hash_key=True))

    @property
    def is_super_admin(self) -> bool:
        return self.type == SUPER_ADMIN

    @property
    def available_name(self) -> str:
        return self.display_name or self.name


class AccessToken(TimestampedModel):
    """An API token, stored only as its SHA-256. Access: by hash; by owner to revoke."""

    Meta = table_meta("access_tokens_table")

    token_hash = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()  # "User#12", "PlatformApp#3", "SsoLogin#12", "MfaPending#12" (single use)
    expires_at = NumberAttribute(null=True)  # epoch seconds; TTL removes it afterwards
    owner_index = global_index("owner-index", KeysOnlyProjection(), owner=UnicodeAttribute(hash_key=True))
