"""Captain's provider settings (issue 14, item 3): /captain/provider for the account and
/captain/assistants/{id}/provider for an assistant's override. Keys go to SSM Parameter
Store as SecureStrings and come back nowhere: not in a response, an audit entry or a log
line. Bad input is a 422 that changes nothing; the resolution is override -> account ->
installation; the Provider built for an assistant uses the key and model in force."""
from __future__ import annotations

import json
import logging

import httpx

from parley import aws
from parley.models.audit_log import AuditLog

KEY = "sk-live-SECRET-must-never-appear-42"
OTHER_KEY = "sk-live-SECOND-secret-key-77"


def base(world, account_id=None) -> str:
    return f"/api/v1/accounts/{account_id or world.account_id}/captain"


def entries(account_id: int) -> list[AuditLog]:
    return [e for e in AuditLog.query(account_id) if e.auditable_type == "Captain::ProviderSettings"]


def make_assistant(api, world, name="Helper") -> int:
    reply = api.post(f"{base(world)}/assistants", world.admin.token, body={"name": name, "description": "d"})
    assert reply.status == 200, reply.json
    return reply.json["id"]


def parameter(name: str):
    try:
        return aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except aws.client("ssm").exceptions.ParameterNotFound:
        return None


def key_name(world, scope: int) -> str:
    return f"/test/captain/{world.account_id}/{scope}"


def scripted():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "hi"}}]})

    return httpx.MockTransport(answer), seen


OPENAI = {"provider": "openai_compatible", "base_url": "https://api.openai.com/v1", "chat_model": "gpt-4o-mini",
          "embedding_model": "text-embedding-3-small", "api_key": KEY, "monthly_budget_usd": 25,
          "rate_limit_per_minute": 60}


def test_account_settings_default_then_set_with_a_write_only_key(api, world, caplog, capsys):
    caplog.set_level(logging.INFO)  # botocore logs request bodies at DEBUG: never enabled in Parley
    caplog.set_level(logging.DEBUG, logger="parley")
    path = f"{base(world)}/provider"
    shown = api.get(path, world.admin.token)
    assert shown.status == 200
    assert shown.json | {"updated_at": None} == {
        "account_id": world.account_id, "assistant_id": None, "source": "installation", "provider": "offline",
        "base_url": None, "chat_model": None, "embedding_model": None, "allow_private_address": False,
        "api_key_set": False, "private_addresses_allowed": False, "updated_at": None, "monthly_budget_usd": None,
        "rate_limit_per_minute": None}

    changed = api.patch(path, world.admin.token, body={"provider": OPENAI})  # Rails' wrapped form too
    assert changed.status == 200, changed.json
    assert changed.json["source"] == "account" and changed.json["api_key_set"] is True
    assert changed.json["provider"] == "openai_compatible" and changed.json["chat_model"] == "gpt-4o-mini"
    assert changed.json["monthly_budget_usd"] == 25 and changed.json["rate_limit_per_minute"] == 60
    assert isinstance(changed.json["updated_at"], int)
    stored = parameter(key_name(world, 0))
    assert stored["Type"] == "SecureString" and stored["Value"] == KEY
    assert api.get(path, world.admin.token).json == changed.json

    # The key is in no response, no audit entry, no log line.
    written = entries(world.account_id)
    assert len(written) == 1 and written[0].action == "create"
    assert written[0].audited_changes["api_key"] == "[FILTERED]"
    assert written[0].audited_changes["provider"] == "openai_compatible"
    for text in [json.dumps(changed.json), json.dumps([e.audited_changes for e in written]), caplog.text,
                 "".join(capsys.readouterr())]:
        assert KEY not in text

    # Replacing the key: audited as filtered, never in clear.
    api.patch(path, world.admin.token, body={"api_key": OTHER_KEY})
    assert parameter(key_name(world, 0))["Value"] == OTHER_KEY
    update = [e for e in entries(world.account_id) if e.action == "update"][0]
    assert update.audited_changes == {"api_key": "[FILTERED]"}
    assert OTHER_KEY not in json.dumps([e.audited_changes for e in entries(world.account_id)])

    # The provider built for an assistant sends the stored key to the configured endpoint.
    from parley.services.captain import assistants, providers
    transport, seen = scripted()
    built = providers.for_assistant(world.account_id, None, transport=transport)
    assert built.name == "openai_compatible" and built.chat_model == "gpt-4o-mini"
    monkey_guard(built)
    assert built.complete(system="", turns=[_turn("hello")]).text == "hi"
    assert seen[0].headers["authorization"] == f"Bearer {OTHER_KEY}"
    assert providers.limits(world.account_id) == {"monthly_budget_usd": 25, "rate_limit_per_minute": 60}

    # "" clears the key: the parameter is gone.
    cleared = api.patch(path, world.admin.token, body={"api_key": ""})
    assert cleared.json["api_key_set"] is False and parameter(key_name(world, 0)) is None
    assert assistants  # imported for the provider's resolution above


