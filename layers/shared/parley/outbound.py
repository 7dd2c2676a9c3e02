"""Requests to URLs that users control (account webhooks, an API inbox's webhook_url,
agent bots' outgoing_url): the one place that keeps them off internal addresses (SSRF).

- Only http and https.
- The host is resolved here, and every address it resolves to must be public: loopback,
  private, link-local (cloud metadata 169.254.169.254), CGNAT, multicast, reserved,
  IPv6 ULA (fd00:ec2::254) and link-local, and IPv4 embedded in IPv6 are refused.
- The connection goes to the address that was checked (PinnedTransport rewrites the
  request to the IP and keeps the name in the Host header and the TLS SNI / certificate
  check), so a DNS answer that changes between check and connect (rebinding) can't
  redirect it.
- Redirects are followed here, at most MAX_REDIRECTS, and every hop is checked again.
- WEBHOOK_URL_ALLOWLIST (installation config, empty by default) names hosts that may be
  private, for a development stack posting to localhost.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from .errors import Invalid

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Python's is_private / is_global miss some of these (multicast counts as global, and
# 3.11 does not know every special-purpose block), so the list is explicit.
BLOCKED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/127", "::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))


class Blocked(Exception):
    """The destination is not allowed; retrying won't change that."""


class Unreachable(Exception):
    """The name does not resolve (now); a later attempt may succeed."""


def _allowed_hosts() -> frozenset[str]:
    from . import global_config

    raw = global_config.get("WEBHOOK_URL_ALLOWLIST", "") or ""
    return frozenset(h.strip().lower().rstrip(".") for h in str(raw).split(",") if h.strip())


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_blocked(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return True  # a zone id only makes sense on a local link
    return (any(address in network for network in BLOCKED_NETWORKS if network.version == address.version)
            or address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified or not address.is_global)


_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


def ip_literal(host: str) -> Address | None:
    """The address `host` spells, including the forms resolvers accept for IPv4
    ("2130706433", "0x7f.1", "127.1"), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _host(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; Invalid otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise Invalid("must be an http(s) URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid("must be an http(s) URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise Invalid("must be an http(s) URL")
    return scheme, host, port or (443 if scheme == "https" else 80)


def check_url(url: str, field: str = "url", allowed_hosts: frozenset[str] | None = None) -> str:
    """Save-time check (no DNS: that is repeated on every delivery): a 422 for a URL
    that is not http(s) or names a blocked address or a local-only name."""
    try:
        _, host, _ = _host(url)
    except Invalid:
        raise Invalid(f"{field} must be an http(s) URL", field=field) from None
    address = ip_literal(host)
    if address is not None and is_blocked(address):
        problem = "points to a private or reserved address"
    elif host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        problem = "points to a local host name"
    else:
        return url
    # The allowlist is read only for a URL it could rescue.
    if host in (_allowed_hosts() if allowed_hosts is None else allowed_hosts):
        return url
    raise Invalid(f"{field} {problem}", field=field)


class Guard:
    """Decides where one host may be reached: the checked address to connect to."""

    def __init__(self, resolver: Resolver | None = None, allowed_hosts: frozenset[str] | None = None):
        self.resolver = resolver or system_resolver
        self._allowed = allowed_hosts

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return _allowed_hosts() if self._allowed is None else self._allowed

    def address_for(self, scheme: str, host: str, port: int) -> str:
        if scheme not in ("http", "https"):
            raise Blocked(f"scheme {scheme!r} is not allowed")
        host = host.lower().rstrip(".")
        allowed = host in self.allowed_hosts
        literal = ip_literal(host)
        if literal is not None:
            if is_blocked(literal) and not allowed:
                raise Blocked(f"{host} is a private or reserved address")
            return str(literal)
        try:
            answers = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise Unreachable(f"cannot resolve {host}: {exc}") from None
        addresses = []
        for answer in answers:
            address = ip_literal(answer)
            if address is None:
                raise Blocked(f"{host} resolved to {answer!r}, not an address")
            addresses.append(address)
        if not addresses:
            raise Unreachable(f"{host} has no address")
        # Every answer must pass: the one a client would pick is not ours to predict.
        bad = [str(a) for a in addresses if is_blocked(a)]
        if bad and not allowed:
            raise Blocked(f"{host} resolves to a private or reserved address ({', '.join(bad)})")
        return str(addresses[0])


@lru_cache(maxsize=1)
def _transport_class() -> type:
    import httpx  # lazily: the HTTP API only checks URLs, and httpx costs ~90 ms to import

    class PinnedTransport(httpx.BaseTransport):
        """Connects to the address the guard checked, not to whatever DNS says next."""

        def __init__(self, guard: Guard, inner: httpx.BaseTransport | None = None):
            self.guard = guard
            self.inner = inner or httpx.HTTPTransport(retries=0)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            url = request.url
            port = url.port or (443 if url.scheme == "https" else 80)
            address = self.guard.address_for(url.scheme, url.host, port)
            pinned = httpx.Request(request.method, url.copy_with(host=address), headers=request.headers,
                                   stream=request.stream,
                                   # The certificate is checked against the name, not the IP.
                                   extensions={**request.extensions, "sni_hostname": url.host})
            return self.inner.handle_request(pinned)

        def close(self) -> None:
            self.inner.close()

    return PinnedTransport


def pinned_transport(guard: Guard, inner: "httpx.BaseTransport | None" = None) -> "httpx.BaseTransport":
    """A transport that sends each request to the address `guard` checked for its host;
    `inner` does the I/O (httpx.HTTPTransport, or a MockTransport in tests)."""
    return _transport_class()(guard, inner)


def client(guard: Guard | None = None, inner: "httpx.BaseTransport | None" = None) -> "httpx.Client":
    import httpx

    # trust_env=False: an HTTP(S)_PROXY variable must not route around the pinning.
    return httpx.Client(transport=pinned_transport(guard or Guard(), inner), follow_redirects=False,
                        trust_env=False)


def send(http: "httpx.Client", method: str, url: str, *, content: bytes | None = None,
         headers: dict | None = None, timeout: float = 5.0) -> "httpx.Response":
    """One request through `http` (a client from `client()`), following at most
    MAX_REDIRECTS redirects, each hop checked. The body is never read: only the status
    matters to callers, and a hostile server could send an endless one."""
    try:
        _host(url)
    except Invalid as exc:
        raise Blocked(str(exc)) from None
    request = http.build_request(method, url, content=content, headers=headers, timeout=timeout)
    for _ in range(MAX_REDIRECTS + 1):
        response = http.send(request, stream=True)
        response.close()
        if response.next_request is None:
            return response
        request = response.next_request
    raise Blocked(f"more than {MAX_REDIRECTS} redirects")
