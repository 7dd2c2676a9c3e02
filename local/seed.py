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
    from parley.services import tokens, users

    password = _password()
    user = users.create_user(email=email, name=name, password=password, super_admin=super_admin)
    return {"id": user.id, "email": user.email, "password": password, "access_token": tokens.issue(users.owner(user.id))}


def _create_cast() -> dict:
    from parley.services import accounts, platform

    root = _person("root@parley.test", "Root", super_admin=True)
    acme, globex = accounts.create_account(name="Acme"), accounts.create_account(name="Globex")
    admin, agent = _person("admin@acme.test", "Ada Admin"), _person("agent@acme.test", "Aaron Agent")
    other = _person("admin@globex.test", "Gloria Globex")
    accounts.add_member(acme.id, admin["id"], "administrator")
    accounts.add_member(acme.id, agent["id"], "agent", inviter_id=admin["id"])
    accounts.add_member(globex.id, other["id"], "administrator")
    _, platform_token = platform.create_platform_app("Provisioner")
    return {
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
    else:
        return None
    write_atomic(path, json.dumps(seed, indent=2).encode())
    return seed


def banner(seed: dict | None, base_url: str, state_dir: Path) -> str:
    lines = [f"Parley is running at {base_url}",
             f"  Dashboard:      {base_url}/",
             f"  Widget demo:    {base_url}/demo"]
    if seed:
        people = [("Super admin", seed["super_admin"], ""),
                  ("Administrator", seed["administrator"], f" ({seed['account']['name']})"),
                  ("Agent", seed["agent"], f" ({seed['account']['name']})"),
                  ("Other account", seed["other_account"]["administrator"], f" ({seed['other_account']['name']})")]
        lines += [f"  {label + ':':<15} {p['email']} / {p['password']}{where}" for label, p, where in people]
    lines.append(f"  State:          {state_dir} (logins and API tokens in {SEED}; delete the folder to start over)")
    return "\n".join(lines)
