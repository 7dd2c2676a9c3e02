"""Refresh the tests' copy of Chatwoot's reference OpenAPI description.

    .venv/bin/python scripts/refresh_spec.py PATH/TO/chatwoot-openapi.json

The tests validate responses against `tests/reference/chatwoot-openapi.json`, a copy kept
inside the repository so a clone with nothing beside it passes `make test`. The copy keeps
the paths, operations, parameters, request bodies and schemas; prose (descriptions,
examples) is dropped. Then every patch in `tests/reference/spec-patches.json` is applied
again: each records a place where Chatwoot's real server (which published clients are
built against) differs from its spec, and docs/api-coverage.md lists them. A patch whose
target no longer exists fails the refresh loudly rather than silently lapsing.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ROOT / "tests" / "reference" / "chatwoot-openapi.json"
PATCHES = ROOT / "tests" / "reference" / "spec-patches.json"
PROSE = ("description", "example", "examples", "externalDocs")


def strip_prose(node, *, in_properties: bool = False):
    """Drop prose keys, except where they are names: a schema property called
    `description` (a label's description) is a field, not prose."""
    if isinstance(node, dict):
        return {key: strip_prose(value, in_properties=key == "properties" and not in_properties)
                for key, value in node.items() if in_properties or key not in PROSE}
    if isinstance(node, list):
        return [strip_prose(value) for value in node]
    return node


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def apply_patch(spec: dict, patch: dict) -> None:
    """RFC 6902 `add` and `replace` on a JSON pointer (the two the patches need)."""
    *parents, last = [_unescape(t) for t in patch["path"].lstrip("/").split("/")]
    node = spec
    for token in parents:
        if token not in node:
            raise KeyError(f"spec patch target {patch['path']!r} is gone from the reference")
        node = node[token]
    if patch["op"] == "replace" and last not in node:
        raise KeyError(f"spec patch target {patch['path']!r} is gone from the reference")
    if patch["op"] not in ("add", "replace"):
        raise ValueError(f"unsupported patch op {patch['op']!r}")
    node[last] = patch["value"]


def patches() -> list[dict]:
    return json.loads(PATCHES.read_text())


def build(reference: dict) -> dict:
    spec = strip_prose({k: v for k, v in reference.items() if k in ("openapi", "info", "paths", "components")})
    spec["info"] = {"title": reference["info"].get("title"), "version": reference["info"].get("version")}
    for patch in patches():
        apply_patch(spec, patch)
    return spec


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    reference = json.loads(Path(argv[1]).read_text())
    COPY.write_text(json.dumps(build(reference), indent=1, sort_keys=True) + "\n")
    print(f"wrote {COPY.relative_to(ROOT)} with {len(patches())} patches")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
