"""Every route, walked with every kind of caller, against the outcome it must give.

Callers: no token, a forged token, the platform app, Globex's administrator (another
account), the super admin (a member of no account), Acme's agent, Acme's administrator,
then one column per custom role permission: an agent of Acme (a member of its inboxes)
whose custom role grants only that permission. Acme's ids are used throughout, so
"another account's ids answer 404" is checked on every account route."""
from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

BASE_CALLERS = ("none", "forged", "platform", "other_admin", "super_admin", "agent", "admin")
# permission -> the caller whose custom role grants only it
ROLE_CALLERS = {"conversation_manage": "role_conversation_manage", "conversation_unassigned_manage": "role_unassigned",
                "conversation_participating_manage": "role_participating", "contact_manage": "role_contact_manage",
                "report_manage": "role_report_manage", "knowledge_base_manage": "role_knowledge_base_manage"}
CALLERS = BASE_CALLERS + tuple(ROLE_CALLERS.values())

# route -> expected status per caller, in CALLERS order (admin last among the first seven:
# it may delete things). A row of seven gives every role column the plain agent's status.
UNAUTH = (401, 401)
USER_ONLY = UNAUTH + (401, 200, 200, 200, 200)
MEMBER = UNAUTH + (401, 404, 404, 200, 200)
ADMIN = UNAUTH + (401, 404, 404, 403, 200) + (403,) * 6
PLATFORM = UNAUTH + (200, 401, 401, 401, 401)
SUPER = UNAUTH + (401, 403, 200, 403, 403)
PUBLIC = (200,) * 7


def needs(permission: str, base: tuple = MEMBER) -> tuple:
    """A member route that also needs `permission`: 200 for the role granting it, 403 for
    the other roles (plain agents and administrators hold it: their columns are `base`'s)."""
    return base + tuple(200 if p == permission else 403 for p in ROLE_CALLERS)


CONTACT = needs("contact_manage")
# Reports (reports, reporting events, applied SLAs, CSAT responses): administrators and report_manage roles; plain agents do not hold it.
REPORT = needs("report_manage", UNAUTH + (401, 404, 404, 403, 200))
NO_SURVEY = "00000000-0000-4000-8000-000000000000"


# Doors where a user's token is what counts: a role column without its own status gets
# the plain agent's. Elsewhere (public pages, sign-in, provider webhooks) the token does
# not decide, and the role columns are not walked (None).
USER_DOORS = ("/api/v1/", "/platform/", "/super_admin/")


def full(expected: tuple, path: str = "/api/v1/") -> tuple:
    if len(expected) == len(CALLERS):
        return expected
    return expected + ((expected[5] if path.startswith(USER_DOORS) else None),) * len(ROLE_CALLERS)


