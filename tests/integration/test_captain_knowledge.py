"""Captain's knowledge retrieval (issue 14) through stored FAQs, help-center articles and
documents: what a search finds, that a change is used (or no longer used) by the next
question in every warm container (two "containers" = two emptied caches), that a warm
question costs one BatchGetItem, and the S3 snapshots another container loads."""
from __future__ import annotations

import json

import pytest

from parley import aws, storage
from parley.models.account_object import AccountObject
from parley.services.captain import assistants, chunks, knowledge, responses, retrievers, state

FAQS = [
    ("How do I reset my password?", "Use the 'Forgot password' link on the sign-in page."),
    ("Can I get a refund for my order?", "Refunds are possible within 30 days of delivery."),
    ("Where do you ship to?", "We ship to every country in the European Union."),
]


@pytest.fixture
def assistant(aws, world):
    knowledge.forget()
    yield assistants.create(world.account_id, {"name": "Helper", "description": "Answers"})
    knowledge.forget()


def faq(account_id, assistant, question, answer, **extra):
    return responses.create(account_id, {"question": question, "answer": answer, "assistant_id": assistant.id, **extra})


def ask(world, assistant, question, **kw):
    return knowledge.search(world.account_id, assistant, question, **kw)


def other_container():
    """A second warm container: its own cache (emptied here: what it had is gone)."""
    knowledge.forget()


class BatchGets:
    """Counts the DynamoDB BatchGetItem calls made through parley.aws."""

    def __init__(self, monkeypatch):
        self.calls = 0
        client = aws.client("dynamodb")
        real = client.batch_get_item

        def counted(**kw):
            self.calls += 1
            return real(**kw)

        monkeypatch.setattr(client, "batch_get_item", counted)


@pytest.mark.dynamodb_local
def test_approved_faqs_answer_pending_ones_do_not(world, assistant):
    for question, answer in FAQS:
        faq(world.account_id, assistant, question, answer)
    pending = faq(world.account_id, assistant, "Do you sell gift cards?", "Yes, from 10 to 500 euros.", status="pending")
    found = ask(world, assistant, "I forgot my password, how can I reset it?")
    assert found.best.kind == "faq" and found.best.title == FAQS[0][0] and found.best.text == FAQS[0][1]
    assert found.confident and 0 <= found.best.confidence <= 1
    assert all(hit.id != pending.id for hit in ask(world, assistant, "do you sell gift cards").hits)
    # stemming: "refunded ordering" finds "refund ... order"
    assert ask(world, assistant, "could my orders be refunded").best.id == \
        [i for i in responses.of_assistant(world.account_id, assistant.id) if i.data["question"] == FAQS[1][0]][0].id
    # a question the knowledge says nothing about: not confident
    assert not ask(world, assistant, "what is the weather like on mars tomorrow").confident


@pytest.mark.dynamodb_local
def test_every_change_is_used_by_the_next_question_in_every_warm_container(world, assistant):
    faq(world.account_id, assistant, *FAQS[0])
    ask(world, assistant, "reset password")            # container A warm
    other_container()
    ask(world, assistant, "reset password")            # container B warm (A's cache is B's now: both warm)
    made = faq(world.account_id, assistant, "Can I pay by bank transfer?", "Yes, to the IBAN on your invoice.")
    assert ask(world, assistant, "pay by bank transfer").best.id == made.id   # approved a moment ago: used
    responses.update(made, {"status": "pending"})
    assert all(h.id != made.id for h in ask(world, assistant, "pay by bank transfer").hits)  # unapproved
    responses.bulk(world.account_id, [made.id], "approve")
    assert ask(world, assistant, "pay by bank transfer").best.id == made.id   # bulk approve
    made = responses.get(world.account_id, made.id)
    responses.update(made, {"answer": "Only by card, sorry."})
    assert ask(world, assistant, "pay by bank transfer").best.text == "Only by card, sorry."  # edited
    responses.delete(made)
    assert all(h.id != made.id for h in ask(world, assistant, "pay by bank transfer").hits)  # deleted
    other_container()
    assert all(h.id != made.id for h in ask(world, assistant, "pay by bank transfer").hits)
    again = faq(world.account_id, assistant, "Can I pay by bank transfer?", "Yes.")
    other_container()
    assert ask(world, assistant, "pay by bank transfer").best.id == again.id
    responses.bulk(world.account_id, [again.id], "delete")
    assert all(h.id != again.id for h in ask(world, assistant, "pay by bank transfer").hits)  # bulk delete


