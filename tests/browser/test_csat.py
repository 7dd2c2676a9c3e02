"""CSAT in a real browser (docs/csat.md): an agent resolves a conversation, the visitor
rates it inline in the widget (stars, then feedback) and the agent sees the rating arrive
live; then the survey page, opened on a phone from the link an e-mail carries
(/survey/responses/{uuid}), shows that answer and takes a changed one, which the agent
sees live too. The seeded inbox sends surveys only to conversations with this test's own
label, so no other test on the stack gets one."""
from __future__ import annotations

from playwright.sync_api import expect

from .pages import api, start_chat, tag

PHONE = {"width": 390, "height": 844}


def test_resolve_rate_inline_agent_sees_it_then_the_survey_page(visitor, agent, seed, stack, new_context):
    t = tag()
    account, inbox = seed["account"]["id"], seed["website_inbox"]["id"]
    admin = seed["administrator"]["access_token"]
    label = f"csat-{t}"
    api(stack, "POST", f"/api/v1/accounts/{account}/labels", admin, {"title": label})
    api(stack, "PATCH", f"/api/v1/accounts/{account}/inboxes/{inbox}", admin, {
        "csat_survey_enabled": True,
        "csat_config": {"display_type": "star", "message": f"How did we do? [{t}]",
                        "survey_rules": {"operator": "contains", "values": [label]}}})
    try:
        conversation_id = start_chat(visitor, agent, f"Where is my parcel? [{t}]")
        api(stack, "POST", f"/api/v1/accounts/{account}/conversations/{conversation_id}/labels", admin,
            {"labels": [label]})
        agent.page.get_by_test_id("toggle-status-button").click()  # resolve

        # The survey reaches the open widget over the socket and is rated right there.
        survey = visitor.frame.get_by_test_id("widget-csat")
        expect(survey).to_contain_text(f"How did we do? [{t}]")
        expect(survey.get_by_test_id("csat").first).to_have_attribute("data-display-type", "star")
        survey.get_by_test_id("csat-rating-5").click()
        expect(survey.get_by_test_id("csat")).to_have_attribute("data-rated", "5")
        survey.get_by_test_id("csat-feedback").fill(f"Quick and kind [{t}]")
        survey.get_by_test_id("csat-send").click()
        expect(survey.get_by_test_id("csat-thanks")).to_contain_text("Thank you")

        # The agent, still on the conversation, sees the answer arrive (message.updated).
        answer = agent.page.get_by_test_id("message-csat")
        expect(answer).to_have_attribute("data-rating", "5")
        expect(answer.get_by_test_id("message-csat-feedback")).to_have_text(f"Quick and kind [{t}]")

        # The survey page, as the link in an e-mail opens it, on a phone.
        uuid = api(stack, "GET", f"/api/v1/accounts/{account}/conversations/{conversation_id}", admin)["uuid"]
        phone = new_context(viewport=PHONE, is_mobile=True).new_page()
        phone.goto(f"{stack.base_url}/survey/responses/{uuid}")
        page = phone.get_by_test_id("survey-page")
        expect(page).to_have_attribute("data-state", "ready")
        expect(page).to_contain_text(f"How did we do? [{t}]")
        expect(page.get_by_test_id("csat")).to_have_attribute("data-rated", "5")  # the widget's answer
        page.get_by_test_id("csat-rating-3").click()
        expect(page.get_by_test_id("csat")).to_have_attribute("data-rated", "3")
        expect(answer).to_have_attribute("data-rating", "3")  # live again, on the agent's screen

        # One response for the survey message, with the page's rating and the feedback.
        rows = api(stack, "GET", f"/api/v1/accounts/{account}/csat_survey_responses?inbox_id={inbox}", admin)
        mine = [r for r in rows if r["conversation_id"] == int(conversation_id)]
        assert [(r["rating"], r["feedback_message"]) for r in mine] == [(3, f"Quick and kind [{t}]")]
        phone.goto(f"{stack.base_url}/survey/responses/00000000-0000-4000-8000-000000000000")
        expect(phone.get_by_test_id("survey-page")).to_have_attribute("data-state", "missing")
        assert visitor.dialogs == [] and agent.dialogs == []
    finally:
        api(stack, "PATCH", f"/api/v1/accounts/{account}/inboxes/{inbox}", admin, {"csat_survey_enabled": False})
