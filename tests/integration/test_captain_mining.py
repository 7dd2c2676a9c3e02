"""FAQs proposed from resolved conversations (docs/captain.md): a conversation of an inbox
with an assistant, answered by a person and resolved, reaches the captain function
(conversation.status_changed through the bus and CaptainQueue); the assistant's model (the
real OpenAI-compatible adapter against a scripted server on 127.0.0.1) proposes FAQs from
its public messages; what survives the checks is stored pending, once per resolution."""
from __future__ import annotations

import json

import pytest

from tests.captain_support import ModelServer, base, make_assistant, run_captain
from tests.integration.test_captain_answering import ask, model, use_model  # noqa: F401 - the model fixture


def proposing(*faqs) -> dict:
    arguments = json.dumps({"faqs": [{"question": q, "answer": a} for q, a in faqs]})
    return {"id": "c", "object": "chat.completion", "model": "gpt-4o-mini", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t", "type": "function", "function": {"name": "propose_faqs", "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340}}


def pending(api, world) -> list[dict]:
    reply = api.get(f"{base(world)}/captain/assistant_responses", world.admin.token, query={"status": "pending"})
    return reply.json["payload"]


def resolve(api, world, conversation_id):
    reply = api.post(f"{base(world)}/conversations/{conversation_id}/toggle_status", world.admin.token,
                     body={"status": "resolved"})
    assert reply.status == 200, reply.json


def answered_by_a_person(api, world, website, question, answer) -> int:
    conversation_id = ask(website, website.widget.start(), question)
    run_captain()  # Captain hands off: nothing it knows
    reply = api.post(f"{base(world)}/conversations/{conversation_id}/messages", world.admin.token,
                     body={"content": answer})
    assert reply.status == 200, reply.json
    return conversation_id


def test_a_resolved_conversation_proposes_pending_faqs_once(api, world, website, model: ModelServer):
    make_assistant(api, world, website.id)
    use_model(api, world, model)
    conversation_id = answered_by_a_person(
        api, world, website, "Do you sell gift cards? I am talking to a human please",
        "Yes: gift cards from 10 to 200 euros, at https://acme.example/gift. Yours is order 8812345.")
    model.script((200, proposing(
        ("Do you sell gift cards?", "Yes, from 10 to 200 euros, at https://acme.example/gift."),
        ("What is my order number?", "Your order is 8812345."),  # personal: dropped
        ("Where do I buy them?", "At https://elsewhere.example/now."),  # a link the team never wrote
        ("How do I reset my password?", "Open Settings."))))  # the assistant has it already
    model.requests.clear()
    resolve(api, world, conversation_id)
    run_captain()
    [asked] = model.requests
    data = asked["body"]["messages"][1]["content"]
    assert data.startswith("<conversation>\n") and "Team: Yes: gift cards" in data and "Customer: Do you sell" in data
    assert asked["body"]["tool_choice"]["function"]["name"] == "propose_faqs"
    assert [(f["question"], f["answer"]) for f in pending(api, world)] == [
        ("Do you sell gift cards?", "Yes, from 10 to 200 euros, at https://acme.example/gift.")]
    # The same resolution delivered again, or resolved again with nothing new said: no second call.
    api.post(f"{base(world)}/conversations/{conversation_id}/toggle_status", world.admin.token, body={"status": "open"})
    resolve(api, world, conversation_id)
    run_captain()
    assert len(model.requests) == 1
    usage = api.get(f"{base(world)}/captain/usage", world.admin.token).json
    assert usage["current"]["total"]["input_tokens"] >= 300  # the proposal's call is counted


@pytest.mark.parametrize("who_answered", ["captain_only", "offline_model"])
def test_nothing_is_asked_without_a_persons_answer_or_a_model(api, world, website, model: ModelServer, who_answered):
    make_assistant(api, world, website.id)
    if who_answered == "offline_model":
        conversation_id = answered_by_a_person(api, world, website, "Do you sell gift cards? a human please",
                                               "Yes, from 10 to 200 euros.")
    else:
        use_model(api, world, model)
        model.script((200, proposing(("Q", "A"))))
        conversation_id = ask(website, website.widget.start(), "How can I reset my password?")
        run_captain()  # Captain's answer is not a person's
        model.requests.clear()
    resolve(api, world, conversation_id)
    run_captain()
    assert pending(api, world) == [] and model.requests == []
