"""Cold start: a fresh interpreter imports a function's app.py by path and takes its handler.

That is what Lambda's init phase does before the first event. Each function is measured
next to a bare `import boto3; boto3.client("dynamodb")` run the same way, in two setups:

- bytecode: layers/shared and the function's folder on sys.path, the dependencies from the
  dev virtualenv; every module has its .pyc (an uncounted first run writes the project's).
- as deployed: the layout `sam build` ships. layers/shared/Makefile installs the layer's
  wheels and compiles them and parley to .pyc at build time; the functions' own folders
  are copied as source by SAM's python builder, and Lambda's /var/task is read-only, so
  their modules are compiled on every cold start. Here: the requirements installed and
  compiled (cached in bench/.out/), parley compiled, the function copied without
  __pycache__, and the interpreter run with -B so nothing new is ever cached.

The time is taken inside the child with perf_counter (the part Lambda bills as init); the
wall time of the whole `python -c` (interpreter start included) is shown too.
"""
from __future__ import annotations

import compileall
import hashlib
import py_compile
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import median_range, print_table
from local.cfn import Resolver, load_template

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / ".out"
REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
RUNS = 9
TARGET = 1.5
BASELINE = "boto3 + dynamodb client"

PROBE = """import sys, time
start = time.perf_counter()
sys.path[1:1] = {layer!r}  # after the task folder, as on Lambda
{code}
print((time.perf_counter() - start) * 1000)
"""
IMPORT_HANDLER = """import importlib.util
spec = importlib.util.spec_from_file_location({module!r}, {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules[{module!r}] = module
spec.loader.exec_module(module)
handler = getattr(module, {attribute!r})"""
IMPORT_BOTO3 = 'import boto3\nboto3.client("dynamodb")'
# HttpApiFunction imports its route modules on a request's first use (functions/http_api
# ROUTE_GROUPS): its init alone would hide that cost, so these rows add the imports the
# first request of each kind makes to the init, and are held to the same target. The
# dashboard's groups are per resource; its row is the conversation list, the call the
# dashboard makes on every page load, whose group (conversations, participants) is the
# largest a dashboard call loads.
FIRST_REQUESTS = {"HttpApiFunction": (("a widget call's routes", "/api/v1/widget/messages"),
                                      ("a dashboard call's routes (conversation list)",
                                       "/api/v1/accounts/1/conversations"),
                                      ("a channel webhook's routes", "/webhooks/telegram/bench"))}
# The public help center's function imports its Markdown parser, sanitiser and stemmer on
# the first article page or search, not at init: this row adds those imports and a first use.
FIRST_WORK = {"HelpCenterFunction": (
    ("an article page and a search (Markdown, sanitiser, stemmer)",
     "from parley.views import article_html\narticle_html.render('# Title\\n\\n*Some* [text](https://a.test)')\n"
     "from parley.services.help_center.search_index import SearchIndex\n"
     "SearchIndex.build([{'id': 1, 'title': 'Reset', 'description': '', 'content': 'running shoes'}], 'en')"
     ".search('run')"),),
    # Captain imports the answering rules, retrieval and the providers with a first question.
    "CaptainFunction": (
        ("a first question's imports (answering, retrieval, providers)",
         "from parley.services.captain import answering, knowledge, usage"),),
    # Reporting imports the recorder (models, business hours, rollups) with its first event.
    "ReportingFunction": (
        ("a first event's imports (the recorder)", "from parley.services.reporting import recorder"),)}


class ProbeFailed(Exception):
    pass


@dataclass
class Target:
    name: str
    task: Path | None = None  # the function's folder; None for the baseline
    module: str = ""  # Handler "app.lambda_handler" -> module "app", attribute "lambda_handler"
    attribute: str = ""
    env: dict[str, str] = field(default_factory=dict)
    missing: str = ""  # why it cannot be measured
    then: str = ""  # code run after taking the handler, still timed (a first request's imports)


@dataclass
class Setup:
    name: str
    layer: list[str]  # folders that make up /opt/python
    tasks: Path  # where the function folders are
    flags: list[str]
    init: dict[str, list[float]] = field(default_factory=dict)
    wall: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def function_targets() -> list[Target]:
    """Every AWS::Serverless::Function with its environment resolved from the template."""
    template = load_template()
    resolver = Resolver(template, "parley-bench", {"WidgetTokenSecret": "bench-" + "x" * 32}, {})
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    targets = []
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        variables = dict((function_globals.get("Environment") or {}).get("Variables", {}))
        variables.update((props.get("Environment") or {}).get("Variables", {}))
        module, attribute = props["Handler"].rsplit(".", 1)
        task = ROOT / props["CodeUri"]
        env = {k: str(resolver.resolve(v)) for k, v in variables.items()}
        missing = "" if (task / f"{module}.py").is_file() else f"{task.relative_to(ROOT)}/{module}.py does not exist"
        targets.append(Target(logical_id, task, module, attribute, env, missing))
        for label, path in FIRST_REQUESTS.get(logical_id, ()):
            targets.append(Target(f"{logical_id}, then {label}", task, module, attribute, env, missing,
                                  then=f"module.include_routes({path!r})"))
        for label, code in FIRST_WORK.get(logical_id, ()):
            targets.append(Target(f"{logical_id}, then {label}", task, module, attribute, env, missing, then=code))
    return targets


