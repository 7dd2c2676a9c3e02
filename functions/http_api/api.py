"""Request plumbing shared by every route module: who is calling, the parsed body, ids.

Bodies and query strings are hostile until a pydantic model with `extra="forbid"` has
accepted them; anything else is a 4xx raised as a parley.errors exception, which app.py
maps to Chatwoot's error body in one place."""
from __future__ import annotations

import base64
import json
import re
from typing import Callable, Literal, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from parley import audit, edge, permissions
from parley.auth import Principal, authenticate
from parley.errors import Invalid, NotFound, ParleyError, PayloadTooLarge

MAX_BODY_BYTES = 1_048_576  # Chatwoot's largest field is 150,000 characters of message text

Model = TypeVar("Model", bound=BaseModel)
Item = TypeVar("Item")


class Body(BaseModel):
    """Base for request bodies: unknown fields are an error, strings are trimmed.

    `defer_build`: a model's validator is built on its first use, not at import, so a
    cold start pays only for the routes it serves."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=10_000, defer_build=True)


Scalar = str | int | float | bool | None
Attributes = dict[str, Scalar]


class AccountFields(Body):
    """An account's own fields, as its administrators and its platform app change them."""
    name: str | None = Field(default=None, min_length=1, max_length=255)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}([_-][A-Za-z]{2,4})?$")
    domain: str | None = Field(default=None, max_length=255)
    support_email: str | None = Field(default=None, max_length=254)


class ContactChanges(Body):
    """What a contact changes about itself: the widget's visitor, the Client API's contact."""
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=254)
    phone_number: str | None = Field(default=None, max_length=32)
    avatar_url: str | None = Field(default=None, max_length=2048)
    custom_attributes: Attributes | None = Field(default=None, max_length=100)


class ContactIdentity(ContactChanges):
    """The same with the identifier the customer's own system knows it by, and its HMAC."""
    identifier: str | None = Field(default=None, min_length=1, max_length=255)
    identifier_hash: str | None = Field(default=None, max_length=128)


class FilterCondition(Body):
    """One row of Chatwoot's filter payload (`POST /conversations/filter`, `/contacts/filter`).
    Which attribute takes which operator and values is the filter services' to check."""
    attribute_key: str = Field(min_length=1, max_length=255)
    filter_operator: Literal["equal_to", "not_equal_to", "contains", "does_not_contain", "is_present",
                             "is_not_present", "is_greater_than", "is_less_than", "days_before", "starts_with"]
    values: list[Scalar] | Scalar = Field(default_factory=list)
    query_operator: str | None = Field(default=None, max_length=3)
    custom_attribute_type: str | None = Field(default=None, max_length=64)
    attribute_model: str | None = Field(default=None, max_length=64)

    @field_validator("values")
    @classmethod
    def _values(cls, value):
        values = value if isinstance(value, list) else [value]
        if len(values) > 100:
            raise ValueError("at most 100 values")
        return values


class Filter(Body):
    payload: list[FilterCondition] = Field(min_length=1, max_length=20)


LABEL = re.compile(r"[\w\-]{1,255}")
HTTP_URL = re.compile(r"^https?://\S+$")


class Labels(Body):
    """A conversation's or contact's labels (POST .../labels): the whole set, deduplicated."""
    labels: list[str] = Field(max_length=100)

    @field_validator("labels")
    @classmethod
    def _labels(cls, values: list[str]) -> list[str]:
        for value in values:
            if not LABEL.fullmatch(value):
                raise ValueError(f"{value[:40]!r} is not a label: letters, digits, _ and - only")
        return sorted(set(values))


class UploadBlob(Body):
    """ActiveStorage's direct-upload request, as Chatwoot's clients send it."""
    filename: str = Field(min_length=1, max_length=255)
    byte_size: int = Field(ge=0)
    content_type: str | None = Field(default=None, max_length=255)
    checksum: str | None = Field(default=None, max_length=64)  # S3 checks ETags itself



def principal(router: Router) -> Principal:
    """The caller, authenticated once per request (two reads) however many helpers ask."""
    event = router.current_event
    caller = getattr(event, "_parley_principal", None)
    if caller is None:
        caller = authenticate(event.get_header_value("api_access_token"))
        event._parley_principal = caller
        audit.acting(caller.user, platform_app_id=caller.platform_app_id)
    return caller


def account_member(router: Router, account_id: str):
    """The path's account id and the caller's membership in it (404 if none)."""
    account = path_id(account_id)
    return account, permissions.account_member(principal(router), account)


def member_with(router: Router, account_id: str, permission: str):
    """The path's account id and the caller's membership, once it is shown to hold
    `permission` (permissions.require: 403 otherwise; 404 for a non-member)."""
    account, member = account_member(router, account_id)
    permissions.require(member, permission)
    return account, member


def contact_manager(router: Router, account_id: str):
    """member_with contact_manage: every contact route (administrators, plain agents, and
    agents whose custom role grants it)."""
    return member_with(router, account_id, permissions.CONTACT_MANAGE)


def account_admin(router: Router, account_id: str) -> int:
    """The path's account id, once the caller is shown to administer it (403 otherwise)."""
    return admin_membership(router, account_id).account_id


