"""Campaigns (Chatwoot's shape), AccountObjects "campaign#<id>" with the account's own id
counter, audited (audit.AUDITED_KINDS). An *ongoing* campaign greets visitors of a website
inbox's pages (trigger_rules: a URL glob and seconds on the page); a *one-off* campaign
messages an audience of contact labels on an SMS or WhatsApp inbox at scheduled_at.
This module stores and validates them, and keeps an enabled one-off campaign's schedule
(parley/schedules.py) in step; services/rules/campaign_sending.py sends it."""
from __future__ import annotations

from datetime import datetime, timezone
import time

from pynamodb.exceptions import TransactWriteError

from ... import dynamo, schedules
from ...errors import Conflict, Invalid, NotFound
from ...models.account import AccountUser
from ...models.account_object import AccountObject
from ..account import account_objects, labels
from ..inbox import inboxes
from . import url_glob

KIND = "campaign"
MAX_CAMPAIGNS = 500
MAX_TIME_ON_PAGE = 3600
MAX_AUDIENCE = 50
MAX_SCHEDULE_AHEAD = 366 * 24 * 60 * 60
ONGOING_CHANNELS = ("web_widget",)
ONE_OFF_CHANNELS = ("sms", "whatsapp")  # Chatwoot: Twilio SMS, SMS and WhatsApp inboxes
TYPES = ("ongoing", "one_off")
SEND_TASK = "campaign_send"  # the scheduled task (functions/scheduled, campaign_sending.fire)
# Kept from the stored campaign through every edit: the sending state (campaign_sending).
SENDING_STATE = ("progress", "cursor", "run_for")
# What a completed campaign no longer takes: it ran once, to its audience then.
FROZEN_WHEN_COMPLETED = ("scheduled_at", "audience", "inbox_id", "template_params", "message", "campaign_type")
TEMPLATE_KEYS = {"name", "category", "language", "processed_params"}


def _type_for(account_id: int, inbox_id, wanted: str | None):
    if isinstance(inbox_id, bool) or not isinstance(inbox_id, int):
        raise Invalid("inbox_id must be an inbox's id", field="inbox_id")
    inbox = inboxes.get_inbox(account_id, inbox_id)  # another account's inbox: 404
    kind = "ongoing" if inbox.channel_type in ONGOING_CHANNELS else (
        "one_off" if inbox.channel_type in ONE_OFF_CHANNELS else None)
    if wanted is not None and wanted not in TYPES:
        raise Invalid(f"campaign_type must be one of: {', '.join(TYPES)}", field="campaign_type")
    if kind is None:
        raise Invalid("inbox_id: campaigns run on website inboxes (ongoing) or SMS and WhatsApp inboxes (one_off)",
                      field="inbox_id")
    if wanted is not None and wanted != kind:
        raise Invalid("campaign_type: ongoing campaigns need a website inbox, one_off campaigns an SMS or WhatsApp inbox",
                      field="campaign_type")
    return kind, inbox


def _trigger_rules(rules) -> dict:
    if rules is None:
        rules = {}
    if not isinstance(rules, dict) or set(rules) - {"url", "time_on_page"}:
        raise Invalid("trigger_rules takes url and time_on_page only", field="trigger_rules")
    out = {}
    if rules.get("url") is not None:
        reason = url_glob.problem(rules["url"])
        if reason:
            raise Invalid(f"trigger_rules.url {reason}", field="trigger_rules.url")
        out["url"] = rules["url"]
    seconds = rules.get("time_on_page", 10)
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_TIME_ON_PAGE:
        raise Invalid(f"trigger_rules.time_on_page must be a whole number of seconds from 0 to {MAX_TIME_ON_PAGE}",
                      field="trigger_rules.time_on_page")
    out["time_on_page"] = seconds
    return out


def _epoch(value) -> int:
    if isinstance(value, bool):
        raise Invalid("scheduled_at must be a time", field="scheduled_at")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("scheduled_at must be an ISO 8601 time or epoch seconds", field="scheduled_at") from None
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp())
    raise Invalid("scheduled_at must be an ISO 8601 time or epoch seconds", field="scheduled_at")


def _scheduled(value) -> int:
    if value is None:
        raise Invalid("scheduled_at is required for a one_off campaign", field="scheduled_at")
    at, now = _epoch(value), time.time()
    if at <= now:
        raise Invalid("scheduled_at must be in the future", field="scheduled_at")
    if at > now + MAX_SCHEDULE_AHEAD:
        raise Invalid("scheduled_at must be within a year", field="scheduled_at")
    return at


