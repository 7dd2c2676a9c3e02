"""Where the keys of Captain's model providers live: SSM Parameter Store SecureStrings named
`<CAPTAIN_KEY_PREFIX>/captain/<account id>/<0 or assistant id>` (0: the account's own),
encrypted with the region's AWS managed aws/ssm key. Free at rest, unlike a Secrets
Manager secret. services/captain/providers.py writes and reads them; an account's deletion
removes them (services/lifecycle/account_deletion.py), each named by its settings item
(AccountObject kind KIND, id = the scope)."""
from __future__ import annotations

from .. import aws
from ..settings import get_settings

KIND = "captain_provider"  # the settings items whose `key_set` says a parameter exists


def parameter_name(account_id: int, scope: int) -> str:
    return f"{get_settings().required('captain_key_prefix').rstrip('/')}/captain/{int(account_id)}/{int(scope)}"


def _code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code") or "")


def read(account_id: int, scope: int) -> str | None:
    """The key, decrypted; None if there is none."""
    try:
        return aws.client("ssm").get_parameter(Name=parameter_name(account_id, scope),
                                               WithDecryption=True)["Parameter"]["Value"]
    except Exception as exc:
        if _code(exc) != "ParameterNotFound":
            raise
        return None


def store(account_id: int, scope: int, key: str) -> None:
    aws.client("ssm").put_parameter(Name=parameter_name(account_id, scope), Value=key, Type="SecureString",
                                    Overwrite=True, Tier="Standard")


def remove(account_id: int, scope: int) -> None:
    """Delete the key; one already gone is fine (a re-run deletion, a retried request)."""
    try:
        aws.client("ssm").delete_parameter(Name=parameter_name(account_id, scope))
    except Exception as exc:
        if _code(exc) != "ParameterNotFound":
            raise
