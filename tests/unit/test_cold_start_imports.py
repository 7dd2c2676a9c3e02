"""What a function's cold start must not import (bench/cold_start.py measures the time;
docs/benchmarks.md "Cold start"): modules only some events need are imported when one of
those arrives. HttpApiFunction's route modules: tests/unit/test_http_api_route_groups.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from local.cfn import ROOT

# Powertools' batch utility builds its parser's pydantic models (SQS, Kinesis, Kafka ...)
# at import when pydantic is loaded already: consumers import parley.consumers first.
PARSER_MODELS = "aws_lambda_powertools.utilities.parser"
NOT_AT_INIT = {
    # Idempotency and its boto3 client: when a rule's first action runs. pydantic: only
    # a custom attribute's pattern needs it (services/account/custom_attributes.py).
    "automation": (PARSER_MODELS, "aws_lambda_powertools.utilities.idempotency", "boto3", "pydantic"),
    "notify": ("pydantic",),
    "ws_connect": ("pydantic",),
    "ws_message": ("pydantic",),
    # The e-mail channel (MIME parsing, the HTML sanitiser): when a mail arrives.
    "channel_ingest": (PARSER_MODELS, "parley.channels.email", "email.policy", "nh3"),
    "deliver": (PARSER_MODELS,),
    "contact_jobs": (PARSER_MODELS,),
    "account_jobs": (PARSER_MODELS,),
    "webhooks": (PARSER_MODELS,),
    # Captain: the answering rules, retrieval (numpy, the offline model), the providers
    # (httpx, Bedrock's client) and the playground's route load with the first question
    # or request, not at init.
    # Reporting: the recorder (models, business hours, rollups) with the first event it records.
    "reporting": (PARSER_MODELS, "parley.services", "parley.models.reporting", "zoneinfo"),
    "captain": (PARSER_MODELS, "parley.services.captain", "parley.llm", "numpy", "httpx", "playground", "copilot", "web",
                "parley.services.conversation"),
    # Two-factor sign-in's TOTP and QR code: on its own paths only (services/access/mfa.py).
    # pynamodb: the init imports no model (the route groups do, on first use); the audit
    # hook's request context is imported at init and must not bring the models with it.
    "http_api": ("pyotp", "segno", "pynamodb"),
    # The public help center: Markdown, the sanitiser and the search index (with PyStemmer)
    # load on the first article page or search, not at init.
    "help_center": ("markdown_it", "nh3", "Stemmer", "parley.views.article_html",
                    "parley.services.help_center.search_index", "boto3"),
}
PROBE = """
import importlib.util, json, sys
sys.path[:0] = [{layer!r}, {folder!r}]
spec = importlib.util.spec_from_file_location("app", {app!r})
app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app)
app.lambda_handler
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("function", sorted(NOT_AT_INIT))
def test_a_cold_start_leaves_out_what_only_some_events_need(function):
    folder = ROOT / "functions" / function
    code = PROBE.format(layer=str(ROOT / "layers" / "shared"), folder=str(folder), app=str(folder / "app.py"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                          cwd=folder, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    for name in NOT_AT_INIT[function]:
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], f"{function} imports {name} at init"
