"""Reports (issue 15): an administrator whose browser is in Nepal (+05:45, a quarter-hour
offset) sees, for a seeded timeline of conversations (a customer message, a reply, a
resolution each), the numbers the reports API answers: the overview's figures and the
conversations-over-time chart's table, whose "Download conversations CSV" holds a line per
seeded conversation, and Reports > Captain's figures (Captain's usage of the month); and a
breakdown's CSV button downloads the file.

The reporting consumer records events asynchronously (bus -> queue), so the test waits,
bounded, until the API counts the seeded conversations before opening the screens; then it
compares what the page shows with the answers the page itself received."""
from __future__ import annotations

import csv
import math
import re
import time
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from .conftest import DASHBOARD_VIEWPORT
from .pages import Agent, api, tag

ZONE, OFFSET_MINUTES = "Asia/Kathmandu", 345  # no DST: +05:45 all year
DAY = 86400


def _window(days: int) -> dict:
    """The dashboard's preset of `days` days ending today (local to +05:45), as it asks."""
    shift = OFFSET_MINUTES * 60
    until = (int(time.time()) + shift) // DAY * DAY - shift + DAY
    return {"since": until - days * DAY, "until": until}


def _summary(stack, seed) -> dict:
    w = _window(30)
    return api(stack, "GET", f"/api/v2/accounts/{seed['account']['id']}/reports/summary"
               f"?since={w['since']}&until={w['until']}&type=account", seed["administrator"]["access_token"])


def _seed_timeline(stack, seed, count: int) -> list[int]:
    """`count` conversations in a new API inbox: the customer writes, an agent replies, and
    resolves it. Returns their display ids."""
    token, account = seed["administrator"]["access_token"], seed["account"]["id"]
    base = f"/api/v1/accounts/{account}"
    inbox = api(stack, "POST", f"{base}/inboxes", token, {"name": f"Reports {tag()}", "channel": {"type": "api"}})["id"]
    ids = []
    for i in range(count):
        contact = api(stack, "POST", f"{base}/contacts", token, {"name": f"Customer {tag()}", "inbox_id": inbox})["payload"]["contact"]
        conversation = api(stack, "POST", f"{base}/conversations", token, {"inbox_id": inbox, "contact_id": contact["id"]})
        path = f"{base}/conversations/{conversation['id']}"
        api(stack, "POST", f"{path}/messages", token, {"content": f"Help {i}", "message_type": "incoming"})
        api(stack, "POST", f"{path}/messages", token, {"content": f"On it {i}"})
        api(stack, "POST", f"{path}/toggle_status", token, {"status": "resolved"})
        ids.append(conversation["id"])
    return ids


def _admin(new_context, stack, seed) -> Agent:
    person = Agent(new_context(viewport=DASHBOARD_VIEWPORT, timezone_id=ZONE, accept_downloads=True), stack, seed["administrator"])
    person.open_dashboard()
    return person


def _duration(seconds) -> str:
    """model.formatDuration, for the figures the test compares."""
    if seconds is None or seconds == "":
        return "—"
    s = math.floor(float(seconds) + 0.5)  # JavaScript's Math.round (Python's round() halves to even)
    if s < 60:
        return f"{s}s"
    d, s = divmod(s, DAY)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d" + (f" {h}h" if h else "")
    if h:
        return f"{h}h" + (f" {m}m" if m else "")
    return f"{m}m" + (f" {s}s" if s else "")


