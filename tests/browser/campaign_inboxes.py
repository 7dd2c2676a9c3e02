"""SMS and WhatsApp inboxes on a running local stack, for the browser tests of one-off campaigns.

Adding such an inbox proves its number with the provider (Twilio's IncomingPhoneNumbers,
Meta's phone number id), which a stack without the internet cannot ask. This runs Parley's
own inbox service (`inboxes.create_inbox`: validation, the number's proof, the claims, the
audit entry, the inbox.created event; for WhatsApp then `inboxes.sync_templates` where the
server has it) in a child process against the stack's DynamoDB Local and its tables (the
names `python -m local` gives them, from template.yaml), with the provider's answers recorded
at the HTTP transport, as tests/integration does. Sends from these inboxes reach no provider.

    python -m tests.browser.campaign_inboxes <dynamodb endpoint> <account id> sms|whatsapp <name> <number>
    -> {"id": ..., "templates": <how many were synced, or null>}
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
# Meta's answer to GET {waba}/message_templates: one approved template with a body parameter,
# one still pending (the dashboard must not offer it).
TEMPLATES = {"data": [
    {"name": "spring_offer", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "id": "1401",
     "components": [{"type": "BODY", "text": "Hello {{1}}, our spring offer is live."}]},
    {"name": "draft_offer", "language": "en_US", "status": "PENDING", "category": "MARKETING", "id": "1402",
     "components": [{"type": "BODY", "text": "Not yet"}]},
], "paging": {"cursors": {"before": "a", "after": "b"}}}


def dynamodb_endpoint(stack) -> str:
    """DynamoDB Local's URL, as the stack printed it when it started."""
    found = re.search(r"DynamoDB Local: (http://\S+)", stack.log.read_text())
    assert found, "the local stack did not print its DynamoDB Local endpoint"
    return found.group(1)


def create(stack, account_id: int, kind: str, name: str, number: str) -> dict:
    """An inbox of `kind` (sms, whatsapp) with `number` in the account of the stack."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    done = subprocess.run([sys.executable, "-m", "tests.browser.campaign_inboxes", dynamodb_endpoint(stack), str(account_id),
                           kind, name, number], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _provider(number: str):
    import httpx

    twilio = json.loads((ROOT / "tests" / "events" / "twilio" / "incoming_phone_numbers.json").read_text())
    [record] = twilio["incoming_phone_numbers"]
    twilio["incoming_phone_numbers"] = [{**record, "account_sid": ACCOUNT_SID, "phone_number": number}]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.twilio.com":
            return httpx.Response(200, json=twilio)
        if request.url.host == "graph.facebook.com" and request.url.path.endswith("/message_templates"):
            return httpx.Response(200, json=TEMPLATES)
        if request.url.host == "graph.facebook.com":
            return httpx.Response(200, json={"display_phone_number": number, "id": request.url.path.rsplit("/", 1)[-1]})
        return httpx.Response(404, json={"error": {"message": "not recorded"}})

    return httpx.Client(transport=httpx.MockTransport(answer))


def _main(endpoint: str, account_id: int, kind: str, name: str, number: str) -> None:
    from local.cfn import Resolver, load_template

    template = load_template()
    resolver = Resolver(template, "parley-local", {"Stage": "local"}, {})
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    os.environ.update({k: str(resolver.resolve(v)) for k, v in variables.items()})
    os.environ.update(AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", WEBSOCKET_ENDPOINT="http://127.0.0.1", POWERTOOLS_TRACE_DISABLED="true")
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    from parley import channels
    from parley.services.inbox import inboxes

    channels._client = _provider(number)
    if kind == "sms":
        channel = {"provider": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "phone_number": number}
    else:
        digits = re.sub(r"\D", "", number)
        channel = {"phone_number": number, "provider_config": {
            "api_key": "EAAG-local-test", "phone_number_id": digits, "business_account_id": "1" + digits,
            "app_secret": "local-test-secret", "webhook_verify_token": f"verify-{digits}"}}
    inbox = inboxes.create_inbox(account_id, name=name, channel_type=kind, channel=channel)
    synced = None
    if kind == "whatsapp" and hasattr(inboxes, "sync_templates"):  # one-off sending's (issue 16)
        synced = len((inboxes.sync_templates(inbox).channel or {}).get("message_templates") or [])
    print(json.dumps({"id": inbox.id, "templates": synced}))


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