def lambda_env(target: Target, task: Path) -> dict[str, str]:
    """What the Lambda runtime sets, plus the function's own variables. Credentials are
    dummies: botocore looks them up when a client is made, as it finds them on Lambda."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": target.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "LAMBDA_TASK_ROOT": str(task),
        **target.env,
    }


def deployed_dependencies() -> Path:
    """The layer's requirements for this interpreter, installed once and compiled, as
    layers/shared/Makefile builds them."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:12]
    deps = OUT / f"layer-deps-{key}"
    if not (deps / ".complete").exists():
        for stale in OUT.glob("layer-deps-*"):  # other requirements or another Python
            shutil.rmtree(stale)
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} into {deps.relative_to(ROOT)} (once) ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--target", str(deps), "-r", str(REQUIREMENTS)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"pip install failed:\n{done.stderr[-2000:]}")
        (deps / ".complete").touch()
    return deps


def probe(setup: Setup, target: Target) -> tuple[float, float]:
    if target.task is None:
        code, cwd, env = IMPORT_BOTO3, Path(tempfile.gettempdir()), lambda_env(target, Path(tempfile.gettempdir()))
    else:
        task = setup.tasks / target.task.name
        code = IMPORT_HANDLER.format(module=target.module, path=str(task / f"{target.module}.py"), attribute=target.attribute)
        code += f"\n{target.then}" if target.then else ""
        cwd, env = task, lambda_env(target, task)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *setup.flags, "-c", PROBE.format(layer=setup.layer, code=code)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    wall = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise ProbeFailed((done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1])
    return float(done.stdout.strip().splitlines()[-1]), wall


def run() -> None:
    functions = function_targets()
    targets = [Target(BASELINE)] + [t for t in functions if not t.missing]
    with tempfile.TemporaryDirectory(prefix="parley-cold-") as tmp:
        # The deployed layout: /opt/python/parley and /var/task, source only.
        opt, tasks = Path(tmp) / "opt" / "python", Path(tmp) / "task"
        no_cache = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "layers" / "shared" / "parley", opt / "parley", ignore=no_cache)
        compileall.compile_dir(opt, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        for task in {t.task for t in functions if not t.missing}:  # the 'then ...' rows share their function's
            shutil.copytree(task, tasks / task.name, ignore=no_cache)
        setups = [
            Setup("bytecode", [str(ROOT / "layers" / "shared")], ROOT / "functions", []),
            Setup("as deployed", [str(opt), str(deployed_dependencies())], tasks, ["-B"]),
        ]
        for target in targets:  # uncounted: writes the project's .pyc for the bytecode setup
            try:
                probe(setups[0], target)
            except ProbeFailed as exc:
                setups[0].errors[target.name] = str(exc)
        print(f"cold start: {RUNS} runs x {len(targets)} targets x {len(setups)} setups ...", flush=True)
        for _ in range(RUNS):  # interleaved, so drift on the machine hits every target alike
            for setup in setups:
                for target in targets:
                    if target.name in setup.errors:
                        continue
                    try:
                        init, wall = probe(setup, target)
                    except ProbeFailed as exc:
                        setup.errors[target.name] = str(exc)
                        continue
                    setup.init.setdefault(target.name, []).append(init)
                    setup.wall.setdefault(target.name, []).append(wall)
    report(functions, setups)


def report(functions: list[Target], setups: list[Setup]) -> None:
    headers = ["function"]
    for s in setups:
        headers += [f"{s.name}: init ms", "x boto3", "wall ms"]
    headers.append(f"<= {TARGET}x")
    rows, notes = [], []
    for target in [Target(BASELINE)] + functions:
        name, row, over = target.name, [target.name], []
        for s in setups:
            if target.missing or name in s.errors or BASELINE in s.errors:
                row += ["missing" if target.missing else "error", "", ""]
                continue
            ratio = statistics.median(s.init[name]) / statistics.median(s.init[BASELINE])
            row += [median_range(s.init[name]), f"{ratio:.2f}", f"{statistics.median(s.wall[name]):.0f}"]
            if ratio > TARGET:
                over.append(s.name)
        if name == BASELINE:
            row.append("")
        elif target.missing:
            row.append("missing")
            notes.append(f"{name}: {target.missing}")
        elif any(name in s.errors for s in setups):
            row.append("error")
        else:
            row.append(f"over: {', '.join(over)}" if over else "ok")
        rows.append(row)
        notes += [f"{name} ({s.name}): {s.errors[name]}" for s in setups if name in s.errors]
    notes.append(f"init = import app.py + take the handler, timed in the child: median (min-max) of {RUNS} runs; "
                 "wall = the whole `python -c`, interpreter start included.")
    notes.append("'then ...' rows: the init plus the imports that request's routes make on first use (its "
                 "DynamoDB calls are not included)")
    print_table("Cold start (init phase of each function)", headers, rows, notes)