def test_overview_and_chart_table_show_what_the_api_answers(new_context, stack, seed):
    before = _summary(stack, seed)
    seeded = _seed_timeline(stack, seed, 2)
    deadline = time.monotonic() + 30
    while True:  # the reporting consumer is asynchronous: wait until it has counted them
        now = _summary(stack, seed)
        if (now["conversations_count"] >= before["conversations_count"] + 2
                and now["resolutions_count"] >= before["resolutions_count"] + 2):
            break
        assert time.monotonic() < deadline, f"the reports never counted the seeded conversations: {before} -> {now}"
        time.sleep(0.3)

    admin = _admin(new_context, stack, seed)
    page = admin.page
    with page.expect_response(re.compile(r"/api/v2/accounts/\d+/reports/summary\?")) as answered:
        page.get_by_test_id("nav-reports").click()
    expect(page).to_have_url(re.compile(r"/reports/overview$"))
    summary = answered.value.json()
    query = parse_qs(urlparse(answered.value.url).query)
    assert {k: v[0] for k, v in query.items()} == {k: str(v) for k, v in {**_window(30), "type": "account"}.items()}
    assert summary["conversations_count"] == now["conversations_count"]
    for key in ("conversations_count", "resolutions_count", "incoming_messages_count", "outgoing_messages_count"):
        card = page.get_by_test_id(f"summary-{key}")
        expect(card.get_by_test_id("summary-value")).to_have_text(f"{int(summary[key]):,}")
        expect(card.get_by_test_id("summary-previous")).to_have_text(f"{int(summary['previous'][key]):,}")
    for key in ("avg_first_response_time", "avg_resolution_time"):
        expect(page.get_by_test_id(f"summary-{key}").get_by_test_id("summary-value")).to_have_text(_duration(summary[key]))
    expect(page.get_by_test_id("report-live")).to_be_visible()

    # Conversations over time: the last 7 days by day, in +05:45; the table is the series.
    page.get_by_test_id("reports-nav-conversations").click()
    expect(page).to_have_url(re.compile(r"/reports/conversations$"))
    with page.expect_response(lambda r: "/reports?" in r.url and f"since={_window(7)['since']}&" in r.url) as answered:
        page.get_by_test_id("report-range").select_option("7")
    query = {k: v[0] for k, v in parse_qs(urlparse(answered.value.url).query).items()}
    assert query["timezone_offset"] == "5.75" and query["group_by"] == "day" and query["metric"] == "conversations_count"
    series = answered.value.json()
    page.get_by_test_id("report-show-table").click()
    table = page.get_by_test_id("report-chart-table")
    expect(table).to_be_visible()
    shift = OFFSET_MINUTES * 60
    expected = [(time.strftime("%Y-%m-%d", time.gmtime(int(p["timestamp"]) + shift)), f"{int(float(p['value'])):,}")
                for p in sorted(series, key=lambda p: int(p["timestamp"]))]
    assert expected, "the API answered no series"
    expect(table.get_by_test_id("report-table-row").locator("th")).to_have_text([d for d, _ in expected])
    expect(table.get_by_test_id("report-table-value")).to_have_text([v for _, v in expected])
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + shift))
    assert dict(expected).get(today) and int(dict(expected)[today].replace(",", "")) >= 2  # the seeded two
    expect(page.get_by_test_id("report-total")).to_have_text(f"{sum(int(float(p['value'])) for p in series):,}")

    # The per-conversation export of the same 7 days: a line per seeded conversation, resolved once.
    with page.expect_download() as downloaded:
        page.get_by_test_id("report-conversations-csv").click()
    assert downloaded.value.suggested_filename == "conversations_report.csv"
    with open(downloaded.value.path(), encoding="utf-8", newline="") as file:
        lines = {row[0]: row for row in csv.reader(file) if row}
    header = lines["Conversation"]
    for display_id in seeded:
        line = dict(zip(header, lines[str(display_id)]))
        assert (line["Status"], line["Replies"], line["Resolutions"]) == ("resolved", "0", "1"), line
        assert line["First response time (seconds)"] != "", line

    # Reports > Captain: this month's usage as the API answered it (the page's own request).
    with page.expect_response(re.compile(r"/api/v1/accounts/\d+/captain/usage\?month=")) as answered:
        page.get_by_test_id("reports-nav-captain").click()
    expect(page).to_have_url(re.compile(r"/reports/captain$"))
    usage = answered.value.json()
    assert usage["current"]["month"] == time.strftime("%Y-%m", time.gmtime())
    total = usage["current"]["total"]
    for key, shown in (("answers", total["answers"]), ("handoffs", total["handoffs"]), ("calls", total["calls"]),
                       ("input", total["input_tokens"]), ("output", total["output_tokens"])):
        expect(page.get_by_test_id(f"captain-figure-{key}").get_by_test_id("captain-figure-value")).to_have_text(f"{int(shown):,}")
    expect(page.get_by_test_id("captain-report-row")).to_have_count(len(usage["current"]["assistants"]))


def test_a_breakdown_table_downloads_its_csv(new_context, stack, seed):
    admin = _admin(new_context, stack, seed)
    page = admin.page
    page.get_by_test_id("nav-reports").click()
    with page.expect_response(re.compile(r"/api/v2/accounts/\d+/summary_reports/agent\?")) as answered:
        page.get_by_test_id("reports-nav-agents").click()
    expect(page).to_have_url(re.compile(r"/reports/agents$"))
    rows = answered.value.json()
    mine = next(r for r in rows if r["id"] == seed["administrator"]["id"])
    row = page.locator(f'[data-testid="report-row"][data-row-id="{mine["id"]}"]')
    expect(row.locator('td[data-key="conversations_count"]')).to_have_text(f"{int(mine['conversations_count'] or 0):,}")
    expect(row.get_by_test_id("report-sparkline").locator("svg")).to_have_count(1)

    with page.expect_download() as downloaded:
        page.get_by_test_id("report-csv").click()
    download = downloaded.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8").read()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) >= 2, text  # a header and the account's agents
    agents = api(stack, "GET", f"/api/v1/accounts/{seed['account']['id']}/agents", seed["administrator"]["access_token"])
    me = next(a for a in agents if a["id"] == seed["administrator"]["id"])
    assert me["name"] in text, text
    expect(row.locator("xpath=./th")).to_have_text(me.get("available_name") or me["name"])
