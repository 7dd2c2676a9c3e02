"""CSAT end to end over moto: inbox settings, the surveys consumer (once per resolution,
label rules, widget inline vs. a link on e-mail), rating (widget, survey page API), the
lock, and the responses list, metrics and CSV (docs/csat.md)."""
from __future__ import annotations

import time

import pytest

from tests.integration.channel_support import logged
from tests.integration.test_conversations import start_chat
from tests.integration.test_email_channel import inbox  # noqa: F401 (a fixture: an e-mail inbox)
from tests.integration.test_notifications import pump

RULE, TARGET = "DomainEventsToSurveysRule", "surveys"


def base(world) -> str:
    return f"/api/v1/accounts/{world.account_id}"


def enable(api, world, inbox_id, **config):
    reply = api.patch(f"{base(world)}/inboxes/{inbox_id}", world.admin.token,
                      body={"csat_survey_enabled": True, "csat_config": {"display_type": "star", **config}})
    assert reply.status == 200, reply.json
    return reply.json


def resolve(api, world, conversation_id):
    reply = api.post(f"{base(world)}/conversations/{conversation_id}/toggle_status", world.admin.token,
                     body={"status": "resolved"})
    assert reply.status == 200, reply.json


def raw_get(api, path, token) -> str:
    """A non-JSON answer's body (the CSV)."""
    from tests.conftest import LambdaContext, http_event

    result = api.handler_for("GET", path)(http_event("GET", path, headers={"api_access_token": token}), LambdaContext())
    assert result["statusCode"] == 200, result
    assert result["headers"]["Content-Type"].startswith("text/csv")
    return result["body"]


def surveys_of(api, world, conversation_id) -> list[dict]:
    rows = api.get(f"{base(world)}/conversations/{conversation_id}/messages", world.admin.token).json["payload"]
    return [m for m in rows if m["content_type"] == "input_csat"]


def test_inbox_settings_are_validated_and_shown(api, world, website):
    inbox_id = website.id
    shown = enable(api, world, inbox_id, message="How did we do?",
                   survey_rules={"operator": "does_not_contain", "values": ["spam"]})
    assert shown["csat_survey_enabled"] is True
    assert shown["csat_config"] == {"display_type": "star", "message": "How did we do?",
                                    "survey_rules": {"operator": "does_not_contain", "values": ["spam"]}}
    for bad in ({"display_type": "smileys"}, {"survey_rules": {"operator": "equals", "values": []}},
                {"survey_rules": {"operator": "contains", "values": ["no spaces"]}},
                {"message": "x" * 1001}, {"unknown": 1}):
        reply = api.patch(f"{base(world)}/inboxes/{inbox_id}", world.admin.token, body={"csat_config": bad})
        assert reply.status == 422, (bad, reply.json)
    again = api.get(f"{base(world)}/inboxes/{inbox_id}", world.admin.token).json
    assert again["csat_config"] == shown["csat_config"]
    refused = api.patch(f"{base(world)}/inboxes/{inbox_id}", world.agent.token, body={"csat_survey_enabled": False})
    assert refused.status == 403


