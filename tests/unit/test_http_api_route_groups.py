"""functions/http_api imports its route modules by path prefix on first use (ROUTE_GROUPS):
every module must be in a group whose prefix its every route starts with, or a request
would find its route missing; and a cold start, or a call outside the dashboard, must
really load less."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

from local.cfn import ROOT
from tests.conftest import load_function

ROUTES = ROOT / "functions" / "http_api" / "routes"
METHODS = {"get", "post", "put", "patch", "delete", "route"}


def declared_paths(module: str) -> list[str]:
    """The paths a route module's decorators declare, constants (BASE + "/x") resolved."""
    tree = ast.parse((ROUTES / f"{module}.py").read_text())
    constants: dict[str, str] = {}

    def value(node) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return value(node.left) + value(node.right)
        if isinstance(node, ast.JoinedStr):
            return "".join(value(v.value) if isinstance(v, ast.FormattedValue) else v.value for v in node.values)
        raise ValueError(f"{module}: a route path this test cannot read: {ast.dump(node)}")

    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = value(node.value)
            except (KeyError, ValueError):
                pass
    paths = []
    for node in ast.walk(tree):
        for decorator in getattr(node, "decorator_list", []):
            if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in METHODS and isinstance(decorator.func.value, ast.Name)
                    and decorator.func.value.id == "router" and decorator.args):
                paths.append(value(decorator.args[0]))
    return paths


def test_every_route_module_is_in_a_group_that_claims_all_its_paths():
    http_api = load_function("http_api")
    groups = http_api.ROUTE_GROUPS
    modules = {p.stem for p in ROUTES.glob("*.py") if p.stem != "__init__"}
    grouped = {name for _, names in groups for name in names}
    assert grouped == modules
    for module in sorted(modules):
        prefixes = [prefix for prefix, names in groups if module in names]
        paths = declared_paths(module)
        assert paths, module
        for path in paths:
            claimed = [prefix for prefix, _ in groups if http_api.prefix_pattern(prefix).match(path)]
            # The first prefix that claims the path decides the group: it must be this module's.
            assert claimed and claimed[0] in prefixes, f"{module}: {path} is loaded with {claimed[:1]}, not {prefixes}"


PROBE = """
import importlib.util, json, sys
sys.path[:0] = [{layer!r}, {folder!r}]
spec = importlib.util.spec_from_file_location("http_api_app", {app!r})
app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app)
loaded = lambda: sorted(m for m in sys.modules if m.startswith(("routes.", "parley.services.")))
cold = loaded()
app.include_routes({path!r})
print(json.dumps({{"cold": cold, "after": loaded()}}))
"""


def probe(path: str) -> dict:
    folder = ROOT / "functions" / "http_api"
    code = PROBE.format(layer=str(ROOT / "layers" / "shared"), folder=str(folder), app=str(folder / "app.py"), path=path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_cold_start_loads_no_route_and_a_widget_call_only_its_own():
    widget = probe("/api/v1/widget/messages")
    assert widget["cold"] == []
    routes = [m for m in widget["after"] if m.startswith("routes.")]
    assert routes == ["routes.widget"]
    dashboard = probe("/api/v1/accounts/1/conversations")
    # A conversation call loads its resource's routes alone (not contacts, settings, automation ...).
    assert [m for m in dashboard["after"] if m.startswith("routes.")] == ["routes.conversations", "routes.participants"]
    assert len(dashboard["after"]) > len(widget["after"])  # the dashboard's services stay out of a widget call