def _turn(text):
    from parley.llm.port import Turn
    return Turn("user", text)


def monkey_guard(provider):
    """Resolve api.openai.com to a public test address: the test makes no DNS lookup."""
    provider._resolver = lambda host, port: ["93.184.216.34"]


BAD_CHANGES = [
    ({"provider": "gemini"}, "provider"),
    ({"provider": None}, "provider"),
    ({"provider": "openai_compatible", "chat_model": "m"}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "https://api.example.com/v1"}, "chat_model"),
    ({"provider": "openai_compatible", "base_url": "http://api.example.com/v1", "chat_model": "m"}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "https://10.0.0.4/v1", "chat_model": "m"}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "https://localhost/v1", "chat_model": "m"}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "http://169.254.169.254/v1", "chat_model": "m",
      "allow_private_address": True}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "ftp://files.example.com", "chat_model": "m"}, "base_url"),
    ({"provider": "openai_compatible", "base_url": "https://user:pw@api.example.com/v1", "chat_model": "m"},
     "base_url"),
    ({"provider": "openai_compatible", "base_url": "https://api.example.com/v1", "chat_model": "m" * 201},
     "chat_model"),
    ({"provider": "openai_compatible", "base_url": "https://api.example.com/v1", "chat_model": "m",
      "api_key": "has spaces in it"}, "api_key"),
    ({"provider": "bedrock", "api_key": "sk-nope"}, "api_key"),
    ({"provider": "bedrock", "base_url": "https://api.example.com/v1"}, "base_url"),
    ({"provider": "offline", "embedding_model": ""}, "embedding_model"),
    ({"provider": "offline", "monthly_budget_usd": -1}, "monthly_budget_usd"),
    ({"provider": "offline", "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"provider": "offline", "rate_limit_per_minute": 10_001}, "rate_limit_per_minute"),
    ({"provider": "offline", "rate_limit_per_minute": 1.5}, "rate_limit_per_minute"),
    ({"provider": "offline", "allow_private_address": "yes"}, "allow_private_address"),
    ({"provider": "offline", "secret_mode": True}, "secret_mode"),
]


def test_bad_input_is_a_422_that_changes_nothing(api, world):
    """Every bad change in turn, on one stack (each leaves everything as it was, so the
    next starts from the same settings; a change that wrote anything fails here)."""
    path = f"{base(world)}/provider"
    assert api.patch(path, world.admin.token, body={"provider": "offline", "monthly_budget_usd": 5}).status == 200
    before, audited = api.get(path, world.admin.token).json, len(entries(world.account_id))
    for change, field in BAD_CHANGES:
        reply = api.patch(path, world.admin.token, body=change)
        assert reply.status == 422, (change, reply.json)
        assert field in json.dumps(reply.json), change
        assert api.get(path, world.admin.token).json == before, change
        assert len(entries(world.account_id)) == audited, change
        assert parameter(key_name(world, 0)) is None, change


def test_a_self_hosted_model_on_a_private_address_needs_the_allowance(api, world):
    from parley import global_config
    from parley.services.captain import providers

    path = f"{base(world)}/provider"
    ollama = {"provider": "openai_compatible", "base_url": "http://10.0.3.7:11434/v1", "chat_model": "llama3.1:8b"}
    assert api.patch(path, world.admin.token, body=ollama).status == 422
    # The installation must allow private model addresses at all (off by default).
    refused = api.patch(path, world.admin.token, body=ollama | {"allow_private_address": True})
    assert refused.status == 422 and "CAPTAIN_PRIVATE_MODEL_ADDRESSES" in json.dumps(refused.json)
    assert api.get(path, world.admin.token).json["source"] == "installation"
    global_config.update("CAPTAIN_PRIVATE_MODEL_ADDRESSES", True)
    assert api.get(path, world.admin.token).json["private_addresses_allowed"] is True
    allowed = api.patch(path, world.admin.token, body=ollama | {"allow_private_address": True})
    assert allowed.status == 200 and allowed.json["allow_private_address"] is True
    assert allowed.json["api_key_set"] is False  # Ollama needs no key
    # Turning the allowance off again is refused while the URL is private: nothing changes.
    assert api.patch(path, world.admin.token, body={"allow_private_address": False}).status == 422
    assert api.get(path, world.admin.token).json["allow_private_address"] is True
    assert providers.for_assistant(world.account_id, None).allow_private_address is True
    # Withdrawn by the super admin: the stored allowance no longer counts.
    global_config.update("CAPTAIN_PRIVATE_MODEL_ADDRESSES", False)
    assert providers.for_assistant(world.account_id, None).allow_private_address is False


def test_an_assistant_override_inherits_replaces_and_is_removed(api, world):
    from parley.services.captain import assistants, providers

    first, second = make_assistant(api, world, "First"), make_assistant(api, world, "Second")
    api.patch(f"{base(world)}/provider", world.admin.token, body=OPENAI)
    path = f"{base(world)}/assistants/{first}/provider"
    inherited = api.get(path, world.admin.token)
    assert inherited.status == 200 and inherited.json["source"] == "account"
    assert inherited.json["assistant_id"] == first and inherited.json["api_key_set"] is True
    assert "monthly_budget_usd" not in inherited.json  # the account's, shown there

    # One field given: the rest (endpoint, key) is the account's.
    override = api.patch(path, world.admin.token, body={"chat_model": "gpt-4o"})
    assert override.status == 200, override.json
    assert override.json["source"] == "assistant" and override.json["chat_model"] == "gpt-4o"
    assert override.json["base_url"] == "https://api.openai.com/v1" and override.json["api_key_set"] is True
    transport, seen = scripted()
    built = providers.for_assistant(world.account_id, assistants.get(world.account_id, first), transport=transport)
    monkey_guard(built)
    built.complete(system="", turns=[_turn("hi")])
    assert json.loads(seen[0].content)["model"] == "gpt-4o" and seen[0].headers["authorization"] == f"Bearer {KEY}"
    other = providers.for_assistant(world.account_id, assistants.get(world.account_id, second))
    assert other.chat_model == "gpt-4o-mini"

    # Another provider for this assistant only, with its own key.
    own = api.patch(path, world.admin.token, body={"provider": "openai_compatible", "base_url": "https://llm.example.com/v1",
                                                   "chat_model": "mixtral", "api_key": OTHER_KEY})
    assert own.json["api_key_set"] is True and parameter(key_name(world, first))["Value"] == OTHER_KEY
    offline = api.patch(path, world.admin.token, body={"provider": "offline"})
    assert offline.json["provider"] == "offline" and offline.json["base_url"] is None
    assert offline.json["api_key_set"] is False and parameter(key_name(world, first)) is None
    assert providers.for_assistant(world.account_id, assistants.get(world.account_id, first)).generates is False

    # Budget and rate limit are the account's.
    assert api.patch(path, world.admin.token, body={"monthly_budget_usd": 3}).status == 422

    removed = api.delete(path, world.admin.token)
    assert removed.status == 200 and removed.json["source"] == "account"
    assert api.delete(path, world.admin.token).status == 404
    actions = [e.action for e in entries(world.account_id) if e.auditable_id == first]
    assert actions == ["create", "update", "update", "destroy"]


def test_another_accounts_assistant_and_callers(api, world):
    first = make_assistant(api, world)
    theirs = f"{base(world, world.other_account_id)}/assistants/{first}/provider"
    assert api.get(theirs, world.other_admin.token).status == 404
    assert api.patch(theirs, world.other_admin.token, body={"provider": "offline"}).status == 404
    mine = f"{base(world)}/assistants/{first}/provider"
    assert api.get(mine, world.other_admin.token).status == 404
    assert api.patch(mine, world.agent.token, body={"provider": "offline"}).status == 403
    assert api.get(f"{base(world)}/assistants/999999/provider", world.admin.token).status == 404


def test_installation_and_deployment_defaults(api, world):
    from parley import global_config
    from parley.services.captain import providers

    assert providers.for_assistant(world.account_id, None).name == "offline"
    global_config.update("CAPTAIN_DEFAULT_PROVIDER", "bedrock")
    shown = api.get(f"{base(world)}/provider", world.admin.token).json
    assert shown["source"] == "installation" and shown["provider"] == "bedrock"
    built = providers.for_assistant(world.account_id, None, bedrock_client=object())
    assert built.name == "bedrock" and built.chat_model == "amazon.nova-lite-v1:0"  # the template's default
    assert built.embedding_model == "amazon.titan-embed-text-v2:0"
    global_config.update("CAPTAIN_DEFAULT_PROVIDER", "nonsense")
    assert providers.installation_default() == "offline"


def test_deleting_an_assistant_removes_its_override_and_key(api, world):
    from parley.services.captain import providers

    first = make_assistant(api, world)
    path = f"{base(world)}/assistants/{first}/provider"
    assert api.patch(path, world.admin.token, body={
        "provider": "openai_compatible", "base_url": "https://llm.example.com/v1", "chat_model": "m",
        "api_key": KEY}).status == 200
    assert parameter(key_name(world, first)) is not None
    assert api.delete(f"{base(world)}/assistants/{first}", world.admin.token).status == 200
    assert providers.find(world.account_id, first) is None and parameter(key_name(world, first)) is None
    assert [e.action for e in entries(world.account_id) if e.auditable_id == first] == ["create", "destroy"]


def test_an_accounts_deletion_removes_its_keys_and_no_other(api, world):
    from tests.integration.test_account_deletion import _provider_keys, _run_jobs

    openai = {"provider": "openai_compatible", "base_url": "https://api.openai.com/v1", "chat_model": "m", "api_key": KEY}
    assert api.patch(f"{base(world)}/provider", world.admin.token, body=openai).status == 200
    first = make_assistant(api, world)
    assert api.patch(f"{base(world)}/assistants/{first}/provider", world.admin.token,
                     body=openai | {"api_key": OTHER_KEY}).status == 200
    theirs = f"{base(world, world.other_account_id)}/provider"
    assert api.patch(theirs, world.other_admin.token, body=openai).status == 200
    assert len(_provider_keys(world.account_id)) == 2
    assert api.delete(f"/super_admin/api/v1/accounts/{world.account_id}", world.super_admin.token).status == 200
    _run_jobs()
    assert _provider_keys(world.account_id) == []
    assert _provider_keys(world.other_account_id) == [f"/test/captain/{world.other_account_id}/0"]
