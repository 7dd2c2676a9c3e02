"""What the audit log costs: DynamoDB per audited write, and the HTTP API's cold start.

Per write: each audited action runs through the real HTTP handler over moto (the test
harness builds every table from template.yaml) twice, with the hook and without it (the
audit functions the domain calls made no-ops, AUDITED_KINDS emptied), and every DynamoDB
request is counted as bench/dynamo_ops.py counts them. The difference is the hook's cost.
Write request units are estimated from the entry's size by DynamoDB's rules: an item in
a transaction costs 2 WRU per 1 KB, a plain write 1 WRU per 1 KB, and a write that had
been a single PutItem and becomes a transaction pays the doubled rate for its own item too.

Cold start: HttpApiFunction's init (bench/cold_start.py's probe, bytecode setup) next to
the bare boto3 client, with a dashboard call's routes and with the audit_logs route, and
the hook's own modules (parley.audit, models.audit_log) timed after the ones every account
route loads anyway (pynamodb, the models' base, ids, memberships), which is what the hook
adds to a first request.
"""
from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from contextlib import contextmanager

from bench.dynamo_ops import counting
from bench.report import median_range, print_table

RUNS = 9


@contextmanager
def hook_off():
    """The domain's audit calls made no-ops: the writes happen, no entry is made."""
    from parley import audit

    saved = {name: getattr(audit, name) for name in ("add", "record", "for_user", "conclude", "concluded")}
    kinds = dict(audit.AUDITED_KINDS)
    audit.add = lambda *a, **k: None
    audit.record = lambda *a, **k: None
    audit.for_user = lambda *a, **k: []
    audit.conclude = audit.concluded = lambda *a, **k: None
    audit.AUDITED_KINDS.clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(audit, name, value)
        audit.AUDITED_KINDS.update(kinds)


def _entry_kb() -> float:
    """The newest entry's stored size in KB (attribute names and values, as DynamoDB sizes an item)."""
    from parley.models.audit_log import AuditLog

    sizes = []
    for account_id in (1, 2):
        for item in AuditLog.query(account_id, scan_index_forward=False, limit=1):
            sizes.append(len(json.dumps(item.serialize(), separators=(",", ":"))) / 1024)
    return max(sizes)


def writes_per_action() -> list[list[str]]:
    from moto import mock_aws

    from tests import conftest

    rows = []
    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        api = conftest.Api()
        world = conftest.world.__wrapped__(None)
        acme = f"/api/v1/accounts/{world.account_id}"
        teams, inboxes = f"{acme}/teams", f"{acme}/inboxes"
        serial = iter(range(1_000_000))
        api.post(teams, world.admin.token, body={"name": "warm up"})  # first calls fill the caches

        def new_team():
            return api.post(teams, world.admin.token, body={"name": f"team {next(serial)}"}).json["id"]

        def new_inbox():
            return api.post(inboxes, world.admin.token, body={"name": f"inbox {next(serial)}",
                                                              "channel": {"type": "api"}}).json["id"]

        def agent_again():  # the same change in both runs: the agent, promoted
            from parley.services.access import members
            from parley.services.account import accounts
            members.update_member(accounts.membership(world.account_id, world.agent.id), role="agent")

        actions = [
            ("team create (declared kind)", lambda: None, lambda _: new_team(), False),
            ("team update (declared kind)", new_team,
             lambda t: api.patch(f"{teams}/{t}", world.admin.token, body={"description": f"d{next(serial)}"}), False),
            ("team delete (declared kind)", new_team, lambda t: api.delete(f"{teams}/{t}", world.admin.token), False),
            ("inbox update", new_inbox,
             lambda i: api.patch(f"{inboxes}/{i}", world.admin.token, body={"name": f"renamed {next(serial)}"}), False),
            ("agent role change (was a PutItem)", agent_again,
             lambda _: api.patch(f"{acme}/agents/{world.agent.id}", world.admin.token, body={"role": "administrator"}),
             True),
            ("sign-in, user in 1 account (was a PutItem)", lambda: None,
             lambda _: api.post("/auth/sign_in", body={"email": world.agent.email, "password": conftest.PASSWORD}), True),
        ]
        for name, prepare, act, was_single in actions:
            tallies = {}
            for label, context in (("off", hook_off), ("on", _nothing)):
                subject = prepare()
                with context(), counting() as tally:
                    reply = act(subject)
                assert reply is None or isinstance(reply, int) or reply.status == 200, (name, reply)
                tallies[label] = tally
            on, off = tallies["on"], tallies["off"]
            extra = {key: on.calls[key] - off.calls[key] for key in ("read", "write")}
            items = {key: on.items[key] - off.items[key] for key in ("read", "write")}
            kb = _entry_kb()
            # the entry, in a transaction (2 WRU/KB) + the id counter's UpdateItem (1 WRU)
            # (+ 1 more WRU for the change's own item when it moved from a PutItem into a transaction)
            wru = 2 * math.ceil(kb) + 1 + (1 if was_single else 0)
            rows.append([name, f"{off.calls['write']}/{off.items['write']}", f"{on.calls['write']}/{on.items['write']}",
                         f"+{extra['write']}/+{items['write']}", f"+{extra['read']}/+{items['read']}",
                         f"{kb:.2f}", f"+{wru}"])
    return rows


