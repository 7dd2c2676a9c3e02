"""The Bedrock provider on a real bedrock-runtime client whose answers are scripted with
botocore's Stubber (moto has no Converse): the request and response shapes are the ones the
Converse and Titan Text Embeddings v2 documentation give, and the Stubber checks every
request against botocore's service model."""
from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from parley.llm.bedrock import Bedrock, messages_of
from parley.llm.port import ProviderError, Tool, Turn

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
EMBED = "amazon.titan-embed-text-v2:0"
REPLY = Tool("reply", "Answer the customer", {"type": "object", "properties": {"answer": {"type": "string"}},
                                               "required": ["answer"]})
TURNS = [Turn("assistant", "Hi! How can I help?"), Turn("user", "Where is my order?"), Turn("user", "Order 42")]


@pytest.fixture
def stubbed():
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def converse_answer(content: list, stop="end_turn", usage=(200, 40)) -> dict:
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": usage[0], "outputTokens": usage[1], "totalTokens": sum(usage)},
            "metrics": {"latencyMs": 420}}


def test_plain_answer(stubbed):
    client, stubber = stubbed
    stubber.add_response("converse", converse_answer([{"text": "It ships tomorrow."}]), {
        "modelId": MODEL, "system": [{"text": "Be kind."}],
        "messages": [{"role": "user", "content": [{"text": "Where is my order?\n\nOrder 42"}]}],
        "inferenceConfig": {"maxTokens": 500, "temperature": 0.3}})
    result = Bedrock(MODEL, EMBED, client=client).complete(system="Be kind.", turns=TURNS, temperature=0.3,
                                                           max_tokens=500)
    assert result.text == "It ships tomorrow." and result.tool_input is None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (200, 40)


def test_tool_use_is_forced_and_read(stubbed):
    client, stubber = stubbed
    expected_tools = {"tools": [{"toolSpec": {"name": "reply", "description": "Answer the customer",
                                              "inputSchema": {"json": REPLY.schema}}}],
                      "toolChoice": {"tool": {"name": "reply"}}}
    stubber.add_response("converse", converse_answer(
        [{"toolUse": {"toolUseId": "tooluse_1", "name": "reply", "input": {"answer": "Tomorrow."}}}], stop="tool_use"),
        {"modelId": MODEL, "messages": ANY, "inferenceConfig": ANY, "toolConfig": expected_tools})
    result = Bedrock(MODEL, client=client).complete(system="", turns=TURNS, tool=REPLY)
    assert result.tool_input == {"answer": "Tomorrow."}


def test_a_model_that_cannot_be_forced_to_one_tool_is_asked_with_any(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("converse", "ValidationException",
                             "This model doesn't support the toolConfig.toolChoice.tool field.", 400)
    stubber.add_response("converse", converse_answer(
        [{"toolUse": {"toolUseId": "t2", "name": "reply", "input": {"answer": "ok"}}}], stop="tool_use"),
        {"modelId": "meta.llama3-1-70b-instruct-v1:0", "messages": ANY, "inferenceConfig": ANY,
         "toolConfig": {"tools": ANY, "toolChoice": {"any": {}}}})
    result = Bedrock("meta.llama3-1-70b-instruct-v1:0", client=client).complete(system="", turns=TURNS, tool=REPLY)
    assert result.tool_input == {"answer": "ok"}


@pytest.mark.parametrize("code,reason", [("ThrottlingException", "rate_limited"),
                                         ("ModelTimeoutException", "timeout"),
                                         ("AccessDeniedException", "refused"),
                                         ("ValidationException", "bad_response"),
                                         ("ResourceNotFoundException", "unavailable"),
                                         ("ServiceUnavailableException", "unavailable"),
                                         ("ModelNotReadyException", "unavailable")])
def test_errors_map_to_reasons(stubbed, code, reason):
    client, stubber = stubbed
    stubber.add_client_error("converse", code, "scripted failure", 400 if code == "ValidationException" else 429)
    with pytest.raises(ProviderError) as caught:
        Bedrock(MODEL, client=client).complete(system="", turns=TURNS)
    assert caught.value.reason == reason


def test_a_read_timeout_is_a_timeout():
    class Slow:
        def converse(self, **params):
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    with pytest.raises(ProviderError) as caught:
        Bedrock(MODEL, client=Slow()).complete(system="", turns=TURNS)
    assert caught.value.reason == "timeout"


def test_a_tool_input_that_is_not_an_object_is_a_bad_response(stubbed):
    client, stubber = stubbed
    stubber.add_response("converse", converse_answer(
        [{"toolUse": {"toolUseId": "t3", "name": "reply", "input": ["not", "an", "object"]}}], stop="tool_use"))
    stubber.add_response("converse", converse_answer([{"text": "I would rather chat."}]))
    provider = Bedrock(MODEL, client=client)
    with pytest.raises(ProviderError) as caught:
        provider.complete(system="", turns=TURNS, tool=REPLY)
    assert caught.value.reason == "bad_response"
    # A model that answered in text despite the tool: no tool input, for the caller to judge.
    result = provider.complete(system="", turns=TURNS, tool=REPLY)
    assert result.tool_input is None and result.text == "I would rather chat."


def test_titan_v2_embeddings(stubbed):
    client, stubber = stubbed
    for text, vector in (("first", [0.1, 0.2]), ("second", [0.3, 0.4])):
        raw = json.dumps({"embedding": vector, "inputTextTokenCount": 2,
                          "embeddingsByType": {"float": vector}}).encode()
        stubber.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                              "contentType": "application/json"},
                             {"modelId": EMBED, "body": json.dumps({"inputText": text, "dimensions": 1024,
                                                                    "normalize": True}).encode(),
                              "contentType": "application/json", "accept": "application/json"})
    assert Bedrock(MODEL, EMBED, client=client).embed(["first", "second"]) == [[0.1, 0.2], [0.3, 0.4]]


