"""The Platform API with a platform-app token, validated against the reference spec."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.spec import assert_matches


def test_platform_provisions_account_user_and_membership(api, world):
    token = world.platform_token
    account = api.post("/platform/api/v1/accounts", token, body={"name": "Initech", "locale": "en"})
    assert account.status == 200, account.json
    assert_matches(account.json, "post", "/platform/api/v1/accounts")
    account_id = account.json["id"]

    user = api.post("/platform/api/v1/users", token, body={"name": "Peter", "email": "peter@initech.test",
                                                         "password": PASSWORD, "custom_attributes": {"tier": "gold"}})
    assert user.status == 200, user.json
    assert_matches(user.json, "post", "/platform/api/v1/users")
    user_id = user.json["id"]

    added = api.post(f"/platform/api/v1/accounts/{account_id}/account_users", token,
                     body={"user_id": user_id, "role": "administrator"})
    assert added.status == 200 and added.json == {"account_id": account_id, "user_id": user_id, "role": "administrator"}
    listed = api.get(f"/platform/api/v1/accounts/{account_id}/account_users", token)
    assert_matches(listed.json, "get", "/platform/api/v1/accounts/{account_id}/account_users")
    assert listed.json == [{"account_id": account_id, "user_id": user_id, "role": "administrator"}]

    # The provisioned user signs in and administers the new account.
    signed_in = api.post("/auth/sign_in", body={"email": "peter@initech.test", "password": PASSWORD})
    assert signed_in.status == 200
    assert api.get(f"/api/v1/accounts/{account_id}/agents", signed_in.json["data"]["access_token"]).status == 200

    assert api.patch(f"/platform/api/v1/accounts/{account_id}", token, body={"name": "Initrode"}).json["name"] == "Initrode"
    assert api.get(f"/platform/api/v1/users/{user_id}", token).json["email"] == "peter@initech.test"
    assert api.patch(f"/platform/api/v1/users/{user_id}", token, body={"display_name": "P"}).json["display_name"] == "P"

    assert api.delete(f"/platform/api/v1/accounts/{account_id}/account_users", token, body={"user_id": user_id}).status == 200
    assert api.get(f"/platform/api/v1/accounts/{account_id}/account_users", token).json == []
    assert api.delete(f"/platform/api/v1/users/{user_id}", token).status == 200
    assert api.get(f"/platform/api/v1/users/{user_id}", token).status == 404
    assert api.post("/auth/sign_in", body={"email": "peter@initech.test", "password": PASSWORD}).status == 401
    assert api.delete(f"/platform/api/v1/accounts/{account_id}", token).status == 200
    assert api.get(f"/platform/api/v1/accounts/{account_id}", token).status == 404


def test_platform_app_sees_only_what_it_created(api, world):
    token = world.platform_token
    # Seeded accounts and users were not created by this app.
    assert api.get(f"/platform/api/v1/accounts/{world.account_id}", token).status == 404
    assert api.patch(f"/platform/api/v1/accounts/{world.account_id}", token, body={"name": "x"}).status == 404
    assert api.delete(f"/platform/api/v1/accounts/{world.account_id}", token).status == 404
    assert api.get(f"/platform/api/v1/users/{world.admin.id}", token).status == 404
    assert api.get(f"/platform/api/v1/accounts/{world.account_id}/account_users", token).status == 404
    # A second app cannot touch the first app's account.
    from parley.services import platform

    _, other_token = platform.create_platform_app("Other")
    mine = api.post("/platform/api/v1/accounts", token, body={"name": "Mine"}).json["id"]
    assert api.get(f"/platform/api/v1/accounts/{mine}", other_token).status == 404
    assert api.get(f"/platform/api/v1/accounts/{mine}", token).status == 200


def test_platform_rejects_user_tokens_and_bad_bodies(api, world):
    assert api.post("/platform/api/v1/accounts", world.super_admin.token, body={"name": "x"}).status == 401
    assert api.post("/platform/api/v1/accounts", body={"name": "x"}).status == 401
    token = world.platform_token
    assert api.post("/platform/api/v1/accounts", token, body={}).status == 422
    assert api.post("/platform/api/v1/accounts", token, body={"name": "x", "status": "deleted"}).status == 422
    assert api.post("/platform/api/v1/users", token, body={"name": "x", "email": "not-an-email"}).status == 422
    assert api.post("/platform/api/v1/users", token, body={"name": "x", "email": "a@b.co", "password": "weak"}).status == 422
    assert api.post("/platform/api/v1/users", token, body={"name": "x", "email": "admin@acme.test"}).status == 409


def test_sso_link_signs_in_once(api, world):
    token = world.platform_token
    user_id = api.post("/platform/api/v1/users", token, body={"name": "Sam", "email": "sam@sso.test"}).json["id"]
    link = api.get(f"/platform/api/v1/users/{user_id}/login", token)
    assert link.status == 200
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(link.json["url"]).query)
    assert query["email"] == ["sam@sso.test"]
    first = api.post("/auth/sign_in", body={"email": "sam@sso.test", "sso_auth_token": query["sso_auth_token"][0]})
    assert first.status == 200 and first.json["data"]["id"] == user_id
    again = api.post("/auth/sign_in", body={"email": "sam@sso.test", "sso_auth_token": query["sso_auth_token"][0]})
    assert again.status == 401
    # A login token is not an API token.
    assert api.get("/api/v1/profile", query["sso_auth_token"][0]).status == 401