def routes(w, monkeypatch):
    from parley.services.contact import contacts
    from tests.integration.channel_support import meta_knows

    a = w.account_id
    contact = contacts.create_contact(a, email="matrix@acme.test").id
    from parley.services.inbox import inboxes

    api_inbox = inboxes.create_inbox(a, name="Matrix API", channel_type="api", channel={})
    bot_token = "7000002:" + "M" * 35
    inboxes.create_inbox(a, name="Matrix Telegram", channel_type="telegram", channel={"bot_token": bot_token})
    meta_knows(monkeypatch, "+15550001234")  # Meta's word that the number is the inbox's
    wa_inbox = inboxes.create_inbox(a, name="Matrix WhatsApp", channel_type="whatsapp", channel={
        "phone_number": "+15550001234", "provider_config": {"api_key": "k", "phone_number_id": "1", "business_account_id": "2",
                                                            "app_secret": "s", "webhook_verify_token": "matrix-verify"}})
    from parley import global_config
    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", "mail.matrix.test")
    email_inbox = inboxes.create_inbox(a, name="Matrix Email", channel_type="email", channel={"email": "m@acme.test"})
    from parley.services.rules import webhooks
    hook = webhooks.create(a, "https://hooks.example.com/matrix-seed", "Seed", None).id
    hook_two = webhooks.create(a, "https://hooks.example.com/matrix-seed-2", "Seed 2", None).id
    from parley.services.account import dashboard_apps
    dashboard_app = dashboard_apps.create(a, "Seed", [{"type": "frame", "url": "https://apps.example.com/seed"}], None).id
    from parley.services.access import custom_roles

    role = custom_roles.create(a, "Matrix seed role", "", ["contact_manage"]).id
    from parley.services.sla import policies as sla_policies
    sla = sla_policies.create(a, name="Matrix SLA", first_response_time_threshold=600).id
    sla_doomed = sla_policies.create(a, name="Matrix SLA doomed", resolution_time_threshold=3600).id
    from parley.services.rules import campaigns
    site_inbox = inboxes.create_inbox(a, name="Matrix site", channel_type="web_widget",
                                      channel={"website_url": "https://matrix.test"})
    site = site_inbox.id
    # The widget's rows need an enabled ongoing campaign whatever the campaign rows change.
    widget_campaign = campaigns.create(a, {"title": "Matrix widget", "message": "Hi", "inbox_id": site,
                                           "trigger_rules": {"url": "https://matrix.test/*"}}).id
    greeting = {"title": "Matrix", "message": "Hello", "inbox_id": site, "trigger_rules": {"url": "https://matrix.test/*"}}
    campaign = campaigns.create(a, greeting).id
    campaign_doomed = campaigns.create(a, {**greeting, "title": "Matrix doomed"}).id
    from parley.services.account import labels as label_service
    matrix_label = label_service.create(a, "matrix-audience").id
    # A conversation of its own for the DELETE row (administrators only): no other row uses it.
    from parley.models.contact import Contact
    from parley.services.conversation import conversations
    seed_contact = Contact.get(contact)
    doomed_conversation = conversations.create_conversation(
        api_inbox, seed_contact, contacts.create_contact_inbox(seed_contact, api_inbox, "matrix-doomed")).display_id
    # The super-admin console's own objects: what its rows change is no caller's.
    from parley.services.access import platform, users
    from parley.services.account import accounts, agent_bots
    spare = accounts.create_account(name="Matrix spare").id
    person = users.create_user(email="matrix-person@parley.test", name="Matrix Person").id
    doomed = users.create_user(email="matrix-doomed@parley.test", name="Matrix Doomed").id
    app = platform.create_platform_app("Matrix app")[0].id
    bot = agent_bots.create_bot(None, name="Matrix bot")[0].id
    sa = "/super_admin/api/v1"
    return [
        ("GET", f"{sa}/accounts?q=acme&per_page=5", None, SUPER),
        ("GET", f"{sa}/accounts/{spare}/reporting_events/rebuild", None, SUPER),
        ("POST", f"{sa}/accounts/{spare}/reporting_events/rebuild", None, SUPER),
        ("POST", f"{sa}/accounts", {"name": "Console made", "features": ["sla"], "limits": {"agents": 3}}, SUPER),
        ("GET", f"{sa}/accounts/features", None, SUPER),
        ("GET", f"{sa}/accounts/{spare}/account_users", None, SUPER),
        ("POST", f"{sa}/accounts/{spare}/account_users", {"user_id": person, "role": "agent"}, SUPER),
        ("DELETE", f"{sa}/accounts/{spare}/account_users/{person}", None, SUPER),
        ("PATCH", f"{sa}/accounts/{spare}", {"name": "Matrix spare 2", "locale": "de"}, SUPER),
        ("POST", f"{sa}/accounts/{spare}/suspend", None, SUPER),
        ("POST", f"{sa}/accounts/{spare}/reactivate", None, SUPER),
        ("DELETE", f"{sa}/accounts/{spare}", None, SUPER),
        ("GET", f"{sa}/users?q=matrix&per_page=5", None, SUPER),
        ("POST", f"{sa}/users", {"name": "Console user", "email": "console-user@parley.test"}, SUPER),
        ("GET", f"{sa}/users/{person}", None, SUPER),
        ("PATCH", f"{sa}/users/{person}", {"display_name": "MP"}, SUPER),
        ("GET", f"{sa}/users/{person}/accounts", None, SUPER),
        ("POST", f"{sa}/users/{person}/confirm", None, SUPER),
        ("POST", f"{sa}/users/{person}/reset_password", {"password": "Matrix-chosen-1!"}, SUPER),
        ("POST", f"{sa}/users/{person}/revoke_tokens", None, SUPER),
        ("PUT", f"{sa}/users/{person}/super_admin", {"super_admin": False}, SUPER),
        ("DELETE", f"{sa}/users/{doomed}", None, SUPER),
        ("GET", f"{sa}/platform_apps", None, SUPER),
        ("DELETE", f"{sa}/platform_apps/{app}", None, SUPER),
        ("GET", f"{sa}/agent_bots", None, SUPER),
        ("POST", f"{sa}/agent_bots", {"name": "Console bot"}, SUPER),
        ("GET", f"{sa}/agent_bots/{bot}", None, SUPER),
        ("PATCH", f"{sa}/agent_bots/{bot}", {"description": "d"}, SUPER),
        ("DELETE", f"{sa}/agent_bots/{bot}", None, SUPER),
        ("GET", f"{sa}/audit_logs", None, SUPER),
        ("GET", f"{sa}/instance_status", None, SUPER),
        ("GET", "/api/v1/profile", None, USER_ONLY),
        ("PUT", "/api/v1/profile", {"message_signature": "--"}, USER_ONLY),
        ("POST", "/api/v1/profile/availability", {"availability": "busy", "account_id": a}, MEMBER),
        ("DELETE", "/auth/sign_out", None, USER_ONLY),
        # Public: the same answer for everyone (and any e-mail); the mailed token is the
        # only thing that sets a password, an api_access_token is no substitute for it.
        ("POST", "/auth/password", {"email": "agent@acme.test"}, PUBLIC),
        ("PUT", "/auth/password", {"reset_password_token": "x" * 43, "password": "Matrix-pass-1!",
                                   "password_confirmation": "Matrix-pass-1!"}, (422,) * 7),
        ("GET", f"/api/v1/accounts/{a}", None, MEMBER),
        ("PATCH", f"/api/v1/accounts/{a}", {"name": "Acme"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/agents", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/agents", {"name": "N", "email": "n@acme.test", "role": "agent"}, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/agents/{w.agent.id}", {"role": "agent"}, ADMIN),
        ("POST", "/platform/api/v1/accounts", {"name": "P"}, PLATFORM),
        ("POST", "/platform/api/v1/users", {"name": "P", "email": "p@platform.test"}, PLATFORM),
        ("GET", "/super_admin/api/v1/installation_configs", None, SUPER),
        ("PATCH", "/super_admin/api/v1/installation_configs/BRAND_NAME", {"value": "Parley"}, SUPER),
        ("POST", "/super_admin/api/v1/platform_apps", {"name": "App"}, SUPER),
        ("GET", "/api/v1/profile/mfa", None, USER_ONLY),  # two-factor sign-in (issue 12)
        ("POST", "/api/v1/profile/mfa", None, USER_ONLY),
        ("POST", f"/super_admin/api/v1/users/{w.agent.id}/reset_mfa", None, SUPER),
        ("GET", "/public/api/v1/global_config", None, PUBLIC),
        ("GET", f"/api/v1/accounts/{a}/inboxes", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/inboxes", {"name": "I", "channel": {"type": "web_widget"}}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/conversations", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/conversations/meta", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/conversations/filter",
         {"payload": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]}, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/search?q=acme", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/search/conversations?q=acme", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/search/contacts?q=acme", None, CONTACT),
        ("GET", f"/api/v1/accounts/{a}/search/messages?q=acme", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/canned_responses", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/canned_responses", {"short_code": "c", "content": "x"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/teams", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/teams", {"name": "T"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/macros", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/macros", {"name": "M", "actions": [{"action_name": "resolve_conversation"}]},
         MEMBER),
        ("GET", f"/api/v1/accounts/{a}/automation_rules", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/automation_rules", {
            "name": "R", "event_name": "conversation_created", "actions": [{"action_name": "resolve_conversation"}],
            "conditions": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/contacts", None, CONTACT),
        ("GET", f"/api/v1/accounts/{a}/contacts/search?q=matrix", None, CONTACT),
        ("POST", f"/api/v1/accounts/{a}/contacts/filter",
         {"payload": [{"attribute_key": "email", "filter_operator": "contains", "values": ["matrix"]}]}, CONTACT),
        ("POST", f"/api/v1/accounts/{a}/contacts", {"name": "Matrix new"}, CONTACT),
        ("GET", f"/api/v1/accounts/{a}/contacts/{contact}", None, CONTACT),
        ("PATCH", f"/api/v1/accounts/{a}/contacts/{contact}", {"name": "Matrix"}, CONTACT),
        ("GET", f"/api/v1/accounts/{a}/contacts/{contact}/conversations", None, CONTACT),
        ("GET", f"/api/v1/accounts/{a}/contacts/{contact}/notes", None, CONTACT),
        ("POST", f"/api/v1/accounts/{a}/contacts/{contact}/notes", {"content": "n"}, CONTACT),
        ("POST", f"/api/v1/accounts/{a}/actions/contact_merge",
         {"base_contact_id": contact, "mergee_contact_id": 999_999}, UNAUTH + (401, 404, 404, 403, 404)),
        ("GET", f"/api/v1/accounts/{a}/custom_roles", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/custom_roles", {"name": "Matrix role", "permissions": ["report_manage"]},
         UNAUTH + (401, 404, 404, 403, 200) + (403,) * 6),
        ("GET", f"/api/v1/accounts/{a}/custom_roles/{role}", None, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/custom_roles/{role}", {"description": "Seen by the matrix"}, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/agents/{w.agent.id}", {"role": "agent", "custom_role_id": role}, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/agents/{w.agent.id}", {"role": "agent", "custom_role_id": None}, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/contacts/export", {}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/notifications", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/notifications/unread_count", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/notifications/read_all", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/notification_settings", None, MEMBER),
        ("PATCH", f"/api/v1/accounts/{a}/notification_settings",
         {"notification_settings": {"selected_push_flags": ["push_conversation_mention"]}}, MEMBER),
        ("PUT", f"/api/v1/accounts/{a}/notification_settings", {"selected_email_flags": []}, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/agent_bots", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/agent_bots", {"name": "Bot"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/inboxes/{api_inbox.id}/agent_bot", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/inboxes/{api_inbox.id}/set_agent_bot", {"agent_bot": None}, ADMIN[:6] + (204,) + ADMIN[7:]),
        ("GET", "/platform/api/v1/agent_bots", None, PLATFORM),
        ("POST", "/platform/api/v1/agent_bots", {"name": "Bot"}, PLATFORM),
        # The Client API takes no token: whoever calls, the inbox identifier decides.
        ("GET", f"/public/api/v1/inboxes/{api_inbox.inbox_identifier}", None, PUBLIC),
        ("POST", f"/public/api/v1/inboxes/{api_inbox.inbox_identifier}/contacts", {"name": "C"}, PUBLIC),
        # The widget's ongoing campaigns: the website token decides, never a caller's token
        # (a campaign shown to a visitor who has not written yet: no visitor token either).
        ("GET", f"/api/v1/widget/campaigns?website_token={site_inbox.website_token}", None, PUBLIC),
        ("POST", f"/api/v1/widget/events?website_token={site_inbox.website_token}",
         {"name": "campaign.triggered", "event_info": {"campaign_id": widget_campaign}}, PUBLIC),
        # Provider webhooks: the provider's signature decides, never a caller's token.
        ("POST", f"/api/v1/accounts/{a}/inboxes/{email_inbox.id}/email_verification", None, ADMIN),
        ("POST", f"/webhooks/telegram/{bot_token}", {"update_id": 1}, (401,) * 7),
        ("GET", "/webhooks/whatsapp/+15550001234?hub.mode=subscribe&hub.verify_token=matrix-verify&hub.challenge=7",
         None, PUBLIC),
        ("POST", "/webhooks/whatsapp/+15550001234", {"entry": []}, (401,) * 7),
        ("POST", "/twilio/callback", {"AccountSid": "AC" + "0" * 32, "To": "+14155550100"}, (401,) * 7),
        ("POST", "/twilio/delivery_status", {"AccountSid": "AC" + "0" * 32, "From": "+14155550100"}, (401,) * 7),
        ("GET", f"/api/v1/accounts/{a}/webhooks", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/webhooks", {"url": "https://hooks.example.com/matrix"}, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/webhooks/{hook}", {"name": "Renamed"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/dashboard_apps", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/dashboard_apps",
         {"title": "Matrix", "content": [{"type": "frame", "url": "https://apps.example.com/m"}]}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/dashboard_apps/{dashboard_app}", None, MEMBER),
        ("PATCH", f"/api/v1/accounts/{a}/dashboard_apps/{dashboard_app}", {"title": "Renamed"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/integrations/apps", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/integrations/apps/webhook", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/integrations/hooks",
         {"app_id": "webhook", "settings": {"url": "https://hooks.example.com/matrix-hook"}}, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/integrations/hooks/{hook}", {"status": 1}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/audit_logs", None, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/audit_logs?action=create&page=1", None, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/reporting_events", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/reporting_events?name=first_response&since=0&page=2", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/conversations/{doomed_conversation}/reporting_events", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/reporting_events/rebuild", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/reporting_events/rebuild", None, ADMIN),
        # Reports (report_manage or administrator); the CSV downloads are walked in
        # tests/integration/test_reports_api.py (the matrix reads JSON).
        ("GET", f"/api/v2/accounts/{a}/reports?metric=conversations_count", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/summary", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/bot_summary", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/conversations?type=account", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/conversations/?type=agent", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/conversations?type=team", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/reports/first_response_time_distribution", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/summary_reports/agent", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/summary_reports/team", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/summary_reports/inbox", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/summary_reports/label", None, REPORT),
        ("GET", f"/api/v2/accounts/{a}/summary_reports/channel", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/sla_policies", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/sla_policies", {"name": "Matrix", "first_response_time_threshold": 900}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/sla_policies/{sla}", None, MEMBER),
        ("PATCH", f"/api/v1/accounts/{a}/sla_policies/{sla}", {"description": "Seen by the matrix"}, ADMIN),
        ("PUT", f"/api/v1/accounts/{a}/sla_policies/{sla}", {"description": "Seen again"}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/campaigns", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/campaigns", greeting, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/campaigns/{campaign}", None, ADMIN),
        ("PATCH", f"/api/v1/accounts/{a}/campaigns/{campaign}", {"enabled": False}, ADMIN),
        ("PUT", f"/api/v1/accounts/{a}/campaigns/{campaign}", {"title": "Matrix again"}, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/campaigns/audience",
         {"inbox_id": wa_inbox.id, "audience": [{"type": "Label", "id": matrix_label}]}, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/campaigns/{campaign}/recipients", None, ADMIN),
        ("POST", f"/api/v1/accounts/{a}/inboxes/{wa_inbox.id}/sync_templates", None, ADMIN),
        ("GET", f"/api/v1/accounts/{a}/applied_slas?page=1", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/applied_slas/metrics", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/applied_slas/download", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/csat_survey_responses", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/csat_survey_responses/metrics", None, REPORT),
        ("GET", f"/api/v1/accounts/{a}/csat_survey_responses/download", None, REPORT),
        # No token decides the survey page's API: the uuid does (an unknown one is 404 to everyone).
        ("GET", f"/public/api/v1/csat_survey/{NO_SURVEY}", None, (404,) * 7),
        ("PUT", f"/public/api/v1/csat_survey/{NO_SURVEY}",
         {"message": {"submitted_values": {"csat_survey_response": {"rating": 5}}}}, (404,) * 7),
        # The survey page is the built frontend's, the same for everyone (not deployed in the tests: 503).
        ("GET", f"/survey/responses/{NO_SURVEY}", None, (503,) * 7),
        # Deletions last: they change what later rows see.
        ("DELETE", f"/api/v1/accounts/{a}/dashboard_apps/{dashboard_app}", None, ADMIN[:6] + (204,) + ADMIN[7:]),
        ("DELETE", f"/api/v1/accounts/{a}/integrations/hooks/{hook_two}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/webhooks/{hook}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/conversations/{doomed_conversation}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/custom_roles/{role}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/sla_policies/{sla_doomed}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/campaigns/{campaign_doomed}", None, ADMIN),
        ("DELETE", f"/api/v1/accounts/{a}/agents/{w.agent.id}", None, ADMIN),
        ("GET", f"/super_admin/api/v1/accounts/{a}", None, SUPER),
        ("PATCH", f"/super_admin/api/v1/accounts/{a}", {"status": "active"}, SUPER),
        ("DELETE", f"/super_admin/api/v1/accounts/{w.other_account_id}", None, SUPER),  # last: Globex is gone after it
    ]


@pytest.fixture
def role_agents(world) -> dict[str, object]:
    return make_role_agents(world)


def make_role_agents(world) -> dict[str, object]:
    """One agent of Acme per permission, whose custom role grants only it: caller -> Person
    (made once per world)."""
    if getattr(world, "role_agents", None):
        return world.role_agents
    from parley import tokens
    from parley.services.access import custom_roles, members, users
    from tests.conftest import Person

    people = {}
    for permission, caller in ROLE_CALLERS.items():
        role = custom_roles.create(world.account_id, f"Only {permission}", "", [permission])
        member, user = members.add_agent(world.account_id, name=caller, email=f"{caller}@acme.test", role="agent",
                                         custom_role_id=role.id)
        people[caller] = Person(user.id, user.email, tokens.issue(users.owner(user.id)))
    world.role_agents = people
    return people


def token_of(world, caller: str):
    from parley import tokens

    if caller.startswith("role_"):
        return make_role_agents(world)[caller].token
    return {"none": None, "forged": tokens.digest("forged"), "platform": world.platform_token,
            "other_admin": world.other_admin.token, "super_admin": world.super_admin.token,
            "agent": world.agent.token, "admin": world.admin.token}[caller]


def test_every_route_with_every_caller(api, world, role_agents, monkeypatch):
    failures = []
    for method, path, body, expected in routes(world, monkeypatch):
        for caller, status in zip(CALLERS, full(expected, path)):
            if status is None or (method == "DELETE" and path == "/auth/sign_out"):
                continue  # checked below: it would revoke the tokens the other rows use
            route, _, query_string = path.partition("?")  # "?q=..." rows carry a query string
            reply = api.call(method, route, token_of(world, caller), body=body,
                             query=dict(parse_qsl(query_string)) or None)
            if reply.status != status:
                failures.append(f"{method} {path} as {caller}: {reply.status} (expected {status}) {reply.json}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("caller", CALLERS)
def test_email_confirmation_pages_answer_everyone_alike(api, world, role_agents, caller):
    """The public confirmation link (HTML): any caller sees the page; only the link's own
    secret confirms, whoever calls (a token is no substitute)."""
    from tests.conftest import LambdaContext, http_event

    token = token_of(world, caller)
    headers = {"api_access_token": token} if token else {}
    for method, path, status in (("GET", "/public/email_verification/1.x", 200),
                                 ("POST", f"/public/email_verification/1.{'x' * 43}", 404)):
        result = api.app.lambda_handler(http_event(method, path, headers=headers), LambdaContext())
        assert result["statusCode"] == status, (method, caller, result)


@pytest.mark.parametrize("caller", CALLERS)
def test_sign_out_needs_a_user_token(api, world, role_agents, caller):
    expected = dict(zip(CALLERS, full(USER_ONLY)))[caller]
    assert api.delete("/auth/sign_out", token_of(world, caller)).status == expected


def test_errors_use_chatwoots_body(api, world):
    for reply in (api.get("/api/v1/profile"), api.get(f"/api/v1/accounts/{world.account_id}", world.other_admin.token),
                  api.patch(f"/api/v1/accounts/{world.account_id}", world.agent.token, body={"name": "x"})):
        assert set(reply.json) == {"error", "description", "errors"} and reply.json["error"]


# A conversation's routes by the role's conversation permission: one of the three shows
# an unassigned conversation of their inbox or not (404, as any conversation not theirs).
UNASSIGNED_CONVERSATION = MEMBER + (200, 200, 404, 404, 404, 404)
NO_CONVERSATION_PERMISSION = MEMBER + (200, 200, 200, 403, 403, 403)


def test_conversation_routes_with_every_caller(api, world, website, role_agents):
    """Routes under one unassigned conversation, in an inbox Acme's agents are members of."""
    a = world.account_id
    joined = api.post(f"/api/v1/accounts/{a}/inbox_members", world.admin.token, body={
        "inbox_id": website.id, "user_ids": [world.agent.id] + [p.id for p in role_agents.values()]})
    assert joined.status == 200, joined.json
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    conversation_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token).json["data"]["payload"][0]["id"]
    base = f"/api/v1/accounts/{a}/conversations/{conversation_id}"
    assert api.post(f"{base}/assignments", world.admin.token, body={"assignee_id": None}).status == 200
    contact_id = api.get(base, world.admin.token).json["meta"]["sender"]["id"]
    rows = [("GET", base, None, UNASSIGNED_CONVERSATION),
            ("GET", f"{base}/messages", None, UNASSIGNED_CONVERSATION),
            ("POST", f"{base}/messages", {"content": "from the matrix"}, UNASSIGNED_CONVERSATION),
            ("POST", f"{base}/toggle_priority", {"priority": "low"}, UNASSIGNED_CONVERSATION),
            ("POST", f"{base}/labels", {"labels": ["matrix"]}, UNASSIGNED_CONVERSATION),
            ("GET", f"{base}/participants", None, UNASSIGNED_CONVERSATION),
            ("POST", f"{base}/update_last_seen", None, UNASSIGNED_CONVERSATION),
            ("POST", f"{base}/direct_uploads",
             {"blob": {"filename": "a.png", "content_type": "image/png", "byte_size": 10}}, UNASSIGNED_CONVERSATION),
            ("POST", f"/api/v1/accounts/{a}/conversations", {"inbox_id": website.id, "contact_id": contact_id},
             NO_CONVERSATION_PERMISSION)]
    failures = []
    for method, path, body, expected in rows:
        for caller, status in zip(CALLERS, full(expected)):
            reply = api.call(method, path, token_of(world, caller), body=body)
            if reply.status != status:
                failures.append(f"{method} {path} as {caller}: {reply.status} (expected {status}) {reply.json}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- HTML routes

@pytest.fixture
def built_pages(aws):
    """The least of what `aws s3 sync frontend/dist` puts in the frontend bucket, for
    routes that serve a built page (GET /widget)."""
    import boto3

    from parley.settings import get_settings

    boto3.client("s3").put_object(Bucket=get_settings().frontend_bucket, Key="widget/index.html",
                                  Body=b"<!doctype html><html><head><title>Chat</title></head><body></body></html>",
                                  ContentType="text/html")


def html_call(api, method: str, path: str, token: str | None) -> tuple[int, str, str]:
    """An HTML route's status, content type and text (the matrix's `api.call` reads JSON)."""
    import base64

    from tests.conftest import LambdaContext, http_event

    route, _, query_string = path.partition("?")
    result = api.app.lambda_handler(http_event(method, route, headers={"api_access_token": token} if token else {},
                                               query=dict(parse_qsl(query_string)) or None), LambdaContext())
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return result["statusCode"], headers.get("content-type", ""), body


def test_widget_page_with_every_caller(api, world, website, built_pages):
    """GET /widget is public: the website token decides, never the caller's token. An
    unknown token is 404; a suspended account's page is refused (403) like its widget API,
    and a deleted account's is 404 — always as an HTML page, never the built widget."""
    from parley.models.account import ACTIVE, SUSPENDED
    from parley.services.lifecycle import account_status
    from parley.services.account import accounts

    def page(token: str) -> str:
        return f"/widget?website_token={token}"

    other_website = api.post(f"/api/v1/accounts/{world.other_account_id}/inboxes", world.other_admin.token, body={
        "name": "Globex website", "channel": {"type": "web_widget", "website_url": "https://globex.test"}}).json
    rows = [(page(website.website_token), PUBLIC),
            (page("no-such-token"), (404,) * 7),
            (page(other_website["website_token"]), PUBLIC)]
    failures = []

    def walk():
        for path, expected in rows:
            for caller, status in zip(CALLERS, expected):
                got, content_type, body = html_call(api, "GET", path, token_of(world, caller))
                if (got, content_type.split(";")[0]) != (status, "text/html") or (status == 200) != ("<head>" in body):
                    failures.append(f"GET {path} as {caller}: {got} {content_type} (expected {status}) {body[:80]}")

    walk()
    suspended = accounts.get_account(world.account_id)
    account_status.update_account(suspended, status=SUSPENDED)
    rows = [(page(website.website_token), (403,) * 7), (page(other_website["website_token"]), PUBLIC)]
    walk()
    account_status.update_account(accounts.get_account(world.account_id), status=ACTIVE)
    rows = [(page(website.website_token), PUBLIC)]
    walk()
    assert api.delete(f"/super_admin/api/v1/accounts/{world.other_account_id}", world.super_admin.token).status == 200
    rows = [(page(other_website["website_token"]), (404,) * 7)]
    walk()
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- help center
# Any member reads; writing needs knowledge_base_manage (administrators, a custom role
# granting it) or being one of the portal's members (HELP_CENTER_MEMBER: the agent).
KNOWLEDGE_BASE = needs("knowledge_base_manage", UNAUTH + (401, 404, 404, 403, 200))
HELP_CENTER_MEMBER = needs("knowledge_base_manage", UNAUTH + (401, 404, 404, 200, 200))


def test_help_center_routes_with_every_caller(api, world, role_agents):
    """Each caller writes its own objects (unique slugs per caller), so a row's outcome
    never depends on an earlier caller's."""
    from parley.services.help_center import articles, categories, portals

    a = world.account_id
    portal = portals.create(a, {"name": "Matrix Help", "slug": "matrix-help",
                                "config": {"allowed_locales": ["en"], "default_locale": "en"}})
    members_portal = portals.create(a, {"name": "Members Help", "slug": "members-help", "member_ids": [world.agent.id]})
    category = categories.create(portal, {"name": "Matrix category"})
    article = articles.create(portal, world.admin.id, {"title": "Matrix article", "status": "published"})
    p = f"/api/v1/accounts/{a}/portals/matrix-help"
    w_agent = world.agent.id

    def fresh_article(caller):
        return articles.create(portal, world.admin.id, {"title": f"Doomed {caller}"}).id

    def fresh_category(caller):
        return categories.create(portal, {"name": f"Doomed {caller}"}).id

    rows = [
        ("GET", f"/api/v1/accounts/{a}/portals", None, MEMBER),
        ("POST", f"/api/v1/accounts/{a}/portals", lambda c: {"name": c, "slug": f"m-{c.replace('_', '-')}"},
         KNOWLEDGE_BASE),
        ("GET", p, None, MEMBER),
        ("PATCH", p, {"header_text": "Matrix"}, KNOWLEDGE_BASE),
        ("PATCH", f"/api/v1/accounts/{a}/portals/members-help", {"header_text": "By a member"}, HELP_CENTER_MEMBER),
        ("PATCH", f"{p}/archive", None, KNOWLEDGE_BASE),
        ("POST", f"/api/v1/accounts/{a}/portals/members-help/add_members", {"member_ids": [w_agent]}, KNOWLEDGE_BASE),
        ("DELETE", f"{p}/logo", None, KNOWLEDGE_BASE),
        ("GET", f"{p}/categories", None, MEMBER),
        ("POST", f"{p}/categories", lambda c: {"name": f"Made by {c}"}, KNOWLEDGE_BASE),
        ("POST", f"/api/v1/accounts/{a}/portals/members-help/categories", lambda c: {"name": f"Member {c}"},
         HELP_CENTER_MEMBER),
        ("GET", f"{p}/categories/{category.id}", None, MEMBER),
        ("PATCH", f"{p}/categories/{category.id}", {"description": "d"}, KNOWLEDGE_BASE),
        ("POST", f"{p}/categories/reorder", {"positions_hash": {str(category.id): 3}}, KNOWLEDGE_BASE),
        ("DELETE", lambda c: f"{p}/categories/{fresh_category(c)}", None, KNOWLEDGE_BASE),
        ("GET", f"{p}/articles", None, MEMBER),
        ("GET", f"/api/v1/accounts/{a}/search/articles", None, MEMBER),
        ("POST", f"{p}/articles", lambda c: {"title": f"Made by {c}", "slug": f"made-by-{c.replace('_', '-')}"},
         KNOWLEDGE_BASE),
        ("GET", f"{p}/articles/{article.id}", None, MEMBER),
        ("PATCH", f"{p}/articles/{article.id}", {"description": "d"}, KNOWLEDGE_BASE),
        ("POST", f"{p}/articles/reorder", {"positions_hash": {str(article.id): 7}}, KNOWLEDGE_BASE),
        ("DELETE", lambda c: f"{p}/articles/{fresh_article(c)}", None, KNOWLEDGE_BASE),
        ("DELETE", lambda c: f"/api/v1/accounts/{a}/portals/{portals.create(a, {'name': c, 'slug': 'gone-' + c.replace('_', '-')}).data['slug']}",
         None, KNOWLEDGE_BASE),
    ]
    assert members_portal.data["member_ids"] == [world.agent.id]
    failures = []
    for method, path, body, expected in rows:
        for caller, status in zip(CALLERS, full(expected)):
            route = path(caller) if callable(path) else path
            reply = api.call(method, route, token_of(world, caller), body=body(caller) if callable(body) else body)
            if reply.status != status:
                failures.append(f"{method} {route} as {caller}: {reply.status} (expected {status}) {reply.json}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- captain
# Administrators write assistants and their inbox links; knowledge_base_manage reads them.
# FAQs (assistant responses, bulk actions) and documents: administrators and knowledge_base_manage.


def test_captain_routes_with_every_caller(api, world, role_agents):
    """Each caller deletes its own objects, so a row's outcome never depends on an earlier caller's."""
    from parley.services.captain import assistants, documents, responses, scenarios
    from parley.services.inbox import inboxes

    a = world.account_id
    assistant = assistants.create(a, {"name": "Matrix", "description": "Matrix assistant"})
    document = documents.create_link(a, assistant.id, "https://docs.example.com/matrix")
    faq = responses.create(a, {"question": "q", "answer": "a", "assistant_id": assistant.id})
    c = f"/api/v1/accounts/{a}/captain"
    s = f"{c}/assistants/{assistant.id}"

    def fresh_inbox(caller):
        return inboxes.create_inbox(a, name=f"Captain {caller}", channel_type="api", channel={}).id

    def linked_inbox(caller):
        inbox_id = fresh_inbox(caller)
        assistants.link(assistant, inbox_id)
        return inbox_id

    def fresh_faq(caller):
        return responses.create(a, {"question": caller, "answer": "a", "assistant_id": assistant.id}).id

    def fresh_scenario(caller):
        return scenarios.create(assistant, {"title": caller, "description": "d", "instruction": "i"}).id

    scenario = fresh_scenario("matrix")

    def overridden(caller):
        from parley.services.captain import providers
        made = assistants.create(a, {"name": f"Override {caller}", "description": "d"}).id
        providers.update(a, made, {"provider": "offline"})
        return made

    def fresh_document(caller):
        return documents.create_link(a, assistant.id, f"https://docs.example.com/delete/{caller}").id

    rows = [
        ("GET", f"{c}/assistants", None, KNOWLEDGE_BASE),
        ("POST", f"{c}/assistants", lambda who: {"name": who, "description": "d"}, ADMIN),
        ("GET", s, None, KNOWLEDGE_BASE),
        ("PATCH", s, {"description": "Changed"}, ADMIN),
        ("DELETE", lambda who: f"{c}/assistants/{assistants.create(a, {'name': who, 'description': 'd'}).id}", None, ADMIN),
        ("GET", f"{s}/inboxes", None, KNOWLEDGE_BASE),
        ("POST", f"{s}/inboxes", lambda who: {"inbox_id": fresh_inbox(who)}, ADMIN),
        ("DELETE", lambda who: f"{s}/inboxes/{linked_inbox(who)}", None, ADMIN),
        ("GET", f"{s}/scenarios", None, KNOWLEDGE_BASE),
        ("POST", f"{s}/scenarios", lambda who: {"title": who, "description": "d", "instruction": "i"}, ADMIN),
        ("GET", f"{s}/scenarios/{scenario}", None, KNOWLEDGE_BASE),
        ("PATCH", f"{s}/scenarios/{scenario}", {"enabled": False}, ADMIN),
        ("DELETE", lambda who: f"{s}/scenarios/{fresh_scenario(who)}", None, ADMIN),
        ("GET", f"{c}/assistant_responses", None, KNOWLEDGE_BASE),
        ("POST", f"{c}/assistant_responses", lambda who: {"question": who, "answer": "a", "assistant_id": assistant.id},
         KNOWLEDGE_BASE),
        ("GET", f"{c}/assistant_responses/{faq.id}", None, KNOWLEDGE_BASE),
        ("PATCH", f"{c}/assistant_responses/{faq.id}", {"answer": "b"}, KNOWLEDGE_BASE),
        ("DELETE", lambda who: f"{c}/assistant_responses/{fresh_faq(who)}", None, KNOWLEDGE_BASE),
        ("POST", f"{c}/bulk_actions", lambda who: {"type": "AssistantResponse", "ids": [fresh_faq(who)],
                                                   "fields": {"status": "approve"}}, KNOWLEDGE_BASE),
        # Usage: the Captain settings and Reports > Captain (administrators, report_manage roles).
        ("GET", f"{c}/usage", None, REPORT),
        ("GET", f"{c}/usage?month=2026-01", None, REPORT),
        # Provider settings (routes/captain_providers.py): administrators only.
        ("GET", f"{c}/provider", None, ADMIN),
        ("PATCH", f"{c}/provider", {"provider": "offline", "monthly_budget_usd": 10}, ADMIN),
        ("GET", f"{s}/provider", None, ADMIN),
        ("PATCH", f"{s}/provider", {"provider": "offline"}, ADMIN),
        ("DELETE", lambda who: f"{c}/assistants/{overridden(who)}/provider", None, ADMIN),

        # Documents: administrators and knowledge_base_manage (delete answers 204, as Chatwoot).
        ("GET", f"{c}/documents", None, KNOWLEDGE_BASE),
        ("POST", f"{c}/documents", lambda who: {"external_link": f"https://docs.example.com/{who}",
                                                "assistant_id": assistant.id}, KNOWLEDGE_BASE),
        ("GET", f"{c}/documents/{document.id}", None, KNOWLEDGE_BASE),
        ("POST", f"{c}/documents/direct_uploads", {"blob": {"filename": "a.pdf", "content_type": "application/pdf",
                                                            "byte_size": 10}}, KNOWLEDGE_BASE),
        ("DELETE", lambda who: f"{c}/documents/{fresh_document(who)}", None,
         tuple(204 if status == 200 else status for status in KNOWLEDGE_BASE)),
    ]
    failures = []
    for method, path, body, expected in rows:
        for caller, status in zip(CALLERS, full(expected)):
            route = path(caller) if callable(path) else path
            reply = api.call(method, route, token_of(world, caller), body=body(caller) if callable(body) else body)
            if reply.status != status:
                failures.append(f"{method} {route} as {caller}: {reply.status} (expected {status}) {reply.json}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- captain copilot
# The copilot (the captain function's routes): threads are their user's (any member makes
# and reads their own; another's thread is 404 to everyone else); actions work on a
# conversation the caller may see (here an unassigned one of an inbox every agent is in).

def test_copilot_routes_with_every_caller(api, world, website, role_agents):
    from parley.services.captain import assistants, copilot

    a = world.account_id
    joined = api.post(f"/api/v1/accounts/{a}/inbox_members", world.admin.token, body={
        "inbox_id": website.id, "user_ids": [world.agent.id] + [p.id for p in role_agents.values()]})
    assert joined.status == 200, joined.json
    assistant = assistants.create(a, {"name": "Copilot matrix", "description": "d"})
    assistants.link(assistant, website.id)
    visitor = website.widget.start()
    assert website.widget.say(visitor, "hello").status == 200
    conversation_id = api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token,
                              query={"status": "all"}).json["data"]["payload"][0]["id"]  # pending: Captain's inbox
    admins_thread, _ = copilot.create_thread(a, world.admin.id, assistant, "the administrator's question")
    c = f"/api/v1/accounts/{a}/captain"
    own = MEMBER + (200,) * len(ROLE_CALLERS)
    admin_only = UNAUTH + (401, 404, 404, 404, 200) + (404,) * len(ROLE_CALLERS)
    on_conversation = UNASSIGNED_CONVERSATION
    rows = [
        ("GET", f"{c}/copilot_threads", None, own),
        ("POST", f"{c}/copilot_threads", {"message": "q", "assistant_id": assistant.id}, own),
        ("GET", f"{c}/copilot_threads/{admins_thread.id}/copilot_messages", None, admin_only),
        ("POST", f"{c}/copilot_threads/{admins_thread.id}/copilot_messages", {"message": "q"}, admin_only),
        ("GET", f"{c}/copilot?conversation_id={conversation_id}", None, on_conversation),
        ("POST", f"{c}/copilot/reply_suggestion", {"conversation_id": conversation_id}, on_conversation),
        ("POST", f"{c}/tasks/reply_suggestion", {"conversation_display_id": conversation_id}, on_conversation),
    ]
    failures = []
    for method, path, body, expected in rows:
        route, _, query_string = path.partition("?")
        for caller, status in zip(CALLERS, full(expected)):
            reply = api.call(method, route, token_of(world, caller), body=body,
                             query=dict(parse_qsl(query_string)) or None)
            if reply.status != status:
                failures.append(f"{method} {path} as {caller}: {reply.status} (expected {status}) {reply.json}")

def test_captain_function_routes_with_every_caller(api, world, role_agents):
    """The playground is served by the captain function (API Gateway's more specific route):
    called here as API Gateway calls it. Administrators and knowledge_base_manage."""
    import base64
    import json

    from parley.services.captain import assistants, responses
    from tests.conftest import LambdaContext, http_event, load_function

    a = world.account_id
    assistant = assistants.create(a, {"name": "Matrix", "description": "Matrix assistant"})
    responses.create(a, {"question": "How do I reset my password?", "answer": "In Settings.",
                         "assistant_id": assistant.id})
    handler = load_function("captain").lambda_handler
    path = f"/api/v1/accounts/{a}/captain/assistants/{assistant.id}/playground"
    failures = []
    for caller, status in zip(CALLERS, full(KNOWLEDGE_BASE)):
        token = token_of(world, caller)
        event = http_event("POST", path, body={"message_content": "How do I reset my password?"},
                           headers={"api_access_token": token} if token is not None else None)
        result = handler(event, LambdaContext())
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        if result["statusCode"] != status:
            failures.append(f"POST {path} as {caller}: {result['statusCode']} (expected {status}) {body[:200]}")
        elif status == 200:
            assert json.loads(body)["response"] == "In Settings."
    assert not failures, "\n".join(failures)