@pytest.mark.dynamodb_local
def test_writes_bump_the_version_only_when_the_answerable_knowledge_changes(world, assistant):
    def version():
        return state.read(world.account_id, assistant.id)

    start = version()
    pending = faq(world.account_id, assistant, "Q one", "A one", status="pending")
    assert version() == start                      # a pending FAQ answers nothing
    responses.update(pending, {"question": "Q one, edited"})
    assert version() == start
    responses.update(pending, {"status": "approved"})
    assert version() == start + 1
    responses.update(pending, {"question": "Q one, edited again"})
    assert version() == start + 2
    approved = faq(world.account_id, assistant, "Q two", "A two")
    assert version() == start + 3
    other = assistants.create(world.account_id, {"name": "Other", "description": "x"})
    responses.update(approved, {"assistant_id": other.id})   # moved: both assistants change
    assert version() == start + 4 and state.read(world.account_id, other.id) == 1
    p2 = faq(world.account_id, assistant, "Q three", "A three", status="pending")
    pending = responses.get(world.account_id, pending.id)
    responses.bulk(world.account_id, [pending.id, p2.id], "approve")  # one already approved, one not
    assert version() == start + 5
    responses.bulk(world.account_id, [pending.id, p2.id], "delete")
    assert version() == start + 6
    inbox = _inbox(world.account_id, "api")
    assistants.link(assistant, inbox.id)
    assert version() == start + 7
    assistants.unlink(assistant, inbox.id)
    assert version() == start + 8


@pytest.mark.dynamodb_local
def test_a_warm_question_costs_one_batch_get(world, assistant, monkeypatch):
    portal_id, inbox = _linked_portal(world, assistant)
    faq(world.account_id, assistant, *FAQS[0])
    ask(world, assistant, "reset password")
    counter = BatchGets(monkeypatch)
    reads = []
    monkeypatch.setattr(AccountObject, "query", lambda *a, **kw: reads.append(a) or iter(()))
    monkeypatch.setattr(AccountObject, "get", lambda *a, **kw: reads.append(a))
    assert ask(world, assistant, "how do I reset my password").best.title == FAQS[0][0]
    assert counter.calls == 1 and reads == []


@pytest.mark.dynamodb_local
def test_published_articles_of_the_linked_portal_are_knowledge(world, assistant):
    from tests import help_center_support as hc
    portal_id, inbox = _linked_portal(world, assistant)
    made = hc.article(world.account_id, portal_id, "Shipping times",
                      "Parcels to **Germany** take [two days](https://acme.test/x). Express takes one day.")
    draft = hc.article(world.account_id, portal_id, "Secret roadmap", "We will launch rockets.", status="draft")
    found = ask(world, assistant, "how long does shipping to germany take")
    assert found.best.kind == "article" and found.best.id == made["id"] and "two days" in found.best.text
    assert "https://acme.test/x" not in found.best.text
    assert found.best.url.endswith(f"/articles/{made['slug']}")
    assert all(h.id != draft["id"] for h in ask(world, assistant, "roadmap rockets launch").hits)
    other_container()
    ask(world, assistant, "shipping germany")
    hc.update_article(world.account_id, portal_id, made["id"], status="draft")   # unpublished a moment ago
    assert all(h.kind != "article" for h in ask(world, assistant, "how long does shipping to germany take").hits)
    hc.update_article(world.account_id, portal_id, draft["id"], status="published")
    assert ask(world, assistant, "roadmap rockets launch").best.id == draft["id"]
    # the inbox unlinked from the assistant: its help center is no longer knowledge
    assistants.unlink(assistant, inbox.id)
    assert ask(world, assistant, "roadmap rockets launch").hits == ()


