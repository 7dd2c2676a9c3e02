"""What AWS would bill per 1,000 customer messages Captain answers with a model on Amazon
Bedrock, at list prices (bench/cost.py's table, us-east-1 on-demand, and Bedrock's
on-demand token prices below), from a model of the requests one answer makes.

The path of one answered message (functions/captain/app.py, services/captain/answering.py):
- the customer's `message.created` event is already on the bus (the message's own cost,
  counted by `bench cost`); the rule that sends it to CaptainQueue adds no EventBridge
  charge (one event published, any number of targets), SQS bills the send, and the batch's
  receive and delete;
- the captain function: an invocation that waits for the model (Lambda bills the wait),
  its DynamoDB reads (conversation, message, inbox link, assistant, the knowledge versions
  in one BatchGetItem, provider settings, the month's usage) and writes (the reply with its
  claim and event in one transaction, the usage ADD, the idle-resolution schedule's item);
- one Bedrock Converse call: the system prompt exactly as answering.build_prompt makes it
  (the assistant's rules, instructions and guardrails, the five retrieved pieces of
  knowledge from the benchmark's FAQs), the reply tool's schema, the last turns and the
  question in; the structured reply out;
- the reply itself is a message like any other (its delivery priced by `bench cost`).

Token counts are estimated at 4 characters a token (Bedrock's tokenisers differ by model;
English text averages 3.5 to 4.5). Retrieval runs in the function (the offline index:
no embedding call). Not counted: the free tiers, storage, logs, the index snapshot's S3 GET
(once per container per knowledge change), the outbound delivery of the reply.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from bench.cost import (DYNAMODB_READ_PER_MILLION, DYNAMODB_WRITE_PER_MILLION, LAMBDA_ARM_GB_SECOND,
                        LAMBDA_REQUEST_PER_MILLION, SQS_STANDARD_PER_MILLION)
from bench.report import print_table

MESSAGES = 1_000
CHARS_PER_TOKEN = 4.0
# Bedrock on-demand list prices, us-east-1, dollars per 1,000 tokens (input, output).
MODELS = {
    "amazon.nova-micro-v1:0": (0.000035, 0.00014),
    "amazon.nova-lite-v1:0": (0.00006, 0.00024),  # the template's CaptainBedrockModelId default
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.0008, 0.004),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": (0.003, 0.015),
}
DEFAULT_MODEL = "amazon.nova-lite-v1:0"


@dataclass(frozen=True)
class Assumptions:
    memory_mb: int = 1024           # CaptainFunction's MemorySize (template.yaml)
    model_ms: float = 1500.0        # the Converse call, waited for (a small model, ~150 output tokens)
    own_ms: float = 40.0            # retrieval on a warm index, the reads and writes, the checks
    batch_size: float = 1.0         # customer messages per SQS batch (conversations are slow: usually 1)
    history_turns: int = 4          # earlier turns the model sees (answering.HISTORY_TURNS caps at 10)
    turn_chars: int = 160           # an average turn
    question_chars: int = 80
    output_tokens: int = 150        # the reply tool's arguments: answer, flags, cited ids, language
    read_units: float = 9.0         # eventually consistent GetItems/BatchGet items of ≤ 4 KB, 0.5 RRU each: see reads()
    write_units: float = 9.0        # the reply transaction (2x its items), the usage ADD, the schedule item


def reads() -> list[tuple[str, float]]:
    """(what, RRU) of one answer in a warm container."""
    return [("conversation", 0.5), ("the customer's message", 0.5), ("inbox link", 0.5), ("assistant", 0.5),
            ("knowledge versions (BatchGetItem: state, portal claim, portal state)", 1.5), ("provider settings", 1.0),
            ("usage this month (budget)", 0.5), ("earlier messages (Query, history)", 2.0),
            ("reply claim check and human-reply check", 2.0)]


def prompt_chars() -> tuple[int, int]:
    """(system prompt characters, tool schema characters) as answering builds them, for an
    assistant with instructions, two guidelines and a guardrail, and five retrieved FAQs
    of the benchmark's data."""
    import importlib

    importlib.import_module("tests.conftest")  # the template's environment (no table is touched)
    from parley.models.account_object import AccountObject
    from parley.services.captain import answering
    from parley.services.captain.knowledge import Hit

    from bench.captain import load

    questions = load()["val"]
    intents = sorted(questions)[:5]
    hits = [Hit("faq", n, questions[name][0], answer_text(name), None, 1.0, 0.8) for n, name in enumerate(intents, 1)]
    assistant = AccountObject(1, AccountObject.key_for("captain_assistant", 1), id=1, data={
        "name": "Acme Captain", "description": "Answers Acme's customers",
        "config": {"product_name": "Acme Cloud", "instructions": "Be concise and friendly. Use the customer's name "
                                                                 "when you know it. Never promise refunds."},
        "response_guidelines": ["Answer in at most three sentences", "Link to the help center when it helps"],
        "guardrails": ["Legal or medical advice"]})
    prompt = answering.build_prompt(assistant, hits)
    return len(prompt.system), len(json.dumps(answering.TOOL.schema)) + len(answering.TOOL.description)


