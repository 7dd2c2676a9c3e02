"""services/account/throttle.py: failures are counted over the last window, not per fixed window."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from parley.errors import TooManyRequests
from tests.conftest import PASSWORD

pytestmark = pytest.mark.dynamodb_local


def test_attempts_just_before_a_window_boundary_still_count_after_it(aws, monkeypatch):
    from parley.services.account import throttle

    limit = throttle.Limit("test", max_failures=5, window_seconds=60)
    clock = {"now": 6_000_059.0}  # one second before a boundary
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: clock["now"]))
    for _ in range(5):
        throttle.reserve([(limit, "someone")], "slow down")
    with pytest.raises(TooManyRequests):
        throttle.reserve([(limit, "someone")], "slow down")
    # Just after it a fixed window would allow 5 more; the previous window still weighs
    # 59/60 of its 5, rounded up, so a burst across the boundary gains nothing.
    clock["now"] = 6_000_061.0
    with pytest.raises(TooManyRequests):
        throttle.reserve([(limit, "someone")], "slow down")
    throttle.reserve([(limit, "someone else")], "slow down")  # subjects stay apart
    clock["now"] = 6_000_100.0  # 5 × 20/60, rounded up, leaves room for 3
    throttle.reserve([(limit, "someone")], "slow down")
    clock["now"] = 6_000_121.0  # two windows on: nothing left
    throttle.reserve([(limit, "someone")], "slow down")


def test_a_refused_attempt_takes_nothing_from_the_other_limits(aws):
    from parley.services.account import throttle

    tight, loose = throttle.Limit("tight", 1, 60), throttle.Limit("loose", 2, 60)
    throttle.reserve([(tight, "a")], "slow down")
    with pytest.raises(TooManyRequests):  # all or none: "loose" is not charged for it
        throttle.reserve([(loose, "b"), (tight, "a")], "slow down")
    throttle.release(throttle.reserve([(loose, "b")], "slow down"))
    throttle.reserve([(loose, "b")], "slow down")
    throttle.reserve([(loose, "b")], "slow down")
    with pytest.raises(TooManyRequests):
        throttle.reserve([(loose, "b")], "slow down")


def _counting_verify(monkeypatch):
    """Count the password hashes checked; each takes a while, as argon2 does, so parallel
    guesses overlap the way they do against real Lambdas."""
    import threading
    import time

    from parley import passwords

    real, calls, lock = passwords.verify, [], threading.Lock()

    def verify(stored, given):
        with lock:
            calls.append(given)
        time.sleep(0.2)
        return real(stored, given)

    monkeypatch.setattr(passwords, "verify", verify)
    return calls


def _in_parallel(n, attempt):
    """Run attempt(0..n-1) at once and return the status each raised (None for success).

    Each thread stands for one Lambda container and calls the service the handler calls:
    the handler itself keeps the current request in module globals (Powertools' resolver;
    one request per container), so threads through it would mix their requests up."""
    from concurrent.futures import ThreadPoolExecutor

    from parley.errors import ParleyError

    def run(n):
        try:
            attempt(n)
        except ParleyError as exc:
            return exc.status
        return None

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_parallel_sign_in_guesses_reach_the_hash_at_most_the_limit(api, world, monkeypatch, isolated_moto):
    from parley.services.access import users

    calls = _counting_verify(monkeypatch)
    statuses = _in_parallel(20, lambda n: users.sign_in("agent@acme.test", f"guess-{n}", f"198.51.100.{n + 1}"))
    assert len(calls) <= 5, f"{len(calls)} guesses reached argon2"
    assert statuses.count(401) == len(calls) and statuses.count(429) == 20 - len(calls)
    # The owner, too, is refused until the window passes (a per-e-mail limit: see the SSO test below).
    reply = api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD})
    assert reply.status == 429 and "Retry-After" in reply.headers


def test_a_successful_sign_in_gives_its_attempt_back(api, world):
    for _ in range(8):
        assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).status == 200
    for _ in range(4):
        assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": "bad"}).status == 401
    assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).status == 200


def test_ipv6_sources_in_one_64_share_a_bucket(api, world):
    for n in range(30):
        api.post("/auth/sign_in", body={"email": f"nobody{n}@acme.test", "password": "bad"},
                 source_ip=f"2001:db8:1:2::{n + 1:x}")
    same_64 = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                       source_ip="2001:db8:1:2:ffff:ffff:ffff:fffe")
    other_64 = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                        source_ip="2001:db8:1:3::1")
    assert same_64.status == 429 and other_64.status == 200


def test_profile_current_password_guesses_are_throttled(api, world, monkeypatch, isolated_moto):
    """A stolen session must not become an unlimited oracle for the account's password."""
    calls = _counting_verify(monkeypatch)

    from parley.services.access import users

    agent = users.get_user(world.agent.id)
    statuses = _in_parallel(12, lambda n: users.change_password(agent, f"guess-{n}", "N3w-secret!!", "203.0.113.5"))
    assert len(calls) <= 5 and statuses.count(422) == len(calls) and statuses.count(429) == 12 - len(calls)
    right = api.put("/api/v1/profile", world.agent.token,
                    body={"current_password": PASSWORD, "password": "N3w-secret!!",
                          "password_confirmation": "N3w-secret!!"})
    assert right.status == 429  # nothing changed: the old password still signs in
    assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).status == 200


def test_owner_of_a_locked_out_email_still_gets_in_through_the_sso_link(api, world):
    token = world.platform_token
    email = "owner@locked.test"
    user_id = api.post("/platform/api/v1/users", token, body={"name": "Owner", "email": email}).json["id"]
    for n in range(6):  # a stranger locks the e-mail out
        api.post("/auth/sign_in", body={"email": email, "password": f"guess-{n}"}, source_ip="203.0.113.66")
    assert api.post("/auth/sign_in", body={"email": email, "password": "x"}, source_ip="198.51.100.5").status == 429
    from urllib.parse import parse_qs, urlparse

    link = api.get(f"/platform/api/v1/users/{user_id}/login", token).json["url"]
    sso = parse_qs(urlparse(link).query)["sso_auth_token"][0]
    reply = api.post("/auth/sign_in", body={"email": email, "sso_auth_token": sso}, source_ip="198.51.100.5")
    assert reply.status == 200 and reply.json["data"]["id"] == user_id
    # Guessing SSO tokens is still limited, per source address.
    for n in range(30):
        api.post("/auth/sign_in", body={"email": email, "sso_auth_token": f"guess-{n}"}, source_ip="203.0.113.67")
    assert api.post("/auth/sign_in", body={"email": email, "sso_auth_token": "guess"},
                    source_ip="203.0.113.67").status == 429
