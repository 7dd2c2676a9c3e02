"""Installation config: YAML defaults -> DynamoDB -> an in-memory cache per container.

The YAML (config/installation_config.yml, shipped in the layer) says which keys exist and
their defaults. Any key missing from the table is written once, conditionally, so a value
the super admin set is never overwritten, and a key added by a later release appears on
its first read. Reads are one Query per container every CACHE_SECONDS.
"""
from __future__ import annotations

import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import Invalid, NotFound
from .models.installation_config import SCOPE, InstallationConfig

CACHE_SECONDS = 30
DEFAULTS_FILE = Path(__file__).with_name("installation_config.yml")
ConfigType = Literal["string", "integer", "boolean", "url", "email", "secret"]
MASK = "********"


class ConfigDefault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")
    value: Any = None
    type: ConfigType = "string"
    locked: bool = False
    public: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "ConfigDefault":
        if self.type == "secret" and self.public:
            raise ValueError(f"{self.name}: a secret cannot be public")
        if self.value not in ("", None):
            self.value = coerce(self.type, self.value, self.name)
        return self


@lru_cache(maxsize=1)
def defaults() -> dict[str, ConfigDefault]:
    import yaml

    raw = yaml.safe_load(DEFAULTS_FILE.read_text())
    if not isinstance(raw, list):
        raise ValueError(f"{DEFAULTS_FILE.name} must be a list of keys")
    try:
        items = [ConfigDefault.model_validate(entry) for entry in raw]
    except (ValidationError, Invalid) as exc:
        raise ValueError(f"{DEFAULTS_FILE.name} is invalid: {exc}") from exc
    names = [item.name for item in items]
    if len(names) != len(set(names)):
        raise ValueError(f"{DEFAULTS_FILE.name} names a key twice")
    return {item.name: item for item in items}


def coerce(kind: str, value: Any, name: str) -> Any:
    """The value as its declared type, or Invalid with a message that says what is wrong."""
    def bad(expected: str) -> Invalid:
        return Invalid(f"{name} must be {expected}", field=name)

    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a whole number of 0 or more")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if not isinstance(value, str) or len(value) > 2048:
        raise bad("a string of at most 2048 characters")
    if kind == "url" and value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
        raise bad("an http(s) URL")
    if kind == "email" and value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise bad("an email address")
    return value


_cache: dict[str, Any] = {"at": 0.0, "items": {}}


def load_defaults() -> int:
    """Write every default key that the table lacks. Returns how many were written."""
    present = {item.name for item in InstallationConfig.query(SCOPE)}
    written = 0
    for default in defaults().values():
        if default.name in present:
            continue
        item = InstallationConfig(SCOPE, default.name, value=default.value, type=default.type,
                                  locked=default.locked, public=default.public, description=default.description)
        try:
            item.save(condition=InstallationConfig.name.does_not_exist())
            written += 1
        except Exception as exc:  # another container wrote it first: that's fine
            if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
    invalidate()
    return written


def invalidate() -> None:
    _cache["at"] = 0.0


def items(fresh: bool = False) -> dict[str, InstallationConfig]:
    """Every key, from this container's copy (at most CACHE_SECONDS old) or, `fresh`, from
    the table: what an administrator's own action reads, since the container that saved a
    change is rarely the one that serves the next request (Lambda runs several)."""
    if fresh or time.monotonic() - _cache["at"] > CACHE_SECONDS or not _cache["items"]:
        current = {item.name: item for item in InstallationConfig.query(SCOPE)}
        if not set(defaults()) <= set(current):
            load_defaults()
            current = {item.name: item for item in InstallationConfig.query(SCOPE)}
        _cache.update(at=time.monotonic(), items=current)
    return _cache["items"]


def get(name: str, default: Any = None, fresh: bool = False) -> Any:
    item = items(fresh).get(name)
    return default if item is None or item.value in (None, "") else item.value


def public_config() -> dict[str, Any]:
    return {name: item.value for name, item in sorted(items().items()) if item.public and item.type != "secret"}


def listing() -> list[dict]:
    """Every key for the super admin, as saved (not a cached copy); secrets masked."""
    return [view(item) for _, item in sorted(items(fresh=True).items())]


def view(item: InstallationConfig) -> dict:
    value = MASK if item.type == "secret" and item.value else item.value
    return {"name": item.name, "value": value, "type": item.type, "locked": item.locked,
            "public": item.public, "description": item.description}


def update(name: str, value: Any) -> InstallationConfig:
    item = items().get(name)
    if item is None:
        raise NotFound(f"No installation config named {name}")
    if item.locked:
        raise Invalid(f"{name} is locked and cannot be changed", field=name)
    if item.type == "secret" and value == MASK:
        return item  # the form sent back the mask: nothing changed
    if value in ("", None) and item.type in ("integer", "boolean"):
        raise Invalid(f"{name} cannot be empty", field=name)
    item.value = coerce(item.type, value, name) if value not in ("", None) else value
    item.save()
    invalidate()
    return item