def answer_text(intent: str) -> str:
    """An approved answer of a typical length (about 200 characters)."""
    return (f"Here is how {intent.replace('_', ' ')} works at Acme: open Settings, choose the option you need and "
            "confirm. It takes effect at once; if anything looks wrong, reply here and we will check it for you.")


def tokens(a: Assumptions) -> tuple[int, int]:
    system, tool = prompt_chars()
    turns = a.history_turns * a.turn_chars + a.question_chars
    return math.ceil((system + tool + turns) / CHARS_PER_TOKEN), a.output_tokens


def line_items(a: Assumptions, model: str = DEFAULT_MODEL, messages: int = MESSAGES) -> list[tuple[str, str, float, float]]:
    input_tokens, output_tokens = tokens(a)
    price_in, price_out = MODELS[model]
    gbs = messages * math.ceil(a.model_ms + a.own_ms) / 1000 * a.memory_mb / 1024
    sqs = messages * (1 + 2 / a.batch_size)
    invocations = messages / a.batch_size
    rru = messages * a.read_units
    wru = messages * a.write_units
    return [
        ("Bedrock", f"{model}: input tokens ({input_tokens:,} a message)", messages * input_tokens,
         messages * input_tokens / 1000 * price_in),
        ("Bedrock", f"{model}: output tokens ({output_tokens:,} a message)", messages * output_tokens,
         messages * output_tokens / 1000 * price_out),
        ("Lambda", f"captain function: {invocations:,.0f} invocations (GB-s, the model's wait included)", gbs,
         gbs * LAMBDA_ARM_GB_SECOND + invocations * LAMBDA_REQUEST_PER_MILLION / 1e6),
        ("SQS", "requests (the rule's send; receive and delete per batch)", sqs, sqs * SQS_STANDARD_PER_MILLION / 1e6),
        ("DynamoDB", f"read request units ({a.read_units:g} a message)", rru, rru * DYNAMODB_READ_PER_MILLION / 1e6),
        ("DynamoDB", f"write request units ({a.write_units:g} a message)", wru, wru * DYNAMODB_WRITE_PER_MILLION / 1e6),
    ]


def total(a: Assumptions, model: str = DEFAULT_MODEL) -> float:
    return sum(dollars for *_, dollars in line_items(a, model))


def run(assumptions: Assumptions | None = None) -> dict:
    a = assumptions or Assumptions()
    items = line_items(a)
    grand = sum(d for *_, d in items)
    input_tokens, output_tokens = tokens(a)
    print_table(f"What AWS would bill per {MESSAGES:,} customer messages answered by Captain on Bedrock ({DEFAULT_MODEL})",
                ["service", "what", "quantity", f"$ per {MESSAGES:,}", "share"],
                [[s, what, f"{q:,.2f}" if q < 100 else f"{q:,.0f}", f"{d:.4f}", f"{d / grand:.0%}"]
                 for s, what, q, d in items] + [["total", "", "", f"{grand:.4f}", "100%"]],
                [f"tokens at {CHARS_PER_TOKEN:g} characters each: the system prompt and tool as answering.build_prompt "
                 f"makes them (5 retrieved FAQs), {a.history_turns} earlier turns of {a.turn_chars} characters and a "
                 f"{a.question_chars}-character question in ({input_tokens:,}); {output_tokens} out",
                 f"the function waits {a.model_ms:g} ms for the model and works {a.own_ms:g} ms, at {a.memory_mb} MB arm64",
                 "list prices us-east-1 on-demand; no free tier, storage or logs; the reply's own delivery not counted"])
    by_model = {model: total(a, model) for model in MODELS}
    offline = sum(d for s, _, _, d in line_items(Assumptions(model_ms=0.0)) if s != "Bedrock")
    print_table(f"Captain's bill per {MESSAGES:,} answered messages by Bedrock model ($)",
                ["model", "total", "of which the model"],
                [[model, f"{dollars:.4f}", f"{sum(d for s, _, _, d in line_items(a, model) if s == 'Bedrock'):.4f}"]
                 for model, dollars in by_model.items()],
                [f"the offline provider (retrieval only, no model call or wait): ${offline:.4f} per {MESSAGES:,}"])
    return {"total": grand, "input_tokens": input_tokens, "output_tokens": output_tokens, "by_model": by_model,
            "offline": offline}
