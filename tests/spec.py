"""Validate responses against Chatwoot's reference OpenAPI description: the repository's
own copy in tests/reference/ (see its README: where it came from, how to refresh it, and
the recorded patches where Chatwoot's real server differs from its spec)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parent / "reference" / "chatwoot-openapi.json"


@lru_cache(maxsize=1)
def spec() -> dict:
    return json.loads(SPEC.read_text())


def _nullable(schema):
    """OpenAPI 3.0's `nullable: true` is JSON Schema's type union with null."""
    if isinstance(schema, dict):
        schema = {k: _nullable(v) for k, v in schema.items()}
        if schema.pop("nullable", False) and "type" in schema:
            schema["type"] = [schema["type"], "null"] if isinstance(schema["type"], str) else schema["type"] + ["null"]
        return schema
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


def response_schema(method: str, path: str, status: str = "200") -> dict:
    operation = spec()["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return {**_nullable(schema), "components": _nullable(spec()["components"])}


def assert_matches(body, method: str, path: str, status: str = "200") -> None:
    schema = response_schema(method, path, status)
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method.upper()} {path} does not match the spec: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
