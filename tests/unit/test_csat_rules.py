"""CSAT's pure decisions: which resolutions get a survey (inbox settings, label rules,
channels), which events are resolutions, and which answers are valid (docs/csat.md)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from parley.errors import Invalid
from parley.services.csat import responses, surveys


def inbox(enabled=True, channel="web_widget", operator="contains", values=()):
    return SimpleNamespace(csat_survey_enabled=enabled, channel_type=channel,
                           csat_config={"survey_rules": {"operator": operator, "values": list(values)}})


@pytest.mark.parametrize("settings,labels,sent", [
    (inbox(), [], True),  # no rule: every resolution
    (inbox(enabled=False), [], False),
    (inbox(values=["vip"]), ["vip", "billing"], True),
    (inbox(values=["vip"]), ["billing"], False),
    (inbox(values=["vip"]), [], False),
    (inbox(operator="does_not_contain", values=["spam", "test"]), ["billing"], True),
    (inbox(operator="does_not_contain", values=["spam", "test"]), ["test"], False),
    (inbox(operator="does_not_contain", values=["spam"]), [], True),
    (inbox(channel="email"), [], True), (inbox(channel="sms"), [], True),
    (inbox(channel="whatsapp"), [], True), (inbox(channel="telegram"), [], True), (inbox(channel="api"), [], True),
    (inbox(channel="facebook"), [], False),  # a channel without a survey (documented)
    (SimpleNamespace(csat_survey_enabled=True, channel_type="web_widget", csat_config=None), ["x"], True),
])
def test_label_rules_and_channels(settings, labels, sent):
    assert surveys.wanted(settings, labels) is sent


def changed(old, new, **over):
    return {"event": "conversation.status_changed", "account_id": 7, "id": "e1",
            "changed_attributes": {"status": [old, new]}, "data": {"id": 3}, **over}


def test_only_a_change_to_resolved_is_a_resolution():
    assert surveys._resolved_event(changed("open", "resolved")) == (7, 3)
    assert surveys._resolved_event(changed("pending", "resolved")) == (7, 3)
    for detail in (changed("resolved", "open"), changed("open", "snoozed"), changed("resolved", "resolved"),
                   changed("open", "resolved", event="conversation.updated"), changed("open", "resolved", data={}),
                   changed("open", "resolved", account_id="7"), {"event": "conversation.status_changed"}):
        assert surveys._resolved_event(detail) is None


@pytest.mark.parametrize("rating", [0, 6, -1, "five", "5", 4.0, 4.5, True, None, [5]])
def test_bad_ratings_are_refused(rating):
    with pytest.raises(Invalid) as refused:
        responses.check_answer(rating, None)
    assert refused.value.errors[0]["field"] == "rating"


def test_feedback_is_at_most_ten_kilobytes_of_utf8():
    assert responses.check_answer(5, "a" * 10240) == (5, "a" * 10240)
    for bad in ("a" * 10241, "é" * 5121, 42):
        with pytest.raises(Invalid):
            responses.check_answer(5, bad)


def test_the_lock_is_fourteen_days_after_sending():
    survey = SimpleNamespace(sent_at=1_000_000)
    assert not responses.locked(survey, now=1_000_000 + responses.LOCK_SECONDS)
    assert responses.locked(survey, now=1_000_000 + responses.LOCK_SECONDS + 1)
