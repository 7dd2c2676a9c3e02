"""The help center's account API: portals, categories and articles in Chatwoot's shapes,
validated against the reference spec; bad input; tenant isolation; who may write; every
write audited and versioned, with an internal event no socket or webhook receives."""
from __future__ import annotations

import base64

import pytest
from jsonschema import Draft202012Validator

from tests.spec import assert_matches, spec, _nullable

real_engine = pytest.mark.dynamodb_local  # transactions and conditions: on DynamoDB Local too
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def component(name: str, body) -> None:
    """`body` matches the spec's component schema `name` (portal_item, category, article)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _nullable(spec()["components"])}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, f"{name}: " + "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])


def base(world) -> str:
    return f"/api/v1/accounts/{world.account_id}/portals"


def make_portal(api, world, slug="acme-help", **extra):
    reply = api.post(base(world), world.admin.token, body={"portal": {
        "name": "Acme Help", "slug": slug, "color": "#0f766e", "page_title": "Acme Help Center",
        "header_text": "How can we help?", "config": {"allowed_locales": ["en", "es"], "default_locale": "en"}, **extra}})
    assert reply.status == 200, reply.json
    return reply.json


def make_category(api, world, portal="acme-help", **fields):
    reply = api.post(f"{base(world)}/{portal}/categories", world.admin.token,
                     body={"category": {"name": "Getting started", "locale": "en", **fields}})
    assert reply.status == 200, reply.json
    return reply.json["payload"]


def make_article(api, world, portal="acme-help", token=None, **fields):
    reply = api.post(f"{base(world)}/{portal}/articles", token or world.admin.token,
                     body={"article": {"title": "Reset your password", "content": "# Steps\n\nClick *Forgot*.",
                                       "description": "How to reset it", **fields}})
    assert reply.status == 200, reply.json
    return reply.json["payload"]


@real_engine
def test_portal_crud_in_chatwoots_shape(api, world, website):
    portal = make_portal(api, world, inbox_id=website.id)
    assert_matches(portal, "post", "/api/v1/accounts/{account_id}/portals")
    component("portal_item", portal)
    assert portal["slug"] == "acme-help" and portal["config"]["default_locale"] == "en"
    assert [l["code"] for l in portal["config"]["allowed_locales"]] == ["en", "es"]
    assert portal["inbox"]["id"] == website.id and portal["meta"]["all_articles_count"] == 0

    listed = api.get(base(world), world.agent.token)  # any member reads
    assert listed.status == 200
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/portals")
    assert [p["slug"] for p in listed.json["payload"]] == ["acme-help"]

    changed = api.patch(f"{base(world)}/acme-help", world.admin.token, body={"portal": {
        "name": "Acme Support", "translations": {"es": {"page_title": "Ayuda", "header_text": "¿Cómo ayudamos?"}}}})
    assert changed.status == 200, changed.json
    assert_matches(changed.json, "patch", "/api/v1/accounts/{account_id}/portals/{id}")
    component("portal_item", changed.json)
    assert changed.json["name"] == "Acme Support" and changed.json["translations"]["es"]["page_title"] == "Ayuda"

    archived = api.patch(f"{base(world)}/acme-help/archive", world.admin.token)
    assert archived.status == 200 and archived.json["archived"] is True
    back = api.patch(f"{base(world)}/acme-help/archive", world.admin.token, body={"archived": False})
    assert back.status == 200 and back.json["archived"] is False
    assert api.patch(f"{base(world)}/acme-help/archive", world.admin.token, body={"archived": True}).json["archived"]

    assert api.delete(f"{base(world)}/acme-help", world.admin.token).status == 200
    assert api.get(f"{base(world)}/acme-help", world.admin.token).status == 404
    # the slug is free again
    make_portal(api, world)


@real_engine
def test_duplicate_slug_and_domain_are_409_naming_the_field(api, world):
    make_portal(api, world, custom_domain="help.acme.test")
    again = api.post(base(world), world.admin.token, body={"name": "Other", "slug": "acme-help"})
    assert again.status == 409 and again.json["errors"][0]["field"] == "slug"
    # unique in the installation: another account cannot take it either
    other = api.post(f"/api/v1/accounts/{world.other_account_id}/portals", world.other_admin.token,
                     body={"name": "Globex", "slug": "globex-help", "custom_domain": "https://HELP.acme.test/"})
    assert other.status == 409 and other.json["errors"][0]["field"] == "custom_domain"
    assert api.get(f"/api/v1/accounts/{world.other_account_id}/portals", world.other_admin.token).json["payload"] == []


def test_bad_portal_input_is_422(api, world):
    for fields in ({"slug": "Not A Slug"}, {"config": {"allowed_locales": ["en", "xx_QQ"]}},
                   {"config": {"allowed_locales": ["en"], "default_locale": "fr"}}, {"color": "red"},
                   {"custom_domain": "not a domain"}, {"member_ids": [999999]}, {"unknown": 1}):
        reply = api.post(base(world), world.admin.token, body={"name": "P", "slug": "p-1", **fields})
        assert reply.status == 422, (fields, reply.json)
    reply = api.post(base(world), world.admin.token, body={"name": "P", "slug": "p-2",
                                                          "config": {"allowed_locales": ["pt_BR", "zh-CN", "en"]}})
    assert reply.status == 200, reply.json
    assert api.get(base(world), world.admin.token).json["payload"][0]["slug"] == "p-2"


def test_another_accounts_portal_category_and_article_are_404(api, world):
    make_portal(api, world)
    category = make_category(api, world)
    article = make_article(api, world)
    theirs = f"/api/v1/accounts/{world.other_account_id}/portals"
    api.post(theirs, world.other_admin.token, body={"name": "Globex", "slug": "globex"})
    other_base = f"{theirs}/globex"
    assert api.get(f"{theirs}/acme-help", world.other_admin.token).status == 404
    assert api.get(f"{other_base}/categories/{category['id']}", world.other_admin.token).status == 404
    assert api.get(f"{other_base}/articles/{article['id']}", world.other_admin.token).status == 404
    # Acme's ids in Globex's path: the other admin is no member of Acme
    assert api.get(f"{base(world)}/acme-help/articles/{article['id']}", world.other_admin.token).status == 404
    # another portal's category in this portal's article: 404
    make_portal(api, world, slug="second")
    other_category = make_category(api, world, portal="second", name="Elsewhere")
    reply = api.post(f"{base(world)}/acme-help/articles", world.admin.token,
                     body={"title": "T", "category_id": other_category["id"]})
    assert reply.status == 404
    assert api.get(f"{base(world)}/second/categories/{category['id']}", world.admin.token).status == 404


@real_engine
def test_categories_in_chatwoots_shape(api, world):
    make_portal(api, world)
    reply = api.post(f"{base(world)}/acme-help/categories", world.admin.token,
                     body={"category": {"name": "Getting started", "locale": "en", "description": "The basics",
                                        "icon": "📘"}})
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/portals/{id}/categories")
    first = reply.json["payload"]
    component("category", first)
    assert first["slug"] == "getting-started" and first["locale"] == "en" and first["meta"]["articles_count"] == 0
    spanish = make_category(api, world, name="Primeros pasos", locale="es", associated_category_id=first["id"])
    assert spanish["associated_category_id"] == first["id"]
    assert [c["id"] for c in spanish["related_categories"]] == [first["id"]]
    # same slug in another locale is fine; in the same locale it is taken
    assert api.post(f"{base(world)}/acme-help/categories", world.admin.token,
                    body={"name": "Getting started", "locale": "es"}).status == 200
    dup = api.post(f"{base(world)}/acme-help/categories", world.admin.token, body={"name": "Getting started"})
    assert dup.status == 409 and dup.json["errors"][0]["field"] == "slug"
    assert api.post(f"{base(world)}/acme-help/categories", world.admin.token,
                    body={"name": "Deutsch", "locale": "de"}).status == 422
    second = make_category(api, world, name="Billing")
    reordered = api.post(f"{base(world)}/acme-help/categories/reorder", world.admin.token,
                         body={"positions_hash": {str(first["id"]): 2, str(second["id"]): 1}})
    assert reordered.status == 200, reordered.json
    listed = api.get(f"{base(world)}/acme-help/categories", world.agent.token, query={"locale": "en"}).json["payload"]
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    updated = api.patch(f"{base(world)}/acme-help/categories/{second['id']}", world.admin.token,
                        body={"category": {"name": "Billing & plans", "slug": "billing-plans"}})
    assert updated.status == 200 and updated.json["payload"]["slug"] == "billing-plans"
    article = make_article(api, world, category_id=second["id"])
    assert api.delete(f"{base(world)}/acme-help/categories/{second['id']}", world.admin.token).status == 200
    kept = api.get(f"{base(world)}/acme-help/articles/{article['id']}", world.admin.token).json["payload"]
    assert kept["category_id"] is None and "category" not in kept


@real_engine
def test_articles_in_chatwoots_shape(api, world):
    make_portal(api, world)
    category = make_category(api, world)
    article = make_article(api, world, category_id=category["id"], status=1,
                           meta={"title": "Reset", "description": "SEO", "tags": ["password"]})
    component("article", article)
    assert_matches({"payload": article}, "post", "/api/v1/accounts/{account_id}/portals/{id}/articles")
    assert article["status"] == "published" and article["author"]["id"] == world.admin.id
    assert article["category"] == {"id": category["id"], "name": "Getting started", "slug": "getting-started",
                                   "locale": "en"}
    assert article["slug"].endswith("-reset-your-password") and article["slug"].split("-")[0].isdigit()
    assert isinstance(article["updated_at"], int) and article["meta"]["tags"] == ["password"]
    draft = make_article(api, world, title="Draft one", locale="en")
    assert draft["status"] == "draft"
    spanish = make_article(api, world, title="Restablecer contraseña", locale="es",
                           associated_article_id=article["id"], status="published")
    shown = api.get(f"{base(world)}/acme-help/articles/{spanish['id']}", world.agent.token).json["payload"]
    assert [a["id"] for a in shown["associated_articles"]] == [article["id"]]

    index = api.get(f"{base(world)}/acme-help/articles", world.agent.token, query={"locale": "en"})
    assert index.status == 200
    meta = index.json["meta"]
    assert (meta["all_articles_count"], meta["published_count"], meta["draft_articles_count"],
            meta["mine_articles_count"], meta["current_page"], meta["articles_count"]) == (2, 1, 1, 0, 1, 2)
    by_status = api.get(f"{base(world)}/acme-help/articles", world.admin.token,
                        query={"status": "draft"}).json["payload"]
    assert [a["id"] for a in by_status] == [draft["id"]]
    by_author = api.get(f"{base(world)}/acme-help/articles", world.admin.token,
                        query={"author_id": world.agent.id}).json["payload"]
    assert by_author == []
    by_category = api.get(f"{base(world)}/acme-help/articles", world.admin.token,
                          query={"category_slug": "getting-started", "locale": "en"}).json["payload"]
    assert [a["id"] for a in by_category] == [article["id"]]

    updated = api.patch(f"{base(world)}/acme-help/articles/{draft['id']}", world.admin.token,
                        body={"article": {"status": "archived", "title": "Old"}})
    assert updated.status == 200 and updated.json["payload"]["status"] == "archived"
    reordered = api.post(f"{base(world)}/acme-help/articles/reorder", world.admin.token,
                         body={"positions_hash": {str(article["id"]): 5}})
    assert reordered.status == 200 and reordered.json["payload"][0]["position"] == 5
    assert api.delete(f"{base(world)}/acme-help/articles/{draft['id']}", world.admin.token).status == 200
    assert api.get(f"{base(world)}/acme-help/articles/{draft['id']}", world.admin.token).status == 404


def test_bad_article_input(api, world):
    make_portal(api, world)
    path = f"{base(world)}/acme-help/articles"
    big = api.post(path, world.admin.token, body={"title": "Big", "content": "x" * 200_001})
    assert big.status == 413
    huge = api.post(path, world.admin.token, body={"title": "Huge", "content": "x" * 5_000_000})
    assert huge.status == 413
    assert api.post(path, world.admin.token, body={"title": "T", "locale": "fr"}).status == 422
    assert api.post(path, world.admin.token, body={"title": "T", "status": "live"}).status == 422
    assert api.post(path, world.admin.token, body={"title": "T", "author_id": world.other_admin.id}).status == 422
    assert api.post(path, world.admin.token, body={"title": ""}).status == 422
    make_article(api, world, title="Same", slug="same")
    dup = api.post(path, world.admin.token, body={"title": "Same again", "slug": "same"})
    assert dup.status == 409 and dup.json["errors"][0]["field"] == "slug"
    assert api.get(path, world.admin.token).json["meta"]["all_articles_count"] == 1
    long_query = api.get(path, world.admin.token, query={"query": "x" * 10_000})
    assert long_query.status == 422
    search = api.get(f"/api/v1/accounts/{world.account_id}/search/articles", world.admin.token, query={"q": "q" * 201})
    assert search.status == 422


def test_logo_upload_sniffs_the_bytes(api, world):
    make_portal(api, world)
    path = f"{base(world)}/acme-help/logo"

    def upload(data: bytes, name: str, content_type: str, query=None):
        boundary = "hcboundary"
        raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{name}\"\r\n"
               f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return api.post(path, world.admin.token, raw_body=raw, query=query,
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    refused = upload(b"<svg onload=alert(1)></svg>", "logo.png", "image/png")
    assert refused.status == 422
    stored = upload(PNG, "logo.png", "image/png")
    assert stored.status == 200, stored.json
    component("portal_item", stored.json)
    assert stored.json["logo"]["filename"] == "logo.png" and stored.json["logo"]["file_url"]
    dark = upload(PNG, "dark.png", "image/png", query={"dark": "true"})
    assert dark.status == 200 and dark.json["dark_logo"]["filename"] == "dark.png"
    removed = api.delete(path, world.admin.token, query={"dark": "true"})
    assert removed.status == 200 and "dark_logo" not in removed.json and "logo" in removed.json


@real_engine
def test_who_may_write(api, world):
    make_portal(api, world)
    path = f"{base(world)}/acme-help/articles"
    assert api.post(path, world.agent.token, body={"title": "Agent's"}).status == 403
    assert api.post(base(world), world.agent.token, body={"name": "A", "slug": "agents"}).status == 403
    assert api.post(f"{base(world)}/acme-help/add_members", world.admin.token,
                    body={"member_ids": [world.other_admin.id]}).status == 422  # not a member of this account
    added = api.post(f"{base(world)}/acme-help/add_members", world.admin.token, body={"member_ids": [world.agent.id]})
    assert added.status == 200 and added.json["member_ids"] == [world.agent.id]
    article = make_article(api, world, token=world.agent.token, title="Agent's")
    assert article["author"]["id"] == world.agent.id
    # a portal member edits content, not who the members are, nor deletes the portal
    assert api.patch(f"{base(world)}/acme-help", world.agent.token, body={"member_ids": []}).status == 403
    assert api.delete(f"{base(world)}/acme-help", world.agent.token).status == 403
    assert api.patch(f"{base(world)}/acme-help", world.agent.token, body={"header_text": "Hi"}).status == 200
    # the dashboard sends the whole form, member_ids unchanged included
    assert api.patch(f"{base(world)}/acme-help", world.agent.token,
                     body={"header_text": "Hello", "member_ids": [world.agent.id]}).status == 200


@real_engine
def test_every_write_is_audited_versioned_and_internal(api, world, monkeypatch):
    from parley import realtime
    from parley.models.event_log import LoggedEvent
    from parley.services.help_center import state
    from parley.services.rules import webhooks

    portal = make_portal(api, world)
    article = make_article(api, world)
    api.patch(f"{base(world)}/acme-help/articles/{article['id']}", world.admin.token, body={"status": "published"})
    version, index_version = state.read(world.account_id, portal["id"])
    assert (version, index_version) == (3, 0)
    logs = api.get(f"/api/v1/accounts/{world.account_id}/audit_logs", world.admin.token).json
    entries = logs["audit_logs"] if isinstance(logs, dict) else logs
    kinds = [(e["auditable_type"], e["action"]) for e in entries]
    assert ("Portal", "create") in kinds and ("Article", "create") in kinds and ("Article", "update") in kinds
    events = [row.detail for row in LoggedEvent.query(world.account_id) if row.event == state.CHANGED]
    assert len(events) == 3 and events[-1]["data"]["article_ids"] == [article["id"]]
    assert events[-1]["data"]["version"] == 3 and events[-1]["audience"] == {"internal": True}
    # neither sockets nor webhooks hear it
    webhooks.create(world.account_id, "https://hooks.example.com/hc", "All", None)
    assert webhooks.fan_out(events[-1]) == []
    from types import SimpleNamespace
    admin_socket = SimpleNamespace(account_id=world.account_id, kind="user", role="administrator", user_id=world.admin.id,
                                   scope={})
    assert realtime.may_see(admin_socket, events[-1]) is False
    assert realtime.broadcast(events[-1]) == 0


@pytest.mark.parametrize("path", ["portals", "portals/acme-help/articles", "portals/acme-help/categories"])
def test_members_only(api, world, path):
    make_portal(api, world)
    assert api.get(f"/api/v1/accounts/{world.account_id}/{path}").status == 401
    assert api.get(f"/api/v1/accounts/{world.account_id}/{path}", world.other_admin.token).status == 404


def test_same_title_in_the_same_second_gets_distinct_slugs(api, world):
    make_portal(api, world)
    first, second = make_article(api, world, title="Twice"), make_article(api, world, title="Twice")
    assert first["slug"] != second["slug"] and "-twice" in first["slug"] and "-twice" in second["slug"]


@real_engine
def test_the_widget_config_names_the_linked_portal(api, world, website):
    assert website.widget.call("POST", "config").json["website_channel_config"]["portal"] is None
    make_portal(api, world, inbox_id=website.id)
    config = website.widget.call("POST", "config").json["website_channel_config"]
    assert config["portal"] == {"slug": "acme-help", "name": "Acme Help", "color": "#0f766e", "default_locale": "en",
                                "allowed_locales": ["en", "es"]}
    # moved to no inbox, or archived: the widget shows none
    api.patch(f"{base(world)}/acme-help", world.admin.token, body={"inbox_id": None})
    assert website.widget.call("POST", "config").json["website_channel_config"]["portal"] is None
    api.patch(f"{base(world)}/acme-help", world.admin.token, body={"inbox_id": website.id})
    assert website.widget.call("POST", "config").json["website_channel_config"]["portal"]["slug"] == "acme-help"
    api.patch(f"{base(world)}/acme-help/archive", world.admin.token)
    assert website.widget.call("POST", "config").json["website_channel_config"]["portal"] is None
    # an inbox is linked to one portal at a time
    taken = api.post(base(world), world.admin.token, body={"name": "Two", "slug": "two", "inbox_id": website.id})
    assert taken.status == 409 and taken.json["errors"][0]["field"] == "inbox_id"


def test_the_seed_adds_acme_help(api, world, website):
    from local import seed

    made = seed._help_center(world.account_id, world.admin.id, website.id)
    assert seed.help_center_url({"help_center": made}, "http://127.0.0.1:3000") == "http://127.0.0.1:3000/hc/acme-help/en"
    portal = api.get(f"{base(world)}/acme-help", world.admin.token).json
    assert portal["inbox"]["id"] == website.id and portal["translations"]["es"]["page_title"]
    assert portal["meta"]["categories_count"] == 4 and portal["meta"]["published_count"] >= 5
    assert portal["meta"]["draft_articles_count"] == 1
    assert [l["code"] for l in portal["config"]["allowed_locales"]] == ["en", "es"]
    english = api.get(f"{base(world)}/acme-help/articles", world.agent.token, query={"locale": "en"}).json
    assert english["meta"]["published_count"] >= 5 and all(a["content"].strip() for a in english["payload"])
    assert website.widget.call("POST", "config").json["website_channel_config"]["portal"]["slug"] == "acme-help"


def test_dashboard_search_finds_every_status(api, world):
    """The dashboard's search (scope "internal"): drafts and archived articles too, ranked
    by the help center's search; a query of punctuation finds nothing, a long one is 422."""
    from parley.services.help_center import search
    portal = make_portal(api, world)
    draft = make_article(api, world, title="Reset your password", content="Use the *Forgot password* link.")
    published = make_article(api, world, title="Invoices and receipts", content="Download invoices.", status="published")
    archived = make_article(api, world, title="Old password rules", content="Passwords expired yearly.",
                            status="archived")
    search.rebuild(world.account_id, portal["id"])  # what the indexer does on help_center.changed
    found = api.get(f"{base(world)}/acme-help/articles", world.agent.token, query={"query": "passwords"})
    assert found.status == 200, found.json
    assert {a["id"] for a in found.json["payload"]} == {draft["id"], archived["id"]}
    assert found.json["meta"]["articles_count"] == 2 and found.json["meta"]["all_articles_count"] == 3
    drafts = api.get(f"{base(world)}/acme-help/articles", world.agent.token, query={"query": "password", "status": "draft"})
    assert [a["id"] for a in drafts.json["payload"]] == [draft["id"]]
    hits = api.get(f"/api/v1/accounts/{world.account_id}/search/articles", world.agent.token, query={"q": "invoice"})
    assert hits.status == 200
    assert [h["id"] for h in hits.json["payload"]["articles"]] == [published["id"]]
    hit = hits.json["payload"]["articles"][0]
    assert hit["portal_slug"] == "acme-help" and hit["status"] == "published" and isinstance(hit["updated_at"], int)
    punctuation = api.get(f"/api/v1/accounts/{world.account_id}/search/articles", world.agent.token, query={"q": "?!...;"})
    assert punctuation.status == 200 and punctuation.json["payload"]["articles"] == []
    # another account searches its own portals only
    other = api.get(f"/api/v1/accounts/{world.other_account_id}/search/articles", world.other_admin.token,
                    query={"q": "password"})
    assert other.status == 200 and other.json["payload"]["articles"] == []


