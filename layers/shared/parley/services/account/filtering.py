"""Chatwoot's filter payload ([{attribute_key, filter_operator, values, query_operator}]),
compiled to tests on items: the pieces the contact and conversation filters share.

Values are compared as Chatwoot's SQL compares them: text case-insensitively, dates as
moments (a date or an ISO date-time), numbers as numbers. A condition that cannot be
applied (unknown key or operator, a malformed date, a word where a number belongs) is an
Invalid naming the condition, raised before anything is read."""
from __future__ import annotations

import re
import time
from datetime import date, datetime, timezone
from typing import Any, Callable

from ...errors import Invalid

TEXT_OPERATORS = ("equal_to", "not_equal_to", "contains", "does_not_contain")
DATE_OPERATORS = ("is_greater_than", "is_less_than", "days_before")
NO_VALUE_OPERATORS = ("is_present", "is_not_present")
CUSTOM_OPERATORS = TEXT_OPERATORS + NO_VALUE_OPERATORS + ("is_greater_than", "is_less_than")
MAX_DAYS = 36_500

Test = Callable[[Any], bool]


def text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip().lower()


def moment(value) -> float | None:
    """Epoch seconds from a date ("2024-05-01") or an ISO date-time."""
    value = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), timezone.utc).timestamp()
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    except ValueError:
        return None


def number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None  # no NaN, no infinity


def text_test(operator: str, wanted: list[str]) -> Callable[[str], bool]:
    if operator == "equal_to":
        return lambda value: value in wanted
    if operator == "not_equal_to":
        return lambda value: value not in wanted
    if operator == "contains":
        return lambda value: any(w in value for w in wanted)
    if operator == "does_not_contain":
        return lambda value: not any(w in value for w in wanted)
    if operator == "starts_with":
        return lambda value: any(value.startswith(w) for w in wanted)
    raise ValueError(operator)


def wanted_values(where: str, key: str, operator: str, values: list) -> list[str]:
    """The condition's values as lower-case text; blank only where the operator takes none."""
    wanted = [text(v) for v in values if text(v) != ""]
    if operator not in NO_VALUE_OPERATORS and not wanted:
        raise Invalid(f"values can't be blank for {key} {operator}", field=f"{where}.values")
    return wanted


def date_test(where: str, key: str, operator: str, wanted: list[str],
              moment_of: Callable[[Any], float | None]) -> Test:
    """is_greater_than / is_less_than a date, or days_before: older than that many days."""
    if operator == "days_before":
        days = number(wanted[0])
        if days is None or not 0 <= days <= MAX_DAYS:
            raise Invalid(f"days_before takes a number of days (0 to {MAX_DAYS})", field=f"{where}.values")
        return lambda item: (m := moment_of(item)) is not None and m < time.time() - days * 86_400
    bound = moment(wanted[0])
    if bound is None:
        raise Invalid(f"{key} {operator} takes a date like 2024-05-01", field=f"{where}.values")
    if operator == "is_greater_than":
        return lambda item: (m := moment_of(item)) is not None and m > bound
    return lambda item: (m := moment_of(item)) is not None and m < bound


def custom_test(where: str, key: str, operator: str, wanted: list[str], value_of: Callable[[Any], Any]) -> Test:
    """A custom attribute: text operators, presence, or an order against a number or a date."""
    if operator == "is_present":
        return lambda item: text(value_of(item)) != ""
    if operator == "is_not_present":
        return lambda item: text(value_of(item)) == ""
    if operator in ("is_greater_than", "is_less_than"):
        bound_number, bound_moment = number(wanted[0]), moment(wanted[0])
        if bound_number is None and bound_moment is None:
            raise Invalid(f"{key} {operator} takes a number or a date", field=f"{where}.values")

        def compare(item) -> bool:
            value = value_of(item)
            if bound_number is not None:
                mine, bound = number(value), bound_number
            else:
                mine, bound = (moment(value) if value is not None else None), bound_moment
            if mine is None:
                return False
            return mine > bound if operator == "is_greater_than" else mine < bound
        return compare
    test = text_test(operator, wanted)
    return lambda item: test(text(value_of(item)))


def groups(conditions: list[dict], compile_one: Callable[[int, dict], Test]) -> list[list[tuple[dict, Test]]]:
    """The conditions compiled and grouped: each condition's query_operator joins it to the
    next, and AND binds tighter than OR (as in the SQL Chatwoot builds), so the payload
    matches when every condition of some group does."""
    if not conditions:
        raise Invalid("payload must hold at least one condition", field="payload")
    result: list[list[tuple[dict, Test]]] = [[]]
    for index, item in enumerate(conditions):
        result[-1].append((item, compile_one(index, item)))
        if index < len(conditions) - 1:
            joiner = (item.get("query_operator") or "").upper()
            if joiner not in ("AND", "OR"):
                raise Invalid("query_operator must be AND or OR between conditions",
                              field=f"payload.{index}.query_operator")
            if joiner == "OR":
                result.append([])
    return result


def matcher(grouped: list[list[tuple[dict, Test]]]) -> Test:
    return lambda item: any(all(test(item) for _, test in group) for group in grouped)