def _template_params(inbox, params) -> dict | None:
    """A one-off campaign's WhatsApp template (Chatwoot's template_params): required on a
    WhatsApp inbox (the audience may be outside the 24-hour window, where WhatsApp takes
    only approved templates), an APPROVED one among the inbox's synced templates, its
    processed_params filling exactly the body's {{n}} placeholders; refused on SMS."""
    if inbox.channel_type != "whatsapp":
        if params is not None:
            raise Invalid("template_params: only WhatsApp campaigns send templates", field="template_params")
        return None
    from ...channels import whatsapp

    if not isinstance(params, dict):
        raise Invalid("template_params is required for a WhatsApp campaign: an approved message template "
                      "(sync the inbox's templates first)", field="template_params")
    if set(params) - TEMPLATE_KEYS - {"body"}:  # body: the stored copy of the template's text
        raise Invalid(f"template_params takes {', '.join(sorted(TEMPLATE_KEYS))} only", field="template_params")
    name, language = params.get("name"), params.get("language")
    if not isinstance(name, str) or not isinstance(language, str) or not name or not language:
        raise Invalid("template_params needs the template's name and language", field="template_params")
    template = whatsapp.find_template(inbox.channel or {}, name, language)
    if template is None:
        raise Invalid(f"template_params: the inbox has no template {name!r} in {language!r} (sync its templates)",
                      field="template_params")
    if template.get("status") != "APPROVED":
        raise Invalid(f"template_params: template {name!r} is {template.get('status') or 'not approved'}, "
                      "WhatsApp sends only APPROVED templates", field="template_params")
    processed = params.get("processed_params") or {}
    if not isinstance(processed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() and len(v) <= 1024 for k, v in processed.items()):
        raise Invalid("template_params.processed_params maps each placeholder number to its text",
                      field="template_params")
    wanted = whatsapp.body_placeholders(template)
    if set(processed) != wanted:
        shown = ", ".join("{{%s}}" % n for n in sorted(wanted, key=int)) or "none"
        raise Invalid(f"template_params.processed_params must fill exactly the template body's placeholders ({shown})",
                      field="template_params")
    body = next((str(c.get("text") or "") for c in template.get("components") or []
                 if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"), "")
    return {"name": name, "category": template.get("category"), "language": language,
            "processed_params": dict(processed), "body": body}


def checked_audience(account_id: int, audience) -> list[dict]:
    return _audience(account_id, audience)


def _audience(account_id: int, audience) -> list[dict]:
    if not isinstance(audience, list) or not audience:
        raise Invalid("audience must list at least one label", field="audience")
    if len(audience) > MAX_AUDIENCE:
        raise Invalid(f"audience may list at most {MAX_AUDIENCE} labels", field="audience")
    out = []
    for entry in audience:
        label_id = entry.get("id") if isinstance(entry, dict) else None
        if (not isinstance(entry, dict) or entry.get("type") != "Label" or set(entry) - {"type", "id"}
                or isinstance(label_id, bool) or not isinstance(label_id, int)):
            raise Invalid('audience entries are {"type": "Label", "id": <label id>}', field="audience")
        try:
            labels.get(account_id, label_id)
        except NotFound:
            raise Invalid(f"audience: label {label_id} does not exist", field="audience") from None
        if {"type": "Label", "id": label_id} not in out:
            out.append({"type": "Label", "id": label_id})
    return out


def _sender(account_id: int, sender_id) -> int | None:
    if sender_id is None:
        return None
    if isinstance(sender_id, bool) or not isinstance(sender_id, int):
        raise Invalid("sender_id must be an agent's id", field="sender_id")
    try:
        AccountUser.get(account_id, sender_id)
    except AccountUser.DoesNotExist:
        raise NotFound("Sender not found") from None  # not a member of this account: as if absent
    return sender_id


def _checked(account_id: int, data: dict, changed: set[str]) -> dict:
    """`data` validated whole (422 naming the field, before anything is written);
    a one_off's scheduled_at must be in the future when it is set or changed."""
    for field in ("title", "message"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise Invalid(f"{field} can't be blank", field=field)
    kind, inbox = _type_for(account_id, data.get("inbox_id"), data.get("campaign_type"))
    out = {"title": data["title"].strip(), "description": data.get("description") or "",
           "message": data["message"], "inbox_id": data["inbox_id"], "campaign_type": kind,
           "sender_id": _sender(account_id, data.get("sender_id")),
           "enabled": bool(data.get("enabled", True)),
           "trigger_only_during_business_hours": bool(data.get("trigger_only_during_business_hours", False)),
           "campaign_status": data.get("campaign_status") or "active"}
    if kind == "ongoing":
        rules = _trigger_rules(data.get("trigger_rules"))
        if "url" not in rules:  # without a page to watch, the widget could never show it
            raise Invalid("trigger_rules.url is required for an ongoing campaign", field="trigger_rules.url")
        out.update(trigger_rules=rules, scheduled_at=None, audience=[])
    else:
        if data.get("trigger_rules"):
            _trigger_rules(data["trigger_rules"])  # still refuse a bad pattern rather than drop it
        scheduled = data.get("scheduled_at")
        # Enabling counts as scheduling anew: a schedule in the past would never fire.
        anew = bool({"scheduled_at", "inbox_id"} & changed) or ("enabled" in changed and out["enabled"])
        out.update(trigger_rules={}, audience=_audience(account_id, data.get("audience")),
                   scheduled_at=_scheduled(scheduled) if anew
                   else _epoch(scheduled) if scheduled is not None else _scheduled(None),
                   template_params=_template_params(inbox, data.get("template_params")))
        out.update({key: data[key] for key in SENDING_STATE if data.get(key) is not None})
    return out


def _due(data: dict | None) -> bool:
    """Whether the campaign wants its schedule: one_off, enabled, not completed, not started
    for this scheduled_at yet, the time ahead."""
    return bool(data and data.get("campaign_type") == "one_off" and data.get("enabled")
                and data.get("campaign_status") != "completed" and data.get("run_for") != data.get("scheduled_at")
                and (data.get("scheduled_at") or 0) > time.time())


def _keep_schedule(item: AccountObject, before: dict | None) -> None:
    """An enabled, not completed one-off campaign has one schedule at its scheduled_at;
    any other has none. The Scheduler is called only when that changes (a stale schedule
    firing would do nothing anyway: campaign_sending.fire)."""
    data = item.data
    if _due(data) and (not _due(before) or before.get("scheduled_at") != data["scheduled_at"]):
        schedules.at(SEND_TASK, item.account_id, item.id, data["scheduled_at"],
                     {"account_id": item.account_id, "campaign_id": item.id, "scheduled_at": data["scheduled_at"]})
    elif _due(before) and not _due(data):
        schedules.cancel(SEND_TASK, item.account_id, item.id)


def _changed(stored: dict, changes: dict) -> set[str]:
    """The fields `changes` really changes (a form sending every field back changes only
    what differs: an unchanged past scheduled_at is no new time)."""
    out = set()
    for key, value in changes.items():
        if key == "scheduled_at" and value is not None:
            try:
                value = _epoch(value)
            except Invalid:
                out.add(key)
                continue
        if key not in stored or stored.get(key) != value:
            out.add(key)
    return out


def create(account_id: int, fields: dict) -> AccountObject:
    data = _checked(account_id, fields, set(fields))
    if len(account_objects.all_of(account_id, KIND)) >= MAX_CAMPAIGNS:
        raise Invalid(f"Limit reached: an account may hold at most {MAX_CAMPAIGNS} campaigns")
    item = account_objects.create(account_id, KIND, data)
    if data["campaign_type"] == "one_off":
        _keep_schedule(item, None)
    return item


def all_of(account_id: int) -> list[AccountObject]:
    return sorted(account_objects.all_of(account_id, KIND), key=lambda c: c.id)


def get(account_id: int, campaign_id: int) -> AccountObject:
    return account_objects.get(account_id, KIND, campaign_id, "Campaign")


def update(item: AccountObject, changes: dict) -> AccountObject:
    if item.data.get("campaign_status") == "completed":
        really = _changed(item.data, changes)
        frozen = [k for k in FROZEN_WHEN_COMPLETED if k in really]
        if changes.get("enabled") and not item.data.get("enabled"):
            frozen.insert(0, "enabled")
        if frozen:
            raise Invalid(f"{frozen[0]}: the campaign has completed; create a new one to send again", field=frozen[0])
    before = dict(item.data)
    merged = {**item.data, **changes}
    if "inbox_id" in changes and "campaign_type" not in changes:
        merged.pop("campaign_type", None)  # follows the new inbox (or is refused by it)
    data = _checked(item.account_id, merged, _changed(item.data, changes))
    for attempt in range(3):
        try:
            updated = account_objects.update(item, KIND, data)
            break
        except TransactWriteError as exc:
            # The sending job saved its progress meanwhile (the version): apply the edit to that.
            if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc) or attempt == 2:
                raise Conflict("The campaign changed meanwhile; try again") from None
            item.refresh(consistent_read=True)
            data = {**data, **{key: item.data[key] for key in SENDING_STATE if key in item.data}}
            if item.data.get("campaign_status") == "completed":
                data["campaign_status"] = "completed"
    _keep_schedule(updated, before)
    return updated


def delete(item: AccountObject) -> None:
    account_objects.delete(item, KIND)
    if item.data.get("campaign_type") == "one_off":
        schedules.cancel(SEND_TASK, item.account_id, item.id)


def delete_for_inbox(account_id: int, inbox_id: int) -> int:
    """An inbox's campaigns go with it (each audited, its schedule cancelled). How many."""
    doomed = [item for item in all_of(account_id) if item.data.get("inbox_id") == inbox_id]
    for item in doomed:
        delete(item)
    return len(doomed)
