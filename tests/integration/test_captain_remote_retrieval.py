"""Captain's retrieval with the assistant's provider's embedding model (docs/captain.md
"Retrieval with the provider's embedding model"): the real OpenAI-compatible adapter against
a scripted server on 127.0.0.1 (tests/captain_support.ModelServer) and the real Bedrock
adapter on the real bedrock-runtime client whose HTTP answers are scripted (botocore's
before-send hook: the request is built, signed and the answer parsed as on AWS).

The scripted embedding model is deterministic and knows a few concepts: words of one
concept share a dimension, so "I forgot my login credentials" is near "How do I reset my
password?" without sharing a word with it (no lexical retriever could match them)."""
from __future__ import annotations

import dataclasses
import io
import json
import logging
import math

import pytest

from parley import aws, global_config, storage
from parley.services.captain import assistants, knowledge, providers, responses, retrievers, usage
from tests.captain_support import ModelServer, base, use_provider

FAQS = [
    ("How do I reset my password?", "Open Settings, then Security, and choose Reset password."),
    ("Can I get a refund for my order?", "Refunds are possible within 30 days of delivery."),
    ("Where do you ship to?", "We ship to every country in the European Union."),
]
CONCEPTS = {"password": 0, "credentials": 0, "login": 0, "sign-in": 0, "refund": 1, "reimburse": 1, "money": 1,
            "ship": 2, "deliver": 2, "countries": 2, "country": 2, "abroad": 2}
DIMENSIONS = 8
PARAPHRASE = "I forgot my login credentials"  # no word in common with FAQS[0]'s question


def vector(text: str) -> list[float]:
    v = [0.0] * DIMENSIONS
    v[-1] = 0.01  # never the zero vector
    for word in text.lower().replace("?", " ").replace(".", " ").split():
        if word in CONCEPTS:
            v[CONCEPTS[word]] += 1.0
    return v


def tokens(texts) -> int:
    return sum(len(t.split()) for t in texts)


def embeddings_answer(body: dict):
    """/v1/embeddings as OpenAI documents it; anything else is a 400."""
    texts = body.get("input")
    if not isinstance(texts, list):
        return 400, {"error": {"message": "not an embeddings request"}}
    return 200, {"object": "list", "model": body["model"],
                 "data": [{"object": "embedding", "index": i, "embedding": vector(t)} for i, t in enumerate(texts)],
                 "usage": {"prompt_tokens": tokens(texts), "total_tokens": tokens(texts)}}


@pytest.fixture
def server(aws):
    model = ModelServer(embeddings_answer)
    yield model
    model.close()


@pytest.fixture
def assistant(aws, world):
    made = assistants.create(world.account_id, {"name": "Helper", "description": "Answers"})
    for question, answer in FAQS:
        responses.create(world.account_id, {"question": question, "answer": answer, "assistant_id": made.id})
    knowledge.forget()
    yield made
    knowledge.forget()


def use_endpoint(api, world, server, **extra):
    global_config.update("CAPTAIN_PRIVATE_MODEL_ADDRESSES", True)  # the super admin allows self-hosted models
    use_provider(api, world, provider="openai_compatible", base_url=server.url, chat_model="chat-test",
                 embedding_model="embed-test", allow_private_address=True, **extra)


def embedding_requests(server) -> list[dict]:
    return [r for r in server.requests if r["path"].endswith("/embeddings")]


def snapshots(world, assistant) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=storage.bucket(),
                                              Prefix=knowledge.snapshot_prefix(world.account_id, assistant.id))
    return [entry["Key"] for entry in listed.get("Contents") or ()]


def expected_confidence(raw: float, pivot: float = retrievers.DEFAULT_REMOTE_PIVOT) -> float:
    return round(retrievers.calibrated("remote", raw, pivot), 4)


