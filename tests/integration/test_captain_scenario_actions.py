"""Captain's scenarios applied while answering with a model (docs/captain.md "Scenarios"):
the enabled scenarios go into the system prompt, the reply tool offers only the tools they
name, and Captain carries out what they allow after its answer (a private note, an existing
label, a priority, resolving) or hands off when one says so. The model is the real
OpenAI-compatible adapter against a scripted server on 127.0.0.1."""
from __future__ import annotations

import json

from tests.captain_support import (ModelServer, activities, base, captain_messages, conversation, make_assistant,
                                   messages, run_captain)
from tests.integration.test_captain_answering import ask, model, use_model  # noqa: F401 - the model fixture

REFUNDS = ("When the customer wants a refund, [Add Private Note](tool://add_private_note) with what they bought, "
           "[Add Label](tool://add_label_to_conversation) `refund` and [Update Priority](tool://update_priority) high.")


def replying(answer: str, actions: list) -> dict:
    arguments = json.dumps({"answer": answer, "can_help": True, "cited_ids": ["S1"], "handoff_requested": False,
                            "language": "en", "actions": actions})
    return {"id": "c", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                        "tool_calls": [{"id": "t", "type": "function",
                                        "function": {"name": "reply", "arguments": arguments}}]}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


def scenario(api, world, assistant_id, **body):
    reply = api.post(f"{base(world)}/captain/assistants/{assistant_id}/scenarios", world.admin.token, body=body)
    assert reply.status == 200, reply.json
    return reply.json


def test_a_scenarios_actions_are_carried_out_and_only_those_it_names(api, world, website, model: ModelServer):
    from parley.services.account import labels

    labels.create(world.account_id, "refund")
    assistant = make_assistant(api, world, website.id)
    scenario(api, world, assistant["id"], title="Refunds", description="the customer wants a refund",
             instruction=REFUNDS)
    scenario(api, world, assistant["id"], title="Closing", description="never", enabled=False,
             instruction="[Resolve](tool://resolve) the conversation")
    use_model(api, world, model)
    model.script((200, replying("Refunds are possible within 30 days of delivery.", [
        {"tool": "add_private_note", "value": "Wants a refund for the blue kettle"},
        {"tool": "add_label_to_conversation", "value": "Refund"},
        {"tool": "update_priority", "value": "high"},
        {"tool": "resolve"},  # the disabled scenario's tool: not offered, not done
    ])))
    visitor = website.widget.start()
    conversation_id = ask(website, visitor, "Can I get a refund for my order?")
    run_captain()

    [request] = model.requests
    system = request["body"]["messages"][0]["content"]
    assert "Refunds: when the customer wants a refund" in system and "Closing" not in system
    offered = request["body"]["tools"][0]["function"]["parameters"]["properties"]["actions"]["items"]
    assert offered["properties"]["tool"]["enum"] == ["add_private_note", "add_label_to_conversation", "update_priority"]

    shown = conversation(api, world, conversation_id)
    assert shown["status"] == "pending" and shown["priority"] == "high" and shown["labels"] == ["refund"]
    answer, note = captain_messages(api, world, conversation_id)
    assert answer["content"] == "Refunds are possible within 30 days of delivery." and not answer["private"]
    assert note["private"] and note["content"] == "Wants a refund for the blue kettle"
    # the visitor never sees the note
    seen = [m["content"] for m in website.widget.call("GET", "messages", visitor).json["payload"]]
    assert "Wants a refund for the blue kettle" not in seen


def test_a_scenario_that_says_hand_over_hands_off_with_its_reason(api, world, website, model: ModelServer):
    assistant = make_assistant(api, world, website.id)
    scenario(api, world, assistant["id"], title="Angry", description="the customer is angry",
             instruction="Apologise, then [Handoff](tool://handoff).")
    use_model(api, world, model)
    model.script((200, replying("I'm sorry about that.", [{"tool": "handoff"}])))
    conversation_id = ask(website, website.widget.start(), "Can I get a refund for my order? This is unacceptable!")
    run_captain()
    assert conversation(api, world, conversation_id)["status"] == "open"
    [activity] = activities(api, world, conversation_id)
    assert activity["content_attributes"]["captain_handoff"]["reason"] == "scenario"


def test_a_resolving_scenario_resolves_after_the_answer_and_unknown_labels_are_skipped(api, world, website,
                                                                                       model: ModelServer):
    assistant = make_assistant(api, world, website.id)
    scenario(api, world, assistant["id"], title="Done", description="the question is fully answered",
             instruction="[Add Label](tool://add_label_to_conversation) `vip`, then [Resolve](tool://resolve).")
    use_model(api, world, model)
    model.script((200, replying("We ship to every country in the European Union.", [
        {"tool": "add_label_to_conversation", "value": "vip"},  # no such label in the account
        {"tool": "resolve", "value": ""}])))
    conversation_id = ask(website, website.widget.start(), "Where do you ship to?")
    run_captain()
    shown = conversation(api, world, conversation_id)
    assert shown["status"] == "resolved" and shown["labels"] == []
    assert [m["content"] for m in messages(api, world, conversation_id) if m["message_type"] == 1] == [
        "We ship to every country in the European Union."]


def test_the_playground_shows_what_a_scenario_would_do(api, world, website, model: ModelServer):
    from tests.integration.test_captain_playground import playground

    assistant = make_assistant(api, world, website.id)
    scenario(api, world, assistant["id"], title="Refunds", description="the customer wants a refund",
             instruction=REFUNDS)
    use_model(api, world, model)
    model.script((200, replying("Refunds are possible within 30 days of delivery.",
                                [{"tool": "update_priority", "value": "high"}, {"tool": "wire_money", "value": "1"}])))
    status, answered = playground(world.admin.token, world.account_id, assistant["id"],
                                  {"message_content": "Can I get a refund for my order?", "message_history": []})
    assert status == 200, answered
    assert answered["actions"] == [{"tool": "update_priority", "value": "high"}]