@pytest.mark.dynamodb_local  # also on a real engine: the sparse index, filters, counts, transactions
def test_widget_survey_once_per_resolution_rated_inline_and_reported(api, world, website):
    enable(api, world, website.id, message="Rate us")
    visitor, conversation_id = start_chat(website)
    resolve(api, world, conversation_id)
    assert pump(RULE, TARGET, "surveys") == 1
    [survey] = surveys_of(api, world, conversation_id)
    assert survey["content"] == "Rate us" and survey["message_type"] == 3
    assert survey["content_attributes"] == {"display_type": "star"}  # inline: no link in the widget

    path = f"messages/{survey['id']}"

    def answer(value, feedback=None):
        submitted = {"csat_survey_response": {"rating": value, **({"feedback_message": feedback} if feedback else {})}}
        return website.widget.call("PATCH", path, visitor, body={"message": {"submitted_values": submitted}})

    for bad in (0, 6, "five", "5", True, 4.5):
        assert answer(bad).status == 422, bad
    assert answer(4, "x" * (10 * 1024 + 1)).status == 422
    assert answer(4, "é" * 5200).status == 422  # 10 KB counted in bytes, not characters
    assert logged(world.account_id, "csat_survey_response.created") == []
    assert "submitted_values" not in surveys_of(api, world, conversation_id)[0]["content_attributes"]

    rated = answer(5)
    assert rated.status == 200, rated.json
    assert rated.json["content_attributes"]["submitted_values"] == {
        "csat_survey_response": {"rating": 5, "feedback_message": ""}}
    assert answer(4, "Quick and kind").status == 200  # the feedback follows the rating: same response
    [created] = logged(world.account_id, "csat_survey_response.created")
    assert created["rating"] == 5 and created["conversation_id"] == conversation_id
    updates = [m for m in logged(world.account_id, "message.updated") if m["id"] == survey["id"]]
    assert updates[-1]["content_attributes"]["submitted_values"]["csat_survey_response"] == {
        "rating": 4, "feedback_message": "Quick and kind"}

    listed = api.get(f"{base(world)}/csat_survey_responses", world.admin.token)
    assert listed.status == 200, listed.json
    [row] = listed.json
    assert (row["rating"], row["feedback_message"], row["conversation_id"], row["message_id"]) == (
        4, "Quick and kind", conversation_id, survey["id"])
    assert api.get(f"{base(world)}/csat_survey_responses", world.admin.token, query={"rating": "1,2"}).json == []
    assert api.get(f"{base(world)}/csat_survey_responses", world.admin.token,
                   query={"inbox_id": str(website.id), "rating[]": "4"}).json == [row]
    metrics = api.get(f"{base(world)}/csat_survey_responses/metrics", world.admin.token)
    assert metrics.json == {"total_count": 1, "ratings_count": {"4": 1}, "total_sent_messages_count": 1,
                            "response_rate": 100.0, "satisfaction_score": 100.0}
    csv_text = raw_get(api, f"{base(world)}/csat_survey_responses/download", world.admin.token)
    assert csv_text.splitlines()[0] == ("Agent Name,Rating,Feedback Comment,Contact Name,Contact Email Address,"
                                        "Contact Phone Number,Link to the conversation,Recorded date")
    assert "Quick and kind" in csv_text and f"/conversations/{conversation_id}" in csv_text
    for bad in ({"since": "10", "until": "5"}, {"since": "x"}, {"user_ids": "1,a"}, {"rating": "0"}):
        assert api.get(f"{base(world)}/csat_survey_responses/metrics", world.admin.token, query=bad).status == 422

    # Reopened and resolved again: a second survey (a second resolution), counted as sent.
    said = website.widget.say(visitor, "one more question")
    assert said.status == 200 and said.json["conversation_id"] == conversation_id, said.json
    assert api.get(f"{base(world)}/conversations/{conversation_id}", world.admin.token).json["status"] == "open"
    resolve(api, world, conversation_id)
    assert pump(RULE, TARGET, "surveys") == 2  # reopened (no survey), resolved (a survey)
    assert len(surveys_of(api, world, conversation_id)) == 2
    assert api.get(f"{base(world)}/csat_survey_responses/metrics", world.admin.token).json[
        "total_sent_messages_count"] == 2
    # The tallies moved with each write: two sent, the one response at its last rating.
    from parley.services.csat import tallies

    today = tallies.start_of(int(time.time()), tallies.DAY)
    for series in ([("account", 0)], [("inbox", website.id)]):
        assert tallies.counts(world.account_id, series, "d", today, today) == (2, {1: 0, 2: 0, 3: 0, 4: 1, 5: 0})

    # Each resolution's event delivered again (EventBridge delivers at least once): nothing more.
    # (Last in the test: run earlier, moto's in-process event pipe delivered nothing more after
    # the duplicate's refused transaction; cause not pinned down.)
    from parley.models.event_log import LoggedEvent
    from tests.conftest import LambdaContext, load_function

    handler = load_function("surveys").lambda_handler
    changes = [row.detail for row in LoggedEvent.query(world.account_id, consistent_read=True)
               if row.event == "conversation.status_changed"]
    outcomes = [handler({"source": "parley", "detail": d}, LambdaContext())["outcome"] for d in changes]
    assert outcomes == ["duplicate", "ignored", "duplicate"]  # resolved, reopened, resolved again
    assert len(surveys_of(api, world, conversation_id)) == 2


def test_the_public_survey_api_and_its_lock(api, world, website, monkeypatch):
    from parley.models.conversation import Conversation
    from parley.services.csat import responses

    enable(api, world, website.id)
    visitor, conversation_id = start_chat(website)
    uuid = Conversation.get(world.account_id, conversation_id).uuid
    path = f"/public/api/v1/csat_survey/{uuid}"
    assert api.get(path).status == 404  # no survey yet
    resolve(api, world, conversation_id)
    pump(RULE, TARGET, "surveys")
    shown = api.get(path)
    assert shown.status == 200, shown.json
    assert shown.json["csat_survey_response"] is None and shown.json["display_type"] == "star"
    assert shown.json["content"] == "Please rate this conversation" and shown.json["locked"] is False

    def put(rating, feedback=None):
        answer = {"rating": rating, **({"feedback_message": feedback} if feedback is not None else {})}
        return api.put(path, body={"message": {"submitted_values": {"csat_survey_response": answer}}})

    for bad in (0, 6, "five"):
        assert put(bad).status == 422
    assert put(3, "y" * (10 * 1024 + 1)).status == 422
    assert api.get("/public/api/v1/csat_survey/00000000-0000-4000-8000-000000000000").status == 404
    assert api.get("/public/api/v1/csat_survey/not-a-uuid").status == 404
    assert put(3, "ok").status == 200
    # The page the survey link opens: the built survey entry, the same for every survey.
    import boto3
    from tests.conftest import LambdaContext, _stack, http_event

    def page():
        return api.app.lambda_handler(http_event("GET", f"/survey/responses/{uuid}"), LambdaContext())

    assert page()["statusCode"] == 503  # the frontend is not deployed yet
    boto3.client("s3").put_object(Bucket=_stack.names["FrontendBucket"], Key="survey/index.html",
                                  Body=b"<!doctype html><title>Rate us</title>")
    shown_page = page()
    assert shown_page["statusCode"] == 200 and "<title>Rate us</title>" in shown_page["body"]
    assert "frame-ancestors 'none'" in shown_page["headers"]["Content-Security-Policy"]
    assert api.get(path).json["csat_survey_response"]["rating"] == 3
    # Fourteen days after the survey was sent it is locked: nothing changes.
    later = time.time() + responses.LOCK_SECONDS + 60
    monkeypatch.setattr(responses.time, "time", lambda: later)
    locked = put(1)
    assert locked.status == 422 and "14 days" in locked.json["error"]
    assert api.get(path).json["csat_survey_response"]["rating"] == 3
    assert len(logged(world.account_id, "csat_survey_response.created")) == 1


