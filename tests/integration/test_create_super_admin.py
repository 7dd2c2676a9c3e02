"""scripts/create_super_admin.py against a stack whose resources are this test run's tables.

CloudFormation's ListStackResources answer comes from botocore's Stubber (moto's
CloudFormation needs extras we do not install); the tables and the user service are real."""
from __future__ import annotations

import importlib.util
import os

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from local.cfn import ROOT, global_refs, load_template
from tests.conftest import Api


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("create_super_admin", ROOT / "scripts" / "create_super_admin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stub_stack(monkeypatch):
    """ListStackResources answers with every resource the functions' environment names."""
    names = {logical_id: os.environ[var] for var, logical_id in global_refs(load_template()).items()}
    client = botocore.session.get_session().create_client("cloudformation", region_name="us-east-1")
    stubber = Stubber(client)
    summaries = [{"LogicalResourceId": logical_id, "PhysicalResourceId": physical,
                  "ResourceType": "AWS::DynamoDB::Table", "LastUpdatedTimestamp": "2026-11-24T00:00:00Z",
                  "ResourceStatus": "CREATE_COMPLETE"} for logical_id, physical in names.items()]
    for _ in range(3):  # the test's own look, then two runs of the script
        stubber.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": "parley"})
    stubber.activate()
    real_client = boto3.client
    monkeypatch.setattr(boto3, "client", lambda name, **kw: client if name == "cloudformation" else real_client(name, **kw))


def test_creates_a_super_admin_in_the_stacks_tables(script, monkeypatch, capsys, aws):
    stub_stack(monkeypatch)
    env = script.stack_environment("parley", "us-east-1")
    assert env["USERS_TABLE"] == os.environ["USERS_TABLE"]
    for name in [*env, "AWS_REGION"]:  # the script writes these; put them back afterwards
        monkeypatch.setenv(name, os.environ.get(name, "us-east-1"))
    monkeypatch.setattr(script.getpass, "getpass", lambda prompt: "Str0ng-enough!")
    monkeypatch.setattr("sys.argv", ["x", "--email", "Boss@Example.com", "--name", "Boss", "--region", "us-east-1"])
    script.main()
    assert "Super admin boss@example.com created" in capsys.readouterr().out
    signed_in = Api().post("/auth/sign_in", body={"email": "boss@example.com", "password": "Str0ng-enough!"})
    assert signed_in.status == 200 and signed_in.json["data"]["type"] == "SuperAdmin"
    # A weak password or a taken email is refused with the reason.
    monkeypatch.setattr(script.getpass, "getpass", lambda prompt: "weak")
    monkeypatch.setattr("sys.argv", ["x", "--email", "other@example.com", "--name", "O"])
    with pytest.raises(SystemExit, match="Password must"):
        script.main()