@pytest.mark.dynamodb_local
def test_a_portal_linked_to_the_inbox_later_is_seen_by_the_next_question(world, assistant):
    from parley.services.help_center import portals
    from tests import help_center_support as hc
    inbox = _inbox(world.account_id, "web_widget")
    assistants.link(assistant, inbox.id)
    faq(world.account_id, assistant, *FAQS[0])
    ask(world, assistant, "password")
    portal = portals.create(world.account_id, {"name": "Docs", "slug": "docs-later", "config": {"allowed_locales": ["en"]}})
    hc.article(world.account_id, portal.id, "Opening hours", "We are open from nine to five.")
    assert all(h.kind != "article" for h in ask(world, assistant, "opening hours").hits)
    portals.update(portal, {"inbox_id": inbox.id})
    assert ask(world, assistant, "what are your opening hours").best.kind == "article"


@pytest.mark.dynamodb_local
def test_available_documents_chunks_are_knowledge(world, assistant):
    s3 = aws.client("s3")
    s3.put_object(Bucket=storage.bucket(), Key="captain-documents/1/manual.json", Body=json.dumps({"chunks": [
        {"n": 0, "text": "The warranty covers manufacturing defects for two years.", "title": "Warranty",
         "url": "https://acme.test/manual#warranty"},
        {"n": 1, "text": "Clean the filter every month with warm water.", "title": "Care", "url": None}]}))
    for n, status in ((1, "available"), (2, "failed"), (3, "in_progress")):
        AccountObject(world.account_id, AccountObject.key_for("captain_document", n), id=n, data={
            "assistant_id": assistant.id, "name": f"Manual {n}", "external_link": "https://acme.test/manual",
            "source": "url", "status": status, "error": None, "chunks_key": "captain-documents/1/manual.json",
            "chunk_count": 2, "pages": 1, "content_length": 100}).save()
    found = ask(world, assistant, "how long is the warranty for defects")
    assert found.best.kind == "document" and found.best.id == 1
    assert found.best.title == "Warranty" and found.best.url == "https://acme.test/manual#warranty"
    assert ask(world, assistant, "how often should I clean the filter").best.text.startswith("Clean the filter")
    assert {h.id for h in found.hits} == {1}


@pytest.mark.dynamodb_local
def test_snapshots_are_shared_between_containers_and_old_ones_pruned(world, assistant, monkeypatch):
    faq(world.account_id, assistant, *FAQS[0])
    ask(world, assistant, "password")
    prefix = knowledge.snapshot_prefix(world.account_id, assistant.id)
    listed = lambda: [o["Key"] for o in aws.client("s3").list_objects_v2(  # noqa: E731
        Bucket=storage.bucket(), Prefix=prefix).get("Contents", [])]
    first = listed()
    assert len(first) == 1
    other_container()

    def no_build(*a, **kw):
        raise AssertionError("rebuilt instead of loading the snapshot")

    monkeypatch.setattr(retrievers, "build", no_build)
    assert ask(world, assistant, "reset my password").best.title == FAQS[0][0]  # loaded from S3
    monkeypatch.undo()
    faq(world.account_id, assistant, *FAQS[1])
    ask(world, assistant, "refund")
    assert len(listed()) == 1 and listed() != first   # the old snapshot went


@pytest.mark.dynamodb_local
def test_another_accounts_knowledge_is_never_found(world, assistant):
    faq(world.account_id, assistant, *FAQS[0])
    theirs = assistants.create(world.other_account_id, {"name": "Theirs", "description": "x"})
    knowledge.forget()
    assert knowledge.search(world.other_account_id, theirs, "reset password").hits == ()


@pytest.mark.dynamodb_local
def test_history_helps_a_short_follow_up_and_bounds_hold(world, assistant):
    for question, answer in FAQS:
        faq(world.account_id, assistant, question, answer)
    assert ask(world, assistant, "and to Italy?", history=["Where do you ship to?"]).best.title == FAQS[2][0]
    assert ask(world, assistant, "refund " * 5000).best.title == FAQS[1][0]   # a huge message: bounded, no error
    assert ask(world, assistant, "   ").hits == ()
    assert len(ask(world, assistant, "password refund ship", k=500).hits) <= knowledge.MAX_K


