"""Requests that came through the stack's CloudFront distribution.

Behind CloudFront the TCP peer is an edge server shared by many users; the viewer's address
is the one CloudFront appended to X-Forwarded-For. That header is trusted only on a request
carrying the stack's edge secret (CloudFront adds it as an origin header): a direct caller
could write anything into X-Forwarded-For."""
from __future__ import annotations

import hmac

from .settings import get_settings


def through_edge(edge_header: str | None) -> bool:
    secret = get_settings().edge_secret
    return bool(secret) and hmac.compare_digest((edge_header or "").encode(), secret.encode())


def viewer_address(peer: str | None, forwarded_for: str | None, edge_header: str | None) -> str:
    """The caller's address: the peer, or behind CloudFront the viewer it names."""
    peer = peer or "unknown"
    if not through_edge(edge_header):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and hops[-1] == peer:  # API Gateway may append the edge server itself
        hops.pop()
    return hops[-1] if hops else peer