def test_embeddings_count_tokens_and_cohere_is_told_a_question_from_a_document(stubbed):
    client, stubber = stubbed
    raw = json.dumps({"embedding": [0.1, 0.2], "inputTextTokenCount": 5}).encode()
    stubber.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                          "contentType": "application/json"})
    done = Bedrock(MODEL, EMBED, client=client).embeddings(["first"], query=True)
    assert (done.vectors, done.usage.input_tokens, done.calls, done.model) == ([[0.1, 0.2]], 5, 1, EMBED)
    cohere = "cohere.embed-multilingual-v3"
    for mode in ("search_query", "search_document"):
        raw = json.dumps({"embeddings": [[0.5, 0.5]], "id": "x", "texts": ["abcdefgh"]}).encode()
        stubber.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                              "contentType": "application/json"},
                             {"modelId": cohere, "body": json.dumps({"texts": ["abcdefgh"], "input_type": mode,
                                                                     "truncate": "END"}).encode(),
                              "contentType": "application/json", "accept": "application/json"})
        done = Bedrock(MODEL, cohere, client=client).embeddings(["abcdefgh"], query=mode == "search_query")
        assert (done.vectors, done.usage.input_tokens, done.calls) == ([[0.5, 0.5]], 2, 1)  # estimated: 8 chars


def test_embeddings_garbage_and_throttling(stubbed):
    client, stubber = stubbed
    raw = b"not json"
    stubber.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                          "contentType": "application/json"})
    stubber.add_client_error("invoke_model", "ThrottlingException", "Too many requests", 429)
    provider = Bedrock(MODEL, EMBED, client=client)
    with pytest.raises(ProviderError) as caught:
        provider.embed(["x"])
    assert caught.value.reason == "bad_response"
    with pytest.raises(ProviderError) as caught:
        provider.embed(["x"])
    assert caught.value.reason == "rate_limited"
    with pytest.raises(ProviderError) as caught:
        Bedrock(MODEL, client=client).embed(["x"])
    assert caught.value.reason == "unsupported"


def test_messages_start_with_the_user_and_alternate():
    assert messages_of([Turn("assistant", "Welcome"), Turn("user", "a"), Turn("assistant", ""),
                        Turn("assistant", "b"), Turn("user", "c")]) == [
        {"role": "user", "content": [{"text": "a"}]}, {"role": "assistant", "content": [{"text": "b"}]},
        {"role": "user", "content": [{"text": "c"}]}]
    with pytest.raises(ProviderError):
        messages_of([Turn("assistant", "only me")])


def test_the_client_is_made_lazily_with_bounded_timeouts(monkeypatch):
    from parley import aws

    made = []
    monkeypatch.setattr(aws, "client", lambda service, **kw: made.append((service, kw)) or object())
    provider = Bedrock(MODEL)
    assert not made
    provider.client
    assert made == [("bedrock-runtime", {"timeouts": (3.0, 25.0, 3)})]
