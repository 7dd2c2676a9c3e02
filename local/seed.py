"""First-start data: installation config defaults and a cast to sign in with.

Made through the domain services (the same code the API runs), only when the stack has
no users yet; the logins are written to `<state dir>/seed.json` and printed on every start.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from .state import write_atomic

SEED = "seed.json"


def _password() -> str:
    # Readable, different per install, and within Chatwoot's password rules.
    return f"Parley-{secrets.randbelow(9000) + 1000}-{secrets.token_urlsafe(6)}"


def _person(email: str, name: str, super_admin: bool = False) -> dict:
    from parley import tokens
    from parley.services.access import users

    password = _password()
    user = users.create_user(email=email, name=name, password=password, super_admin=super_admin)
    return {"id": user.id, "email": user.email, "password": password, "access_token": tokens.issue(users.owner(user.id))}


def _website_inbox(account_id: int, agent_id: int) -> dict:
    """Acme's website inbox, with the agent as a member: what the demo page embeds."""
    from parley.services.inbox import inboxes

    inbox = inboxes.create_inbox(account_id, name="Acme website", channel_type="web_widget", channel={
        "welcome_title": "Hi there!", "welcome_tagline": "We usually reply in a few minutes.",
        "widget_color": "#0f766e"})
    inboxes.add_members(inbox, [agent_id])
    return {"id": inbox.id, "website_token": inbox.website_token, "hmac_token": inbox.hmac_token}


HELP_CENTER_SLUG = "acme-help"

# The seeded portal's articles: (category index, title, description, Markdown content).
ARTICLES_EN = [
    (0, "Install the chat widget on your website", "Add the chat bubble to any page in two minutes.", """\
The chat bubble is one `<script>` tag. Paste it just before `</body>` on every page where
customers should be able to reach you.

1. Open **Settings → Inboxes** and choose your website inbox.
2. Copy the snippet under **Configuration**.
3. Paste it into your site's template and publish.

```html
<script>
  (function (d, t) { /* the snippet from your inbox settings */ })(document, "script");
</script>
```

> **Tip:** if your site uses a tag manager, add the snippet as a *Custom HTML* tag that fires
> on all pages.

Reload your site: the bubble appears at the bottom right. Say hello to test it."""),
    (0, "Invite your teammates", "Add agents and administrators to your account.", """\
Support is a team sport. To add someone:

1. Go to **Settings → Agents** and click **Add agent**.
2. Enter their name and e-mail address and choose a role:
   - **Agent** – answers conversations in the inboxes they belong to.
   - **Administrator** – also manages inboxes, teams, automations and billing.
3. They receive an e-mail with a link to set their password.

Add each agent to the inboxes they should work in under **Settings → Inboxes → Collaborators**."""),
    (0, "Set your business hours", "Tell customers when to expect an answer.", """\
Outside business hours the widget can show an *away* message so nobody waits in silence.

- Open **Settings → Inboxes → your inbox → Business hours**.
- Turn on **Enable business availability** and set the hours for each day.
- Write the message customers see when you are away, e.g. *"We're offline – we'll reply
  first thing tomorrow."*

Conversations that arrive after hours stay open and are waiting for you in the morning."""),
    (1, "Reset your password", "Forgot your password? Get a new one in a minute.", """\
1. On the sign-in page click **Forgot your password?**
2. Enter the e-mail address you sign in with.
3. Open the e-mail we send you and follow the link within **2 hours**.
4. Choose a new password of at least 8 characters, with a number and a symbol.

Didn't get the e-mail? Check your spam folder, then ask an administrator of your account
to send you a new invitation."""),
    (1, "Change your plan or cancel", "Upgrade, downgrade or cancel your subscription.", """\
Administrators manage the subscription under **Settings → Billing**.

| You want to… | Do this |
| --- | --- |
| Add seats | Click **Change plan** and raise the number of agents |
| Downgrade | Choose a smaller plan; it applies from the next billing date |
| Cancel | Click **Cancel subscription**; your data stays available until the period ends |

Invoices are e-mailed to the billing contact and can be downloaded from the same page."""),
]
ARTICLES_ES = [
    (0, 0, "Instala el widget de chat en tu sitio web", "Añade la burbuja de chat a cualquier página en dos minutos.", """\
La burbuja de chat es una sola etiqueta `<script>`. Pégala justo antes de `</body>`.

1. Abre **Ajustes → Bandejas de entrada** y elige la de tu sitio web.
2. Copia el fragmento de **Configuración**.
3. Pégalo en la plantilla de tu sitio y publícalo."""),
    (1, 3, "Restablece tu contraseña", "¿Olvidaste tu contraseña? Consigue una nueva en un minuto.", """\
1. En la página de inicio de sesión pulsa **¿Olvidaste tu contraseña?**
2. Escribe tu correo electrónico.
3. Abre el correo que te enviamos y sigue el enlace antes de **2 horas**.
4. Elige una contraseña nueva de al menos 8 caracteres."""),
]