def test_the_providers_embeddings_rank_the_right_faq(api, world, server, assistant):
    use_endpoint(api, world, server)
    found = knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert found.retriever == "remote"
    assert found.best.kind == "faq" and found.best.title == FAQS[0][0] and found.best.text == FAQS[0][1]
    # no word in common (coverage 0): the confidence is the cosine's share alone, calibrated on the pivot
    assert found.confident and found.best.confidence == pytest.approx(
        expected_confidence(retrievers.HYBRID_WEIGHT * 1.0), abs=2e-3)
    assert knowledge.search(world.account_id, assistant, "Do you deliver abroad?").best.title == FAQS[2][0]
    assert not knowledge.search(world.account_id, assistant, "What is the weather on Mars?").confident
    # the knowledge was embedded once (one batch, the FAQs' questions), then one call a question
    calls = embedding_requests(server)
    assert calls[0]["body"]["model"] == "embed-test" and sorted(calls[0]["body"]["input"]) == sorted(q for q, _ in FAQS)
    assert [c["body"]["input"] for c in calls[1:]] == [[PARAPHRASE], ["Do you deliver abroad?"],
                                                       ["What is the weather on Mars?"]]


def test_a_warm_container_uses_its_snapshot_and_another_container_loads_it(api, world, server, assistant):
    use_endpoint(api, world, server)
    knowledge.search(world.account_id, assistant, PARAPHRASE)
    [stored] = snapshots(world, assistant)
    assert "-e" in stored.rsplit("/", 1)[-1]  # the key names the embedding model
    knowledge.forget()  # another container: loads the snapshot, embeds only the question
    before = len(embedding_requests(server))
    assert knowledge.search(world.account_id, assistant, PARAPHRASE).best.title == FAQS[0][0]
    assert [c["body"]["input"] for c in embedding_requests(server)[before:]] == [[PARAPHRASE]]


def test_changing_the_embedding_model_rebuilds_and_the_chat_model_does_not(api, world, server, assistant):
    use_endpoint(api, world, server)
    knowledge.search(world.account_id, assistant, PARAPHRASE)
    [first] = snapshots(world, assistant)
    use_provider(api, world, chat_model="another-chat-model")
    knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert snapshots(world, assistant) == [first]
    assert [c["body"]["input"] for c in embedding_requests(server)[-1:]] == [[PARAPHRASE]]
    use_provider(api, world, embedding_model="embed-test-2")
    found = knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert found.retriever == "remote" and found.best.title == FAQS[0][0]
    rebuilt = [c["body"] for c in embedding_requests(server) if c["body"]["model"] == "embed-test-2"]
    assert sorted(rebuilt[0]["input"]) == sorted(q for q, _ in FAQS) and rebuilt[1]["input"] == [PARAPHRASE]
    [second] = snapshots(world, assistant)  # the old model's snapshot is pruned
    assert second != first
    # and back to the offline provider: the offline index, no more calls
    use_provider(api, world, provider="offline")
    calls = len(server.requests)
    found = knowledge.search(world.account_id, assistant, "How can I reset my password?")
    assert found.retriever == knowledge.retriever_name() and found.best.title == FAQS[0][0]
    assert len(server.requests) == calls


def test_an_approved_faq_is_embedded_alone(api, world, server, assistant):
    use_endpoint(api, world, server)
    knowledge.search(world.account_id, assistant, PARAPHRASE)
    made = responses.create(world.account_id, {"question": "Can I get my money back?", "answer": "Yes, within 30 days.",
                                               "assistant_id": assistant.id})
    before = len(embedding_requests(server))
    found = knowledge.search(world.account_id, assistant, "money")
    assert [c["body"]["input"] for c in embedding_requests(server)[before:]] == [["Can I get my money back?"],
                                                                                 ["money"]]
    assert {h.id for h in found.hits[:2]} >= {made.id}


def test_a_provider_error_on_a_question_falls_back_to_the_offline_retriever(api, world, server, assistant, caplog):
    use_endpoint(api, world, server)
    knowledge.search(world.account_id, assistant, PARAPHRASE)  # the index is built
    server.script((500, {"error": {"message": "overloaded"}}))
    caplog.set_level(logging.WARNING, logger="parley.services.captain.knowledge")
    found = knowledge.search(world.account_id, assistant, "How can I reset my password?")
    assert found.retriever == knowledge.retriever_name()  # the offline retriever answered
    assert found.best.title == FAQS[0][0] and found.confident
    assert any("embedding model failed on a question" in r.getMessage() and "unavailable" in r.getMessage()
               for r in caplog.records)
    # the server is back: the same index (no rebuild), the provider's ranking again
    server.script(embeddings_answer)
    calls = len(embedding_requests(server))
    assert knowledge.search(world.account_id, assistant, PARAPHRASE).retriever == "remote"
    assert len(embedding_requests(server)) == calls + 1


