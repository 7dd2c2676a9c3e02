"""Installation config: YAML defaults -> DynamoDB -> cache; the super admin API; the public endpoint."""
from __future__ import annotations

import pytest


def test_defaults_are_loaded_once_and_never_overwrite(api, world):
    from parley import global_config

    global_config.load_defaults()  # the world's set-up may have read (and so loaded) them already
    assert set(global_config.items(fresh=True)) == set(global_config.defaults())
    global_config.update("INSTALLATION_NAME", "Help Desk")
    assert global_config.load_defaults() == 0  # nothing missing, nothing overwritten
    global_config.items(fresh=True)["WIDGET_TOKEN_EXPIRY"].delete()  # a key a later release adds
    assert global_config.load_defaults() == 1
    assert global_config.get("INSTALLATION_NAME") == "Help Desk"
    assert global_config.get("WIDGET_TOKEN_EXPIRY") == 180


def test_defaults_load_on_first_read(api, world):
    from parley import global_config

    assert global_config.get("MAXIMUM_FILE_UPLOAD_SIZE") == 40


def test_every_documented_key_is_there():
    from parley import global_config

    keys = set(global_config.defaults())
    for name in ("INSTALLATION_NAME", "BRAND_NAME", "LOGO", "LOGO_THUMBNAIL", "WIDGET_BRAND_URL",
                 "ENABLE_ACCOUNT_SIGNUP", "INSTALLATION_EVENTS_WEBHOOK_URL", "WEBHOOK_TIMEOUT",
                 "MAXIMUM_FILE_UPLOAD_SIZE", "MAILER_INBOUND_EMAIL_DOMAIN", "MAILER_SUPPORT_EMAIL",
                 "WIDGET_TOKEN_EXPIRY", "CAPTAIN_OPEN_AI_API_KEY", "CAPTAIN_OPEN_AI_MODEL",
                 "CAPTAIN_OPEN_AI_ENDPOINT", "CAPTAIN_EMBEDDING_MODEL", "FB_APP_ID", "FB_APP_SECRET",
                 "WHATSAPP_APP_SECRET", "INSTAGRAM_APP_ID"):
        assert name in keys, name


def test_super_admin_lists_and_updates(api, world):
    token = world.super_admin.token
    listing = api.get("/super_admin/api/v1/installation_configs", token)
    assert listing.status == 200
    by_name = {item["name"]: item for item in listing.json["payload"]}
    assert by_name["WEBHOOK_TIMEOUT"]["type"] == "integer"
    updated = api.patch("/super_admin/api/v1/installation_configs/WEBHOOK_TIMEOUT", token, body={"value": 10})
    assert updated.status == 200 and updated.json["value"] == 10
    assert {i["name"]: i for i in api.get("/super_admin/api/v1/installation_configs", token).json["payload"]}[
        "WEBHOOK_TIMEOUT"]["value"] == 10


def test_an_administrator_reads_what_was_saved_not_a_containers_copy(api, world):
    """Lambda runs several containers, each with its own 30-second copy of the config: the
    change is saved by one, the next page load is served by another. What an administrator
    reads back and acts on (the config list, creating an email inbox) is the saved value."""
    from parley import global_config

    token = world.super_admin.token
    api.get("/super_admin/api/v1/installation_configs", token)
    elsewhere = dict(global_config._cache)  # another container's copy, taken before the change
    assert api.patch("/super_admin/api/v1/installation_configs/BRAND_NAME", token,
                     body={"value": "Acme Help"}).status == 200
    assert api.patch("/super_admin/api/v1/installation_configs/MAILER_INBOUND_EMAIL_DOMAIN", token,
                     body={"value": "inbound.acme.test"}).status == 200
    global_config._cache.update(elsewhere)  # the next requests land on that container
    listing = {i["name"]: i["value"] for i in api.get("/super_admin/api/v1/installation_configs", token).json["payload"]}
    assert listing["BRAND_NAME"] == "Acme Help"
    global_config._cache.update(elsewhere)
    created = api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                       body={"name": "Mail", "channel": {"type": "email", "email": "help@acme.example"}})
    assert created.status == 200, created.json
    assert created.json["forward_to_email"].endswith("@inbound.acme.test")


