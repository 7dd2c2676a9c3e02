"""Which notifications an agent wants, per account, as Chatwoot's notification settings.

One AccountObjects item per (account, user): `notification_setting#<user id>` in the
account's partition, so reading one is a GetItem, the notify consumer reads all the
recipients of an event in one BatchGet, and another account's settings are out of reach
by key. An agent with no stored item has Chatwoot's defaults (the item is written on the
first read, which gives it a stable id as Chatwoot's row has).

Parley sends no email or push notifications yet; the flags are kept as Chatwoot keeps
them so its clients work, and a notification type is made in-app when either of its two
flags is selected, as Chatwoot's notification builder decides."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from ... import ids
from ...errors import Conflict, Invalid
from ...models.account_object import AccountObject
from ...models.notification import ALL_EMAIL_FLAGS, ALL_PUSH_FLAGS

KIND = "notification_setting"
# A new agent hears about assignments, mentions and missed SLAs only; the noisier types are opt-in.
DEFAULT_EMAIL_FLAGS = ("email_conversation_assignment", "email_conversation_mention")
DEFAULT_PUSH_FLAGS = ("push_conversation_assignment", "push_conversation_mention", "push_sla_missed_first_response",
                      "push_sla_missed_next_response", "push_sla_missed_resolution")


def _key(user_id: int) -> str:
    return AccountObject.key_for(KIND, user_id)


def _defaults(account_id: int, user_id: int) -> AccountObject:
    return AccountObject(account_id, _key(user_id), id=user_id,
                         data={"email": list(DEFAULT_EMAIL_FLAGS), "push": list(DEFAULT_PUSH_FLAGS)})


def get(account_id: int, user_id: int) -> AccountObject:
    """The caller's settings in the account (membership is the caller's to check)."""
    try:
        return AccountObject.get(account_id, _key(user_id))
    except AccountObject.DoesNotExist:
        pass
    item = _defaults(account_id, user_id)
    item.data["setting_id"] = ids.next_id("NotificationSetting")
    try:
        item.save(condition=AccountObject.key.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return AccountObject.get(account_id, _key(user_id))  # a concurrent first read wrote it
    return item


def _checked(flags: list[str] | None, allowed: tuple[str, ...], field: str) -> list[str] | None:
    if flags is None:
        return None
    unknown = [f for f in flags if f not in allowed]
    if unknown:
        raise Invalid(f"Unknown notification flags: {', '.join(sorted({u[:60] for u in unknown}))}; allowed: "
                      f"{', '.join(allowed)}", field=field)
    return [f for f in allowed if f in flags]  # Chatwoot's order, no duplicates


def update(account_id: int, user_id: int, *, email: list[str] | None, push: list[str] | None) -> AccountObject:
    """Replace the given lists; an omitted list keeps its value. Every flag is checked
    before anything is read or written."""
    email = _checked(email, ALL_EMAIL_FLAGS, "selected_email_flags")
    push = _checked(push, ALL_PUSH_FLAGS, "selected_push_flags")
    item = get(account_id, user_id)
    changes = {k: v for k, v in (("email", email), ("push", push)) if v is not None}
    if not changes:
        return item
    before = dict(item.data)
    item.data = {**item.data, **changes}
    try:
        item.save()  # the version attribute makes a concurrent change fail, not vanish
    except PutError as exc:
        item.data = before
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("Notification settings were changed meanwhile; reload and try again") from None
        raise
    return item


def forget(account_id: int, user_id: int) -> None:
    """Leaving an account drops the settings: joining again starts from the defaults."""
    AccountObject(account_id, _key(user_id)).delete(add_version_condition=False)


def subscribed(account_id: int, user_ids: set[int], notification_type: str) -> set[int]:
    """Those of `user_ids` who want `notification_type`: its email or push flag is
    selected (missing settings are the defaults). One BatchGet, no writes."""
    if not user_ids:
        return set()
    wanted = {f"email_{notification_type}", f"push_{notification_type}"}
    stored = {item.id: item for item in AccountObject.batch_get([(account_id, _key(u)) for u in user_ids])}
    found = set()
    for user_id in user_ids:
        item = stored.get(user_id) or _defaults(account_id, user_id)
        if wanted & set((item.data.get("email") or []) + (item.data.get("push") or [])):
            found.add(user_id)
    return found
