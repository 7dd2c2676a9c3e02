"""Which model Captain uses, per account and per assistant, and the keys they need.

Settings are AccountObjects of kind "captain_provider": `captain_provider#0` is the
account's, `captain_provider#<assistant id>` an assistant's override. Data: {provider,
base_url, chat_model, embedding_model, allow_private_address, key_set} and, on the account's
only, {monthly_budget_usd, rate_limit_per_minute} (a budget and a rate limit are the
account's: services/captain/usage.py reads them through `limits`).

An assistant's provider is its override, else the account's, else the installation's
default (installation config CAPTAIN_DEFAULT_PROVIDER; empty = the deployment's, the
template parameter CaptainDefaultProvider: "offline" unless set to "bedrock").

Keys (OpenAI-compatible endpoints only; Bedrock uses the function's IAM role, offline none)
are SSM Parameter Store SecureStrings named `<CAPTAIN_KEY_PREFIX>/captain/<account>/<0 or
assistant id>`, encrypted with the account's aws/ssm KMS key: free at rest (standard
parameters), unlike a Secrets Manager secret's monthly fee. The HTTP API writes and deletes
them, the captain function reads them; a key is never rendered (`api_key_set`), never
audited (the entry says [FILTERED]) and never logged.

Every change is validated whole before anything is written (422, nothing changed), then
the key (if given) is written, then the settings and their audit entry (type
Captain::ProviderSettings, id 0 for the account's) in one transaction."""
from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

from pynamodb.exceptions import TransactWriteError

from ... import audit, dynamo, outbound
from ...errors import Conflict, Invalid, NotFound
from ...llm import keys
from ...models.account_object import AccountObject
from ...models.base import utcnow
from ...settings import get_settings

KIND = keys.KIND
ACCOUNT_SCOPE = 0
AUDITED_TYPE = "Captain::ProviderSettings"
PROVIDERS = ("bedrock", "openai_compatible", "offline")
PROVIDER_FIELDS = ("provider", "base_url", "chat_model", "embedding_model", "allow_private_address")
LIMIT_FIELDS = ("monthly_budget_usd", "rate_limit_per_minute")
MAX_KEY = 4096  # a standard SSM parameter's value
KEY_CACHE_SECONDS = 300
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))


def key_of(account_id: int, scope: int) -> str:
    return AccountObject.key_for(KIND, scope)


def find(account_id: int, scope: int = ACCOUNT_SCOPE) -> AccountObject | None:
    try:
        return AccountObject.get(account_id, key_of(account_id, scope))
    except AccountObject.DoesNotExist:
        return None


def private_addresses_allowed() -> bool:
    """The super admin's choice (CAPTAIN_PRIVATE_MODEL_ADDRESSES): may accounts reach models
    on private addresses at all? Checked on every save and every use."""
    from ... import global_config

    return global_config.get("CAPTAIN_PRIVATE_MODEL_ADDRESSES", False) is True


def installation_default() -> str:
    from ... import global_config

    chosen = global_config.get("CAPTAIN_DEFAULT_PROVIDER") or get_settings().captain_default_provider or "offline"
    return chosen if chosen in PROVIDERS else "offline"


# ---------------------------------------------------------------- reading

def effective(account_id: int, assistant_id: int | None = None) -> tuple[dict, str, AccountObject | None]:
    """(settings, source, item): the assistant's override, else the account's, else the
    installation's default. Two GetItems at most."""
    if assistant_id is not None:
        item = find(account_id, assistant_id)
        if item is not None:
            return resolved(item, None)
    return resolved(None, find(account_id, ACCOUNT_SCOPE))


def resolved(override: AccountObject | None, account: AccountObject | None) -> tuple[dict, str, AccountObject | None]:
    """`effective` on items already read (knowledge.py reads them in its one BatchGetItem)."""
    if override is not None:
        return dict(override.data), "assistant", override
    if account is not None:
        return dict(account.data), "account", account
    return {"provider": installation_default(), "key_set": False}, "installation", None


def embedding_of(settings: dict) -> tuple[str, str, str] | None:
    """(provider, base URL, embedding model) that retrieval embeds with, or None: an
    OpenAI-compatible endpoint with an `embedding_model`; Bedrock with its own, else the
    deployment's (CaptainBedrockEmbeddingModelId); never the offline provider."""
    kind = settings.get("provider")
    model = str(settings.get("embedding_model") or "")
    if kind == "bedrock":
        model = model or get_settings().captain_bedrock_embedding_model_id or ""
        return ("bedrock", "", model) if model else None
    if kind == "openai_compatible" and model and settings.get("base_url"):
        return ("openai_compatible", str(settings["base_url"]), model)
    return None


