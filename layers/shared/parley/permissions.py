"""Who may do what, in one module.

Routes call these before touching data, and services ask them whenever a rule of access
applies (which inboxes an agent sees, whether an account may be served). An account the
caller does not belong to answers 404, never 403: its existence is not theirs to learn.

Below the domain: it reads the stored account, membership and inbox members itself and
imports no service."""
from __future__ import annotations

from .auth import Principal
from .dynamo import connection
from .errors import AccountSuspended, Forbidden, NotFound, Unauthorized
from .models.account import DELETING, SUSPENDED, Account, AccountUser
from .models.conversation import Message
from .models.inbox import Inbox, InboxMember
from .models.user import User

ADMINISTRATOR = "administrator"


# ---------------------------------------------------------------- accounts

def require_open(account: Account | None) -> Account:
    """The one check every door makes once it knows the account: suspended is 403, being
    deleted (or gone) is 404, exactly like an account that never existed."""
    if account is None or account.status == DELETING:
        raise NotFound("Account not found")
    if account.status == SUSPENDED:
        raise AccountSuspended(account.id)
    return account


def open_account(account_id: int) -> Account:
    """The account a public identifier or a token led to, if it may be served (one GetItem)."""
    try:
        return require_open(Account.get(account_id))
    except Account.DoesNotExist:
        raise NotFound("Account not found") from None


TWO_FACTOR_REQUIRED = "two_factor_required"  # Account.settings: members must have 2FA on
TWO_FACTOR_MESSAGE = ("This account requires two-factor authentication: enable it in your profile "
                      "settings (POST /api/v1/profile/mfa) to continue")


def require_two_factor(account: Account, user: User | None) -> None:
    """An account whose administrators require two-factor sign-in serves no member without
    it (403): they enrol first, from their profile, which is not an account's route."""
    if user is not None and (account.settings or {}).get(TWO_FACTOR_REQUIRED) and not user.otp_required_for_login:
        raise Forbidden(TWO_FACTOR_MESSAGE)


def open_membership(account_id: int, user_id: int, user: User | None = None) -> AccountUser | None:
    """The caller's membership, once its account is shown open (require_open) and, for
    `user`, its two-factor rule met: both items in one BatchGetItem, so the checks cost
    no extra round trip on the dashboard."""
    keys = {AccountUser.Meta.table_name: {"Keys": [{"account_id": {"N": str(account_id)}, "user_id": {"N": str(user_id)}}]},
            Account.Meta.table_name: {"Keys": [{"id": {"N": str(account_id)}}]}}
    response = connection().client.batch_get_item(RequestItems=keys)
    if response.get("UnprocessedKeys"):  # throttled: read them one by one instead
        try:
            member = AccountUser.get(account_id, user_id)
        except AccountUser.DoesNotExist:
            return None
        require_two_factor(open_account(account_id), user)
        return member
    found = response.get("Responses", {})
    rows = found.get(AccountUser.Meta.table_name) or []
    if not rows:
        return None
    accounts = found.get(Account.Meta.table_name) or []
    require_two_factor(require_open(Account.from_raw_data(accounts[0]) if accounts else None), user)
    return AccountUser.from_raw_data(rows[0])


# ---------------------------------------------------------------- principals

def account_member(principal: Principal, account_id: int) -> AccountUser:
    """The caller's membership in `account_id`; 404 if there is none (or the account is
    being deleted), 403 if the account is suspended."""
    user(principal)
    member = open_membership(account_id, principal.user.id, principal.user)
    if member is None:
        raise NotFound()
    return member


def account_admin(principal: Principal, account_id: int) -> AccountUser:
    member = account_member(principal, account_id)
    if member.role != ADMINISTRATOR:
        raise Forbidden("You are not authorized to do this action")
    return member


def user(principal: Principal) -> Principal:
    if principal.user is None:
        raise Unauthorized("This action needs a user's access token")
    return principal


def super_admin(principal: Principal) -> Principal:
    if not user(principal).user.is_super_admin:
        raise Forbidden("Only a super admin can do this")
    return principal


def platform_app(principal: Principal) -> int:
    if principal.platform_app_id is None:
        raise Unauthorized("Invalid access_token")
    return principal.platform_app_id


def own_message_or_admin(member: AccountUser, message: Message) -> AccountUser:
    """Agents delete their own messages; administrators any (403 otherwise)."""
    if member.role != ADMINISTRATOR and not (message.sender_type == "User" and message.sender_id == member.user_id):
        raise Forbidden("You can only delete your own messages")
    return member


# ---------------------------------------------------------------- inboxes
# Agents work in the inboxes they are members of; administrators see every inbox of the
# account. Every "may this member see that inbox" in services asks one of these.

def visible_inbox_ids(member: AccountUser) -> set[int] | None:
    """The inboxes whose conversations the member may see: None for all of the account's
    (an administrator), else the inboxes they are a member of (one index Query)."""
    if member.role == ADMINISTRATOR:
        return None
    return {m.inbox_id for m in InboxMember.user_index.query(member.user_id) if m.account_id == member.account_id}


def may_see_inbox(member: AccountUser, inbox_id: int) -> bool:
    """Whether the member may see this inbox's conversations (one GetItem for an agent)."""
    if member.role == ADMINISTRATOR:
        return True
    try:
        InboxMember.get(inbox_id, member.user_id)
        return True
    except InboxMember.DoesNotExist:
        return False


def visible_inboxes(member: AccountUser) -> list[Inbox]:
    """The account's inboxes the member may see."""
    allowed = visible_inbox_ids(member)
    return [inbox for inbox in Inbox.account_index.query(member.account_id) if allowed is None or inbox.id in allowed]


def who_may_see_inbox(account_id: int, inbox_id: int, user_ids: set[int]) -> set[int]:
    """The subset of `user_ids` who are members of the account and may see the inbox: two
    BatchGets, however many users."""
    if not user_ids:
        return set()
    members = {m.user_id: m for m in AccountUser.batch_get([(account_id, u) for u in user_ids])}
    admins = {u for u, m in members.items() if m.role == ADMINISTRATOR}
    others = set(members) - admins
    in_inbox = {m.user_id for m in InboxMember.batch_get([(inbox_id, u) for u in others])} if others else set()
    return admins | in_inbox
