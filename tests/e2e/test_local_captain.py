"""Captain on `python -m local` (the offline provider, as `make dev` runs it): a visitor's
question in a website inbox with an assistant is answered from an approved FAQ by the
captain function (the bus's rule -> CaptainQueue -> CaptainFunction, as on AWS), and a
request for a person is handed to the team. Its own inbox, so the seeded one keeps
starting conversations open for the other tests."""
from __future__ import annotations

import time

import httpx


def _until(fetch, done, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_captain_answers_and_hands_off_on_the_local_stack(local_stack):
    base, seed = local_stack.base_url, local_stack.seed
    account = seed["account"]["id"]
    admin = {"api_access_token": seed["administrator"]["access_token"]}
    api = f"{base}/api/v1/accounts/{account}"
    inbox = httpx.post(f"{api}/inboxes", headers=admin, timeout=10, json={
        "name": "Captain desk", "channel": {"type": "web_widget", "website_url": "https://captain.acme.test"}}).json()
    assistant = httpx.post(f"{api}/captain/assistants", headers=admin, timeout=10,
                           json={"name": "Ava", "description": "Acme's assistant"}).json()
    assert httpx.post(f"{api}/captain/assistants/{assistant['id']}/inboxes", headers=admin, timeout=10,
                      json={"inbox_id": inbox["id"]}).status_code == 200
    assert httpx.post(f"{api}/captain/assistant_responses", headers=admin, timeout=10, json={
        "question": "How do I reset my password?", "answer": "Open Settings, then Security.",
        "assistant_id": assistant["id"]}).status_code == 200

    widget = {"website_token": inbox["website_token"]}
    # a new visitor's first message creates it and hands its token back
    sent = httpx.post(f"{base}/api/v1/widget/messages", params=widget, timeout=10,
                      json={"message": {"content": "How can I reset my password?"}})
    assert sent.status_code == 200, sent.text
    conversation_id = sent.json()["conversation_id"]
    token = {"X-Auth-Token": sent.json()["widget_auth_token"]}

    def messages():
        return httpx.get(f"{api}/conversations/{conversation_id}/messages", headers=admin, timeout=10).json()["payload"]

    def captain(rows):
        return [m for m in rows if m.get("sender_type") == "captain_assistant"]

    rows = _until(messages, lambda rows: captain(rows))
    assert [m["content"] for m in captain(rows)] == ["Open Settings, then Security."], rows

    httpx.post(f"{base}/api/v1/widget/messages", params=widget, headers=token, timeout=10,
               json={"message": {"content": "I want to talk to a human"}})
    rows = _until(messages, lambda rows: any(m["message_type"] == 2 for m in rows))
    [activity] = [m for m in rows if m["message_type"] == 2]
    assert activity["content_attributes"]["captain_handoff"]["reason"] == "customer_asked"
    # the activity is written first, then the conversation opens (conversations.handoff)
    shown = _until(lambda: httpx.get(f"{api}/conversations/{conversation_id}", headers=admin, timeout=10).json(),
                   lambda c: c["status"] == "open")
    assert shown["status"] == "open"

    # the playground, through the local gateway's most specific route (CaptainFunction)
    played = httpx.post(f"{api}/captain/assistants/{assistant['id']}/playground", headers=admin, timeout=30,
                        json={"message_content": "How do I reset my password?"})
    assert played.status_code == 200, played.text
    assert played.json()["response"] == "Open Settings, then Security." and played.json()["handoff"] is None
