"""Chatwoot's reporting events (docs/reports.md): GET /api/v1/accounts/{id}/reporting_events
(25 a page, newest first, filtered by since / until (epoch seconds), inbox_id, user_id and
name) and /conversations/{conversation_id}/reporting_events (oldest first), for members
with report_manage (administrators, and agents whose custom role grants it). Parley's own:
the rebuild of the account's reporting events and rollups from its stored conversations,
POST (start) and GET (progress) /reporting_events/rebuild, for administrators, and the
same two under /super_admin/api/v1/accounts/{id}/ for the super admin (an installation's
upgrade: every account's history, without being a member of each)."""
from __future__ import annotations

from datetime import datetime, timezone

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, model_validator

from api import Body, account_admin, member_with, path_id, query, super_admin
from parley import permissions
from parley.services.account import accounts
from parley.services.conversation import conversations
from parley.services.lifecycle import job_queue
from parley.services.reporting import listing, rebuild
from parley.views.reporting import reporting_event, reporting_events_page

router = Router()
EPOCH_MAX = 253402300799  # 9999-12-31T23:59:59Z


class ReportingEventsQuery(Body):
    page: int = Field(default=1, ge=1, le=listing.MAX_PAGE)
    since: int | None = Field(default=None, ge=0, le=EPOCH_MAX)  # epoch seconds (Chatwoot)
    until: int | None = Field(default=None, ge=0, le=EPOCH_MAX)
    inbox_id: int | None = Field(default=None, ge=1)
    user_id: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, pattern=r"^[a-z_]{1,64}$")

    @model_validator(mode="after")
    def _ordered(self):
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


def _time(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


@router.get("/api/v1/accounts/<account_id>/reporting_events")
def list_reporting_events(account_id: str):
    account, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    params = query(router, ReportingEventsQuery)
    found = listing.page(account, params.page, since=_time(params.since), until=_time(params.until),
                         inbox_id=params.inbox_id, user_id=params.user_id, name=params.name)
    return reporting_events_page(found.events, found.count, params.page, listing.PER_PAGE)


@router.get("/api/v1/accounts/<account_id>/conversations/<conversation_id>/reporting_events")
def conversation_reporting_events(account_id: str, conversation_id: str):
    account, _ = member_with(router, account_id, permissions.REPORT_MANAGE)
    conversation = conversations.get_conversation(account, path_id(conversation_id))  # 404: not this account's
    return [reporting_event(item) for item in listing.of_conversation(account, conversation.display_id)]


@router.get("/api/v1/accounts/<account_id>/reporting_events/rebuild")
def rebuild_progress(account_id: str):
    return rebuild.state(account_admin(router, account_id))


@router.post("/api/v1/accounts/<account_id>/reporting_events/rebuild")
def start_rebuild(account_id: str):
    account = account_admin(router, account_id)
    started = rebuild.start(account)  # audited; 409 while one runs
    job_queue.enqueue(rebuild.JOB, account)
    return started


SUPER_ADMIN = "/super_admin/api/v1/accounts/<account_id>/reporting_events/rebuild"


def _console_account(account_id: str) -> int:
    super_admin(router)
    return accounts.get_account(path_id(account_id)).id  # 404 for an unknown or deleted account


@router.get(SUPER_ADMIN)
def console_rebuild_progress(account_id: str):
    return rebuild.state(_console_account(account_id))


@router.post(SUPER_ADMIN)
def console_start_rebuild(account_id: str):
    account = _console_account(account_id)
    started = rebuild.start(account)  # audited in the account's log; 409 while one runs
    job_queue.enqueue(rebuild.JOB, account)
    return started
