"""The small parts of one-off campaign sending: send-rate settings, WhatsApp template
placeholders and Meta's template pages (never following a URL Meta hands back), and the
account-jobs message that carries a campaign."""
from __future__ import annotations

import json

import httpx
import pytest

from parley import channels
from parley.channels import whatsapp
from parley.errors import Invalid, ProviderUnavailable


@pytest.mark.parametrize("value", [0.1, 1, 80, 1000, 2.5])
def test_send_rate_settings_in_range_are_kept(value):
    assert channels.send_rate_setting(value) == float(value)


@pytest.mark.parametrize("value", [0, 0.05, -1, 1000.5, True, False, "10", None, [1]])
def test_send_rate_settings_out_of_range_or_not_numbers_are_refused(value):
    with pytest.raises(Invalid) as refused:
        channels.send_rate_setting(value)
    assert refused.value.errors[0]["field"] == "channel.campaign_send_rate"


class FakeInbox:
    def __init__(self, channel_type: str, channel: dict | None = None):
        self.channel_type, self.channel = channel_type, channel or {}


def test_send_rates_default_to_the_providers_and_follow_the_inbox():
    assert channels.send_rate(FakeInbox("sms")) == 1.0
    assert channels.send_rate(FakeInbox("whatsapp")) == 80.0
    assert channels.send_rate(FakeInbox("sms", {"campaign_send_rate": 12})) == 12.0
    assert channels.send_rate(FakeInbox("api")) == 1.0  # no provider module: one a second


@pytest.mark.parametrize("text,expected", [
    ("Hi {{1}}, {{2}} off", {"1", "2"}),
    ("Hi {{ 1 }} and {{1}}", {"1"}),
    ("No placeholders", set()),
    ("{{name}} is not numbered", set()),
    ("{{10}} and {{2}}", {"10", "2"}),
])
def test_body_placeholders(text, expected):
    template = {"components": [{"type": "HEADER", "text": "{{9}}"}, {"type": "BODY", "text": text}]}
    assert whatsapp.body_placeholders(template) == expected


def test_template_params_fill_placeholders_in_number_order():
    built = whatsapp._template({"name": "t", "language": "en", "processed_params": {"10": "ten", "2": "two", "1": "one"}})
    assert [p["text"] for p in built["components"][0]["parameters"]] == ["one", "two", "ten"]


CHANNEL = {"provider_config": {"api_key": "key", "business_account_id": "1234", "phone_number_id": "1"}}


def _meta(monkeypatch, *pages):
    seen: list[httpx.Request] = []
    answers = list(pages)

    def answer(request):
        seen.append(request)
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    monkeypatch.setattr(channels, "_client", httpx.Client(transport=httpx.MockTransport(answer)))
    return seen


def test_templates_follow_metas_cursor_on_the_graph_host_only(monkeypatch):
    seen = _meta(monkeypatch,
                 (200, {"data": [{"name": "a", "language": "en", "status": "APPROVED", "secret": "x"}, "junk",
                                 {"name": 5}], "paging": {"cursors": {"after": "c1"}, "next": "http://169.254.169.254/"}}),
                 (200, {"data": [{"name": "b", "language": "de", "status": "REJECTED"}], "paging": {"cursors": {}}}))
    found = whatsapp.fetch_templates(CHANNEL)
    assert found == [{"name": "a", "language": "en", "status": "APPROVED"},
                     {"name": "b", "language": "de", "status": "REJECTED"}]
    assert [str(r.url.copy_with(query=None)) for r in seen] == [
        "https://graph.facebook.com/v20.0/1234/message_templates"] * 2
    assert seen[1].url.params["after"] == "c1"


def test_template_pages_are_bounded(monkeypatch):
    page = (200, {"data": [], "paging": {"cursors": {"after": "again"}, "next": "https://graph.facebook.com/x"}})
    seen = _meta(monkeypatch, *[page] * (whatsapp.TEMPLATE_PAGES + 5))
    assert whatsapp.fetch_templates(CHANNEL) == []
    assert len(seen) == whatsapp.TEMPLATE_PAGES


def test_template_sync_failures(monkeypatch):
    _meta(monkeypatch, (401, {"error": {"message": "Invalid OAuth access token"}}))
    with pytest.raises(Invalid) as refused:
        whatsapp.fetch_templates(CHANNEL)
    assert "Invalid OAuth access token" in str(refused.value)
    _meta(monkeypatch, (503, {}))
    with pytest.raises(ProviderUnavailable):
        whatsapp.fetch_templates(CHANNEL)
    with pytest.raises(Invalid):
        whatsapp.fetch_templates({"provider_config": {"api_key": "k", "business_account_id": "../me"}})


def test_account_job_messages_carry_a_campaign_only_for_campaign_send():
    from tests.conftest import load_function

    job = load_function("account_jobs").Job
    assert job.model_validate_json(json.dumps({"job": "campaign_send", "account_id": 1, "campaign_id": 7})).campaign_id == 7
    for bad in ({"job": "campaign_send", "account_id": 1},
                {"job": "delete", "account_id": 1, "campaign_id": 7},
                {"job": "campaign_send", "account_id": 1, "campaign_id": 0}):
        with pytest.raises(ValueError):
            job.model_validate_json(json.dumps(bad))
