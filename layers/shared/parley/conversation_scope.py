"""The rule of which conversations a conversation mode admits, with no import: permissions.py
(requests, notifications) and realtime.py (socket frames, which may not import
permissions) both apply this one function, so the two can never disagree.

Modes, from a member's permissions (permissions.conversation_mode): ALL (every
conversation of their inboxes), UNASSIGNED (unassigned ones and their own), PARTICIPATING
(their own and those they follow), NONE."""
from __future__ import annotations

from typing import Collection

ALL, UNASSIGNED, PARTICIPATING, NONE = "all", "unassigned", "participating", "none"
MODES = (ALL, UNASSIGNED, PARTICIPATING, NONE)


def admits(mode: str, user_id: int, assignee_id: int | None, display_id: int | None,
           participating: Collection[int]) -> bool:
    """Whether a conversation (its assignee and display id) is in the mode's reach for
    `user_id`, who follows the conversations `participating` (display ids). Its inbox is
    checked apart. An unknown mode admits nothing."""
    if mode == ALL:
        return True
    if mode not in (UNASSIGNED, PARTICIPATING):
        return False
    if assignee_id and assignee_id == user_id:
        return True
    if mode == UNASSIGNED:
        return not assignee_id
    return display_id is not None and display_id in participating
