"""One AWS client factory and one reader of the environment (docs/architecture.md)."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "layers" / "shared" / "parley").rglob("*.py")), *sorted((ROOT / "functions").rglob("*.py"))]


def _calls(path: Path, root: Path = ROOT) -> list[str]:
    """Every `os.environ`, `os.getenv`, `boto3.client` and `boto3.resource` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
            if name in ("os.environ", "os.getenv", "boto3.client", "boto3.resource", "boto3.Session"):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    return found


def test_only_settings_reads_the_environment_and_only_aws_makes_clients():
    allowed = {"layers/shared/parley/settings.py": {"os.environ"}, "layers/shared/parley/aws.py": {"boto3.client"}}
    offending = [hit for path in SOURCES for hit in _calls(path)
                 if hit.split(" ")[1] not in allowed.get(str(path.relative_to(ROOT)), set())]
    assert offending == []


def test_the_rule_above_sees_a_violation(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import os, boto3\nq = os.environ['Q']\nc = boto3.client('sqs')\n")
    assert [hit.split(" ")[1] for hit in _calls(sneaky, tmp_path)] == ["os.environ", "boto3.client"]


def test_one_client_per_service_and_endpoint(aws):
    from parley import aws as factory

    assert factory.client("sqs") is factory.client("sqs")
    assert factory.client("sqs").meta.region_name == "us-east-1"
    other = factory.client("s3", endpoint_url="http://127.0.0.1:9")
    assert other is not factory.client("s3") and other.meta.endpoint_url == "http://127.0.0.1:9"
    presigned = factory.client("s3", endpoint_url="http://127.0.0.1:9", presigning=True)
    url = presigned.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert url.startswith("http://127.0.0.1:9/b/k?") and "X-Amz-Signature" in url  # path-style SigV4


def test_a_queue_ref_is_a_url_on_aws_and_a_name_locally(aws):
    from parley import aws as factory
    from parley.settings import get_settings

    name = get_settings().contact_jobs_queue
    assert "://" not in name  # the tests resolve a Ref to the name, as the local stack does
    url = factory.queue_url(name)
    assert url == factory.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    assert factory.queue_url(url) == url


def test_a_variable_a_function_was_not_given_is_named():
    from parley.settings import get_settings

    settings = dataclasses.replace(get_settings(), mail_bucket="")
    with pytest.raises(RuntimeError, match="MAIL_BUCKET"):
        settings.required("mail_bucket")
    assert dataclasses.replace(settings, mail_bucket="m").required("mail_bucket") == "m"


def test_the_scheduled_function_targets_itself_without_writing_the_environment(monkeypatch):
    from parley import schedules
    from parley.settings import get_settings

    own_environment = dataclasses.replace(get_settings(), scheduled_function_arn="")
    monkeypatch.setattr(schedules, "_own_arn", "")
    with pytest.raises(RuntimeError, match="SCHEDULED_FUNCTION_ARN"):
        schedules._target_arn(own_environment)
    schedules.target_self("arn:aws:lambda:us-east-1:123456789012:function:parley-Scheduled:live")
    assert schedules._target_arn(own_environment) == "arn:aws:lambda:us-east-1:123456789012:function:parley-Scheduled"
