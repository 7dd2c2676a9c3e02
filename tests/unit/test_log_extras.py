"""Logging calls never name a LogRecord attribute in `extra`: Python raises KeyError
("Attempt to overwrite 'message' in LogRecord") the moment such a line is logged, which
in a record handler fails the record after its work is done. Tests run with the log
level at WARNING, so an INFO line like that never ran in them: deliver failed every
delivery this way on the local stack (INFO) until this check."""
from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
RESERVED = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


def test_no_logging_call_overwrites_a_log_record_attribute():
    found = []
    for path in [*ROOT.glob("functions/*/*.py"), *ROOT.glob("layers/shared/parley/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS):
                continue
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    keys = {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} {key}" for key in keys & RESERVED]
    assert not found, f"logging extras that overwrite LogRecord attributes: {found}"
