"""Who may do what, in one module.

Routes call these before touching data, and services ask them whenever a rule of access
applies (which inboxes an agent sees, whether an account may be served). An account the
caller does not belong to answers 404, never 403: its existence is not theirs to learn.

Below the domain: it reads the stored account, membership, custom role and inbox members
itself and imports no service.

Rights inside an account (docs/security.md, "Custom roles"): an administrator holds every
permission; an agent without a custom role holds AGENT_DEFAULTS (what agents have always
done: every conversation of their inboxes, the contacts); an agent with a custom role holds
exactly the role's permissions. Routes ask `require(member, permission)`; conversations are
seen through `conversation_scope(member)` (lists, counts, filters, searches, sockets) and
`may_see_conversation` (one conversation and every action on it)."""
from __future__ import annotations

from dataclasses import dataclass

from . import conversation_scope as rule
from .auth import Principal
from .dynamo import connection
from .errors import AccountSuspended, Forbidden, NotFound, Unauthorized
from .models.account import DELETING, SUSPENDED, Account, AccountUser
from .models.account_object import CUSTOM_ROLE, AccountObject, participant_key, participating_prefix
from .models.conversation import Conversation, Message
from .models.inbox import Inbox, InboxMember
from .models.user import User

ADMINISTRATOR = "administrator"

# ---------------------------------------------------------------- permissions
# Chatwoot's custom role permissions, in the order its settings screen lists them.
CONVERSATION_MANAGE = "conversation_manage"
CONVERSATION_UNASSIGNED_MANAGE = "conversation_unassigned_manage"
CONVERSATION_PARTICIPATING_MANAGE = "conversation_participating_manage"
CONTACT_MANAGE = "contact_manage"
REPORT_MANAGE = "report_manage"
KNOWLEDGE_BASE_MANAGE = "knowledge_base_manage"
PERMISSIONS = (CONVERSATION_MANAGE, CONVERSATION_UNASSIGNED_MANAGE, CONVERSATION_PARTICIPATING_MANAGE,
               CONTACT_MANAGE, REPORT_MANAGE, KNOWLEDGE_BASE_MANAGE)
EVERY_PERMISSION = frozenset(PERMISSIONS)
# An agent without a custom role: what agents could always do, so nothing changes for them
# (reports and the help center are administrators' until a role grants them).
AGENT_DEFAULTS = frozenset({CONVERSATION_MANAGE, CONTACT_MANAGE})
MAX_PARTICIPATING = 1000  # conversations one agent follows that their scope lists


def custom_role(member: AccountUser) -> AccountObject | None:
    """The agent's custom role (one GetItem, only for an agent who has one; kept on the
    membership object, so a request reads it once). None for administrators, for agents
    without one, and for a role deleted meanwhile (Chatwoot nullifies it: the plain
    agent's rights apply)."""
    if member.role == ADMINISTRATOR or not member.custom_role_id:
        return None
    if not member.custom_role_read:
        try:
            member.custom_role_item = AccountObject.get(member.account_id,
                                                        AccountObject.key_for(CUSTOM_ROLE, int(member.custom_role_id)))
        except AccountObject.DoesNotExist:
            member.custom_role_item = None
        member.custom_role_read = True
    return member.custom_role_item


def role_permissions(role: AccountObject) -> frozenset[str]:
    return frozenset(p for p in role.data.get("permissions") or () if p in EVERY_PERMISSION)


def permissions_of(member: AccountUser) -> frozenset[str]:
    """Every permission the member holds in their account."""
    if member.role == ADMINISTRATOR:
        return EVERY_PERMISSION
    role = custom_role(member)
    return AGENT_DEFAULTS if role is None else role_permissions(role)


def has(member: AccountUser, permission: str) -> bool:
    return permission in permissions_of(member)


def require(member: AccountUser, permission: str) -> AccountUser:
    """403 unless the member holds `permission`. Routes of contacts call it with
    contact_manage; the help center's with knowledge_base_manage and reports' with
    report_manage, when they come."""
    if permission not in EVERY_PERMISSION:
        raise ValueError(f"unknown permission {permission!r}")
    if not has(member, permission):
        raise Forbidden("You are not authorized to do this action")
    return member


def require_knowledge_base(member: AccountUser, portal_member_ids) -> AccountUser:
    """Who may write a help center portal's content: administrators, agents whose custom
    role grants knowledge_base_manage, and the agents listed as the portal's members
    (`portal_member_ids`; empty for a portal not yet created). 403 for anyone else."""
    if has(member, KNOWLEDGE_BASE_MANAGE) or member.user_id in set(portal_member_ids or ()):
        return member
    raise Forbidden("You are not authorized to do this action")


def require_conversations(member: AccountUser) -> AccountUser:
    """403 unless the member may work on some conversations (any of the three conversation
    permissions): starting a conversation needs it."""
    if conversation_mode(permissions_of(member)) == rule.NONE:
        raise Forbidden("You are not authorized to do this action")
    return member


def conversation_mode(granted: frozenset[str]) -> str:
    """Which conversations a set of permissions shows, strongest first, as Chatwoot ranks
    them: conversation_manage > conversation_unassigned_manage > conversation_participating_manage."""
    if CONVERSATION_MANAGE in granted:
        return rule.ALL
    if CONVERSATION_UNASSIGNED_MANAGE in granted:
        return rule.UNASSIGNED
    if CONVERSATION_PARTICIPATING_MANAGE in granted:
        return rule.PARTICIPATING
    return rule.NONE


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


