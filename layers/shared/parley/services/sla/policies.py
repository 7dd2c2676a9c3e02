"""An account's SLA policies (Chatwoot's fields), AccountObjects "sla_policy#<id>":
listing them is one Query, another account's id is not found, and every create, update
and delete is audited (audit.AUDITED_KINDS)."""
from __future__ import annotations

from ...errors import Invalid
from ...models.account_object import AccountObject
from ..account import account_objects

KIND = "sla_policy"
THRESHOLDS = ("first_response_time_threshold", "next_response_time_threshold", "resolution_time_threshold")
# A threshold is seconds: at least a minute (a shorter one cannot be met or scheduled
# meaningfully), at most a year (anything longer is a typo, not a service level).
MIN_THRESHOLD = 60
MAX_THRESHOLD = 366 * 24 * 60 * 60
MAX_POLICIES = 100


def _threshold(field: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise Invalid(f"{field} must be a number of seconds", field=field)
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise Invalid(f"{field} must be from {MIN_THRESHOLD} seconds to {MAX_THRESHOLD} seconds (a year), or null",
                      field=field)
    return int(value) if float(value).is_integer() else float(value)


def _checked(data: dict) -> dict:
    data = {**data, **{f: _threshold(f, data.get(f)) for f in THRESHOLDS if f in data}}
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("name can't be blank", field="name")
    return data


def create(account_id: int, *, name: str, description: str | None = None,
           first_response_time_threshold: float | None = None, next_response_time_threshold: float | None = None,
           resolution_time_threshold: float | None = None, only_during_business_hours: bool = False) -> AccountObject:
    data = _checked({"name": name.strip(), "description": description or "",
                     "first_response_time_threshold": first_response_time_threshold,
                     "next_response_time_threshold": next_response_time_threshold,
                     "resolution_time_threshold": resolution_time_threshold,
                     "only_during_business_hours": bool(only_during_business_hours)})
    if all(data[f] is None for f in THRESHOLDS):
        raise Invalid("an SLA policy needs at least one threshold", field="first_response_time_threshold")
    if len(account_objects.all_of(account_id, KIND)) >= MAX_POLICIES:
        raise Invalid(f"Limit reached: an account may hold at most {MAX_POLICIES} SLA policies")
    return account_objects.create(account_id, KIND, data)


def all_of(account_id: int) -> list[AccountObject]:
    return account_objects.all_of(account_id, KIND)


def get(account_id: int, policy_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, policy_id, "SLA policy")


def update(item: AccountObject, changes: dict) -> AccountObject:
    """Changes apply to conversations the policy is applied to from now on: an applied SLA
    keeps the thresholds it was applied with (services/sla/applied.py)."""
    changes = _checked({k: (v.strip() if k == "name" and isinstance(v, str) else v) for k, v in changes.items()})
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    if "only_during_business_hours" in changes:
        changes["only_during_business_hours"] = bool(changes["only_during_business_hours"])
    merged = {**item.data, **changes}
    if all(merged.get(f) is None for f in THRESHOLDS):
        raise Invalid("an SLA policy needs at least one threshold", field="first_response_time_threshold")
    return account_objects.update(item, KIND, changes)


def delete(item: AccountObject) -> None:
    """Conversations it was applied to keep their applied SLA (with the policy's name and
    thresholds as they were) and their history of misses."""
    account_objects.delete(item, KIND)