def test_label_rules_decide_and_another_account_sees_nothing(api, world, website):
    enable(api, world, website.id, survey_rules={"operator": "contains", "values": ["vip"]})
    _, plain = start_chat(website)
    resolve(api, world, plain)
    pump(RULE, TARGET, "surveys")
    assert surveys_of(api, world, plain) == []  # no "vip" label: no survey
    assert api.get(f"{base(world)}/csat_survey_responses/metrics", world.other_admin.token).status == 404
    assert api.get(f"{base(world)}/csat_survey_responses", world.agent.token).status == 403


def test_an_email_conversation_gets_a_link_to_the_survey_page(api, world, inbox):
    """The survey of a channel that cannot draw it: a link to /survey/responses/{uuid}; the
    page's API answers for that uuid, and the mail leaves like any reply."""
    from parley.models.conversation import Conversation
    from tests.integration.test_email_channel import _raw, conversations, deliver_mail, ingest

    enable(api, world, inbox["id"], message="How did we do?")
    deliver_mail(_raw("plain"), "csat-1")
    ingest()
    [conversation] = conversations(api, world, inbox["id"])
    resolve(api, world, conversation["id"])
    assert pump(RULE, TARGET, "surveys") == 1
    uuid = Conversation.get(world.account_id, conversation["id"]).uuid
    [survey] = surveys_of(api, world, conversation["id"])
    link = survey["content_attributes"]["survey_url"]
    assert link.startswith("https://") and link.endswith(f"/survey/responses/{uuid}")
    assert survey["content"] == f"How did we do?\n{link}"
    page = api.get(f"/public/api/v1/csat_survey/{uuid}")
    assert page.status == 200 and page.json["id"] == survey["id"] and page.json["inbox_name"] == "Acme Support"


def test_an_api_inbox_client_rates_through_the_client_api(api, world):
    """An API inbox gets the input_csat message (its client draws it) and answers with the
    Client API's message update; the answer's body is the spec's public message."""
    from tests.spec import assert_matches

    inbox = api.post(f"{base(world)}/inboxes", world.admin.token, body={"name": "App", "channel": {"type": "api"}}).json
    enable(api, world, inbox["id"])
    client = f"/public/api/v1/inboxes/{inbox['inbox_identifier']}"
    source_id = api.post(f"{client}/contacts", body={"name": "Cleo"}).json["source_id"]
    conversation_id = api.post(f"{client}/contacts/{source_id}/conversations", body={}).json["id"]
    assert api.post(f"{client}/contacts/{source_id}/conversations/{conversation_id}/messages",
                    body={"content": "hi"}).status == 200
    resolve(api, world, conversation_id)
    assert pump(RULE, TARGET, "surveys") == 1
    [survey] = surveys_of(api, world, conversation_id)
    # An answer quicker than the consumer's record of the survey (written just after the
    # message, which the client already shows): the answer writes the same record.
    from parley.models.csat import CsatSurvey

    [record] = list(CsatSurvey.query(world.account_id, CsatSurvey.key.startswith("survey#")))
    record.delete()
    path = f"{client}/contacts/{source_id}/conversations/{conversation_id}/messages/{survey['id']}"
    assert api.patch(path, body={"submitted_values": {"csat_survey_response": {"rating": 9}}}).status == 422
    assert api.patch(path, body={"submitted_values": {"csat_survey_response": {"rating": 2, "x": 1}}}).status == 422
    answered = api.patch(path, body={"submitted_values": {"csat_survey_response": {"rating": 2, "feedback_message": "slow"}}})
    assert answered.status == 200, answered.json
    assert_matches(answered.json, "patch", "/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}"
                                           "/conversations/{conversation_id}/messages/{message_id}")
    [row] = api.get(f"{base(world)}/csat_survey_responses", world.admin.token).json
    assert (row["rating"], row["feedback_message"], row["inbox_id"]) == (2, "slow", inbox["id"])
    assert [r.key for r in CsatSurvey.query(world.account_id, CsatSurvey.key.startswith("survey#"))] == [
        record.key]  # the same one record
