"""/api/v1/accounts/{account_id}/labels, /custom_attribute_definitions and /custom_filters:
an account's settings objects."""
from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BeforeValidator, Field, model_validator

from api import Body, account_admin, account_member, admin_edits, body, member_item, path_id, query
from parley.services.account import custom_attributes, custom_filters, labels
from parley.views.accounts import custom_attribute, custom_filter, label

router = Router()


# ---------------------------------------------------------------- labels

# Chatwoot's format: a letter or digit, then letters, digits, _ and - (at least two in all).
TITLE = r"^[\p{L}\p{N}][\p{L}\p{N}_\-]+$"


class LabelFields(Body):
    title: str | None = Field(default=None, max_length=255, pattern=TITLE)
    description: str | None = Field(default=None, max_length=1000)
    color: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    show_on_sidebar: bool | None = None


class LabelCreate(LabelFields):
    title: str = Field(max_length=255, pattern=TITLE)


@router.get("/api/v1/accounts/<account_id>/labels")
def list_labels(account_id: str):
    account_id, _ = account_member(router, account_id)
    return {"payload": [label(item) for item in labels.all_of(account_id)]}


@router.get("/api/v1/accounts/<account_id>/labels/<label_id>")
def show_label(account_id: str, label_id: str):
    return label(member_item(router, account_id, label_id, labels.get))


@router.post("/api/v1/accounts/<account_id>/labels")
def create_label(account_id: str):
    account_id = account_admin(router, account_id)
    payload = body(router, LabelCreate, wrapper="label")
    return label(labels.create(account_id, payload.title, payload.description or "",
                               payload.color or labels.DEFAULT_COLOR, bool(payload.show_on_sidebar)))


admin_edits(router, "/api/v1/accounts/<account_id>/labels/<item_id>", labels, label, LabelFields, "label")


# ---------------------------------------------------------------- custom attribute definitions

def _enum(names: tuple[str, ...]) -> BeforeValidator:
    """Chatwoot's integer enums: the index (0 or "0") or the name."""
    by_index = {**dict(enumerate(names)), **{str(i): name for i, name in enumerate(names)}}
    return BeforeValidator(lambda v: by_index.get(v, v) if isinstance(v, (int, str)) and not isinstance(v, bool)
                           else v)


DisplayType = Annotated[Literal[custom_attributes.DISPLAY_TYPES], _enum(custom_attributes.DISPLAY_TYPES)]
AttributeModel = Annotated[Literal[custom_attributes.MODELS], _enum(custom_attributes.MODELS)]
ListValue = Annotated[str, Field(min_length=1, max_length=255)]


class CustomAttributeFields(Body):
    """On PATCH, null clears the optional fields (the dashboard sends regex_pattern: null)."""
    attribute_display_name: str | None = Field(default=None, min_length=1, max_length=255)
    attribute_display_type: DisplayType | None = None
    attribute_description: str | None = Field(default=None, max_length=1000)
    # What the dashboard derives from the display name: lower case, digits, _ for spaces.
    attribute_key: str | None = Field(default=None, max_length=100, pattern=r"^[a-z0-9_]+$")
    attribute_values: list[ListValue] | None = Field(default=None, max_length=100)
    attribute_model: AttributeModel | None = None
    regex_pattern: str | None = Field(default=None, min_length=1, max_length=custom_attributes.MAX_PATTERN)
    regex_cue: str | None = Field(default=None, max_length=255)
    default_value: str | None = Field(default=None, max_length=255)


class CustomAttributeCreate(CustomAttributeFields):
    attribute_display_name: str = Field(min_length=1, max_length=255)
    attribute_display_type: DisplayType
    attribute_key: str = Field(max_length=100, pattern=r"^[a-z0-9_]+$")
    attribute_model: AttributeModel


class AttributeModelQuery(Body):
    attribute_model: AttributeModel | None = None


WRAPPER = "custom_attribute_definition"


@router.get("/api/v1/accounts/<account_id>/custom_attribute_definitions")
def list_custom_attributes(account_id: str):
    account_id, _ = account_member(router, account_id)
    model = query(router, AttributeModelQuery).attribute_model
    return [custom_attribute(item) for item in custom_attributes.all_of(account_id, model)]


