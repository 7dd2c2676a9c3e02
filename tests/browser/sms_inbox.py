"""An SMS inbox on a running local stack, for the browser tests of one-off campaigns.

Adding an SMS inbox proves its number with Twilio (IncomingPhoneNumbers), which a stack
without the internet cannot ask. This runs Parley's own inbox service
(`inboxes.create_inbox`: validation, the number's proof, the claims, the audit entry, the
inbox.created event) in a child process against the stack's DynamoDB Local and its tables
(the names `python -m local` gives them, from template.yaml), with Twilio's answer to the
proof recorded at the HTTP transport, as tests/integration does. Sending from this inbox
reaches no real provider: nothing here may be used to send.

    python -m tests.browser.sms_inbox <dynamodb endpoint> <account id> <name> <number>  -> {"id": ...}
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "AC" + "5e" * 16  # any well-formed SID: the recorded answer lists the number under it
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"


def dynamodb_endpoint(stack) -> str:
    """DynamoDB Local's URL, as the stack printed it when it started."""
    found = re.search(r"DynamoDB Local: (http://\S+)", stack.log.read_text())
    assert found, "the local stack did not print its DynamoDB Local endpoint"
    return found.group(1)


def create(stack, account_id: int, name: str, number: str) -> dict:
    """An SMS inbox with `number` in the account of the stack; its JSON id."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    done = subprocess.run([sys.executable, "-m", "tests.browser.sms_inbox", dynamodb_endpoint(stack), str(account_id), name, number],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _main(endpoint: str, account_id: int, name: str, number: str) -> None:
    from local.cfn import Resolver, load_template

    template = load_template()
    resolver = Resolver(template, "parley-local", {"Stage": "local"}, {})
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    os.environ.update({k: str(resolver.resolve(v)) for k, v in variables.items()})
    os.environ.update(AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", WEBSOCKET_ENDPOINT="http://127.0.0.1", POWERTOOLS_TRACE_DISABLED="true")
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    import httpx
    from parley import channels
    from parley.services.inbox import inboxes

    page = json.loads((ROOT / "tests" / "events" / "twilio" / "incoming_phone_numbers.json").read_text())
    [record] = page["incoming_phone_numbers"]
    page["incoming_phone_numbers"] = [{**record, "account_sid": ACCOUNT_SID, "phone_number": number}]
    channels._client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=page)))
    inbox = inboxes.create_inbox(account_id, name=name, channel_type="sms", channel={
        "provider": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "phone_number": number})
    print(json.dumps({"id": inbox.id}))


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
