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
    return {
        "website_inbox": _website_inbox(acme.id, agent["id"]),
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
    else:
        return None
    write_atomic(path, json.dumps(seed, indent=2).encode())
    return seed


def demo_url(base_url: str) -> str:
    """The demo page on another origin than Parley (localhost vs 127.0.0.1), as a
    customer's site would be: the widget really runs cross-origin."""
    return base_url.replace("://127.0.0.1", "://localhost") + "/demo"


def demo_page(seed: dict | None, base_url: str) -> str:
    """A customer's page that embeds the widget with Chatwoot's snippet, unchanged."""
    from parley.views.inboxes import widget_script

    if not seed or "website_inbox" not in seed:
        return "<!doctype html><title>Parley demo</title><p>No seeded website inbox (delete .local/ to reseed).</p>"
    snippet = widget_script(base_url, seed["website_inbox"]["website_token"])
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
{snippet}</body>
</html>
"""


def banner(seed: dict | None, base_url: str, state_dir: Path) -> str:
    lines = [f"Parley is running at {base_url}",
             f"  Dashboard:      {base_url}/",
             f"  Widget demo:    {demo_url(base_url)}"]
    if seed:
        people = [("Super admin", seed["super_admin"], ""),
                  ("Administrator", seed["administrator"], f" ({seed['account']['name']})"),
                  ("Agent", seed["agent"], f" ({seed['account']['name']})"),
                  ("Other account", seed["other_account"]["administrator"], f" ({seed['other_account']['name']})")]
        lines += [f"  {label + ':':<15} {p['email']} / {p['password']}{where}" for label, p, where in people]
    lines.append(f"  State:          {state_dir} (logins and API tokens in {SEED}; delete the folder to start over)")
    return "\n".join(lines)