@contextmanager
def _nothing():
    yield


def _cold_start_probe(code: str) -> float:
    from bench.cold_start import PROBE, ROOT, function_targets, lambda_env

    target = next(t for t in function_targets() if t.name == "HttpApiFunction")
    done = subprocess.run([sys.executable, "-c", PROBE.format(layer=[str(ROOT / "layers" / "shared")], code=code)],
                          cwd=target.task, env=lambda_env(target, target.task), capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return float(done.stdout.strip().splitlines()[-1])


# The hook's own modules, imported after what any account route loads anyway (the models'
# base and pynamodb, the id counters, memberships): their time is what the hook adds.
BEFORE_HOOK = "import parley.ids, parley.models.account, parley.global_config"
HOOK = "import parley.models.audit_log, parley.audit"
MARGINAL = BEFORE_HOOK + "\nstart = time.perf_counter()\n" + HOOK


def cold_start() -> list[list[str]]:
    from bench.cold_start import IMPORT_BOTO3, IMPORT_HANDLER

    handler = IMPORT_HANDLER.format(module="app", path="app.py", attribute="lambda_handler")
    dashboard = handler + "\nmodule.include_routes('/api/v1/accounts/1/conversations')"
    read_route = handler + "\nmodule.include_routes('/api/v1/accounts/1/audit_logs')"
    probes = {"boto3": IMPORT_BOTO3, "init": handler, "dashboard": dashboard, "read": read_route, "hook": MARGINAL}
    figures = {name: [] for name in probes}
    for code in probes.values():  # uncounted: writes the .pyc files
        _cold_start_probe(code)
    for _ in range(RUNS):  # interleaved, so drift on the machine hits every probe alike
        for name, code in probes.items():
            figures[name].append(_cold_start_probe(code))
    base = statistics.median(figures["boto3"])

    def ratio(name: str) -> str:
        return f"{statistics.median(figures[name]) / base:.2f}"

    return [
        ["bare boto3 + dynamodb client", median_range(figures["boto3"]), "1.00"],
        ["HttpApiFunction init", median_range(figures["init"]), ratio("init")],
        ["HttpApiFunction init + a dashboard call's routes (conversation list)", median_range(figures["dashboard"]),
         ratio("dashboard")],
        ["HttpApiFunction init + the audit_logs route (its first read)", median_range(figures["read"]), ratio("read")],
        ["the hook's own imports (parley.audit, models.audit_log)", median_range(figures["hook"]), ""],
    ]


def run() -> None:
    print_table("Audit log: DynamoDB per audited write, without / with the hook",
                ["action", "writes off (req/items)", "writes on", "extra writes", "extra reads", "entry KB",
                 "extra WRU (est.)"], writes_per_action(),
                ["requests/items counted over moto as bench/dynamo_ops.py counts them; 'off' = the same call "
                 "with the audit functions made no-ops and AUDITED_KINDS emptied",
                 "extra WRU: the entry in the change's transaction (2 WRU per KB) + the entry id's counter "
                 "UpdateItem (1), + 1 where the change's own item moved from a PutItem into a transaction",
                 "a user's own event (sign-in, password) adds one entry per account the user belongs to"])
    print_table("Audit log: HttpApiFunction cold start (bytecode setup, ms)",
                ["what", "init ms, median (min-max)", "x boto3"], cold_start(),
                [f"{RUNS} runs each, interleaved, as bench/cold_start.py probes (a fresh interpreter, timed "
                 "inside it); the hook's own imports are timed after the modules any account route loads anyway",
                 "a 2-core machine: a few ms either way is noise"])
