"""tests/moto_speed.py writes DynamoDB AttributeValues as they are: the responses must be
byte for byte what moto's generic serializer gives, for every AttributeValue type."""
from __future__ import annotations

import json

import boto3
from moto import mock_aws
from moto.core.serialize import BaseJSONSerializer

from tests import moto_speed

KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}
ITEM = {**KEY, "m": {"M": {"x": {"L": [{"S": "y"}, {"N": "2.5"}, {"NULL": True}, {"BOOL": False}]},
                         "b": {"B": b"\x00\x01"}}},
        "ss": {"SS": ["p", "q"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"zz"]}, "empty": {"S": ""}}


def _responses() -> str:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "N"}])
        client.put_item(TableName="t", Item=ITEM)
        answers = [
            client.get_item(TableName="t", Key=KEY),
            client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}),
            client.update_item(TableName="t", Key=KEY, UpdateExpression="ADD n :one", ReturnValues="ALL_NEW",
                               ExpressionAttributeValues={":one": {"N": "3"}}),
            client.batch_get_item(RequestItems={"t": {"Keys": [KEY]}}),
        ]
        try:
            client.transact_write_items(TransactItems=[{"ConditionCheck": {
                "TableName": "t", "Key": KEY, "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
        except client.exceptions.TransactionCanceledException as exc:
            answers.append({"reasons": exc.response["CancellationReasons"]})
        for answer in answers:
            answer.pop("ResponseMetadata", None)
        return json.dumps(answers, default=lambda value: value.hex() if isinstance(value, bytes) else repr(value),
                          sort_keys=True)


def test_the_fast_path_answers_exactly_as_the_generic_serializer(monkeypatch):
    fast = _responses()
    assert BaseJSONSerializer._serialize_type_structure is moto_speed._attribute_value_as_is  # conftest applied it
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", moto_speed._generic)
    assert _responses() == fast
    assert '"B": "0001"' in fast and '"reasons"' in fast  # binary and a cancellation were compared too
