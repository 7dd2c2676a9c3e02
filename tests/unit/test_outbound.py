"""SSRF protection (parley/outbound.py): the real httpx client and pinning transport run;
only DNS (a stub resolver) and the network (MockTransport) are replaced."""
from __future__ import annotations

import httpx
import pytest

from parley import outbound
from parley.errors import Invalid

PUBLIC = "93.184.216.34"

BLOCKED = [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.100.100.200", "224.0.0.1", "239.255.255.250",
    "240.0.0.1", "255.255.255.255", "192.0.0.170", "198.18.0.1", "192.0.2.1",
    "::1", "::", "fd00:ec2::254", "fc00::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:db8::1", "fec0::1",
]


class Recorder:
    """A MockTransport that answers from a script and remembers what reached it."""

    def __init__(self, *answers: httpx.Response):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else httpx.Response(200)


def make_client(resolve, recorder: Recorder, allowed=frozenset()) -> httpx.Client:
    resolver = resolve if callable(resolve) else (lambda host, port: resolve[host])
    return outbound.client(outbound.Guard(resolver=resolver, allowed_hosts=frozenset(allowed)), recorder.transport)


@pytest.mark.parametrize("address", BLOCKED)
def test_every_blocked_range_is_refused_by_dns_and_as_a_literal(address):
    assert outbound.is_blocked(outbound.ip_literal(address))
    recorder = Recorder()
    http = make_client({"hooks.example.com": [address]}, recorder)
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "https://hooks.example.com/x", content=b"{}")
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", f"http://{literal}/x", content=b"{}")
    assert recorder.requests == []
    with pytest.raises(Invalid):
        outbound.check_url(f"https://{literal}/hook", allowed_hosts=frozenset())


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(address):
    assert not outbound.is_blocked(outbound.ip_literal(address))


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0177.0.0.1/",
                                 "http://localhost:3000/hook", "http://metadata.google.internal/",
                                 "ftp://example.com/", "file:///etc/passwd", "gopher://example.com", "javascript:alert(1)",
                                 "http://", "https://exa mple.com/", "http://example.com:99999/", "", "h" * 3000])
def test_obviously_bad_urls_are_refused_at_save_time(url):
    with pytest.raises(Invalid):
        outbound.check_url(url, allowed_hosts=frozenset())


def test_a_public_name_is_accepted_at_save_time_without_dns():
    assert outbound.check_url("https://hooks.example.com/in?x=1", allowed_hosts=frozenset())


def test_connects_to_the_checked_address_with_the_name_in_host_and_sni():
    recorder = Recorder(httpx.Response(204))
    http = make_client({"hooks.example.com": [PUBLIC]}, recorder)
    response = outbound.send(http, "POST", "https://hooks.example.com:8443/in?a=1", content=b'{"x":1}',
                             headers={"X-Test": "1"})
    assert response.status_code == 204
    [sent] = recorder.requests
    assert sent.url.host == PUBLIC and sent.url.port == 8443 and sent.url.path == "/in"
    assert sent.headers["host"] == "hooks.example.com:8443"
    assert sent.extensions["sni_hostname"] == "hooks.example.com"
    assert sent.content == b'{"x":1}' and sent.headers["x-test"] == "1"


def test_dns_rebinding_cannot_swap_the_address():
    """The resolver answers a public address first, then a private one: every request
    goes to an address that was checked at the moment it was sent."""
    answers = iter([[PUBLIC], ["169.254.169.254"]])
    recorder = Recorder()
    http = make_client(lambda host, port: next(answers), recorder)
    outbound.send(http, "POST", "https://rebind.example.com/", content=b"{}")
    assert recorder.requests[0].url.host == PUBLIC
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "https://rebind.example.com/", content=b"{}")
    assert len(recorder.requests) == 1


def test_one_private_answer_among_public_ones_is_refused():
    recorder = Recorder()
    http = make_client({"mixed.example.com": [PUBLIC, "10.0.0.1"]}, recorder)
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "https://mixed.example.com/", content=b"{}")
    assert recorder.requests == []


@pytest.mark.parametrize("location", ["http://127.0.0.1/admin", "http://169.254.169.254/latest/meta-data/",
                                      "http://internal.example.com/", "http://[::1]:8080/", "file:///etc/passwd"])
def test_a_redirect_to_a_private_address_is_refused(location):
    recorder = Recorder(httpx.Response(307, headers={"Location": location}))
    http = make_client({"hooks.example.com": [PUBLIC], "internal.example.com": ["10.1.2.3"]}, recorder)
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "https://hooks.example.com/", content=b"{}")
    assert len(recorder.requests) == 1


def test_redirects_are_followed_and_rechecked_up_to_the_limit():
    recorder = Recorder(httpx.Response(308, headers={"Location": "https://second.example.com/b"}),
                        httpx.Response(200))
    http = make_client({"hooks.example.com": [PUBLIC], "second.example.com": ["8.8.8.8"]}, recorder)
    assert outbound.send(http, "POST", "https://hooks.example.com/a", content=b"body").status_code == 200
    assert [str(r.url) for r in recorder.requests] == [f"https://{PUBLIC}/a", "https://8.8.8.8/b"]
    assert recorder.requests[1].method == "POST" and recorder.requests[1].content == b"body"
    assert recorder.requests[1].headers["host"] == "second.example.com"

    loop = Recorder(*[httpx.Response(302, headers={"Location": "/again"}) for _ in range(10)])
    http = make_client({"hooks.example.com": [PUBLIC]}, loop)
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "https://hooks.example.com/", content=b"{}")
    assert len(loop.requests) == outbound.MAX_REDIRECTS + 1


def test_the_allowlist_lets_a_development_host_through():
    recorder = Recorder()
    http = make_client({"localhost": ["127.0.0.1"]}, recorder, allowed={"localhost"})
    assert outbound.send(http, "POST", "http://localhost:4000/hook", content=b"{}").status_code == 200
    assert recorder.requests[0].url.host == "127.0.0.1"
    assert outbound.check_url("http://localhost:4000/hook", allowed_hosts=frozenset({"localhost"}))
    # Only the named host: another private one is still refused.
    with pytest.raises(outbound.Blocked):
        outbound.send(http, "POST", "http://127.0.0.1:4000/hook", content=b"{}")


def test_a_name_that_does_not_resolve_is_worth_retrying():
    def fail(host, port):
        raise OSError("Name or service not known")

    http = make_client(fail, Recorder())
    with pytest.raises(outbound.Unreachable):
        outbound.send(http, "POST", "https://nowhere.example.com/", content=b"{}")
