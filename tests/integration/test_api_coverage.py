"""docs/api-coverage.md must be what scripts/api_coverage.py generates now."""
from __future__ import annotations

import importlib.util

from local.cfn import ROOT


def test_api_coverage_doc_is_current(aws):
    spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "scripts" / "api_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.render([(op, module.answered(__import__("tests.conftest").conftest.Api(), op[1], op[2]))
                               for op in module.operations()])
    assert (ROOT / "docs" / "api-coverage.md").read_text() == generated, \
        "docs/api-coverage.md is out of date: run .venv/bin/python scripts/api_coverage.py"
    assert "| Profile | GET | `/api/v1/profile` | yes |" in generated
