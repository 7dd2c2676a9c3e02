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
    from parley.services.access import platform

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


def _sso_token(api, token, user_id):
    from urllib.parse import parse_qs, urlparse

    link = api.get(f"/platform/api/v1/users/{user_id}/login", token)
    assert link.status == 200, link.json
    return parse_qs(urlparse(link.json["url"]).query)["sso_auth_token"][0]


def test_platform_app_loses_a_user_invited_into_another_tenant(api, world):
    """The attack: pre-create a user for an e-mail another account will invite, then log in as it."""
    token = world.platform_token
    email = "ceo@acme-partner.test"
    user_id = api.post("/platform/api/v1/users", token, body={"name": "CEO", "email": email,
                                                            "password": PASSWORD}).json["id"]
    early_link = _sso_token(api, token, user_id)  # minted while the user was still only the app's
    # Acme (not the app's account) invites that e-mail: the existing user joins Acme.
    invited = api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                       body={"name": "CEO", "email": email, "role": "administrator"})
    assert invited.status == 200, invited.json

    assert api.get(f"/platform/api/v1/users/{user_id}/login", token).status == 404
    assert api.get(f"/platform/api/v1/users/{user_id}", token).status == 404
    assert api.patch(f"/platform/api/v1/users/{user_id}", token, body={"password": "An0ther-secret!"}).status == 404
    assert api.patch(f"/platform/api/v1/users/{user_id}", token, body={"email": "mine@app.test"}).status == 404
    assert api.delete(f"/platform/api/v1/users/{user_id}", token).status == 404
    # A link minted before the invite no longer opens the account either.
    assert api.post("/auth/sign_in", body={"email": email, "sso_auth_token": early_link}).status == 401
    # Nothing changed: the user is still in Acme with its e-mail.
    members = api.get(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token).json
    assert [m["email"] for m in members if m["id"] == user_id] == [email]


def test_platform_app_adds_only_users_it_controls(api, world):
    token = world.platform_token
    account_id = api.post("/platform/api/v1/accounts", token, body={"name": "Mine"}).json["id"]
    from parley.services.access import platform

    _, other_token = platform.create_platform_app("Other")
    theirs = api.post("/platform/api/v1/users", other_token, body={"name": "T", "email": "t@other.test"}).json["id"]
    mine = api.post("/platform/api/v1/users", token, body={"name": "M", "email": "m@mine.test"}).json["id"]
    for user_id in (world.super_admin.id, world.admin.id, theirs):
        refused = api.post(f"/platform/api/v1/accounts/{account_id}/account_users", token,
                           body={"user_id": user_id, "role": "administrator"})
        assert refused.status == 404, (user_id, refused.json)
    assert api.get(f"/platform/api/v1/accounts/{account_id}/account_users", token).json == []
    # Its own user, once a member of a foreign account, is no longer its to add anywhere.
    api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
             body={"name": "M", "email": "m@mine.test", "role": "agent"})
    assert api.post(f"/platform/api/v1/accounts/{account_id}/account_users", token,
                    body={"user_id": mine, "role": "agent"}).status == 404
    fresh = api.post("/platform/api/v1/users", token, body={"name": "F", "email": "f@mine.test"}).json["id"]
    assert api.post(f"/platform/api/v1/accounts/{account_id}/account_users", token,
                    body={"user_id": fresh, "role": "agent"}).status == 200
    # Still its own user while it belongs only to the app's accounts.
    assert api.get(f"/platform/api/v1/users/{fresh}/login", token).status == 200


def test_credentials_the_app_held_before_the_invite_open_nothing_after_it(api, world):
    """The app set the password and opened a session before another tenant invited the e-mail."""
    token = world.platform_token
    email = "cfo@acme-partner.test"
    user_id = api.post("/platform/api/v1/users", token, body={"name": "CFO", "email": email,
                                                            "password": PASSWORD}).json["id"]
    session = api.post("/auth/sign_in", body={"email": email, "sso_auth_token": _sso_token(api, token, user_id)})
    app_session = session.json["data"]["access_token"]
    assert api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                    body={"name": "CFO", "email": email, "role": "agent"}).status == 200

    assert api.get(f"/api/v1/accounts/{world.account_id}/conversations", app_session).status == 401
    assert api.post("/auth/sign_in", body={"email": email, "password": PASSWORD}).status == 401


def test_a_password_the_user_chose_survives_the_invite(api, world):
    token = world.platform_token
    email = "cto@acme-partner.test"
    user_id = api.post("/platform/api/v1/users", token, body={"name": "CTO", "email": email,
                                                            "password": PASSWORD}).json["id"]
    own = api.post("/auth/sign_in", body={"email": email, "password": PASSWORD}).json["data"]["access_token"]
    changed = api.put("/api/v1/profile", own, body={"current_password": PASSWORD, "password": "Us3r-chosen!",
                                                    "password_confirmation": "Us3r-chosen!"})
    assert changed.status == 200, changed.json
    assert api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                    body={"name": "CTO", "email": email, "role": "agent"}).status == 200
    signed_in = api.post("/auth/sign_in", body={"email": email, "password": "Us3r-chosen!"})
    assert signed_in.status == 200 and signed_in.json["data"]["id"] == user_id