def test_a_provider_error_while_indexing_falls_back_and_is_retried_later(api, world, server, assistant, caplog,
                                                                         monkeypatch):
    use_endpoint(api, world, server)
    server.script((429, {"error": {"message": "slow down"}}))
    caplog.set_level(logging.WARNING, logger="parley.services.captain.knowledge")
    found = knowledge.search(world.account_id, assistant, "How can I reset my password?")
    assert found.retriever == knowledge.retriever_name() and found.best.title == FAQS[0][0]
    assert any("while indexing" in r.getMessage() and "rate_limited" in r.getMessage() for r in caplog.records)
    tried = len(server.requests)
    server.script(embeddings_answer)
    knowledge.search(world.account_id, assistant, "How can I reset my password?")
    assert len(server.requests) == tried  # left alone for EMBED_RETRY_SECONDS
    monkeypatch.setattr(knowledge, "EMBED_RETRY_SECONDS", 0.0)
    assert knowledge.search(world.account_id, assistant, PARAPHRASE).retriever == "remote"


def test_the_playground_answers_through_the_providers_embeddings_and_counts_them(api, world, server, assistant):
    """The whole path (the captain function's playground): a question only the provider's
    embeddings can match is answered (the chat model is asked; the scripted server answers
    it), and every embedding call is in the account's usage with its tokens and cost."""
    from tests.captain_support import tool_reply
    from tests.integration.test_captain_playground import playground

    def answer(body):
        if "input" in body:
            return embeddings_answer(body)
        return 200, tool_reply("Go to Settings, then Security.", usage=(100, 20))

    server.script(answer)
    use_endpoint(api, world, server)
    status, body = playground(world.admin.token, world.account_id, assistant.id,
                              {"message_content": PARAPHRASE, "message_history": []})
    assert status == 200, body
    assert body["handoff"] is None and body["response"] == "Go to Settings, then Security."
    assert body["sources"][0]["title"] == FAQS[0][0]
    [month] = usage.of_month(world.account_id, usage.month_of())
    embedded = tokens([q for q, _ in FAQS]) + tokens([PARAPHRASE])
    assert int(month.calls) == 3  # the knowledge (one batch), the question, the chat model
    assert int(month.input_tokens) == embedded + 100 and int(month.output_tokens) == 20
    # the embedding model is priced as an unknown model (3.00 per million input tokens)
    assert int(month.cost_micro_usd) == round(embedded * 3.0) + usage.cost_micro_usd("gpt-4o-mini", 100, 20)  # the model the answer names
    assert int(month.answers or 0) == 0  # a playground question is no customer's answer
    shown = api.get(f"{base(world)}/captain/usage", world.admin.token).json
    assert shown["current"]["total"]["calls"] == 3


def test_the_pivot_is_configured_per_model(api, world, server, assistant):
    use_endpoint(api, world, server)
    raw = retrievers.HYBRID_WEIGHT * 1.0
    global_config.update("CAPTAIN_EMBEDDING_PIVOT", "45, other-model=20")
    assert knowledge.embedding_pivot("embed-test") == 0.45 and knowledge.embedding_pivot("other-model") == 0.20
    found = knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert found.best.confidence == pytest.approx(expected_confidence(raw, 0.45), abs=2e-3)
    global_config.update("CAPTAIN_EMBEDDING_PIVOT", "embed-test=75")  # stricter than this match: handed off
    found = knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert found.best.confidence == pytest.approx(expected_confidence(raw, 0.75), abs=2e-3) and not found.confident
    for unreadable in ("", "x", "embed-test=0", "150"):
        global_config.update("CAPTAIN_EMBEDDING_PIVOT", unreadable)
        assert knowledge.embedding_pivot("embed-test") == retrievers.DEFAULT_REMOTE_PIVOT


# ---------------------------------------------------------------- Bedrock

