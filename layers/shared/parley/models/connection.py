from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import IncludeProjection

from .base import TimestampedModel, global_index, table_meta


class Connection(TimestampedModel):
    """An open WebSocket. Access: by id ($disconnect, frames, gone sockets); by account
    (account-index) when broadcasting; an account's agent sockets (agent-index) for
    presence and when a user's rights change. Expires by TTL if $disconnect never came."""

    Meta = table_meta("connections_table")

    connection_id = UnicodeAttribute(hash_key=True)
    account_id = NumberAttribute(null=True)  # null for an installation-wide super admin socket
    kind = UnicodeAttribute()  # "user" | "contact"
    user_id = NumberAttribute(null=True)
    role = UnicodeAttribute(null=True)
    scope = JSONAttribute(default=dict)  # what this socket may see (inbox ids, contact id ...)
    # SHA-256 of the token the socket opened with (API token or pubsub token): revoking
    # that token finds and closes it, and every resume checks it still stands.
    credential = UnicodeAttribute(null=True)
    # The socket's frame and resume budgets (services/access/connections.py `_spend`): when each
    # bucket is full again, in epoch milliseconds.
    frame_tat = NumberAttribute(null=True)
    resume_tat = NumberAttribute(null=True)
    last_seen_at = NumberAttribute(default=0)
    expires_at = NumberAttribute()
    agent_account_id = NumberAttribute(null=True)  # account_id, on agent sockets only (agent-index)
    slot = UnicodeAttribute(null=True)  # the open-socket count it holds (services/access/connections.py)

    account_index = global_index("account-index",
                                 account_id=NumberAttribute(hash_key=True),
                                 connection_id=UnicodeAttribute(range_key=True))
    # Sparse: only agents' sockets carry agent_account_id, so finding who is online never reads a
    # widget visitor's socket however many visitors are connected.
    agent_index = global_index("agent-index",
                               IncludeProjection(["user_id", "last_seen_at"]),
                               agent_account_id=NumberAttribute(hash_key=True),
                               connection_id=UnicodeAttribute(range_key=True))
