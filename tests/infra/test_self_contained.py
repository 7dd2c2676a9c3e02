"""A clone with nothing beside it must pass `make test`: the project reads only its own
tree, and its copy of the reference spec carries every recorded patch."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"

# The team's reading folder beside the repository (its reference and design notes), named
# as a path or reached by climbing out of the repository root.
OUTSIDE = re.compile(r"""shared/(reference|design)|["']shared["']\s*/\s*["'](reference|design)["']"""
                     r"""|ROOT\.parent\s*/|parents\[2\]\s*/\s*["']shared["']""")


def _refresh_module():
    spec = importlib.util.spec_from_file_location("refresh_spec", ROOT / "scripts" / "refresh_spec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_tracked_file_reads_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    code = [p for p in tracked if p.endswith((".py", ".js", ".json", ".mjs", ".sh", ".toml", ".ini", ".cfg"))
            or Path(p).name in ("Makefile", "run")]
    offenders = [p for p in code if OUTSIDE.search((ROOT / p).read_text(errors="replace"))]
    assert not offenders, f"these files name a path outside the repository: {offenders}"


def test_every_spec_patch_is_applied_to_the_copy():
    refresh = _refresh_module()
    copy = json.loads((REFERENCE / "chatwoot-openapi.json").read_text())
    for patch in refresh.patches():
        node = copy
        for token in patch["path"].lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        assert node == patch["value"], f"{patch['path']} is not patched in the copy: run scripts/refresh_spec.py"


def test_refresh_keeps_fields_named_description_and_refuses_a_lapsed_patch():
    refresh = _refresh_module()
    stripped = refresh.strip_prose({"description": "prose", "properties": {"description": {"type": "string",
                                                                                          "description": "x"}}})
    assert stripped == {"properties": {"description": {"type": "string"}}}
    try:
        refresh.apply_patch({"components": {}}, {"op": "replace", "path": "/components/schemas/gone/x", "value": 1})
    except KeyError as exc:
        assert "gone from the reference" in str(exc)
    else:
        raise AssertionError("a patch whose target is gone must fail the refresh")