@pytest.mark.parametrize("name,value,message", [
    ("WEBHOOK_TIMEOUT", "ten", "WEBHOOK_TIMEOUT must be a whole number"),
    ("WEBHOOK_TIMEOUT", True, "WEBHOOK_TIMEOUT must be a whole number"),
    ("WEBHOOK_TIMEOUT", -1, "WEBHOOK_TIMEOUT must be a whole number"),
    ("ENABLE_ACCOUNT_SIGNUP", "yes", "ENABLE_ACCOUNT_SIGNUP must be true or false"),
    ("CAPTAIN_OPEN_AI_ENDPOINT", "ftp://x", "CAPTAIN_OPEN_AI_ENDPOINT must be an http(s) URL"),
    ("BRAND_NAME", {"a": 1}, "BRAND_NAME must be a string"),
    ("DEPLOYMENT_ENV", "cloud", "DEPLOYMENT_ENV is locked"),
])
def test_locked_keys_and_wrong_types_are_422(api, world, name, value, message):
    token = world.super_admin.token
    before = {i["name"]: i for i in api.get("/super_admin/api/v1/installation_configs", token).json["payload"]}[name]
    reply = api.patch(f"/super_admin/api/v1/installation_configs/{name}", token, body={"value": value})
    assert reply.status == 422 and reply.json["error"].startswith(message)
    after = {i["name"]: i for i in api.get("/super_admin/api/v1/installation_configs", token).json["payload"]}[name]
    assert after == before


def test_unknown_key_is_404_and_extra_fields_422(api, world):
    token = world.super_admin.token
    assert api.patch("/super_admin/api/v1/installation_configs/NOPE", token, body={"value": 1}).status == 404
    assert api.patch("/super_admin/api/v1/installation_configs/BRAND_NAME", token,
                     body={"value": "x", "locked": False}).status == 422


def test_secrets_are_masked_and_never_public(api, world):
    token = world.super_admin.token
    api.patch("/super_admin/api/v1/installation_configs/CAPTAIN_OPEN_AI_API_KEY", token, body={"value": "sk-secret"})
    listing = {i["name"]: i for i in api.get("/super_admin/api/v1/installation_configs", token).json["payload"]}
    assert listing["CAPTAIN_OPEN_AI_API_KEY"]["value"] == "********"
    # Sending the mask back keeps the secret.
    api.patch("/super_admin/api/v1/installation_configs/CAPTAIN_OPEN_AI_API_KEY", token, body={"value": "********"})
    from parley import global_config

    assert global_config.get("CAPTAIN_OPEN_AI_API_KEY") == "sk-secret"
    public = api.get("/public/api/v1/global_config")
    assert public.status == 200 and "sk-secret" not in str(public.json)


def test_public_endpoint_serves_only_public_keys(api, world):
    public = api.get("/public/api/v1/global_config").json
    assert public["INSTALLATION_NAME"] == "Parley" and public["MAXIMUM_FILE_UPLOAD_SIZE"] == 40
    for private in ("WEBHOOK_TIMEOUT", "CAPTAIN_OPEN_AI_API_KEY", "FB_APP_SECRET", "MAILER_SUPPORT_EMAIL"):
        assert private not in public


def test_agents_and_admins_are_not_super_admins(api, world):
    for token in (world.admin.token, world.agent.token):
        assert api.get("/super_admin/api/v1/installation_configs", token).status == 403
        assert api.patch("/super_admin/api/v1/installation_configs/BRAND_NAME", token, body={"value": "x"}).status == 403


def test_invalid_yaml_is_refused(tmp_path, monkeypatch):
    from parley import global_config

    bad = tmp_path / "installation_config.yml"
    for text in ("- name: lower_case\n  value: 1\n", "- name: A\n  type: secret\n  public: true\n",
                 "- name: A\n  type: integer\n  value: x\n", "name: A\n", "- name: A\n- name: A\n",
                 "- name: A\n  colour: red\n"):
        bad.write_text(text)
        monkeypatch.setattr(global_config, "DEFAULTS_FILE", bad)
        global_config.defaults.cache_clear()
        with pytest.raises(ValueError):
            global_config.defaults()
    global_config.defaults.cache_clear()
