"""Sign-in, tokens, profile."""
from __future__ import annotations

from tests.conftest import PASSWORD


def test_sign_in_answers_like_chatwoot(api, world):
    reply = api.post("/auth/sign_in", body={"email": "Admin@Acme.test", "password": PASSWORD})
    assert reply.status == 200, reply.json
    data = reply.json["data"]
    assert data["id"] == world.admin.id and data["email"] == "admin@acme.test"
    assert data["accounts"][0]["id"] == world.account_id and data["accounts"][0]["role"] == "administrator"
    assert data["pubsub_token"] and data["access_token"] and data["access_token"] != world.admin.token
    assert api.get("/api/v1/profile", data["access_token"]).json["id"] == world.admin.id


def test_wrong_password_and_unknown_email_look_the_same(api, world):
    wrong = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": "nope"})
    unknown = api.post("/auth/sign_in", body={"email": "ghost@acme.test", "password": "nope"})
    assert wrong.status == unknown.status == 401
    assert wrong.json == unknown.json


def test_sign_in_throttled_per_email_with_retry_after(api, world):
    for _ in range(5):
        assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": "bad"}).status == 401
    reply = api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD})
    assert reply.status == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 900
    # Another email from another address is not affected.
    assert api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                    source_ip="198.51.100.7").status == 200


def test_sign_in_throttled_per_source_address(api, world):
    for n in range(30):
        api.post("/auth/sign_in", body={"email": f"nobody{n}@acme.test", "password": "bad"}, source_ip="198.51.100.9")
    reply = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD}, source_ip="198.51.100.9")
    assert reply.status == 429 and "Retry-After" in reply.headers


def test_tokens_are_stored_only_as_hashes(api, world):
    import boto3

    table = boto3.client("dynamodb").scan(TableName=__import__("os").environ["ACCESS_TOKENS_TABLE"])
    stored = str(table["Items"])
    assert world.admin.token not in stored and world.agent.token not in stored


def test_profile_requires_a_valid_token(api, world):
    assert api.get("/api/v1/profile").status == 401
    assert api.get("/api/v1/profile", "forged-token").status == 401
    assert api.get("/api/v1/profile", "x" * 5000).status == 401
    assert api.get("/api/v1/profile", world.platform_token).status == 401


def test_profile_shape(api, world):
    reply = api.get("/api/v1/profile", world.agent.token)
    assert reply.status == 200
    assert reply.json["access_token"] == world.agent.token
    assert reply.json["accounts"] == [{
        "id": world.account_id, "name": "Acme", "status": "active", "active_at": reply.json["accounts"][0]["active_at"],
        "role": "agent", "permissions": ["agent"], "availability": "online", "availability_status": "online",
        "auto_offline": True, "custom_role_id": None, "custom_role": None}]


def test_update_profile_name_and_wrapped_form(api, world):
    reply = api.put("/api/v1/profile", world.agent.token, body={"profile": {"name": "Aaron A.", "display_name": "Aa"}})
    assert reply.status == 200 and reply.json["name"] == "Aaron A." and reply.json["available_name"] == "Aa"
    assert api.get("/api/v1/profile", world.agent.token).json["name"] == "Aaron A."


def test_changing_password_revokes_every_token(api, world):
    second = api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).json["data"]["access_token"]
    new_password = "N3w-password!"
    reply = api.put("/api/v1/profile", world.agent.token, body={"profile": {
        "current_password": PASSWORD, "password": new_password, "password_confirmation": new_password}})
    assert reply.status == 200
    fresh = reply.json["access_token"]
    assert fresh not in (world.agent.token, second)
    assert api.get("/api/v1/profile", world.agent.token).status == 401
    assert api.get("/api/v1/profile", second).status == 401
    assert api.get("/api/v1/profile", fresh).status == 200
    assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).status == 401
    assert api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": new_password}).status == 200


def test_password_change_needs_current_password_and_a_strong_one(api, world):
    wrong = api.put("/api/v1/profile", world.agent.token, body={
        "current_password": "nope", "password": "N3w-password!", "password_confirmation": "N3w-password!"})
    assert wrong.status == 422
    weak = api.put("/api/v1/profile", world.agent.token, body={
        "current_password": PASSWORD, "password": "weak", "password_confirmation": "weak"})
    assert weak.status == 422 and "Password must" in weak.json["error"]
    assert api.get("/api/v1/profile", world.agent.token).status == 200  # nothing was revoked


def test_email_is_unique_across_users(api, world):
    reply = api.put("/api/v1/profile", world.agent.token, body={"email": "admin@acme.test"})
    assert reply.status == 409
    assert api.get("/api/v1/profile", world.agent.token).json["email"] == "agent@acme.test"
    moved = api.put("/api/v1/profile", world.agent.token, body={"email": "aaron@acme.test"})
    assert moved.status == 200
    # The old address is free again, the new one is taken.
    from parley.services.access import users
    from parley.errors import Conflict
    import pytest

    users.create_user(email="agent@acme.test", name="New person")
    with pytest.raises(Conflict):
        users.create_user(email="AARON@acme.test", name="Dup")


def test_sign_out_revokes_that_token_only(api, world):
    other = api.post("/auth/sign_in", body={"email": "agent@acme.test", "password": PASSWORD}).json["data"]["access_token"]
    assert api.delete("/auth/sign_out", world.agent.token).status == 200
    assert api.get("/api/v1/profile", world.agent.token).status == 401
    assert api.get("/api/v1/profile", other).status == 200


def test_sign_in_limits_use_the_viewer_address_only_behind_our_cloudfront(api, world, monkeypatch):
    import os
    from types import SimpleNamespace

    from parley.services.account import throttle

    # Mid-window, however long the test takes: a window boundary would halve old failures' weight.
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: 6_000_450.0))

    edge = {"x-parley-edge": os.environ["EDGE_SECRET"]}
    # Through CloudFront: many viewers share one edge server, each is limited on its own.
    for n in range(30):
        api.post("/auth/sign_in", body={"email": f"x{n}@acme.test", "password": "bad"}, source_ip="130.176.1.1",
                 headers={**edge, "x-forwarded-for": "198.51.100.20, 130.176.1.1"})
    blocked = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                       source_ip="130.176.1.1", headers={**edge, "x-forwarded-for": "198.51.100.20"})
    other_viewer = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                            source_ip="130.176.1.1", headers={**edge, "x-forwarded-for": "198.51.100.21"})
    assert blocked.status == 429 and other_viewer.status == 200
    # Without the edge secret X-Forwarded-For is the caller's own claim: the peer counts.
    spoofed = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                       source_ip="203.0.113.99", headers={"x-forwarded-for": "198.51.100.20"})
    assert spoofed.status == 200
    wrong_secret = api.post("/auth/sign_in", body={"email": "admin@acme.test", "password": PASSWORD},
                            source_ip="130.176.1.1",
                            headers={"x-parley-edge": "guess", "x-forwarded-for": "198.51.100.20"})
    assert wrong_secret.status == 200  # the blocked viewer's address was not believed
