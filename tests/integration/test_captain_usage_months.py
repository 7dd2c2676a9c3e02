"""Captain's usage per month (GET .../captain/usage?month=YYYY-MM), as Reports > Captain
reads it: any past month and the month before it, for administrators and report_manage
roles; a malformed or future month is a 422 naming `month`. docs/captain.md "Usage and
limits", docs/reports-dashboard.md."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from parley.llm.port import Usage
from parley.services.captain.answering import Decision


def at(year: int, month: int, day: int = 10) -> float:
    return datetime(year, month, day, 12, tzinfo=timezone.utc).timestamp()


def report_manager(world):
    from parley import tokens
    from parley.services.access import custom_roles, members, users

    role = custom_roles.create(world.account_id, "Reports only", "", ["report_manage"])
    _, user = members.add_agent(world.account_id, name="Rita", email="rita@acme.test", role="agent",
                                custom_role_id=role.id)
    return tokens.issue(users.owner(user.id))


def test_a_chosen_month_and_the_month_before_for_report_managers(api, world):
    from parley.services.captain import assistants, usage

    account = world.account_id
    ava = assistants.create(account, {"name": "Ava", "description": "Answers"}).id
    answer = Decision(action="answer", usage=Usage(input_tokens=1000, output_tokens=200), model="gpt-4o-mini", calls=2)
    handoff = Decision(action="handoff", reason="no_answer", usage=Usage(input_tokens=500, output_tokens=0),
                       model="gpt-4o-mini", calls=1)
    usage.record(account, ava, answer, moment=at(2026, 3))
    usage.record(account, ava, handoff, moment=at(2026, 3, 31))
    usage.record(account, ava, answer, moment=at(2026, 2, 1))
    usage.record(account, 999, answer, moment=at(2026, 3))  # an assistant deleted since: its figures stay

    path = f"/api/v1/accounts/{account}/captain/usage"
    shown = api.get(path, report_manager(world), query={"month": "2026-03"})
    assert shown.status == 200, shown.json
    current, previous = shown.json["current"], shown.json["previous"]
    assert current["month"] == "2026-03" and previous["month"] == "2026-02"
    ava_row, gone = current["assistants"]
    # gpt-4o-mini: 0.15 / 0.60 $ per million tokens -> 1000 in + 200 out = 270 micro-dollars, 500 in = 75
    assert ava_row == {"assistant_id": ava, "assistant_name": "Ava", "calls": 3, "input_tokens": 1500,
                       "output_tokens": 200, "cost_usd": 0.000345, "answers": 1, "handoffs": 1}
    assert gone["assistant_id"] == 999 and gone["assistant_name"] is None
    assert current["total"] == {"calls": 5, "input_tokens": 2500, "output_tokens": 400, "answers": 2, "handoffs": 1,
                                "cost_usd": 0.000615}
    assert [row["answers"] for row in previous["assistants"]] == [1]
    # no month: this month's (nothing spent yet), still readable by the role
    assert api.get(path, world.admin.token).json["current"]["month"] == time.strftime("%Y-%m", time.gmtime())
    assert api.get(path, world.agent.token).status == 403  # a plain agent holds no report_manage

    for bad in ("2026-13", "2026-3", "March", "2026-03-01", "1999-12", "2999-01", "２０２６-03"):
        reply = api.get(path, world.admin.token, query={"month": bad})
        assert reply.status == 422, (bad, reply.json)
        assert reply.json["errors"][0]["field"] == "month"