def test_hostile_input_is_a_4xx_never_a_500(api, world):
    make_portal(api, world)
    path = f"{base(world)}/acme-help"
    assert api.get(f"{base(world)}/{'x' * 3000}", world.admin.token).status == 404
    assert api.get(f"{base(world)}/ACME..HELP", world.admin.token).status == 404
    for body in ({"title": "Lone \ud800 surrogate", "content": "bad \udfff"}, {"title": "T", "category_id": "abc"},
                 {"title": "T", "meta": {"tags": ["x"] * 31}}, {"title": "T", "status": True}, {"title": ["list"]},
                 {"title": "T", "associated_article_id": 999999}, {"title": "T", "position": -1}):
        reply = api.post(f"{path}/articles", world.admin.token, body=body)
        assert 400 <= reply.status < 500, (body, reply.status, reply.json)
    for query in ({"page": "0"}, {"author_id": "x"}, {"status": "live"}, {"locale": "klingon"}):
        reply = api.get(f"{path}/articles", world.admin.token, query=query)
        assert 400 <= reply.status < 500, (query, reply.status, reply.json)
    for body in ({"positions_hash": {"abc": 1}}, {"positions_hash": {"999999": 1}}, {"positions_hash": {}},
                 {"positions_hash": {str(i): i for i in range(1, 60)}}):
        reply = api.post(f"{path}/categories/reorder", world.admin.token, body=body)
        assert 400 <= reply.status < 500, (body, reply.status, reply.json)
    assert api.post(f"{path}/logo", world.admin.token, body={"logo": "not multipart"}).status == 422
    assert api.patch(path, world.admin.token, body={"config": {"allowed_locales": ["en"], "default_locale": "es"}}).status == 422
    assert api.patch(path, world.admin.token, body={"translations": {"fr": {"page_title": "Aide"}}}).status == 422
    assert api.patch(path, world.admin.token, body="{not json").status == 400