class ScriptedBedrock:
    """bedrock-runtime's HTTP answers for InvokeModel on Titan Text Embeddings v2, from the
    request's own body ({inputText, dimensions, normalize} -> {embedding,
    inputTextTokenCount}); `failing` answers ThrottlingException instead."""

    def __init__(self):
        from parley.llm import bedrock

        self.client = aws.client("bedrock-runtime", timeouts=(bedrock.CONNECT_TIMEOUT, bedrock.READ_TIMEOUT,
                                                              bedrock.ATTEMPTS))
        self.requests: list[dict] = []
        self.failing = False
        self.client.meta.events.register_first("before-send.bedrock-runtime.InvokeModel", self.answer)

    def answer(self, request, **_):
        from botocore.awsrequest import AWSResponse

        body = json.loads(request.body)
        self.requests.append({"url": request.url, "body": body})
        if self.failing:
            raw = json.dumps({"message": "Too many requests"}).encode()
            headers = {"x-amzn-ErrorType": "ThrottlingException", "content-type": "application/json"}
            return AWSResponse(request.url, 429, headers, _Raw(raw))
        v = vector(body["inputText"])
        norm = math.sqrt(sum(x * x for x in v))
        raw = json.dumps({"embedding": [x / norm for x in v],
                          "inputTextTokenCount": tokens([body["inputText"]])}).encode()
        return AWSResponse(request.url, 200, {"content-type": "application/json", "content-length": str(len(raw))},
                           _Raw(raw))

    def close(self):
        self.client.meta.events.unregister("before-send.bedrock-runtime.InvokeModel", self.answer)


class _Raw(io.BytesIO):
    """An HTTP body as botocore reads it: streamed (`stream`) or read (a blob output)."""

    def stream(self, **_):
        yield self.getvalue()


@pytest.fixture
def bedrock(aws):
    scripted = ScriptedBedrock()
    yield scripted
    scripted.close()


def test_bedrock_titan_embeddings_rank_count_and_fall_back(api, world, bedrock, assistant, monkeypatch, caplog):
    from parley.llm.bedrock import ATTEMPTS

    use_provider(api, world, provider="bedrock", embedding_model="amazon.titan-embed-text-v2:0")
    found = knowledge.search(world.account_id, assistant, PARAPHRASE)
    assert found.retriever == "remote" and found.best.title == FAQS[0][0] and found.confident
    # Titan v2 takes one text a call: the three questions, then the customer's
    assert [r["body"]["inputText"] for r in bedrock.requests[3:]] == [PARAPHRASE]
    assert sorted(r["body"]["inputText"] for r in bedrock.requests[:3]) == sorted(q for q, _ in FAQS)
    assert all(r["body"]["dimensions"] == 1024 and r["body"]["normalize"] is True for r in bedrock.requests)
    assert all("/model/amazon.titan-embed-text-v2%3A0/invoke" in r["url"] for r in bedrock.requests)
    [month] = usage.of_month(world.account_id, usage.month_of())
    embedded = tokens([q for q, _ in FAQS]) + tokens([PARAPHRASE])
    assert (int(month.calls), int(month.input_tokens)) == (4, embedded)
    assert int(month.cost_micro_usd) == usage.cost_micro_usd("amazon.titan-embed-text-v2:0", embedded, 0)
    # throttled on a question (after botocore's retries): the offline retriever answers
    monkeypatch.setattr("time.sleep", lambda s: None)  # botocore's backoff between its attempts
    bedrock.failing = True
    caplog.set_level(logging.WARNING, logger="parley.services.captain.knowledge")
    asked = len(bedrock.requests)
    found = knowledge.search(world.account_id, assistant, "How can I reset my password?")
    assert found.retriever == knowledge.retriever_name() and found.best.title == FAQS[0][0]
    assert len(bedrock.requests) - asked == ATTEMPTS  # the first call and its retries, in all
    assert any("rate_limited" in r.getMessage() for r in caplog.records)
    # the deployment's default embedding model counts as configured for Bedrock
    bedrock.failing = False
    use_provider(api, world, embedding_model=None)
    settings, _, _ = providers.effective(world.account_id, assistant.id)
    deployed = providers.get_settings()
    for model in ("amazon.titan-embed-text-v2:0", ""):  # the template parameter CaptainBedrockEmbeddingModelId
        monkeypatch.setattr(providers, "get_settings",
                            lambda: dataclasses.replace(deployed, captain_bedrock_embedding_model_id=model))
        assert providers.embedding_of(settings) == (("bedrock", "", model) if model else None)