def limits(account_id: int) -> dict:
    """The account's monthly budget in USD (None: none) and requests a minute (None: the
    installation's)."""
    item = find(account_id, ACCOUNT_SCOPE)
    data = item.data if item is not None else {}
    return {name: data.get(name) for name in LIMIT_FIELDS}


_keys: dict[tuple[str, str], tuple[float, str | None]] = {}


def _key_for(account_id: int, item: AccountObject) -> str | None:
    """The item's key from Parameter Store, cached per container for KEY_CACHE_SECONDS and
    per version of the settings (a change bumps updated_at, so a new key is read at once)."""
    name = keys.parameter_name(account_id, item.id)
    stamp = item.updated_at.isoformat() if item.updated_at else ""
    cached = _keys.get((name, stamp))
    if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    value = keys.read(account_id, item.id)  # None if gone: the endpoint will refuse
    for old in [k for k in _keys if k[0] == name]:
        _keys.pop(old, None)
    _keys[(name, stamp)] = (time.monotonic(), value)
    return value


def key_item(account_id: int, settings: dict, item: AccountObject | None, source: str) -> AccountObject | None:
    """The settings item whose key `settings` use: its own, or for an override without one
    that reaches the account's endpoint (same provider and base URL), the account's."""
    if settings.get("provider") != "openai_compatible" or item is None:
        return None
    if settings.get("key_set"):
        return item
    if source == "assistant":
        account = find(account_id, ACCOUNT_SCOPE)
        if (account is not None and account.data.get("key_set") and account.data.get("provider") == "openai_compatible"
                and account.data.get("base_url") == settings.get("base_url")):
            return account
    return None


def for_assistant(account_id: int, assistant: AccountObject | None, *, transport=None, bedrock_client=None):
    """The Provider the assistant answers with (parley.llm), its key read if it needs one."""
    settings, source, item = effective(account_id, assistant.id if assistant is not None else None)
    return built(account_id, settings, source, item, transport=transport, bedrock_client=bedrock_client)


def built(account_id: int, settings: dict, source: str, item: AccountObject | None, *, transport=None,
          bedrock_client=None):
    """The Provider of resolved settings (`effective`, `resolved`), its key read if it needs
    one (cached: services/captain/providers._key_for)."""
    from ...llm.factory import provider_for

    settings = dict(settings)
    if settings.get("allow_private_address") and not private_addresses_allowed():
        settings["allow_private_address"] = False  # withdrawn by the super admin since: refused as blocked
    holder = key_item(account_id, settings, item, source)
    key = _key_for(account_id, holder) if holder is not None else None
    return provider_for(settings, key, transport=transport, bedrock_client=bedrock_client)


# ---------------------------------------------------------------- validation

def _printable(value: str) -> bool:
    return value.isprintable()


def check_base_url(url: str, allow_private_address: bool) -> str:
    """https to anywhere public; http (and private addresses) only where an administrator
    allowed a private address for a self-hosted model; never a link-local address."""
    if not isinstance(url, str) or not url or len(url) > outbound.MAX_URL_LENGTH or not _printable(url) \
            or any(c.isspace() for c in url):
        raise Invalid("base_url must be an http(s) URL", field="base_url")
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise Invalid("base_url has an invalid port", field="base_url") from None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise Invalid("base_url must be an http(s) URL", field="base_url")
    if parts.username or parts.password:
        raise Invalid("base_url must not carry credentials: give the key as api_key", field="base_url")
    if parts.fragment:
        raise Invalid("base_url must not have a fragment", field="base_url")
    literal = outbound.ip_literal(host)
    if literal is not None and any(literal in n for n in LINK_LOCAL if n.version == literal.version):
        raise Invalid("base_url points to a link-local address", field="base_url")
    if allow_private_address:
        if not private_addresses_allowed():
            raise Invalid("this installation does not allow models on private addresses "
                          "(installation config CAPTAIN_PRIVATE_MODEL_ADDRESSES)", field="allow_private_address")
        return url
    if parts.scheme != "https":
        raise Invalid("base_url must be https (http only with allow_private_address, for a self-hosted model)",
                      field="base_url")
    return outbound.check_url(url, "base_url", allowed_hosts=frozenset())


