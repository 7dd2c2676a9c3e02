"""Custom attribute definitions: the typed fields an account adds to its conversations and
contacts, and the check of attribute values against them."""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

from pydantic_core import SchemaError, ValidationError

if TYPE_CHECKING:
    from pydantic import TypeAdapter

from ...errors import Conflict, Invalid
from ...models.account_object import AccountObject
from . import account_objects

KIND = "custom_attribute"
# A key is unique per account *and model*: the claim is on "<model>:<key>", kept in the data.
UNIQUE = "model_key"
# Chatwoot's enums, in order: clients send the index (0 = text) or the name.
DISPLAY_TYPES = ("text", "number", "currency", "percent", "link", "date", "list", "checkbox")
MODELS = ("conversation_attribute", "contact_attribute")
# Chatwoot reserves the keys of each model's own attributes: filters and automations name them.
STANDARD_KEYS = {
    "conversation_attribute": {"status", "priority", "assignee_id", "inbox_id", "team_id", "display_id",
                               "campaign_id", "labels", "browser_language", "country_code", "referer",
                               "created_at", "last_activity_at"},
    "contact_attribute": {"name", "email", "phone_number", "identifier", "country_code", "city", "created_at",
                          "last_activity_at", "referer", "blocked"},
}
REQUIRED = ("attribute_display_name", "attribute_display_type", "attribute_key", "attribute_model")
MAX_PATTERN, MAX_CHECKED = 200, 1000
MAX_LINK = 2048
NUMERIC = re.compile(r"-?\d+(\.\d+)?")
JS_LITERAL = re.compile(r"/(.+)/([dgimsuyv]*)", re.DOTALL)


def create(account_id: int, fields: dict) -> AccountObject:
    data = {"attribute_description": "", "attribute_values": [], **fields}
    _check(data)
    with _key_taken():
        return account_objects.create(account_id, KIND, {**data, UNIQUE: _model_key(data)}, UNIQUE)


def get(account_id: int, definition_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, definition_id, "Custom attribute")


def all_of(account_id: int, model: str | None = None) -> list[AccountObject]:
    items = account_objects.all_of(account_id, KIND)
    return [d for d in items if d.data["attribute_model"] == model] if model else items


def update(definition: AccountObject, changes: dict) -> AccountObject:
    """`changes` may set the optional fields to None, which clears them."""
    merged = {**definition.data, **changes}
    _check(merged)
    with _key_taken():
        return account_objects.update(definition, KIND, {**changes, UNIQUE: _model_key(merged)}, UNIQUE)


def delete(definition: AccountObject) -> None:
    account_objects.delete(definition, KIND, UNIQUE)


def validate(account_id: int, model: str, values: dict) -> dict:
    """Check custom attribute `values` against the account's definitions for `model`.

    Keys without a definition pass untouched (Chatwoot allows free attributes), and None
    clears a value of any type; a defined key with a value of the wrong kind raises
    Invalid naming the key."""
    if model not in MODELS:
        raise ValueError(f"unknown attribute model {model!r}")
    definitions = {d.data["attribute_key"]: d.data for d in all_of(account_id, model)}
    for key, value in values.items():
        if key in definitions and value is not None:
            problem = _problem(definitions[key], value)
            if problem:
                raise Invalid(f"{key}: {problem}", field=key)
    return dict(values)


# ---------------------------------------------------------------- definitions

def _model_key(data: dict) -> str:
    return f"{data['attribute_model']}:{data['attribute_key']}"


@contextmanager
def _key_taken():
    """The claim's conflict, told in the client's terms rather than the derived field's."""
    try:
        yield
    except Conflict:
        raise Conflict("Attribute key has already been taken", field="attribute_key") from None