def admin_membership(router: Router, account_id: str):
    """The caller's membership in the path's account, once shown to be an administrator's."""
    return permissions.account_admin(principal(router), path_id(account_id))


def admin_item(router: Router, account_id: str, item_id: str, get: Callable[[int, int], Item]) -> Item:
    """The path's item of an account the caller administers: `get(account id, item id)`
    is the service's lookup, which answers 404 for an item of another account."""
    return get(account_admin(router, account_id), path_id(item_id))


def member_item(router: Router, account_id: str, item_id: str, get: Callable[[int, int], Item]) -> Item:
    """The path's item of an account the caller is a member of, through the service's `get`."""
    account, _ = account_member(router, account_id)
    return get(account, path_id(item_id))


def signed_in(router: Router) -> Principal:
    """The caller, who must be a user (401 for a bot's or a platform app's token)."""
    return permissions.user(principal(router))


def super_admin(router: Router) -> Principal:
    """The caller, who must be a super admin (403 otherwise)."""
    return permissions.super_admin(principal(router))


def platform_app(router: Router) -> int:
    """The calling platform app's id (401 for any other caller)."""
    return permissions.platform_app(principal(router))


def admin_edits(router: Router, path: str, service, render: Callable[[Item], dict], fields: type[Body],
                wrapper: str, clear_with_null: bool = False) -> None:
    """Registers PATCH/PUT (update) and DELETE of `path`, which ends in <item_id>, for the
    account's administrators: the same for every settings object. `service` has get(account
    id, item id), update(item, changes) and delete(item); an update changes the fields given
    (`clear_with_null`: a null given clears its field, else it is ignored)."""

    @router.route(path, method=["PATCH", "PUT"])
    def update(account_id: str, item_id: str):
        item = admin_item(router, account_id, item_id, service.get)
        given = body(router, fields, wrapper=wrapper)
        changes = given.model_dump(exclude_unset=True) if clear_with_null else given.model_dump(exclude_none=True)
        return render(service.update(item, changes))

    admin_delete(router, path, service.get, service.delete)


def admin_delete(router: Router, path: str, get: Callable[[int, int], Item], delete: Callable[[Item], object]) -> None:
    """Registers DELETE of `path`, which ends in <item_id>, for the account's administrators:
    the item found through `get` (404 outside the account) goes through `delete`; answers {}."""

    @router.delete(path)
    def remove(account_id: str, item_id: str):
        delete(admin_item(router, account_id, item_id, get))
        return {}


def raw_body(router: Router) -> bytes:
    event = router.current_event
    data = event.get("body") or ""
    raw = base64.b64decode(data) if event.get("isBase64Encoded") else data.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
    return raw


def json_body(router: Router) -> dict:
    raw = raw_body(router)
    return json_object(raw, "Request body", ParleyError) if raw.strip() else {}


def json_object(raw: bytes, what: str, error: type[ParleyError]) -> dict:
    """`raw` as a JSON object; anything else raises `error` naming `what` ("Request body")."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise error(f"{what} is not valid JSON") from None
    if not isinstance(data, dict):
        raise error(f"{what} must be a JSON object")
    return data


def parse(model: type[Model], data: dict) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "code": e["type"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        first = errors[0]
        raise Invalid(f"{first['field']}: {first['message']}", errors=errors) from None


def body(router: Router, model: type[Model], wrapper: str | None = None) -> Model:
    """Parse the JSON body into `model`. With `wrapper`, Chatwoot's nested form
    ({"profile": {...}}) is accepted as well as the flat one."""
    data = json_body(router)
    if wrapper and set(data) == {wrapper} and isinstance(data[wrapper], dict):
        data = data[wrapper]
    return parse(model, data)


def path_id(value: str) -> int:
    """A numeric id from the URL; anything else is simply not found (as in Chatwoot)."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound()
    return int(value)


def source_ip(router: Router) -> str:
    """The caller's address (parley/edge.py: behind CloudFront, the viewer's)."""
    event = router.current_event
    return edge.viewer_address(event.request_context.http.source_ip, event.get_header_value("x-forwarded-for"),
                               event.get_header_value("x-parley-edge"))


def query(router: Router, model: type[Model]) -> Model:
    """Parse the query string into `model` (unknown parameters are ignored: browsers and
    SDKs add cache-busters)."""
    params = router.current_event.query_string_parameters or {}
    return parse(model, {k: v for k, v in params.items() if k in model.model_fields})


def _through_edge(router: Router) -> bool:
    """The request came through CloudFront: it carries the stack's edge secret."""
    return edge.through_edge(router.current_event.get_header_value("x-parley-edge"))


def base_url(router: Router) -> str:
    """This installation's public URL, as the caller reached it (CloudFront or local).
    CloudFront passes the viewer's host as X-Forwarded-Host; from anyone else that header
    is ignored, or a caller could have links (a password link!) mailed pointing at its host."""
    event = router.current_event
    forwarded = event.get_header_value("x-forwarded-host") if _through_edge(router) else None
    host = forwarded or event.get_header_value("host") or "localhost"
    scheme = event.get_header_value("x-forwarded-proto") or "https"
    return f"{scheme}://{host}"