def _inbox(account_id, channel_type):
    from parley.services.inbox import inboxes
    channel = {"website_url": "https://acme.test"} if channel_type == "web_widget" else {}
    return inboxes.create_inbox(account_id, name=f"Captain {channel_type}", channel_type=channel_type, channel=channel)


def _linked_portal(world, assistant):
    from parley.services.help_center import portals
    inbox = _inbox(world.account_id, "web_widget")
    assistants.link(assistant, inbox.id)
    portal = portals.create(world.account_id, {"name": "Help", "slug": f"help-{inbox.id}", "inbox_id": inbox.id,
                                               "config": {"allowed_locales": ["en"]}})
    return portal.id, inbox


@pytest.mark.dynamodb_local
def test_the_retriever_is_an_installation_setting(world, assistant, monkeypatch):
    from parley import global_config
    faq(world.account_id, assistant, *FAQS[0])
    assert knowledge.retriever_name() == retrievers.DEFAULT
    ask(world, assistant, "password")
    global_config.update("CAPTAIN_RETRIEVER", "bm25")
    assert knowledge.retriever_name() == "bm25"
    found = ask(world, assistant, "how do I reset my password")      # the next question: the other index
    assert found.best.title == FAQS[0][0]
    assert knowledge._cache[(world.account_id, assistant.id)].key.startswith("bm25_")
    global_config.update("CAPTAIN_RETRIEVER", "no-such-thing")
    assert knowledge.retriever_name() == retrievers.DEFAULT
    monkeypatch.setattr(retrievers, "available", lambda name: name == "bm25")   # packages not installed here
    assert knowledge.retriever_name() == "bm25"
    global_config.update("CAPTAIN_CONFIDENCE_THRESHOLD", 80)
    assert knowledge.threshold() == 0.8 and ask(world, assistant, "password").threshold == 0.8


@pytest.mark.dynamodb_local
def test_a_build_reads_within_its_bounds(world, assistant, monkeypatch):
    from tests import help_center_support as hc
    for n in range(5):
        faq(world.account_id, assistant, f"Question number {n} about parcels", f"Answer {n}")
    portal_id, _ = _linked_portal(world, assistant)
    for n in range(4):
        hc.article(world.account_id, portal_id, f"Article {n}", ("Paragraph about parcels. " * 20 + "\n") * 6)
    monkeypatch.setattr(knowledge, "MAX_FAQS", 3)
    monkeypatch.setattr(knowledge, "MAX_ARTICLES", 2)
    monkeypatch.setattr(knowledge, "MAX_ARTICLE_CHARS", 1000)
    passages = knowledge._knowledge(world.account_id, assistant.id, {portal_id: 0})
    assert sum(p["kind"] == "faq" for p in passages) == 3
    assert len({p["id"] for p in passages if p["kind"] == "article"}) == 2
    assert all(len(p["text"]) <= chunks.CHUNK_MAX for p in passages if p["kind"] == "article")
    assert sum(len(p["text"]) for p in passages if p["kind"] == "article") <= 2 * 1000 + 50


@pytest.mark.dynamodb_local
def test_many_inboxes_still_check_the_versions_in_full(world, assistant, monkeypatch):
    """Past 100 keys BatchGetItem is split: every inbox's claim is still read."""
    monkeypatch.setattr(knowledge, "BATCH_KEYS", 2)
    faq(world.account_id, assistant, *FAQS[0])
    inboxes = [_inbox(world.account_id, "api") for _ in range(3)]
    for inbox in inboxes:
        assistants.link(assistant, inbox.id)
    seen = knowledge._versions(world.account_id, assistant.id, [i.id for i in inboxes], [])
    assert seen.version == state.read(world.account_id, assistant.id) == 4  # one approved FAQ, three links
    assert set(seen.linked) == {i.id for i in inboxes} and not any(seen.linked.values())
    assert seen.portal_versions == {}
    assert ask(world, assistant, "reset password").best.title == FAQS[0][0]
