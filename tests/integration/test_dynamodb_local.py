"""The [dynamodb-local] variant really talks to DynamoDB Local (tests/dynamodb_local.py):
every client's requests land there and none in moto, and each test starts on empty tables."""
from __future__ import annotations

import os

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from local.cfn import TEMPLATE, Resolver, _of_type, load_template, table_names
from tests.conftest import PARAMETERS, LambdaContext, load_function

pytestmark = pytest.mark.dynamodb_local


def on_dynamodb_local(request) -> bool:
    return request.node.callspec.params["aws"] == "dynamodb-local"


def moto_tables() -> dict:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables


def template_tables() -> set[str]:
    resolver = Resolver(load_template(TEMPLATE), "test", PARAMETERS, {})
    return {resolver.physical_name(logical_id) for logical_id in _of_type(load_template(TEMPLATE), "AWS::DynamoDB::Table")}


def test_each_test_starts_on_empty_tables(request, aws):
    from parley import global_config

    if on_dynamodb_local(request):
        engine = request.getfixturevalue("dynamodb_local_engine")
        tables = table_names(engine.client)
        assert template_tables() <= tables  # beside them, the e2e tests' own (other prefixes)
        for name in template_tables():  # nothing left by the tests this worker ran before
            # ... but the installation config's defaults, which the `aws` fixture seeds
            seeded = len(global_config.defaults()) if name.endswith("InstallationConfigTable") else 0
            assert engine.client.scan(TableName=name, Select="COUNT")["Count"] == seeded, name
        assert moto_tables() == {}
    else:
        assert set(moto_tables()) == template_tables()


def test_models_transactions_and_import_time_clients_reach_the_engine(request, aws):
    from parley.services.access import users

    user = users.create_user(email="harness@parley.test", name="Harness")  # a pynamodb transaction
    automation = load_function("automation")  # its boto3 client is made on the first step, then kept
    automation._once("harness-step", lambda: None, LambdaContext())
    table, idempotency = os.environ["USERS_TABLE"], os.environ["IDEMPOTENCY_TABLE"]
    endpoint = request.getfixturevalue("dynamodb_local_engine").endpoint if on_dynamodb_local(request) else None
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint)
    item = client.get_item(TableName=table, Key={"id": {"N": str(user.id)}})["Item"]
    assert item["email"] == {"S": "harness@parley.test"}
    assert client.scan(TableName=idempotency, Select="COUNT")["Count"] == 1
    if on_dynamodb_local(request):
        assert moto_tables() == {}  # nothing reached moto


def test_clients_with_other_credentials_see_the_same_tables(request, aws):
    """The engine's cleanup client is made once per worker, possibly outside moto's mock
    (whose fake keys the tests' clients sign with): DynamoDB Local must keep one database
    for every access key and region (-sharedDb), or the cleanup empties other, empty
    tables and every later test finds the last one's items."""
    if not on_dynamodb_local(request):
        pytest.skip("a DynamoDB Local property")
    from parley.services.access import users

    user = users.create_user(email="keys@parley.test", name="Keys")
    engine = request.getfixturevalue("dynamodb_local_engine")
    stranger = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="eu-west-1",
                            aws_access_key_id="AnotherKey", aws_secret_access_key="AnotherSecret")
    item = stranger.get_item(TableName=os.environ["USERS_TABLE"], Key={"id": {"N": str(user.id)}}).get("Item")
    assert item is not None and item["email"] == {"S": "keys@parley.test"}
