"""The dashboard's Captain section: an administrator creates an assistant with its config,
guidelines and guardrails, links it to an inbox and unlinks it, adds FAQs, filters and
searches them, approves pending ones in bulk and deletes in bulk; a custom role granting
knowledge_base_manage reaches the FAQs (never the assistants), a plain agent neither."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .pages import api, tag


def test_admin_builds_an_assistant_and_curates_its_faqs(admin, stack, seed):
    page = admin.page
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    base = f"/api/v1/accounts/{account}/captain"
    name = f"Ava {tag()}"
    inbox = api(stack, "GET", f"/api/v1/accounts/{account}/inboxes", token)["payload"][0]
    assistant_id = None
    try:
        page.get_by_test_id("nav-captain").click()
        expect(page).to_have_url(re.compile(rf"/app/accounts/{account}/captain/assistants$"))
        page.get_by_test_id("captain-assistant-new").click()
        page.get_by_test_id("captain-assistant-name").fill(name)
        page.get_by_test_id("captain-assistant-description").fill("Answers billing questions")
        page.get_by_test_id("captain-assistant-product").fill("Acme Cloud")
        page.get_by_test_id("captain-assistant-temperature").fill("0.3")
        page.get_by_test_id("captain-assistant-feature-memory").check()
        page.get_by_test_id("captain-assistant-handoff").fill("A person will take it from here.")
        page.get_by_test_id("captain-guidelines-add").click()
        page.get_by_test_id("captain-guidelines-input-0").fill("Keep answers short")
        page.get_by_test_id("captain-guardrails-add").click()
        page.get_by_test_id("captain-guardrails-input-0").fill("Legal advice")
        page.get_by_test_id("captain-assistant-save").click()
        expect(page).to_have_url(re.compile(rf"/captain/assistants/\d+$"))
        assistant_id = int(page.url.rsplit("/", 1)[1])

        stored = api(stack, "GET", f"{base}/assistants/{assistant_id}", token)
        assert stored["name"] == name and stored["description"] == "Answers billing questions"
        assert stored["config"]["temperature"] == 0.3 and stored["config"]["feature_memory"] is True
        assert stored["config"]["product_name"] == "Acme Cloud"
        assert stored["config"]["handoff_message"] == "A person will take it from here."
        assert stored["response_guidelines"] == ["Keep answers short"] and stored["guardrails"] == ["Legal advice"]

        # Edited: a guardrail removed, a guideline added; survives a reload.
        page.get_by_test_id("captain-guardrails-remove-0").click()
        page.get_by_test_id("captain-guidelines-add").click()
        page.get_by_test_id("captain-guidelines-input-1").fill("Cite the FAQ")
        page.get_by_test_id("captain-assistant-save").click()
        expect(page.get_by_test_id("captain-assistant-saved")).to_be_visible()
        page.reload()
        expect(page.get_by_test_id("captain-guidelines-line")).to_have_count(2)
        expect(page.get_by_test_id("captain-guardrails-line")).to_have_count(0)

        # Linked to an inbox, then unlinked.
        page.get_by_test_id("captain-inbox-choice").select_option(str(inbox["id"]))
        page.get_by_test_id("captain-inbox-link").click()
        expect(page.get_by_test_id("captain-inbox-row")).to_have_count(1)
        linked = api(stack, "GET", f"{base}/assistants/{assistant_id}/inboxes", token)["payload"]
        assert [i["id"] for i in linked] == [inbox["id"]]
        page.get_by_test_id(f"captain-inbox-unlink-{inbox['id']}").click()
        page.get_by_test_id(f"captain-inbox-unlink-{inbox['id']}-confirm").click()
        expect(page.get_by_test_id("captain-inboxes-empty")).to_be_visible()
        assert api(stack, "GET", f"{base}/assistants/{assistant_id}/inboxes", token)["payload"] == []

        # FAQs: two pending (as Captain proposes them) through the API, one added here.
        for q in ("How do refunds work?", "Do you ship abroad?"):
            api(stack, "POST", f"{base}/assistant_responses", token,
                {"question": q, "answer": "See our policy.", "assistant_id": assistant_id, "status": "pending"})
        page.get_by_test_id("captain-nav-faqs").click()
        page.get_by_test_id("captain-faq-filter-assistant").select_option(str(assistant_id))
        expect(page).to_have_url(re.compile(rf"assistant_id={assistant_id}"))
        page.get_by_test_id("captain-faq-question").fill("What are your hours?")
        page.get_by_test_id("captain-faq-answer").fill("Nine to five, Monday to Friday.")
        page.get_by_test_id("captain-faq-assistant").select_option(str(assistant_id))
        page.get_by_test_id("captain-faq-save").click()
        rows = page.get_by_test_id("captain-faq-row")
        expect(rows).to_have_count(3)

        page.get_by_test_id("captain-faq-filter-status").select_option("pending")
        expect(rows).to_have_count(2)
        page.get_by_test_id("captain-faq-select-all").check()
        expect(page.get_by_test_id("captain-faq-selected-count")).to_have_text("2 selected")
        page.get_by_test_id("captain-faq-bulk-approve").click()
        expect(page.get_by_test_id("captain-faqs-empty")).to_be_visible()
        listed = api(stack, "GET", f"{base}/assistant_responses?assistant_id={assistant_id}", token)
        assert listed["meta"]["total_count"] == 3
        assert {r["status"] for r in listed["payload"]} == {"approved"}

        # The search finds one; it is deleted through the bulk action, asked first.
        page.get_by_test_id("captain-faq-filter-status").select_option("")
        page.get_by_test_id("captain-faq-search").fill("refunds")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("How do refunds work?")
        page.get_by_test_id("captain-faq-select-all").check()
        page.get_by_test_id("captain-faq-bulk-delete").click()
        page.get_by_test_id("captain-faq-bulk-delete-confirm").click()
        expect(page.get_by_test_id("captain-faqs-empty")).to_be_visible()
        listed = api(stack, "GET", f"{base}/assistant_responses?assistant_id={assistant_id}", token)
        assert sorted(r["question"] for r in listed["payload"]) == ["Do you ship abroad?", "What are your hours?"]

        # Deleted from its page, asked first.
        page.goto(f"{stack.base_url}/app/accounts/{account}/captain/assistants/{assistant_id}")
        page.get_by_test_id("captain-assistant-delete").click()
        page.get_by_test_id("captain-assistant-delete-confirm").click()
        expect(page).to_have_url(re.compile(r"/captain/assistants$"))
        assert all(a["id"] != assistant_id for a in api(stack, "GET", f"{base}/assistants", token)["payload"])
        assistant_id = None
    finally:
        if assistant_id is not None:  # leave the shared seed as the other tests expect it
            api(stack, "DELETE", f"{base}/assistants/{assistant_id}", token)


def test_knowledge_managers_reach_the_faqs_only_and_plain_agents_nothing(new_agent, stack, seed):
    account = seed["account"]["id"]
    token = seed["administrator"]["access_token"]
    agent = new_agent("agent")
    agent.open_dashboard()
    expect(agent.page.get_by_test_id("nav-conversations")).to_be_visible()
    expect(agent.page.get_by_test_id("nav-captain")).to_have_count(0)
    agent.page.goto(f"{stack.base_url}/app/accounts/{account}/captain/faqs")
    expect(agent.page).to_have_url(f"{stack.base_url}/app/accounts/{account}/conversations")

    role = api(stack, "POST", f"/api/v1/accounts/{account}/custom_roles", token,
               {"name": f"Knowledge {tag()}", "description": "FAQs", "permissions": ["conversation_manage", "knowledge_base_manage"]})
    try:
        api(stack, "PATCH", f"/api/v1/accounts/{account}/agents/{seed['agent']['id']}", token, {"role": "agent", "custom_role_id": role["id"]})
        manager = new_agent("agent")
        manager.open_dashboard()
        manager.page.get_by_test_id("nav-captain").click()
        expect(manager.page).to_have_url(re.compile(rf"/app/accounts/{account}/captain/faqs$"))
        expect(manager.page.get_by_test_id("captain-faq-form")).to_be_visible()
        expect(manager.page.get_by_test_id("captain-nav-assistants")).to_have_count(0)
        manager.page.goto(f"{stack.base_url}/app/accounts/{account}/captain/assistants/new")
        expect(manager.page).to_have_url(re.compile(r"/captain/faqs$"))
    finally:
        api(stack, "DELETE", f"/api/v1/accounts/{account}/custom_roles/{role['id']}", token)