# ---------------------------------------------------------------- conversations

@dataclass(frozen=True)
class ConversationScope:
    """The conversations a member may see and work on: those of `inbox_ids` (None: every
    inbox of the account) that `mode` admits (parley/conversation_scope.py): all of them,
    the unassigned ones and the member's own, or the member's own and those they follow
    (`participating`: display ids), or none."""
    user_id: int
    inbox_ids: frozenset[int] | None
    mode: str
    participating: frozenset[int] = frozenset()

    @property
    def everything(self) -> bool:
        return self.mode == rule.ALL

    def admits(self, conversation: Conversation) -> bool:
        return ((self.inbox_ids is None or conversation.inbox_id in self.inbox_ids)
                and rule.admits(self.mode, self.user_id, conversation.assignee_id, conversation.display_id,
                                self.participating))

    def assignees(self) -> set[int] | None:
        """The assignees (0: unassigned) whose conversations the mode shows, beside the
        followed ones; None: any."""
        return {rule.ALL: None, rule.UNASSIGNED: {0, self.user_id}, rule.PARTICIPATING: {self.user_id},
                rule.NONE: set()}[self.mode]


def participating_ids(account_id: int, user_id: int) -> frozenset[int]:
    """The conversations (display ids) the user follows: one Query on the mirror items
    services/conversation/participants.py writes."""
    return frozenset(item.id for item in AccountObject.query(
        account_id, AccountObject.key.startswith(participating_prefix(user_id)), limit=MAX_PARTICIPATING))


def conversation_scope(member: AccountUser) -> ConversationScope:
    """The member's conversation scope, computed once per membership object: no read for
    an administrator, the inbox Query for an agent (as always), plus the role's GetItem
    for an agent with a custom role, plus the followed conversations' Query for a role
    that shows only those."""
    cached = member.__dict__.get("_parley_scope")
    if cached is not None:
        return cached
    mode = conversation_mode(permissions_of(member))
    if mode == rule.NONE:
        scope = ConversationScope(member.user_id, frozenset(), mode)
    else:
        allowed = visible_inbox_ids(member)
        participating = participating_ids(member.account_id, member.user_id) if mode == rule.PARTICIPATING else frozenset()
        scope = ConversationScope(member.user_id, None if allowed is None else frozenset(allowed), mode, participating)
    member.__dict__["_parley_scope"] = scope
    return scope


def may_see_conversation(member: AccountUser, conversation: Conversation) -> bool:
    """Whether the member may see (and act on) this conversation: one GetItem for an agent
    (inbox membership), as before; a custom role adds its own read, and the participant
    item's GetItem when only following would show it."""
    if member.role == ADMINISTRATOR:
        return True
    mode = conversation_mode(permissions_of(member))
    if mode == rule.NONE or not may_see_inbox(member, conversation.inbox_id):
        return False
    if rule.admits(mode, member.user_id, conversation.assignee_id, conversation.display_id, frozenset()):
        return True
    if mode != rule.PARTICIPATING:
        return False
    try:
        AccountObject.get(conversation.account_id, participant_key(conversation.display_id, member.user_id))
        return True
    except AccountObject.DoesNotExist:
        return False


def socket_scope(member: AccountUser) -> dict:
    """What an agent's socket may see, stored on its record (realtime.may_see applies it):
    administrators the whole account ({}), agents their inboxes; an agent with a custom
    role also their conversation mode, the conversations they follow, and whether contact
    events reach them."""
    if member.role == ADMINISTRATOR:
        return {}
    if custom_role(member) is None:
        return {"inbox_ids": sorted(visible_inbox_ids(member))}
    scope = conversation_scope(member)
    return {"inbox_ids": sorted(scope.inbox_ids or ()), "conversations": scope.mode,
            "participating": sorted(scope.participating), "contacts": has(member, CONTACT_MANAGE)}


def who_may_see_conversation(account_id: int, inbox_id: int, display_id: int, assignee_id: int | None,
                             user_ids: set[int], following: set[int] = frozenset(),
                             inbox_members: bool = False) -> set[int]:
    """The subset of `user_ids` who may see this conversation (notifications): members who
    may see its inbox, less agents whose custom role does not show it. `following`: users
    known to follow it; `inbox_members`: the users are known to be the inbox's members (its
    InboxMember Query), so that read is not repeated. BatchGets only: members, inbox
    members, and the roles in use."""
    if not user_ids:
        return set()
    found = list(AccountUser.batch_get([(account_id, u) for u in user_ids]))
    agents = {m.user_id for m in found if m.role != ADMINISTRATOR}
    if inbox_members:
        in_inbox = agents & set(user_ids)
    else:
        in_inbox = {m.user_id for m in InboxMember.batch_get([(inbox_id, u) for u in agents])} if agents else set()
    seeing = {m.user_id for m in found if m.role == ADMINISTRATOR} | in_inbox
    members = [m for m in found if m.user_id in in_inbox and m.custom_role_id]
    if not members:
        return seeing
    roles = {r.id: r for r in AccountObject.batch_get(
        {(account_id, AccountObject.key_for(CUSTOM_ROLE, int(m.custom_role_id))) for m in members})}
    for m in members:
        role = roles.get(int(m.custom_role_id))
        mode = conversation_mode(AGENT_DEFAULTS if role is None else role_permissions(role))
        if not rule.admits(mode, m.user_id, assignee_id, display_id,
                           frozenset({display_id}) if m.user_id in following else frozenset()):
            seeing.discard(m.user_id)
    return seeing


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