def test_random_input_never_500(api, world, website):
    """A small seeded fuzz over the help center's writes: whatever arrives, no 5xx."""
    import random

    make_portal(api, world)
    category = make_category(api, world)
    article = make_article(api, world)
    p = f"{base(world)}/acme-help"
    routes = [("POST", base(world)), ("PATCH", p), ("POST", f"{p}/categories"), ("PATCH", f"{p}/categories/{category['id']}"),
              ("POST", f"{p}/articles"), ("PATCH", f"{p}/articles/{article['id']}"), ("POST", f"{p}/articles/reorder"),
              ("POST", f"{p}/add_members"), ("PATCH", f"{p}/archive")]
    rng = random.Random(20261204)
    values = [None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "<script>", "\u0000", [], {}, {"a": {"b": []}},
              "en", "published", 3, [2**70], {"1": 2}, {"allowed_locales": ["en", 7]}, website.id]
    keys = ["name", "slug", "custom_domain", "color", "config", "inbox_id", "member_ids", "translations", "title",
            "content", "status", "locale", "category_id", "author_id", "associated_article_id", "parent_category_id",
            "meta", "position", "positions_hash", "archived", "icon"]
    for _ in range(250):
        method, path = rng.choice(routes)
        body = {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 4))}
        if rng.random() < 0.3:
            body = {rng.choice(["portal", "article", "category"]): body}
        reply = api.call(method, path, world.admin.token, body=body)
        assert reply.status < 500, (method, path, body, reply.json)


def test_a_chatwoot_style_logo_blob_id_is_refused_by_name(api, world):
    """Chatwoot's dashboard sends an uploaded blob's id in the portal's PATCH; Parley takes
    the file itself (POST .../logo), so the field is a 422 that names it, and nothing changes."""
    make_portal(api, world)
    reply = api.patch(f"{base(world)}/acme-help", world.admin.token, body={"portal": {"name": "Renamed", "blob_id": 42}})
    assert reply.status == 422 and "blob_id" in str(reply.json)
    assert api.get(f"{base(world)}/acme-help", world.admin.token).json["name"] == "Acme Help"