def _checked(after: dict, scope: int) -> dict:
    provider = after.get("provider")
    if provider not in PROVIDERS:
        raise Invalid(f"provider must be one of {', '.join(PROVIDERS)}", field="provider")
    for name in ("chat_model", "embedding_model"):
        value = after.get(name)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 200 or not _printable(value)):
            raise Invalid(f"{name} must be 1 to 200 printable characters", field=name)
    if provider == "openai_compatible":
        if not after.get("base_url"):
            raise Invalid("base_url is required for an OpenAI-compatible provider", field="base_url")
        if not after.get("chat_model"):
            raise Invalid("chat_model is required for an OpenAI-compatible provider", field="chat_model")
        check_base_url(after["base_url"], bool(after.get("allow_private_address")))
    elif after.get("key_set"):
        raise Invalid("only an OpenAI-compatible provider takes an api_key", field="api_key")
    elif after.get("base_url"):
        raise Invalid(f"the {provider} provider takes no base_url", field="base_url")
    if scope != ACCOUNT_SCOPE and any(after.get(name) is not None for name in LIMIT_FIELDS):
        raise Invalid("the monthly budget and the rate limit are the account's: set them on its provider settings",
                      field="monthly_budget_usd")
    budget = after.get("monthly_budget_usd")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0):
        raise Invalid("monthly_budget_usd must be 0 or more", field="monthly_budget_usd")
    rate = after.get("rate_limit_per_minute")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 10_000):
        raise Invalid("rate_limit_per_minute must be between 1 and 10,000", field="rate_limit_per_minute")
    return after


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY or not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise Invalid(f"api_key must be at most {MAX_KEY} printable characters without spaces", field="api_key")


# ---------------------------------------------------------------- writing

def update(account_id: int, scope: int, changes: dict) -> AccountObject:
    """Apply `changes` (the fields given; null clears one; api_key "" clears the key) to the
    account's settings (scope 0) or an assistant's override (scope = its id; the caller
    has checked the assistant is the account's). An override starts from the account's
    provider fields, so a PATCH of one field inherits the rest."""
    item = find(account_id, scope)
    new = item is None
    before = dict(item.data) if item is not None else {}
    if new:
        base = {}
        if scope != ACCOUNT_SCOPE:
            inherited, _, _ = effective(account_id, None)
            base = {k: inherited.get(k) for k in PROVIDER_FIELDS if inherited.get(k) is not None}
            if "provider" in changes and changes["provider"] != base.get("provider"):
                base = {}  # another provider: nothing of the account's applies
        after = {**base, "key_set": False}
    else:
        after = dict(before)
    key = changes.get("api_key")
    fields = {k: v for k, v in changes.items() if k != "api_key"}
    if "provider" in fields and fields["provider"] is None:
        raise Invalid("provider cannot be null", field="provider")
    if "provider" in fields and fields["provider"] != after.get("provider"):
        # Another provider: the old one's endpoint, models and key do not carry over.
        for name in ("base_url", "chat_model", "embedding_model", "allow_private_address"):
            after.pop(name, None)
        if after.get("key_set") and key is None:
            key = ""
    for name, value in fields.items():
        if value is None:
            after.pop(name, None)
        else:
            after[name] = value
    if key is not None:
        if key:
            _check_key(key)
        after["key_set"] = bool(key)
    _checked(after, scope)
    diff = audit.diff(before, after)
    if key is not None and (key or before.get("key_set")):
        diff["api_key"] = audit.FILTERED  # that it changed; never what to
    if not diff and not new:
        return item
    if key is not None:
        _store_key(account_id, scope, key)
    if new:
        item = AccountObject(account_id, key_of(account_id, scope), id=scope, data=after)
    else:
        item.data = after
    item.updated_at = utcnow()
    try:
        with dynamo.transaction() as tx:
            tx.save(item, condition=AccountObject.key.does_not_exist() if new else AccountObject.key.exists())
            if new:
                recorded = audit.redacted(after) | ({"api_key": audit.FILTERED} if key else {})
            else:
                recorded = diff
            audit.add(tx, account_id, AUDITED_TYPE, scope, "create" if new else "update", recorded)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            raise Conflict("The provider settings changed meanwhile; try again") from None
        raise
    return item


def delete(account_id: int, scope: int) -> None:
    """Remove an assistant's override (it then follows the account's settings) and its key."""
    item = find(account_id, scope)
    if item is None:
        raise NotFound("This assistant has no provider settings of its own")
    with dynamo.transaction() as tx:
        tx.delete(item)
        audit.add(tx, account_id, AUDITED_TYPE, scope, "destroy", audit.redacted(item.data))
    if item.data.get("key_set"):
        _store_key(account_id, scope, "")


def forget(account_id: int, assistant_id: int) -> None:
    """A deleted assistant's override and key, if it had them (a no-op otherwise)."""
    try:
        delete(account_id, assistant_id)
    except NotFound:
        pass


def _store_key(account_id: int, scope: int, key: str) -> None:
    if key:
        keys.store(account_id, scope, key)
    else:
        keys.remove(account_id, scope)