def _help_center(account_id: int, admin_id: int, inbox_id: int) -> dict:
    """Acme Help: a portal in English and Spanish linked to the website inbox, two
    categories (and their Spanish translations), published articles and one draft."""
    from parley.services.help_center import articles, categories, portals

    portal = portals.create(account_id, {
        "name": "Acme Help", "slug": HELP_CENTER_SLUG, "color": "#0f766e", "page_title": "Acme Help Center",
        "header_text": "How can we help you today?", "homepage_link": "https://acme.test",
        "translations": {"es": {"page_title": "Centro de ayuda de Acme", "header_text": "¿Cómo podemos ayudarte?"}},
        "config": {"allowed_locales": ["en", "es"], "default_locale": "en"}, "inbox_id": inbox_id})
    english = [categories.create(portal, {"name": name, "description": text, "locale": "en", "icon": icon})
               for name, text, icon in (("Getting started", "Set up Acme and start talking to customers.", "🚀"),
                                        ("Account & billing", "Passwords, plans and invoices.", "💳"))]
    spanish = [categories.create(portal, {"name": name, "description": text, "locale": "es",
                                          "associated_category_id": english[i].id})
               for i, (name, text) in enumerate((("Primeros pasos", "Configura Acme y habla con tus clientes."),
                                                 ("Cuenta y facturación", "Contraseñas, planes y facturas.")))]
    made = [articles.create(portal, admin_id, {"title": title, "description": text, "content": content,
                                               "category_id": english[c].id, "status": "published"})
            for c, title, text, content in ARTICLES_EN]
    for c, original, title, text, content in ARTICLES_ES:
        articles.create(portal, admin_id, {"title": title, "description": text, "content": content, "locale": "es",
                                           "category_id": spanish[c].id, "associated_article_id": made[original].id,
                                           "status": "published"})
    articles.create(portal, admin_id, {"title": "Connect WhatsApp (coming soon)", "category_id": english[0].id,
                                       "description": "Draft: not on the public site until it is published.",
                                       "content": "Work in progress: how to connect a WhatsApp Business number."})
    return {"slug": HELP_CENTER_SLUG, "portal_id": portal.id}


# Captain's demo: its own website inbox (the seeded one keeps starting conversations open for
# people), an assistant and what it answers from. (question, answer) pairs, approved.
CAPTAIN_FAQS = [
    ("How do I reset my password?", "Open Settings, then Security, and choose Reset password. The link in the "
                                     "e-mail we send works for an hour."),
    ("How long does shipping take?", "Orders ship within one working day; delivery in the EU takes 2 to 4 days."),
    ("Can I get a refund?", "Yes: within 30 days of delivery, from Orders > Return an item. The refund reaches your "
                            "card within 5 working days of our receiving the item."),
    ("Do you ship outside the EU?", "Not yet: we ship to every country in the European Union only."),
    ("How do I change my plan?", "Administrators change the plan in Settings > Billing; the new price applies from "
                                 "the next invoice."),
    ("Where can I download my invoices?", "In Settings > Billing > Invoices, as PDF files."),
]


def _captain(account_id: int, inbox_id: int) -> dict:
    """Ava, Acme's Captain assistant, answering in the Captain demo inbox from approved FAQs
    (and the help center linked to the website inbox is not hers: her inbox has no portal)."""
    from parley.services.captain import assistants, responses

    assistant = assistants.create(account_id, {
        "name": "Ava", "description": "Answers Acme's customers from the approved FAQs",
        "config": {"product_name": "Acme Widgets", "feature_citation": True,
                   "welcome_message": "Hi, I'm Ava, Acme's assistant. Ask me anything, or ask for a person.",
                   "handoff_message": "I'm passing you to a colleague: someone will reply here shortly."},
        "guardrails": ["legal advice"]})
    assistants.link(assistant, inbox_id)
    for question, answer in CAPTAIN_FAQS:
        responses.create(account_id, {"question": question, "answer": answer, "assistant_id": assistant.id})
    responses.create(account_id, {"question": "Is there a student discount?", "status": "pending",
                                  "answer": "Students get 20% off with a valid student e-mail address.",
                                  "assistant_id": assistant.id})
    return {"assistant_id": assistant.id}


def _captain_inbox(account_id: int) -> dict:
    """The website inbox Captain answers in (no members: the team sees its handoffs under
    Unassigned); the demo page embeds it with `?with=captain`."""
    from parley.services.inbox import inboxes

    inbox = inboxes.create_inbox(account_id, name="Acme Captain desk", channel_type="web_widget", channel={
        "welcome_title": "Ask Ava", "welcome_tagline": "Our assistant answers at once; a person when you ask.",
        "widget_color": "#7c3aed"})
    return {"id": inbox.id, "website_token": inbox.website_token, **_captain(account_id, inbox.id)}


