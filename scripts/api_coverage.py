"""Write docs/api-coverage.md: every operation of Chatwoot's reference API and whether
Parley answers it.

Each operation is called through the real http_api handler (over moto), with its path
parameters filled in and no credentials. A route Parley has answers with its own status
(401 for a missing token, 404 for an unknown inbox ...); a route it lacks reaches the
router's not-found handler. Run it with `.venv/bin/python scripts/api_coverage.py`;
tests/integration/test_api_coverage.py fails when the committed file is out of date.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
SPEC = ROOT / "tests" / "reference" / "chatwoot-openapi.json"
PATCHES = ROOT / "tests" / "reference" / "spec-patches.json"
OUTPUT = ROOT / "docs" / "api-coverage.md"
# Hand-written sections appended in name order, one file per feature: routes the reference
# spec lacks (Chatwoot's server has them, or Parley adds them) and how they differ.
EXTRA = ROOT / "docs" / "api-coverage"
METHODS = ("get", "post", "put", "patch", "delete")
ROUTER_NOT_FOUND = "Not found"  # the body app.py's not_found handler gives for an unknown route

# Routes of Chatwoot's server that its published spec leaves out, answered by Parley with
# the server's shapes: (area, METHOD, path, how Parley answers). Listed under their own heading.
BEYOND_SPEC: tuple[tuple[str, str, str, str], ...] = (
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/portals/{portal_slug}",
     "the portal (addressed by slug) at the top level, with config counts, inbox, logo and meta; any member"),
    ("Help Center", "DELETE", "/api/v1/accounts/{account_id}/portals/{portal_slug}",
     "the portal, its claims and its public pages at once, then its categories and articles; `{}`"),
    ("Help Center", "POST", "/api/v1/accounts/{account_id}/portals/{portal_slug}/add_members",
     "`{member_ids: [...]}`: adds agents of the account to the portal's members (PATCH `member_ids` sets the list); administrators and knowledge_base_manage; the portal"),
    ("Help Center", "PATCH", "/api/v1/accounts/{account_id}/portals/{portal_slug}/archive",
     "archives the portal (its public site and widget listing go; `{archived: false}` brings it back); the portal"),
    ("Help Center", "POST", "/api/v1/accounts/{account_id}/portals/{portal_slug}/logo",
     "multipart field `logo` (`?dark=true`: the dark-mode logo), an image by its bytes, at most 2 MB, else 422; the portal"),
    ("Help Center", "DELETE", "/api/v1/accounts/{account_id}/portals/{portal_slug}/logo",
     "removes the logo (`?dark=true`: the dark one); the portal"),
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/portals/{portal_slug}/categories",
     "`{payload: [category]}` by position; `?locale=`"),
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/portals/{portal_slug}/categories/{id}",
     "`{payload: category}` with related_categories and meta.articles_count; another portal's id: 404"),
    ("Help Center", "PATCH", "/api/v1/accounts/{account_id}/portals/{portal_slug}/categories/{id}",
     "`{category: {...}}` or flat; `{payload: category}`; a taken slug in the locale: 409"),
    ("Help Center", "DELETE", "/api/v1/accounts/{account_id}/portals/{portal_slug}/categories/{id}",
     "its articles stay, without a category; `{}`"),
    ("Help Center", "POST", "/api/v1/accounts/{account_id}/portals/{portal_slug}/categories/reorder",
     "`{positions_hash: {id: position}}` (at most 45); `{payload: [category]}`"),
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/portals/{portal_slug}/articles",
     "`{payload: [article], meta: {all_articles_count, archived_articles_count, published_count, draft_articles_count, mine_articles_count, current_page, articles_count}}`; `query`, `author_id`, `status`, `locale`, `category_slug`, `page`"),
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/portals/{portal_slug}/articles/{id}",
     "`{payload: article}` with author, category and associated_articles"),
    ("Help Center", "PATCH", "/api/v1/accounts/{account_id}/portals/{portal_slug}/articles/{id}",
     "`{article: {...}}` or flat; content over 200,000 bytes: 413; `{payload: article}`"),
    ("Help Center", "DELETE", "/api/v1/accounts/{account_id}/portals/{portal_slug}/articles/{id}",
     "`{}`; gone from the public site and search at once"),
    ("Help Center", "POST", "/api/v1/accounts/{account_id}/portals/{portal_slug}/articles/reorder",
     "`{positions_hash: {id: position}}` (at most 45); `{payload: [article]}`"),
    ("Help Center", "GET", "/api/v1/accounts/{account_id}/search/articles",
     "`?q=` (at most 200 characters, else 422): `{payload: {articles: [...]}}` over every portal and status of the account, ranked"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistants",
     "`{payload: [assistant], meta: {total_count, page: 1}}`, newest first (not paged, as Chatwoot); administrators and knowledge_base_manage"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/assistants",
     "`{assistant: {...}}` or flat; name and description required; config temperature 0 to 1; response_guidelines and guardrails at most 50 of at most 1,000 characters; administrators; the assistant"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistants/{id}",
     "{account_id, config, created_at, description, guardrails, id, name, response_guidelines, updated_at}, integer timestamps"),
    ("Captain", "PATCH", "/api/v1/accounts/{account_id}/captain/assistants/{id}",
     "also PUT; administrators; the fields given, config merged key by key; the assistant"),
    ("Captain", "DELETE", "/api/v1/accounts/{account_id}/captain/assistants/{id}",
     "administrators; unlinks its inboxes in the same transaction, then removes its FAQs and documents; `{}`"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/inboxes",
     "`{payload: [inbox], meta: {total_count, page: 1}}`"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/inboxes",
     "`{inbox: {inbox_id}}` or `{inbox_id}`; administrators; another account's inbox 404; an inbox linked to another assistant 409 naming inbox_id; the inbox"),
    ("Captain", "DELETE", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/inboxes/{inbox_id}",
     "administrators; an inbox not linked to this assistant 404; `{}`"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/scenarios",
     "the enabled scenarios (as Chatwoot; `?include_disabled=true` for all), `{payload, meta: {total_count, page: 1}}`; administrators and knowledge_base_manage"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/scenarios",
     "`{scenario: {title, description, instruction, enabled}}` or flat; tools are the `tool://` ids the instruction names (an unknown one: 422); at most 50 an assistant; administrators"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/scenarios/{id}",
     "{id, title, description, instruction, tools, enabled, assistant_id, account_id, created_at, updated_at, assistant}, ISO timestamps as Chatwoot's scenario view"),
    ("Captain", "PATCH", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/scenarios/{id}",
     "also PUT; administrators; the fields given; another assistant's scenario 404"),
    ("Captain", "DELETE", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/scenarios/{id}",
     "administrators; `{}`"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistant_responses",
     "the FAQs: `?assistant_id`, `document_id`, `status` (pending, approved), `search`, `page`; 25 a page, newest first, `{payload, meta: {total_count, page}}`"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/assistant_responses",
     "`{assistant_response: {question, answer, assistant_id, status}}` or flat; approved unless status is given; administrators and knowledge_base_manage"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/assistant_responses/{id}", "the FAQ with its assistant"),
    ("Captain", "PATCH", "/api/v1/accounts/{account_id}/captain/assistant_responses/{id}", "also PUT; the fields given"),
    ("Captain", "DELETE", "/api/v1/accounts/{account_id}/captain/assistant_responses/{id}", "`{}`"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/bulk_actions",
     "`{type: \"AssistantResponse\", ids: [...], fields: {status: \"approve\" | \"delete\"}}`, at most 99 ids, all or nothing (an unknown id: 404, nothing changed); the approved FAQs, or `[]`"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/copilot_threads",
     "the caller's own copilot threads, newest first, 5 a page (`?page`): `{payload: [{id, title, uuid, created_at, user, assistant, account_id}]}`; any member"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/copilot_threads",
     "`{message, assistant_id, conversation_id?}`: the thread (titled by the message), its first message and the assistant's reply, generated in the request; the thread"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/copilot_threads/{thread_id}/copilot_messages",
     "`{payload: [{id, message: {content, ...}, message_type: user | assistant, created_at, copilot_thread, account_id}]}`, oldest first; another user's thread: 404"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/copilot_threads/{thread_id}/copilot_messages",
     "`{message, conversation_id?}`: the agent's message (the reply is in the thread when this answers); a model failure: 502/503 `{error, reason}`"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/tasks/rewrite",
     "`{conversation_display_id, content, operation}` (fix_spelling_grammar, professional, friendly, casual, confident, straightforward, improve, and Parley's shorten, make_friendly, make_formal): `{message}`; needs a generation model (offline: 422 `unsupported`)"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/tasks/summarize",
     "`{conversation_display_id}`: `{message}`; needs a generation model"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/tasks/reply_suggestion",
     "`{conversation_display_id}`: `{message}`; offline, the best-matching approved answer (`\"\"` when none matches)"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/tasks/label_suggestion",
     "`{conversation_display_id}`: `{message: \"label, label\"}`, only the account's labels not on the conversation; needs a generation model"),

    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/assistants/{assistant_id}/playground",
     "served by the captain function; `{message_content, message_history: [{role, content}]}` (content 1 to 4,000 "
     "characters, at most 20 turns; else 422); `{response, reasoning, handoff: {reason, reason_text, message} | null, "
     "sources}`; administrators and knowledge_base_manage"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/usage",
     "Parley's: a month's (`month=YYYY-MM`, a UTC month from 2000-01 to this one, else 422 naming `month`; this "
     "month by default) and the month before's model calls, tokens, cost, answers and handoffs per assistant and in "
     "total, the monthly budget and the rate limit; administrators and `report_manage` roles"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/documents",
     "`?assistant_id`, `page`; 25 a page, newest first, `{payload, meta: {total_count, page}}`; administrators and knowledge_base_manage"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/documents",
     "`{document: {external_link, assistant_id, name}}` or flat (a public http(s) URL, else 422); or multipart `pdf_document` / `file` (a PDF up to 4 MB inline, a UTF-8 text file up to 2 MB; larger: 413) with `assistant_id`; or `{signed_id, assistant_id}` of a direct upload; the document, `in_progress`"),
    ("Captain", "POST", "/api/v1/accounts/{account_id}/captain/documents/direct_uploads",
     "`{blob: {filename, content_type, byte_size}}`: a presigned S3 POST for a PDF up to 20 MB or a text file up to 2 MB (over: 413, nothing signed)"),
    ("Captain", "GET", "/api/v1/accounts/{account_id}/captain/documents/{id}",
     "the document: status in_progress | available | failed, error, metadata {source, pages, chunk_count, content_length, truncated}"),
    ("Captain", "DELETE", "/api/v1/accounts/{account_id}/captain/documents/{id}",
     "the document and its chunks; the assistant's knowledge version bumped in the same transaction; 204"),
    ("Custom Roles", "GET", "/api/v1/accounts/{account_id}/custom_roles",
     "administrators; the account's roles: id, account_id, name, description, permissions, created_at, updated_at"),
    ("Custom Roles", "POST", "/api/v1/accounts/{account_id}/custom_roles",
     "{custom_role: {name, description, permissions}} or flat; an unknown permission, a blank or taken name: 422"),
    ("Custom Roles", "GET", "/api/v1/accounts/{account_id}/custom_roles/{id}", "another account's role: 404"),
    ("Custom Roles", "PATCH", "/api/v1/accounts/{account_id}/custom_roles/{id}", "also PUT; the fields given change"),
    ("Custom Roles", "DELETE", "/api/v1/accounts/{account_id}/custom_roles/{id}",
     "its agents lose it first (Chatwoot's dependent: :nullify) and get an agent's usual rights; answers {}"),
    ("Agents", "POST, PATCH", "/api/v1/accounts/{account_id}/agents[/{id}]",
     "custom_role_id: one of the account's roles (else 422), null takes it away; the agent JSON has custom_role_id "
     "and custom_role {id, name, description, permissions} only when the agent holds a role (the spec types "
     "custom_role_id as an integer, so it is left out rather than null)"),
    ("Dashboard Apps", "GET", "/api/v1/accounts/{account_id}/dashboard_apps",
     "every member; a bare array of {id, title, content: [{type: \"frame\", url}], created_at}"),
    ("Dashboard Apps", "POST", "/api/v1/accounts/{account_id}/dashboard_apps",
     "administrators; title required, content one frame whose url is https and not a private, loopback, "
     "link-local or reserved address (422); `{\"dashboard_app\": {...}}` or flat"),
    ("Dashboard Apps", "GET", "/api/v1/accounts/{account_id}/dashboard_apps/{id}", "every member"),
    ("Dashboard Apps", "PATCH", "/api/v1/accounts/{account_id}/dashboard_apps/{id}",
     "administrators (PUT too); the fields given"),
    ("Dashboard Apps", "DELETE", "/api/v1/accounts/{account_id}/dashboard_apps/{id}",
     "administrators; 204 with no body, as Chatwoot"),
    ("Integrations", "GET", "/api/v1/accounts/{account_id}/integrations/apps/{id}",
     "every member; one app of the list (404 for an app Parley does not implement)"),
    ("Conversations", "DELETE", "/api/v1/accounts/{account_id}/conversations/{conversation_id}",
     "administrators only (an agent, whatever their custom role: 403; another account's id: 404); 200 with an "
     "empty body, as Chatwoot's server (`head :ok`). The conversation leaves every list, count and door at once; "
     "its messages, files and claims go in a background job (docs/data-model.md). Audited (Conversation, "
     "destroy). Unlike Chatwoot, open dashboards get a `conversation.deleted` frame (agents who may see the "
     "conversation; not the contact's widget) and drop it; webhooks get nothing, as in Chatwoot"),
    ("Widget", "GET", "/api/v1/widget/campaigns",
     "`?website_token=`, no visitor token; Chatwoot's `[{id, trigger_rules, message, sender: {name, avatar_url} | null}]`: "
     "the inbox's enabled ongoing campaigns (those limited to business hours only while the inbox is open); "
     "`Cache-Control: public, max-age=60` (docs/campaigns.md)"),
    ("Widget", "POST", "/api/v1/widget/events",
     "`{name, event_info}` -> `webwidget_triggered` (webhooks, the inbox's bot); needs the visitor's X-Auth-Token, "
     "except `campaign.triggered` (`event_info.campaign_id`: a live ongoing campaign of the inbox, else 404), "
     "taken from a visitor who has not written yet with `contact: null`; `{}`"),
    ("Widget", "POST", "/api/v1/widget/messages",
     "the visitor's message; a first one (no token: it creates the visitor and hands back `widget_auth_token`) with "
     "`message.campaign_id` naming a live ongoing campaign of the inbox starts the conversation (`campaign_id`) with "
     "the campaign's message first; any other campaign_id is ignored"),
    ("Campaigns", "GET", "/api/v1/accounts/{account_id}/campaigns",
     "administrators; a bare array of the account's campaigns, oldest first (docs/campaigns.md)"),
    ("Campaigns", "POST", "/api/v1/accounts/{account_id}/campaigns",
     "administrators; the body bare or under `campaign`; ongoing on a website inbox, one_off on SMS/WhatsApp; "
     "bad input 422 naming the field; stored only (nothing is sent yet)"),
    ("Campaigns", "GET", "/api/v1/accounts/{account_id}/campaigns/{id}", "administrators; another account's id: 404"),
    ("Campaigns", "PATCH", "/api/v1/accounts/{account_id}/campaigns/{id}",
     "also PUT; administrators; the fields given change, the whole campaign is validated again"),
    ("Campaigns", "DELETE", "/api/v1/accounts/{account_id}/campaigns/{id}", "administrators; `{}`"),
)


# Where Parley answers a spec operation in its own way (what the spec leaves to the server).
CHOICES: tuple[str, ...] = (
    "`GET .../integrations/apps` lists what Parley really integrates with: `webhook` and `dashboard_apps` "
    "(enabled once the account has one) and its channels `website`, `api`, `email`, `telegram`, `whatsapp`, "
    "`twilio_sms` (hook_type `inbox`, enabled once an inbox of that channel exists); no app Parley does not run. "
    "`action`/`button` (the app's Parley settings path) and hooks' `settings` are for administrators only, as in Chatwoot.",
    "`.../integrations/hooks` takes hooks for the `webhook` app only: its hooks are the account's webhooks "
    "(`settings` = url, name, subscriptions; the hook id is the webhook id; DELETE deletes the webhook). A webhook "
    "is always on, so `status` 0 or `disabled` is a 422, as is a hook for any other app, an `inbox_id`, or unknown "
    "settings. Nothing is stored that does nothing.",
)


def operations() -> list[tuple[str, str, str, str]]:
    """(tag, METHOD, path, summary) for every operation of the reference spec."""
    spec = json.loads(SPEC.read_text())
    rows = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                rows.append(((operation.get("tags") or ["Other"])[0], method.upper(), path,
                             operation.get("summary", "")))
    return rows


def answered(api, method: str, path: str) -> bool:
    concrete = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
    reply = api.call(method, concrete, body={} if method in ("POST", "PUT", "PATCH") else None)
    return not (reply.status == 404 and (reply.json or {}).get("error") == ROUTER_NOT_FOUND)


def render(results: list[tuple[tuple[str, str, str, str], bool]]) -> str:
    total = Counter(ok for _, ok in results)
    lines = [
        "# API coverage",
        "",
        "Every operation of Chatwoot's reference API (the copy in `tests/reference/chatwoot-openapi.json`)",
        "and whether Parley answers it. Generated by `scripts/api_coverage.py`, which calls each",
        "operation through the real HTTP handler; do not edit by hand.",
        "",
        f"**{total[True]} of {len(results)} operations answered.**",
        "",
        "| area | method | path | Parley |",
        "| --- | --- | --- | --- |",
    ]
    for (tag, method, path, _summary), ok in sorted(results, key=lambda r: (r[0][0], r[0][2], r[0][1])):
        lines.append(f"| {tag} | {method} | `{path}` | {'yes' if ok else 'not yet'} |")
    lines += [
        "",
        "## Beyond the spec",
        "",
        "Routes Chatwoot's server has and its published spec leaves out, answered with the server's shapes.",
        "",
        "| area | method | path | Parley |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {area} | {method} | `{path}` | {what.replace('|', chr(92) + '|')} |"
              for area, method, path, what in BEYOND_SPEC]
    lines += ["", "## Parley's choices within the spec", ""] + [f"- {choice}" for choice in CHOICES]
    lines += [
        "",
        "## Where the spec and Chatwoot's server differ",
        "",
        "Published clients are built against Chatwoot's real server, so Parley follows the server.",
        "Each difference is a patch in `tests/reference/spec-patches.json`, applied to the tests'",
        "copy of the spec whenever it is refreshed (`scripts/refresh_spec.py`).",
        "",
        "| where in the spec | what Parley (and Chatwoot's server) does |",
        "| --- | --- |",
    ]
    for patch in json.loads(PATCHES.read_text()):
        why = patch["why"].replace("|", "\\|")  # a pipe would end the table cell
        lines.append(f"| `{patch['path']}` | {why} |")
    for extra in sorted(EXTRA.glob("*.md")) if EXTRA.is_dir() else []:
        lines += ["", extra.read_text().rstrip("\n")]
    lines += super_admin_routes()
    return "\n".join(lines) + "\n"


def super_admin_routes() -> list[str]:
    """Parley's super-admin API, read from its router: Chatwoot's super admin is a Rails
    admin UI (/super_admin), not an API, so the reference has none of these."""
    sys.path.insert(0, str(ROOT / "functions" / "http_api"))
    from routes import super_admin

    lines = [
        "",
        "## The super-admin API (Parley's own)",
        "",
        "Chatwoot's super admin is a server-rendered admin UI (`/super_admin`, Rails Administrate), not an",
        "API, and its reference has no such operations. Parley's console (`/app/super_admin`) calls these",
        "routes, super admins only (anyone else: 403); docs/super-admin.md describes each. Generated from",
        "`functions/http_api/routes/super_admin.py`.",
        "",
        "| method | path | what |",
        "| --- | --- | --- |",
    ]
    for key, handler in super_admin.router._routes.items():
        rule, methods = key[0], key[1]
        what = ((getattr(handler, "__doc__", None) or "").strip().splitlines() or [handler.__name__.replace("_", " ")])[0]
        path = rule.replace("<", "{").replace(">", "}")
        lines.append(f"| {', '.join(methods)} | `{path}` | {what.replace('|', '/')} |")
    return lines


def generate() -> str:
    import boto3
    from moto import mock_aws

    from tests import conftest

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        api = conftest.Api()
        return render([(op, answered(api, op[1], op[2])) for op in operations()])


if __name__ == "__main__":
    OUTPUT.write_text(generate())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
