"""Who may do what, in one module.

Routes call these before touching data. An account the caller does not belong to answers
404, never 403: its existence is not theirs to learn."""
from __future__ import annotations

from .auth import Principal
from .errors import Forbidden, NotFound, Unauthorized
from .models.account import AccountUser
from .models.conversation import Message
from .services import accounts


def account_member(principal: Principal, account_id: int) -> AccountUser:
    """The caller's membership in `account_id`; 404 if there is none (or the account is
    being deleted), 403 if the account is suspended."""
    user(principal)
    member = accounts.open_membership(account_id, principal.user.id)
    if member is None:
        raise NotFound()
    return member


def account_admin(principal: Principal, account_id: int) -> AccountUser:
    member = account_member(principal, account_id)
    if member.role != "administrator":
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
    if member.role != "administrator" and not (message.sender_type == "User" and message.sender_id == member.user_id):
        raise Forbidden("You can only delete your own messages")
    return member