def _create_cast() -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from parley.services.account import accounts
    from parley.services.access import members, platform

    # Side by side: each password is an argon2 hash, slow on purpose, and the first start's
    # wait is mostly these four.
    with ThreadPoolExecutor(4) as pool:
        people = [pool.submit(_person, *who) for who in (("root@parley.test", "Root", True),
                                                          ("admin@acme.test", "Ada Admin"),
                                                          ("agent@acme.test", "Aaron Agent"),
                                                          ("admin@globex.test", "Gloria Globex"))]
        acme, globex = accounts.create_account(name="Acme"), accounts.create_account(name="Globex")
        root, admin, agent, other = (person.result() for person in people)
    members.add_member(acme.id, admin["id"], "administrator")
    members.add_member(acme.id, agent["id"], "agent", inviter_id=admin["id"])
    members.add_member(globex.id, other["id"], "administrator")
    _, platform_token = platform.create_platform_app("Provisioner")
    website = _website_inbox(acme.id, agent["id"])
    return {
        "website_inbox": website,
        "help_center": _help_center(acme.id, admin["id"], website["id"]),
        "captain": _captain_inbox(acme.id),
        "super_admin": {k: root[k] for k in ("email", "password", "access_token")},
        "account": {"id": acme.id, "name": acme.name},
        "administrator": admin,
        "agent": agent,
        "other_account": {"id": globex.id, "name": globex.name, "administrator": other},
        "platform_token": platform_token,
    }


def ensure(state_dir: Path, base_url: str) -> dict | None:
    """Load config defaults (every start: it only adds missing keys), seed an empty
    stack, and keep seed.json's base_url current. The seed, or None if the stack was
    not seeded by this tool (seed.json deleted)."""
    from parley import global_config
    from parley.models.user import User

    global_config.load_defaults()
    path = state_dir / SEED
    if next(iter(User.scan(limit=1)), None) is None:
        seed = {"base_url": base_url, **_create_cast()}
    elif path.exists():
        seed = json.loads(path.read_text())
        seed["base_url"] = base_url
        if "website_inbox" not in seed:  # seeded before the live-chat release
            seed["website_inbox"] = _website_inbox(seed["account"]["id"], seed["agent"]["id"])
        if "help_center" not in seed:  # seeded before the help center
            seed["help_center"] = _help_center(seed["account"]["id"], seed["administrator"]["id"],
                                               seed["website_inbox"]["id"])
        if "captain" not in seed:  # seeded before Captain
            seed["captain"] = _captain_inbox(seed["account"]["id"])
    else:
        return None
    write_atomic(path, json.dumps(seed, indent=2).encode())
    return seed


def demo_url(base_url: str) -> str:
    """The demo page on another origin than Parley (localhost vs 127.0.0.1), as a
    customer's site would be: the widget really runs cross-origin."""
    return base_url.replace("://127.0.0.1", "://localhost") + "/demo"


def help_center_url(seed: dict | None, base_url: str) -> str:
    """The seeded portal's public site, in its default locale."""
    slug = ((seed or {}).get("help_center") or {}).get("slug", HELP_CENTER_SLUG)
    return f"{base_url}/hc/{slug}/en"


def demo_page(seed: dict | None, base_url: str, which: str | None = None) -> str:
    """A customer's page that embeds the widget with Chatwoot's snippet, unchanged: the
    website inbox's, or with `which="captain"` the inbox where Captain answers first."""
    from parley.views.inboxes import widget_script

    inbox = (seed or {}).get("captain" if which == "captain" else "website_inbox")
    if not inbox:
        return "<!doctype html><title>Parley demo</title><p>No seeded website inbox (delete .local/ to reseed).</p>"
    snippet = widget_script(base_url, inbox["website_token"])
    captain = ("<p>Here Captain, Parley's AI agent, answers first from Acme's approved FAQs (try \u201chow long "
               "does shipping take?\u201d, then \u201cI want to talk to a person\u201d); the conversation then "
               "waits for the team under Unassigned.</p>" if which == "captain" else "")
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Widgets - demo store</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}}</style>
</head>
<body>
<h1>Acme Widgets</h1>
<p>This page stands in for a customer's website. It embeds Parley's chat bubble with
Chatwoot's snippet, unchanged. Open the bubble at the bottom right and say hello; answer
as the agent in the dashboard at <a href="{base_url}/">{base_url}/</a>.</p>
{captain}{snippet}</body>
</html>
"""


def banner(seed: dict | None, base_url: str, state_dir: Path) -> str:
    lines = [f"Parley is running at {base_url}",
             f"  Dashboard:      {base_url}/",
             f"  Widget demo:    {demo_url(base_url)}",
             f"  Captain demo:   {demo_url(base_url)}?with=captain",
             f"  Help center:    {help_center_url(seed, base_url)}"]
    if seed:
        people = [("Super admin", seed["super_admin"], ""),
                  ("Administrator", seed["administrator"], f" ({seed['account']['name']})"),
                  ("Agent", seed["agent"], f" ({seed['account']['name']})"),
                  ("Other account", seed["other_account"]["administrator"], f" ({seed['other_account']['name']})")]
        lines += [f"  {label + ':':<15} {p['email']} / {p['password']}{where}" for label, p, where in people]
    lines.append(f"  State:          {state_dir} (logins and API tokens in {SEED}; delete the folder to start over)")
    return "\n".join(lines)
