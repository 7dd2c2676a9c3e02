"""Hostile input: each gets a clear 4xx with Chatwoot's error body and writes nothing."""
from __future__ import annotations

import json
import random

import pytest

from tests.test_support import table_snapshot


@pytest.fixture
def routes(world):
    a = world.account_id
    return [
        ("POST", "/auth/sign_in", None),
        ("PUT", "/api/v1/profile", world.agent.token),
        ("POST", "/api/v1/profile/availability", world.agent.token),
        ("PATCH", f"/api/v1/accounts/{a}", world.admin.token),
        ("POST", f"/api/v1/accounts/{a}/agents", world.admin.token),
        ("PATCH", f"/api/v1/accounts/{a}/agents/{world.agent.id}", world.admin.token),
        ("POST", "/platform/api/v1/accounts", world.platform_token),
        ("POST", "/platform/api/v1/users", world.platform_token),
        ("PATCH", "/super_admin/api/v1/installation_configs/WEBHOOK_TIMEOUT", world.super_admin.token),
        ("POST", "/super_admin/api/v1/platform_apps", world.super_admin.token),
        ("POST", f"/api/v1/accounts/{a}/dashboard_apps", world.admin.token),
        ("POST", f"/api/v1/accounts/{a}/integrations/hooks", world.admin.token),
        ("POST", f"/api/v1/accounts/{a}/sla_policies", world.admin.token),
    ]


BAD_BODIES = [
    "{not json",
    "[1, 2, 3]",
    '"a string"',
    "null",
    json.dumps({"unexpected_field": 1}),
    json.dumps({"name": ["a", "list"], "email": 7, "role": {"x": 1}, "value": None, "availability": 3}),
    json.dumps({"name": "x" * 20_000, "email": "e@x.co", "role": "agent"}),
]


def test_bad_bodies_are_4xx_and_change_nothing(api, world, routes):
    before = table_snapshot()
    assert len(before) >= 10 and before["UsersTable"]
    for method, path, token in routes:
        for body in BAD_BODIES:
            reply = api.call(method, path, token, body=body)
            assert 400 <= reply.status < 500, (method, path, body[:40], reply.status, reply.json)
            assert reply.json["error"], (method, path)
    after = table_snapshot(ignore=("ThrottleTable",))  # failed sign-ins are counted, by design
    assert after == {k: v for k, v in before.items() if k != "ThrottleTable"}


def test_malformed_json_says_so(api, world):
    reply = api.put("/api/v1/profile", world.agent.token, body="{oops")
    assert reply.status == 400 and reply.json["error"] == "Request body is not valid JSON"


def test_oversize_body_is_413(api, world):
    reply = api.put("/api/v1/profile", world.agent.token, raw_body=b'{"name": "' + b"x" * 1_100_000 + b'"}')
    assert reply.status == 413


def test_binary_body_is_400(api, world):
    reply = api.put("/api/v1/profile", world.agent.token, raw_body=bytes(range(256)))
    assert reply.status == 400


def test_wrong_types_name_the_field(api, world):
    reply = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                     body={"name": "N", "email": "n@acme.test", "role": "agent", "auto_offline": "sometimes"})
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "auto_offline"


def test_unknown_routes_and_ids_are_404(api, world):
    assert api.get("/api/v1/nothing-here", world.admin.token).status == 404
    assert api.get("/api/v1/accounts/not-a-number", world.admin.token).status == 404
    assert api.get("/api/v1/accounts/99999999999999999999999", world.admin.token).status == 404
    assert api.get("/api/v1/accounts/-1", world.admin.token).status == 404


def test_random_input_never_500(api, world, routes):
    """A small seeded fuzz over every route: whatever arrives, the answer is not a 5xx."""
    rng = random.Random(20261124)
    values = [None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "<script>", "\u0000", [], {}, {"a": {"b": []}},
              "admin@acme.test", "administrator", "online"]
    keys = ["name", "email", "password", "role", "value", "availability", "account_id", "profile", "locale",
            "status", "user_id", "auto_offline", "display_name", "custom_attributes", "limits"]
    for _ in range(150):
        method, path, token = rng.choice(routes)
        body = {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 4))}
        if rng.random() < 0.3:
            body = {"profile": body}
        reply = api.call(method, path, token, body=body)
        assert reply.status < 500, (method, path, body, reply.json)


def test_missing_api_token_header_is_401_everywhere(api, world):
    for path in ("/api/v1/profile", f"/api/v1/accounts/{world.account_id}", "/super_admin/api/v1/installation_configs"):
        reply = api.get(path)
        assert reply.status == 401 and reply.json["error"] == "You need to sign in or sign up before continuing."


def test_duplicate_query_and_odd_headers_do_not_break(api, world):
    reply = api.get("/api/v1/profile", world.agent.token, query={"a": "1"}, headers={"content-type": "text/plain"})
    assert reply.status == 200