@router.get("/api/v1/accounts/<account_id>/custom_attribute_definitions/<definition_id>")
def show_custom_attribute(account_id: str, definition_id: str):
    return custom_attribute(member_item(router, account_id, definition_id, custom_attributes.get))


@router.post("/api/v1/accounts/<account_id>/custom_attribute_definitions")
def create_custom_attribute(account_id: str):
    account_id = account_admin(router, account_id)
    fields = body(router, CustomAttributeCreate, wrapper=WRAPPER).model_dump(exclude_none=True)
    return custom_attribute(custom_attributes.create(account_id, fields))


admin_edits(router, "/api/v1/accounts/<account_id>/custom_attribute_definitions/<item_id>", custom_attributes,
            custom_attribute, CustomAttributeFields, WRAPPER, clear_with_null=True)


# ---------------------------------------------------------------- custom filters

FilterType = Literal[custom_filters.TYPES]
Operator = Literal["equal_to", "not_equal_to", "contains", "does_not_contain", "is_present", "is_not_present",
                   "is_greater_than", "is_less_than", "days_before", "starts_with"]


class Condition(Body):
    """One row of Chatwoot's filter payload, as its dashboard saves it."""
    attribute_key: str = Field(min_length=1, max_length=100)
    filter_operator: Operator
    values: list[str | int | float | bool | None] = Field(max_length=100)
    query_operator: Literal["and", "or", "AND", "OR"] | None = None  # null on the last row
    attribute_model: str | None = Field(default=None, max_length=50)  # "standard", "custom_attributes" ...
    custom_attribute_type: str | None = Field(default=None, max_length=50)


class FilterQuery(Body):
    payload: list[Condition] = Field(min_length=1, max_length=20)


class CustomFilterFields(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    type: FilterType | None = None
    filter_type: FilterType | None = None  # what Chatwoot's controller reads; its spec says `type`
    query: FilterQuery | None = None

    @model_validator(mode="after")
    def _one_type(self):
        if self.type and self.filter_type and self.type != self.filter_type:
            raise ValueError("type and filter_type disagree")
        return self

    def changes(self) -> dict:
        """The fields given, as the service stores them: one `type`, the query as it was sent."""
        fields = {"name": self.name, "type": self.filter_type or self.type,
                  "query": self.query.model_dump(exclude_unset=True) if self.query else None}
        return {key: value for key, value in fields.items() if value is not None}


class CustomFilterCreate(CustomFilterFields):
    name: str = Field(min_length=1, max_length=255)
    query: FilterQuery


class FilterTypeQuery(Body):
    filter_type: FilterType = "conversation"  # Chatwoot's default


@router.get("/api/v1/accounts/<account_id>/custom_filters")
def list_custom_filters(account_id: str):
    account_id, member = account_member(router, account_id)
    filter_type = query(router, FilterTypeQuery).filter_type
    return [custom_filter(item) for item in custom_filters.mine(account_id, member.user_id, filter_type)]


@router.get("/api/v1/accounts/<account_id>/custom_filters/<filter_id>")
def show_custom_filter(account_id: str, filter_id: str):
    account_id, member = account_member(router, account_id)
    return custom_filter(custom_filters.get(account_id, member.user_id, path_id(filter_id)))


@router.post("/api/v1/accounts/<account_id>/custom_filters")
def create_custom_filter(account_id: str):
    account_id, member = account_member(router, account_id)
    fields = body(router, CustomFilterCreate, wrapper="custom_filter").changes()
    return custom_filter(custom_filters.create(account_id, member.user_id, fields["name"],
                                               fields.get("type", "conversation"), fields["query"]))


@router.route("/api/v1/accounts/<account_id>/custom_filters/<filter_id>", method=["PATCH", "PUT"])
def update_custom_filter(account_id: str, filter_id: str):
    account_id, member = account_member(router, account_id)
    item = custom_filters.get(account_id, member.user_id, path_id(filter_id))
    changes = body(router, CustomFilterFields, wrapper="custom_filter").changes()
    return custom_filter(custom_filters.update(item, changes))


@router.delete("/api/v1/accounts/<account_id>/custom_filters/<filter_id>")
def delete_custom_filter(account_id: str, filter_id: str):
    account_id, member = account_member(router, account_id)
    custom_filters.delete(custom_filters.get(account_id, member.user_id, path_id(filter_id)))
    return {}