def _check(data: dict) -> None:
    for field in REQUIRED:
        if data.get(field) in (None, ""):
            raise Invalid(f"{field} can't be blank", field=field)
    if data["attribute_key"] in STANDARD_KEYS[data["attribute_model"]]:
        raise Invalid(f"attribute_key: {data['attribute_key']!r} is a standard attribute of this model",
                      field="attribute_key")
    if data["attribute_display_type"] == "list" and not data.get("attribute_values"):
        raise Invalid("attribute_values: a list attribute needs at least one value", field="attribute_values")
    if data.get("regex_pattern") is not None:
        _check_pattern(data["regex_pattern"])


def _check_pattern(pattern: str) -> None:
    if len(pattern) > MAX_PATTERN:
        raise Invalid(f"regex_pattern: at most {MAX_PATTERN} characters", field="regex_pattern")
    try:
        re.compile(_source(pattern))  # well-formed, so balanced: it cannot break out of _matcher's group
    except re.error as exc:
        raise Invalid(f"regex_pattern is not a valid regular expression: {exc}", field="regex_pattern") from None
    try:
        _matcher(pattern)
    except SchemaError as exc:
        reason = re.sub(r"^(SchemaError|error): ", "", str(exc).strip().splitlines()[-1].strip())
        raise Invalid(f"regex_pattern is not supported: {reason}", field="regex_pattern") from None


@lru_cache(maxsize=256)
def _matcher(pattern: str) -> TypeAdapter:
    """A full match in pydantic-core's Rust regex engine, which runs in linear time. Python's
    `re` backtracks: a pattern such as (\\w+\\s?)* takes hours on a 40-character near miss,
    and values come from visitors. The price: no look-arounds or back-references. pydantic
    is imported here, as only a patterned attribute needs it: the functions that load this
    module for anything else (automation, notify, the websockets) start ~40 ms sooner."""
    from pydantic import ConfigDict, StringConstraints, TypeAdapter

    return TypeAdapter(Annotated[str, StringConstraints(pattern=rf"\A(?:{_source(pattern)})\z")],
                       config=ConfigDict(regex_engine="rust-regex"))


def _source(pattern: str) -> str:
    """Chatwoot's dashboard saves a JavaScript literal ("/^\\d+$/i", what RegExp.toString()
    gives): its body, with the flags that change what matches. A bare pattern is used as is."""
    literal = JS_LITERAL.fullmatch(pattern)
    if not literal:
        return pattern
    body, flags = literal.groups()
    inline = "".join(flag for flag in "ims" if flag in flags)
    return f"(?{inline}){body}" if inline else body


# ---------------------------------------------------------------- values

def _problem(definition: dict, value) -> str | None:
    """Why `value` does not fit `definition`, or None if it does."""
    kind = definition["attribute_display_type"]
    if kind in ("number", "currency", "percent"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        # The dashboard sends what was typed in the input, so numeric strings count too.
        if not (number or isinstance(value, str) and NUMERIC.fullmatch(value)):
            return "must be a number"
    elif kind == "checkbox":
        if not isinstance(value, bool):
            return "must be true or false"
    elif not isinstance(value, str):
        return "must be a string"
    elif kind == "link":
        parts = urlsplit(value)
        if len(value) > MAX_LINK or parts.scheme not in ("http", "https") or not parts.netloc \
                or any(c.isspace() for c in value):
            return "must be an http(s) URL"
    elif kind == "date":
        if not _is_iso_date(value):
            return "must be an ISO 8601 date"
    elif kind == "list":
        if value not in (definition.get("attribute_values") or []):
            return "must be one of the attribute's values"
    elif definition.get("regex_pattern") is not None:
        if len(value) > MAX_CHECKED:
            return f"is longer than {MAX_CHECKED} characters"
        try:
            _matcher(definition["regex_pattern"]).validate_python(value)
        except ValidationError:
            return definition.get("regex_cue") or "does not match the attribute's pattern"
    return None


def _is_iso_date(value: str) -> bool:
    """A date, or a date and time: the dashboard's date picker sends a full timestamp."""
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return True
        except ValueError:
            pass
    return False
