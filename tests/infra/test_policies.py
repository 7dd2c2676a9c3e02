"""Each function's IAM policy in template.yaml allows every AWS call the function really makes.

moto checks no permissions, so a missing grant only shows up as AccessDenied after a
deploy. Here real flows run in-process over moto as the function that would run them
(HttpApiFunction for API requests, AutomationFunction for automation events, ...), with
exactly that function's environment from the template. Every botocore call (and every
presigned URL, which S3 checks against the signer's permissions when it is used) is
turned into the IAM actions and resource ARNs it needs, and each must be allowed by the
statements that template.yaml attaches to the function, resolved to this stack's ARNs.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import boto3
import pytest
from botocore.client import BaseClient
from botocore.signers import S3PostPresigner

from local.cfn import ACCOUNT, REGION, Resolver, _Tag, load_template
from local.sources import sqs_record
from tests import event_pipe
from tests.conftest import PARAMETERS, Api, LambdaContext, _stack, http_event, load_function

TEMPLATE = load_template()
# The same names conftest's build_stack gives this copy of the stack.
RESOLVER = Resolver(TEMPLATE, "test", PARAMETERS, {})
RESOURCES = TEMPLATE["Resources"]
FUNCTION_OF_DIR = {f.code_dir.name: fid for fid, f in _stack.functions.items() if f.handler.startswith("app.")}
# Variables some function has and another may not: swapped per function while it runs.
FUNCTION_ENV_KEYS = set().union(*(f.environment for f in _stack.functions.values()))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- policies

def _documents(function_id: str) -> list[dict]:
    """Policy documents that reach the function's role: inline Policies, a Policies entry
    that is !Ref to an AWS::IAM::ManagedPolicy, and AWS::IAM::Policy / ManagedPolicy
    resources that name the role SAM creates (<function>Role)."""
    docs = []
    for entry in RESOURCES[function_id]["Properties"].get("Policies") or []:
        if isinstance(entry, dict) and "Statement" in entry:
            docs.append(entry)
        elif isinstance(entry, _Tag) and entry.name == "Ref" and entry.value in RESOURCES:
            docs.append(RESOURCES[entry.value]["Properties"]["PolicyDocument"])
    for res in RESOURCES.values():
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = res["Properties"].get("Roles") or []
            if any(isinstance(r, _Tag) and r.name == "Ref" and r.value == f"{function_id}Role" for r in roles):
                docs.append(res["Properties"]["PolicyDocument"])
    return docs


def statements(function_id: str) -> list[dict]:
    return [RESOLVER.resolve(s) for doc in _documents(function_id) for s in as_list(doc["Statement"])]


def _matches(patterns, value: str, ignore_case: bool = False) -> bool:
    """IAM's patterns: * is any run of characters (slashes included), ? is one character;
    action names ignore case, resource ARNs do not."""
    flags = re.S | (re.I if ignore_case else 0)
    return any(re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                            value, flags) for pattern in as_list(patterns))


def allows(policy: list[dict], action: str, resource: str) -> bool:
    def hit(s: dict) -> bool:
        return _matches(s.get("Action", []), action, ignore_case=True) and _matches(s.get("Resource", []), resource)

    if any(s.get("Effect") == "Deny" and hit(s) for s in policy):
        return False
    return any(s.get("Effect") == "Allow" and hit(s) for s in policy)


# ---------------------------------------------------------------- calls -> IAM actions

def _table(name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _queue(url_or_name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url_or_name.rstrip('/').rsplit('/', 1)[-1]}"


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "ca.", "jp.", "au.", "global.")


def bedrock_model_arn(model_id: str) -> str:
    """What Converse / InvokeModel is authorized against: the model's ARN, or for a
    cross-region inference profile id (us.amazon.nova-lite-v1:0), the profile's."""
    if model_id.startswith("arn:"):
        return model_id
    if model_id.startswith(INFERENCE_PROFILE_PREFIXES):
        return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model_id}"
    return f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}"


TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem"}
SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
             "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def needs(client: BaseClient, operation: str, params: dict) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one API call is authorized against."""
    service = client.meta.service_model.service_name
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [(f"dynamodb:{TRANSACT[kind]}", _table(body["TableName"]))
                    for item in params["TransactItems"] for kind, body in item.items()]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
        table = _table(params["TableName"])
        if params.get("IndexName"):
            table += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", table)]
    if service == "events" and operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in params["Entries"]}
        return [("events:PutEvents", b if b.startswith("arn:") else f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{b}")
                for b in sorted(buses)]
    if service == "scheduler" and "Name" in params:
        arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{params.get('GroupName') or 'default'}/{params['Name']}"
        found = [(f"scheduler:{operation}", arn)]
        if (params.get("Target") or {}).get("RoleArn"):
            found.append(("iam:PassRole", params["Target"]["RoleArn"]))  # Scheduler assumes it later
        return found
    if service == "sqs":
        queue = _queue(params.get("QueueUrl") or params.get("QueueName"))
        return [(f"sqs:{SQS_BATCH.get(operation, operation)}", queue)]
    if service == "s3":
        bucket = params.get("Bucket")
        if operation in ("GetObject", "HeadObject"):
            return [("s3:GetObject", _object(bucket, params["Key"]))]
        if operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
            return [("s3:PutObject", _object(bucket, params["Key"]))]
        if operation == "DeleteObject":
            return [("s3:DeleteObject", _object(bucket, params["Key"]))]
        if operation == "DeleteObjects":
            return [("s3:DeleteObject", _object(bucket, o["Key"])) for o in params["Delete"]["Objects"]]
        if operation == "CopyObject":
            source = params["CopySource"]
            if isinstance(source, str):
                source_bucket, _, source_key = unquote(source.lstrip("/")).partition("/")
            else:
                source_bucket, source_key = source["Bucket"], source["Key"]
            return [("s3:GetObject", _object(source_bucket, source_key)), ("s3:PutObject", _object(bucket, params["Key"]))]
        if operation in ("ListObjects", "ListObjectsV2"):
            return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    if service == "sesv2" and operation == "SendEmail":
        # Authorized against the sending identity: the From address's domain.
        domain = params["FromEmailAddress"].rpartition("@")[2].strip(">").lower()
        return [("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
    if service == "apigatewaymanagementapi":
        # https://{api}.execute-api.{region}.amazonaws.com/{stage}
        endpoint = urlparse(client.meta.endpoint_url)
        api_id, stage = endpoint.hostname.split(".")[0], endpoint.path.strip("/")
        method = client.meta.service_model.operation_model(operation).http["method"]
        return [("execute-api:ManageConnections",
                 f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{stage}/{method}/@connections/{params['ConnectionId']}")]
    if service == "cloudformation" and operation == "DescribeStacks":
        return [("cloudformation:DescribeStacks", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{params['StackName']}/*")]
    if service == "ssm" and "Name" in params:
        return [(f"ssm:{operation}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{params['Name'].lstrip('/')}")]
    if service == "bedrock-runtime" and "modelId" in params:
        return [("bedrock:InvokeModel" if operation != "InvokeModelWithResponseStream" else f"bedrock:{operation}",
                 bedrock_model_arn(params["modelId"]))]
    # Not mapped yet: demand an exact grant nobody has, so a new kind of call is noticed.
    return [(f"{service}:{operation}", "(unmapped call: teach tests/infra/test_policies.py its resource)")]


# ---------------------------------------------------------------- recording

@dataclass
class Call:
    function: str
    action: str
    resource: str
    what: str  # the API call and the step that made it, for the failure message


@dataclass
class Recorder:
    current: str | None = None
    step: str = ""
    calls: list[Call] = field(default_factory=list)

    def add(self, client: BaseClient, operation: str, params: dict, how: str = "") -> None:
        if self.current is None:
            return  # the test harness itself (seeding, reading queues), not a function
        for action, resource in needs(client, operation, params):
            self.calls.append(Call(self.current, action, resource, f"{how}{operation} during {self.step}"))

    def functions(self) -> set[str]:
        return {c.function for c in self.calls}

    def denied(self) -> dict[str, list[str]]:
        missing: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
        policies = {fid: statements(fid) for fid in self.functions()}
        for call in self.calls:
            if not allows(policies[call.function], call.action, call.resource):
                missing[call.function].setdefault((call.action, call.resource), call.what)
        return {fid: [f"{a} on {r}  ({what})" for (a, r), what in sorted(found.items())]
                for fid, found in sorted(missing.items())}

    def check(self, *expected_functions: str) -> None:
        ran = self.functions()
        assert set(expected_functions) <= ran, f"these functions made no AWS call: {set(expected_functions) - ran}"
        denied = self.denied()
        assert not denied, "template.yaml does not allow what the code does:\n" + "\n".join(
            f"{fid}:\n  " + "\n  ".join(lines) for fid, lines in denied.items())

    @contextmanager
    def running(self, function_id: str, step: str):
        """Run as `function_id`: its calls are its own, with its environment only."""
        saved, before = dict(os.environ), (self.current, self.step)
        own = _stack.env_for(function_id)
        for key in FUNCTION_ENV_KEYS - set(own):
            os.environ.pop(key, None)
        os.environ.update(own)
        self.current, self.step = function_id, step
        try:
            yield
        finally:
            self.current, self.step = before
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture
def recorder(aws, monkeypatch) -> Recorder:
    record = Recorder()
    make_api_call, emit_api_params = BaseClient._make_api_call, BaseClient._emit_api_params
    presign_post = S3PostPresigner.generate_presigned_post

    def recorded_call(client, operation, params):
        record.add(client, operation, params)
        return make_api_call(client, operation, params)

    def recorded_presign(client, api_params, operation_model, context):
        # generate_presigned_url passes the operation's parameters through here; S3 checks
        # the signer's permission for that operation when the URL is used.
        if context.get("is_presign_request") and operation_model.name != "CreateBucket":
            record.add(client, operation_model.name, api_params, "presigned ")
        return emit_api_params(client, api_params=api_params, operation_model=operation_model, context=context)

    def recorded_post(signer, request_dict, fields=None, conditions=None, *args, **kwargs):
        bucket = next(c["bucket"] for c in conditions if isinstance(c, dict) and "bucket" in c)
        if record.current is not None:
            record.calls.append(Call(record.current, "s3:PutObject", _object(bucket, fields["key"]),
                                     f"presigned POST during {record.step}"))
        return presign_post(signer, request_dict, fields, conditions, *args, **kwargs)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded_call)
    monkeypatch.setattr(BaseClient, "_emit_api_params", recorded_presign)
    monkeypatch.setattr(S3PostPresigner, "generate_presigned_post", recorded_post)
    return record


def invoke(record: Recorder, name: str, event, step: str):
    """functions/<name>/app.py's handler, run as its function with a context naming it."""
    function_id = FUNCTION_OF_DIR[name]
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{_stack.names[function_id]}"
    context = LambdaContext(function_name=_stack.names[function_id], invoked_function_arn=arn)
    with record.running(function_id, step):
        return load_function(name).lambda_handler(event, context)


class RecordingApi(Api):
    """The conftest Api, every request run as the function API Gateway sends it to."""

    def __init__(self, record: Recorder):
        super().__init__()
        self.record = record

    def call(self, method, path, token=None, **kw):
        with self.record.running(self.function_for(method, path), f"{method} {path}"):
            return super().call(method, path, token, **kw)


@pytest.fixture
def api(aws, recorder) -> RecordingApi:  # conftest's `website` fixture uses this one too
    return RecordingApi(recorder)


# ---------------------------------------------------------------- consumers, as the stack runs them

def pump_rule(record: Recorder, rule: str, target: str, name: str) -> int:
    """What EventBridge delivered to one rule target, handed to its function."""
    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=f"test-{rule}-{target}-delivery")["QueueUrl"]
    handled = 0
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            event = json.loads(message["Body"])
            invoke(record, name, event, f"{event.get('detail-type')} event")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
    return handled


def pump_consumers(record: Recorder, rounds: int = 4) -> None:
    for _ in range(rounds):  # consumers publish events of their own
        handled = (pump_rule(record, "DomainEventsToAutomationRule", "automation", "automation")
                   + pump_rule(record, "DomainEventsToNotifyRule", "notify", "notify"))
        if not handled:
            return


def run_contact_jobs(record: Recorder) -> int:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names["ContactJobsQueue"])["QueueUrl"]
    arn = _queue(url)
    handled = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, AttributeNames=["All"],
                                          MessageAttributeNames=["All"]).get("Messages", []):
        result = invoke(record, "contact_jobs", {"Records": [sqs_record(m, arn) for m in messages]}, "contact job")
        assert result == {"batchItemFailures": []}, result
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])
        handled += len(messages)
    return handled


def fire_schedules(record: Recorder) -> list[str]:
    """Each pending schedule, fired as EventBridge Scheduler does: deleted (one-time,
    ActionAfterCompletion DELETE), then the scheduled function invoked with its Input."""
    client = boto3.client("scheduler")
    group = _stack.names["ConversationSchedules"]
    fired = []
    for summary in client.list_schedules(GroupName=group)["Schedules"]:
        schedule = client.get_schedule(Name=summary["Name"], GroupName=group)
        client.delete_schedule(Name=summary["Name"], GroupName=group)
        invoke(record, "scheduled", json.loads(schedule["Target"]["Input"]), f"schedule {summary['Name']}")
        fired.append(summary["Name"])
    return fired


def ws_event(name: str, connection_id: str, **changes) -> dict:
    from tests.conftest import EVENTS

    event = json.loads((EVENTS / f"{name}.json").read_text())
    event["requestContext"]["connectionId"] = connection_id
    event.update(changes)
    return event


# ---------------------------------------------------------------- flows

def ok(reply, status: int = 200):
    assert reply.status == status, reply.json
    return reply.json


def test_conversation_life_across_every_function(api, world, website, recorder, monkeypatch):
    from parley.services.messaging import auto_resolve

    a = world.account_id
    base = f"/api/v1/accounts/{a}"
    # Sockets for the writers to push to: an agent's and, later, the visitor's.
    invoke(recorder, "ws_connect", ws_event("ws_connect", "agent-socket",
                                            queryStringParameters={"token": world.agent.token}), "$connect")
    invoke(recorder, "ws_message", ws_event("ws_message", "agent-socket", body=json.dumps({"action": "heartbeat"})),
           "heartbeat")
    invoke(recorder, "ws_message", ws_event("ws_message", "agent-socket", body=json.dumps({"action": "resume", "since": 0})),
           "resume")
    ok(api.post(f"{base}/labels", world.admin.token, body={"title": "refund"}))
    team = ok(api.post(f"{base}/teams", world.admin.token, body={"name": "Billing"}))
    ok(api.post(f"{base}/teams/{team['id']}/team_members", world.admin.token, body={"user_ids": [world.agent.id]}))
    ok(api.post(f"{base}/automation_rules", world.admin.token, body={
        "name": "Refunds", "event_name": "message_created", "conditions": [
            {"attribute_key": "content", "filter_operator": "contains", "values": ["refund"], "query_operator": None}],
        "actions": [{"action_name": "add_label", "action_params": ["refund"]},
                    {"action_name": "send_message", "action_params": ["Billing will answer shortly."]},
                    {"action_name": "assign_team", "action_params": [team["id"]]},
                    {"action_name": "assign_agent", "action_params": [world.agent.id]}]}))
    # Reopening runs auto-assignment, and its message may schedule auto-resolve: from
    # AutomationFunction, whose environment and policy must allow both.
    ok(api.post(f"{base}/automation_rules", world.admin.token, body={
        "name": "Never closed", "event_name": "conversation_resolved", "conditions": [
            {"attribute_key": "status", "filter_operator": "equal_to", "values": ["resolved"], "query_operator": None}],
        "actions": [{"action_name": "change_status", "action_params": ["open"]},
                    {"action_name": "send_message", "action_params": ["We are still here."]}]}))
    other = ok(website.widget.say(website.widget.start(), "hello"))["conversation_id"]
    # Auto-resolve on: every activity may schedule, in whichever function makes it.
    ok(api.patch(base, world.admin.token, body={"auto_resolve_after": 60, "auto_resolve_message": "Bye"}))
    ok(api.post(f"{base}/conversations/{other}/assignments", world.admin.token, body={"assignee_id": None}))
    ok(api.post(f"{base}/conversations/{other}/toggle_status", world.admin.token, body={"status": "resolved"}))

    visitor = website.widget.start()
    invoke(recorder, "ws_connect", ws_event("ws_connect", "visitor-socket",
                                            queryStringParameters={"pubsub_token": visitor.pubsub_token}), "$connect")
    number = ok(website.widget.say(visitor, "I want a refund"))["conversation_id"]
    conversation = f"{base}/conversations/{number}"
    pump_consumers(recorder)  # automation replies, assigns, labels; notify (each pushes its own events)

    # The dashboard sends an echo_id; its retry finds the stored message (echo claim).
    for _ in range(2):
        ok(api.post(f"{conversation}/messages", world.agent.token, body={"content": "Looking into it", "echo_id": "e-1"}))
    mention = f"[@Ada Admin](mention://user/{world.admin.id}/Ada%20Admin)"
    ok(api.post(f"{conversation}/messages", world.agent.token, body={"content": f"{mention} refund?", "private": True}))
    ok(api.post(f"{conversation}/assignments", world.admin.token, body={"assignee_id": world.admin.id}))
    ok(api.post(f"{conversation}/labels", world.agent.token, body={"labels": ["refund"]}))
    ok(api.post(f"{conversation}/toggle_priority", world.agent.token, body={"priority": "high"}))
    ok(api.post(f"{conversation}/custom_attributes", world.agent.token, body={"custom_attributes": {"plan": "pro"}}))
    ok(api.patch(conversation, world.agent.token, body={"priority": "low"}))
    ok(api.post(f"{conversation}/mute", world.agent.token))
    ok(api.post(f"{conversation}/unmute", world.agent.token))
    ok(api.post(f"{conversation}/unread", world.agent.token))
    ok(api.post(f"{conversation}/update_last_seen", world.agent.token))
    ok(api.post(f"{conversation}/toggle_typing", world.agent.token, body={"typing_status": "on"}))
    ok(website.widget.call("POST", "conversations/update_last_seen", visitor))
    ok(api.get(f"{base}/search/messages", world.agent.token, query={"q": "refund"}))
    ok(api.get(f"{base}/conversations/meta", world.agent.token))
    ok(api.get(f"{conversation}/messages", world.agent.token))
    doomed = ok(api.post(f"{conversation}/messages", world.agent.token, body={"content": "typo"}))
    ok(api.delete(f"{conversation}/messages/{doomed['id']}", world.agent.token))
    pump_consumers(recorder)

    # Snooze: a schedule; the contact's message reopens it and cancels the schedule.
    until = int(time.time()) + 3600
    ok(api.post(f"{conversation}/toggle_status", world.agent.token, body={"status": "snoozed", "snoozed_until": until}))
    ok(website.widget.say(visitor, "still there?"))
    ok(api.post(f"{conversation}/toggle_status", world.agent.token, body={"status": "snoozed", "snoozed_until": until}))
    pump_consumers(recorder)
    # Unassigned, so the snooze ending auto-assigns from the scheduled function.
    ok(api.post(f"{conversation}/assignments", world.admin.token, body={"assignee_id": None}))
    # The scheduled function: the snooze ends, then the auto-resolve deadline passes.
    fire_schedules(recorder)
    monkeypatch.setattr(auto_resolve, "time", type("Clock", (), {"time": staticmethod(lambda: time.time() + 7200)}))
    fire_schedules(recorder)
    pump_consumers(recorder)
    ok(api.post(f"{base}/bulk_actions", world.admin.token, body={
        "type": "Conversation", "ids": [number], "fields": {"status": "open"}}))
    ok(api.post(f"{conversation}/toggle_status", world.agent.token, body={"status": "resolved"}))
    pump_consumers(recorder)
    ok(api.get(f"{base}/notifications", world.admin.token))
    invoke(recorder, "ws_connect", ws_event("ws_disconnect", "agent-socket"), "$disconnect")
    recorder.check("HttpApiFunction", "AutomationFunction", "NotifyFunction",
                   "ScheduledFunction", "WsConnectFunction", "WsMessageFunction")


def test_socket_rights_follow_every_change(api, world, website, recorder):
    """Rights changes rewrite or close open sockets (HttpApiFunction); resume re-checks
    rights at their source and closes a socket whose token is gone (WsMessageFunction)."""
    from parley.models.user import AccessToken
    from parley import tokens
    from parley.services.access import users

    base = f"/api/v1/accounts/{world.account_id}"

    def connect(connection_id: str, **query):
        invoke(recorder, "ws_connect", ws_event("ws_connect", connection_id, queryStringParameters=query), "$connect")

    def resume(connection_id: str):
        return invoke(recorder, "ws_message", ws_event("ws_message", connection_id,
                                                       body=json.dumps({"action": "resume", "since": 1})), "resume")

    visitor = website.widget.start()
    ok(website.widget.say(visitor, "hello"))
    connect("visitor", pubsub_token=visitor.pubsub_token)
    assert resume("visitor")["statusCode"] == 200
    connect("agent", token=world.agent.token)
    assert resume("agent")["statusCode"] == 200
    ok(api.delete(f"{base}/inbox_members", world.admin.token, body={"inbox_id": website.id, "user_ids": [world.agent.id]}))
    ok(api.patch(f"{base}/agents/{world.agent.id}", world.admin.token, body={"role": "administrator"}))
    ok(api.put("/api/v1/profile", world.agent.token, body={
        "current_password": world.agent.password, "password": "N3w-secret!!", "password_confirmation": "N3w-secret!!"}))
    second = tokens.issue(users.owner(world.admin.id))
    connect("admin", token=second)
    ok(api.delete("/auth/sign_out", second))
    connect("admin-2", token=world.admin.token)
    AccessToken(tokens.digest(world.admin.token)).delete()
    assert resume("admin-2")["statusCode"] == 410
    agent_token = tokens.issue(users.owner(world.agent.id))
    connect("agent-2", token=agent_token)
    ok(api.delete(f"{base}/agents/{world.agent.id}", tokens.issue(users.owner(world.admin.id))))
    # A platform app deletes its user, who has a socket open.
    app = world.platform_token
    account = ok(api.post("/platform/api/v1/accounts", app, body={"name": "Initech"}))
    user = ok(api.post("/platform/api/v1/users", app, body={"name": "Pat", "email": "pat@initech.test"}))
    ok(api.post(f"/platform/api/v1/accounts/{account['id']}/account_users", app,
                body={"user_id": user["id"], "role": "administrator"}))
    connect("pat", token=tokens.issue(users.owner(user["id"])), account_id=str(account["id"]))
    ok(api.delete(f"/platform/api/v1/users/{user['id']}", app))
    recorder.check("HttpApiFunction", "WsMessageFunction", "WsConnectFunction")


def test_custom_role_agents_sockets_and_mentions(api, world, website, recorder):
    """An agent with a custom role: its socket reads the role and the conversations it
    follows (WsConnectFunction, WsMessageFunction's resume); a mention makes it a
    participant from NotifyFunction, which rewrites its sockets' scope."""
    base = f"/api/v1/accounts/{world.account_id}"
    role = ok(api.post(f"{base}/custom_roles", world.admin.token,
                       body={"name": "Followers", "permissions": ["conversation_participating_manage"]}))
    ok(api.patch(f"{base}/agents/{world.agent.id}", world.admin.token,
                 body={"role": "agent", "custom_role_id": role["id"]}))
    invoke(recorder, "ws_connect", ws_event("ws_connect", "role-socket",
                                            queryStringParameters={"token": world.agent.token}), "$connect")
    number = ok(website.widget.say(website.widget.start(), "hello"))["conversation_id"]
    conversation = f"{base}/conversations/{number}"
    ok(api.post(f"{conversation}/assignments", world.admin.token, body={"assignee_id": world.admin.id}))
    mention = f"[@Aaron Agent](mention://user/{world.agent.id}/Aaron%20Agent)"
    ok(api.post(f"{conversation}/messages", world.admin.token, body={"content": f"{mention} look", "private": True}))
    pump_consumers(recorder)
    ok(api.get(conversation, world.agent.token))  # a participant now: the role shows it
    invoke(recorder, "ws_message", ws_event("ws_message", "role-socket",
                                            body=json.dumps({"action": "resume", "since": 1})), "resume")
    ok(api.delete(f"{base}/custom_roles/{role['id']}", world.admin.token))
    recorder.check("HttpApiFunction", "NotifyFunction", "WsConnectFunction", "WsMessageFunction")


def test_every_route_of_the_permission_matrix(api, world, website, recorder, monkeypatch):
    from tests.integration import test_permission_matrix as matrix

    visitor = website.widget.start()
    ok(website.widget.say(visitor, "acme question"))
    ok(api.post("/auth/sign_in", body={"email": world.admin.email, "password": world.admin.password}))
    rows = matrix.routes(world, monkeypatch)
    # Signing out revokes the token the other rows use: last.
    rows.sort(key=lambda row: row[1] == "/auth/sign_out")
    for method, path, body, expected in rows:
        if 200 not in expected:
            continue  # nobody gets through (provider webhooks without a signature): no AWS call to check
        caller = matrix.CALLERS[max(i for i, status in enumerate(expected) if status == 200)]
        path, _, raw_query = path.partition("?")
        query = dict(matrix.parse_qsl(raw_query)) or None
        reply = api.call(method, path, matrix.token_of(world, caller), body=body, query=query)
        assert reply.status == 200, (method, path, caller, reply.json)
    recorder.check("HttpApiFunction")


def test_help_center_api_and_widget(api, world, website, recorder):
    """The help center's account API (every kind of write, a logo, the lists) and the
    widget config naming the linked portal, as the HTTP API's role runs them."""
    from tests.integration import test_help_center_api as hc

    base = f"/api/v1/accounts/{world.account_id}/portals"
    hc.make_portal(api, world, inbox_id=website.id, custom_domain="help.acme.example")
    category = hc.make_category(api, world)
    article = hc.make_article(api, world, category_id=category["id"], status="published")
    ok(api.patch(f"{base}/acme-help", world.admin.token, body={"member_ids": [world.agent.id]}))
    ok(api.patch(f"{base}/acme-help/articles/{article['id']}", world.agent.token, body={"status": "draft"}))
    ok(api.post(f"{base}/acme-help/articles/reorder", world.admin.token,
                body={"positions_hash": {str(article["id"]): 3}}))
    ok(api.get(f"{base}/acme-help/articles", world.admin.token, query={"status": "draft"}))
    ok(api.get(base, world.admin.token))
    boundary = "policy"
    raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\n"
           f"Content-Type: image/png\r\n\r\n").encode() + hc.PNG + f"\r\n--{boundary}--\r\n".encode()
    ok(api.post(f"{base}/acme-help/logo", world.admin.token, raw_body=raw,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    ok(api.delete(f"{base}/acme-help/logo", world.admin.token))
    ok(website.widget.call("POST", "config"))
    ok(api.delete(f"{base}/acme-help/categories/{category['id']}", world.admin.token))
    ok(api.delete(f"{base}/acme-help/articles/{article['id']}", world.admin.token))
    ok(api.delete(f"{base}/acme-help", world.admin.token))
    recorder.check("HttpApiFunction")


def test_an_ongoing_campaign_in_the_widget(api, world, website, recorder):
    """The widget's campaigns (senders read in one BatchGet), a shown campaign's event and
    the visitor's answer starting the conversation with the campaign's message."""
    made = ok(api.post(f"/api/v1/accounts/{world.account_id}/campaigns", world.admin.token, body={
        "title": "Policy", "message": "Hello from a campaign", "inbox_id": website.id, "sender_id": world.agent.id,
        "trigger_only_during_business_hours": True, "trigger_rules": {"url": "https://acme.test/*"}}))
    ok(website.widget.call("GET", "campaigns"))
    ok(website.widget.call("POST", "events", body={"name": "campaign.triggered",
                                                   "event_info": {"campaign_id": made["id"]}}))
    ok(website.widget.call("POST", "messages", body={"message": {"content": "Hi", "campaign_id": made["id"]}}))
    recorder.check("HttpApiFunction")


def test_account_objects_set_up_used_and_torn_down(api, world, website, recorder):
    a = world.account_id
    base = f"/api/v1/accounts/{a}"
    admin = world.admin.token
    visitor = website.widget.start()
    number = ok(website.widget.say(visitor, "hello"))["conversation_id"]
    conversation = f"{base}/conversations/{number}"
    contact = ok(api.post(f"{base}/contacts", admin, body={"name": "Cleo", "email": "cleo@acme.test"}))["payload"]["contact"]
    ok(api.put(f"{base}/contacts/{contact['id']}", admin, body={"name": "Cleo C", "phone_number": "+15550001234"}))
    ok(api.get(f"{base}/contacts/search", admin, query={"q": "cleo"}))
    ok(api.post(f"{base}/labels", admin, body={"title": "vip"}))
    ok(api.post(f"{base}/contacts/{contact['id']}/labels", admin, body={"labels": ["vip"]}))
    note = ok(api.post(f"{base}/contacts/{contact['id']}/notes", admin, body={"content": "met at expo"}))
    ok(api.delete(f"{base}/contacts/{contact['id']}/notes/{note['id']}", admin))
    ok(api.get(f"{base}/contacts/{visitor.contact_id}/conversations", admin))
    ok(api.post(f"{conversation}/participants", admin, body={"user_ids": [world.admin.id]}))
    ok(api.delete(f"{conversation}/participants", admin, body={"user_ids": [world.admin.id]}))
    macro = ok(api.post(f"{base}/macros", admin, body={"name": "Close", "visibility": "global", "actions": [
        {"action_name": "add_label", "action_params": ["vip"]}, {"action_name": "send_message", "action_params": ["Bye"]},
        {"action_name": "resolve_conversation"}]}))["payload"]
    ok(api.post(f"{base}/macros/{macro['id']}/execute", admin, body={"conversation_ids": [number]}))
    team = ok(api.post(f"{base}/teams", admin, body={"name": "Support"}))
    ok(api.post(f"{base}/teams/{team['id']}/team_members", admin, body={"user_ids": [world.agent.id]}))
    ok(api.delete(f"{base}/teams/{team['id']}/team_members", admin, body={"user_ids": [world.agent.id]}))
    ok(api.delete(f"{base}/teams/{team['id']}", admin))
    ok(api.delete(f"{base}/inbox_members", admin, body={"inbox_id": website.id, "user_ids": [world.agent.id]}))
    ok(api.delete(f"{base}/macros/{macro['id']}", admin))
    ok(api.delete(f"{base}/contacts/{contact['id']}", admin))
    ok(api.delete(f"{base}/inboxes/{website.id}", admin))
    recorder.check("HttpApiFunction")


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_files_contact_imports_and_exports(api, world, website, recorder):
    from tests.integration.test_attachments import upload
    from tests.integration.test_contact_import_export import upload as upload_csv

    a = world.account_id
    visitor = website.widget.start()
    number = ok(website.widget.say(visitor, "a file follows"))["conversation_id"]
    messages = f"/api/v1/accounts/{a}/conversations/{number}/messages"
    presigned = ok(api.post(f"/api/v1/accounts/{a}/conversations/{number}/direct_uploads", world.admin.token,
                            body={"blob": {"filename": "pic.png", "content_type": "image/png", "byte_size": len(PNG)}}))
    upload(presigned, PNG)
    ok(api.post(messages, world.admin.token, body={"content": "", "attachments": [presigned["signed_id"]]}))
    fake = ok(api.post(f"/api/v1/accounts/{a}/conversations/{number}/direct_uploads", world.admin.token,
                       body={"blob": {"filename": "x.png", "content_type": "image/png", "byte_size": 4}}))
    upload(fake, b"text")
    assert api.post(messages, world.admin.token, body={"content": "x", "attachments": [fake["signed_id"]]}).status == 422
    mine = ok(website.widget.call("POST", "direct_uploads", visitor, body={"blob": {
        "filename": "pic.png", "content_type": "image/png", "byte_size": len(PNG)}}))
    upload(mine, PNG)
    ok(website.widget.call("POST", "messages", visitor, body={"message": {"content": "", "attachments": [mine["signed_id"]]}}))
    ok(website.widget.call("GET", "messages", visitor))
    ok(api.get(messages, world.admin.token))

    job = ok(upload_csv(api, world, b"name,email\r\nAnn,ann@import.test\r\nBen,ben@import.test\r\n"))
    assert run_contact_jobs(recorder) >= 1
    assert ok(api.get(f"/api/v1/accounts/{a}/contacts/imports/{job['id']}", world.admin.token))["status"] == "completed"
    export = ok(api.post(f"/api/v1/accounts/{a}/contacts/export", world.admin.token, body={}))
    assert run_contact_jobs(recorder) == 1
    path = f"/api/v1/accounts/{a}/contacts/exports/{export['id']}/download"
    with recorder.running("HttpApiFunction", f"GET {path}"):  # a CSV body, not JSON
        download = api.app.lambda_handler(http_event("GET", path, headers={"api_access_token": world.admin.token}),
                                          LambdaContext())
    assert download["statusCode"] in (200, 302), download
    recorder.check("HttpApiFunction", "ContactJobsFunction")


def test_webhooks_fan_out_deliver_and_back_off(api, world, website, recorder, monkeypatch):
    import httpx

    from parley import outbound
    from parley.services.rules import webhooks

    answers = [500, 200]
    guard = outbound.Guard(resolver=lambda host, port: ["93.184.216.34"], allowed_hosts=frozenset())
    monkeypatch.setattr(webhooks, "_http", outbound.client(guard, httpx.MockTransport(
        lambda request: httpx.Response(answers.pop(0)))))
    a = world.account_id
    ok(api.post(f"/api/v1/accounts/{a}/webhooks", world.admin.token, body={"url": "https://hooks.example.com/in"}))
    ok(website.widget.say(website.widget.start(), "hello"))
    assert pump_rule(recorder, "DomainEventsToWebhooksRule", "webhooks", "webhooks") >= 1
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names["WebhookDeliveriesQueue"])["QueueUrl"]
    for _ in range(2):  # a 500 (postponed), then a 200
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        invoke(recorder, "webhook_deliveries", {"Records": [sqs_record(m, _queue(url)) for m in messages[:1]]},
               "delivery")
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert answers == []
    ok(api.get(f"/api/v1/accounts/{a}/webhooks", world.admin.token))
    recorder.check("HttpApiFunction", "WebhooksFunction", "WebhookDeliveriesFunction")


def drain_queue(record: Recorder, logical_id: str, name: str, rounds: int = 3) -> None:
    """What Lambda's SQS poller hands the function: batches, failed items left on the queue."""
    event_pipe.pump()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names[logical_id])["QueueUrl"]
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return
        result = invoke(record, name, {"Records": [sqs_record(m, _queue(url)) for m in messages]}, f"{name} batch")
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_channel_webhooks_ingest_and_delivery(api, world, recorder, monkeypatch):
    from tests.integration import channel_support as channels

    telegram = channels.telegram_inbox(api, world)
    channels.whatsapp_inbox(api, world, monkeypatch)
    # A member makes ingest auto-assign, which looks up who is online (agent-index).
    ok(api.post(f"/api/v1/accounts/{world.account_id}/inbox_members", world.admin.token,
                body={"inbox_id": telegram["id"], "user_ids": [world.agent.id]}))
    ok(channels.post_telegram(api, telegram, channels.fixture_bytes("telegram", "text_message")))
    ok(channels.post_whatsapp(api, channels.fixture_bytes("whatsapp", "text_message")))
    drain_queue(recorder, "IngestQueue", "channel_ingest")
    conversations = ok(api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token))["data"]["payload"]
    assert len(conversations) == 2
    # A provider fault first: the retry stretches the message's visibility (backoff).
    monkeypatch.setattr(load_function("deliver").consumer, "backoff", lambda attempt: 0)
    channels.Provider(monkeypatch, (503, {}), (200, channels.fixture("telegram", "send_message_ok")),
                      (200, channels.fixture("whatsapp", "send_ok")),
                      (403, channels.fixture("telegram", "send_message_403")),
                      (200, channels.fixture("telegram", "send_message_ok")))
    for conversation in conversations:
        ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation['id']}/messages",
                    world.admin.token, body={"content": "On it"}))
    drain_queue(recorder, "DeliverQueue", "deliver", rounds=4)
    # A refused reply, then the agent's retry (Chatwoot's retry action) sends it again.
    on_telegram = next(c for c in conversations if c["inbox_id"] == telegram["id"])["id"]
    refused = ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{on_telegram}/messages",
                          world.admin.token, body={"content": "Still there?"}))
    drain_queue(recorder, "DeliverQueue", "deliver")
    ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{on_telegram}/messages/{refused['id']}/retry",
                world.admin.token))
    drain_queue(recorder, "DeliverQueue", "deliver")
    ok(channels.post_whatsapp(api, channels.fixture_bytes("whatsapp", "status_read")))
    drain_queue(recorder, "IngestQueue", "channel_ingest")
    recorder.check("HttpApiFunction", "ChannelIngestFunction", "DeliverFunction")


def test_email_and_sms_channels(api, world, recorder, monkeypatch):
    from parley import global_config
    from tests.integration import channel_support as channels
    from tests.integration import test_email_channel as mail, test_twilio as sms

    from tests.integration.test_channel_claims import confirmation_token, page

    global_config.update("MAILER_INBOUND_EMAIL_DOMAIN", mail.DOMAIN)
    boto3.client("ses").verify_domain_identity(Domain=mail.DOMAIN)  # the confirmation mail's sender
    inbox = ok(api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token,
                        body={"name": "Mail", "channel": {"type": "email", "email": "support@acme.example"}}))
    assert page(api, "POST", confirmation_token("support@acme.example", inbox["id"]))[0] == 200
    channels.twilio_lists(monkeypatch, sms.ACCOUNT_SID, sms.NUMBER)
    ok(api.post(f"/api/v1/accounts/{world.account_id}/inboxes", world.admin.token, body={
        "name": "SMS", "channel": {"type": "sms", "account_sid": sms.ACCOUNT_SID, "auth_token": sms.AUTH_TOKEN,
                                   "phone_number": sms.NUMBER}}))
    mail.deliver_mail(mail._raw("attachment"), "p1")  # SES's own write (the bucket policy allows it)
    with recorder.running("HttpApiFunction", "POST /twilio/callback"):
        assert sms.post(api, "/twilio/callback", sms.fixture("inbound_sms")).status == 200
    drain_queue(recorder, "IngestQueue", "channel_ingest")
    boto3.client("ses").verify_domain_identity(Domain="acme.example")
    channels.Provider(monkeypatch, (201, sms.fixture("send_queued")))
    conversations = ok(api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token))["data"]["payload"]
    assert len(conversations) == 2
    for conversation in conversations:
        ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation['id']}/messages",
                    world.admin.token, body={"content": "On it"}))
    drain_queue(recorder, "DeliverQueue", "deliver")
    assert all(m["status"] == "sent" for c in conversations for m in
               ok(api.get(f"/api/v1/accounts/{world.account_id}/conversations/{c['id']}/messages",
                          world.admin.token))["payload"] if m["message_type"] == 1)
    assert inbox["forward_to_email"]
    recorder.check("HttpApiFunction", "ChannelIngestFunction", "DeliverFunction")


def test_password_links_reset_and_invitation(api, world, recorder):
    """POST /auth/password mails a link (SES, from MAILER_SUPPORT_EMAIL), PUT redeems it;
    adding an agent without a password mails the same kind of link."""
    from parley import global_config
    from tests.integration.test_password_reset import NEW_PASSWORD, reset_tokens

    global_config.update("MAILER_SUPPORT_EMAIL", "accounts@parley.example")
    boto3.client("ses").verify_domain_identity(Domain="parley.example")
    ok(api.post("/auth/password", body={"email": world.agent.email}))
    [token] = reset_tokens(world.agent.email)
    ok(api.put("/auth/password", body={"reset_password_token": token, "password": NEW_PASSWORD,
                                       "password_confirmation": NEW_PASSWORD}))
    ok(api.post(f"/api/v1/accounts/{world.account_id}/agents", world.admin.token,
                body={"name": "Newbie", "email": "newbie@acme.test", "role": "agent"}))
    assert reset_tokens("newbie@acme.test")
    recorder.check("HttpApiFunction")


def test_two_factor_enrolment_sign_in_and_reset(api, world, recorder):
    """Enrolment, the two sign-in steps (code and recovery code), regenerated codes and a
    super admin's reset: the user's conditional updates, the pending token, the throttle
    and the audit entries written with the change."""
    import pyotp

    from tests.integration.test_mfa import MFA

    secret = ok(api.post(MFA, world.agent.token))["secret"]
    codes = ok(api.post(f"{MFA}/verify", world.agent.token,
                        body={"otp_code": pyotp.TOTP(secret).now()}))["backup_codes"]
    first = api.post("/auth/sign_in", body={"email": world.agent.email, "password": world.agent.password})
    assert first.status == 206, first.json
    ok(api.post("/auth/sign_in", body={"mfa_token": first.json["mfa_token"], "backup_code": codes[0]}))
    again = api.post("/auth/sign_in", body={"email": world.agent.email, "password": world.agent.password})
    assert api.post("/auth/sign_in", body={"mfa_token": again.json["mfa_token"], "otp_code": "12345"}).status == 400
    ok(api.post(f"/super_admin/api/v1/users/{world.agent.id}/reset_mfa", world.super_admin.token))
    # The account requires it: the sockets of members without it close, their reconnects are refused.
    invoke(recorder, "ws_connect", ws_event("ws_connect", "tf-agent", queryStringParameters={"token": world.agent.token}),
           "$connect")
    secret = ok(api.post(MFA, world.admin.token))["secret"]
    ok(api.post(f"{MFA}/verify", world.admin.token, body={"otp_code": pyotp.TOTP(secret).now()}))
    ok(api.patch(f"/api/v1/accounts/{world.account_id}", world.admin.token, body={"two_factor_required": True}))
    invoke(recorder, "ws_connect", ws_event("ws_connect", "tf-agent-2", queryStringParameters={"token": world.agent.token}),
           "$connect")
    recorder.check("HttpApiFunction", "WsConnectFunction")


def test_help_center_public_site_indexer_and_views(world, recorder):
    """The public site (pages, search, JSON, sitemap, logo, beacon) as HelpCenterFunction,
    the indexer as HelpCenterIndexFunction, the views consumer as HelpCenterViewsFunction."""
    from parley import storage
    from parley.services.help_center import search, site as sites
    from tests import help_center_support as hc

    a = world.account_id
    p = hc.portal(a, "acme", locales=("en", "fr"))
    category = hc.category(a, p, "billing")
    hc.article(a, p, "Download invoices", "Invoices are PDF files.", category_id=category, slug="invoices")
    hc.article(a, p, "Draft", "not yet", status="draft", slug="draft")
    key = f"help_center/{a}/{p}/logos/x/logo.png"
    boto3.client("s3").put_object(Bucket=storage.bucket(), Key=key, Body=b"\x89PNG")
    hc.update_portal(a, p, logo={"id": 77, "key": key, "kind": "png", "filename": "logo.png"})

    def as_function(function_id, handler):
        return lambda event: invoke_as(recorder, function_id, handler, event)

    indexer, views = hc.load_handler("indexer"), hc.load_handler("views")
    assert hc.drain("HelpCenterIndexQueue", None, invoke=as_function("HelpCenterIndexFunction", indexer.lambda_handler))
    site = hc.Site(load_function("help_center"))
    sites.forget()
    search.forget()
    site.app.forget()
    with recorder.running("HelpCenterFunction", "public pages"):
        for path in ("/hc/acme", "/hc/acme/fr", "/hc/acme/en/categories/billing", "/hc/acme/articles/invoices",
                     "/hc/acme/sitemap.xml", "/hc/acme/robots.txt", "/robots.txt", "/hc/acme/articles/invoices.json",
                     "/hc/acme/logo/77"):
            assert site.get(path).status in (200, 302), path
        assert site.get("/hc/acme/en/articles", query={"query": "invoice"}).status == 200
        assert site.get("/hc/acme/en/articles.json", query={"query": "invoice"}).json["payload"]
        assert site.get("/hc/acme/en/articles.json").status == 200
        assert site.call("POST", "/hc/acme/articles/invoices/views").status == 204
        assert site.call("POST", "/hc/preview", body='{"content": "# hi"}').status == 200
    # a change the indexer has not caught up with: search re-checks its hits
    hc.update_article(a, p, hc_article_id(a, p, "invoices"), title="Your invoices")
    with recorder.running("HelpCenterFunction", "stale search"):
        assert site.get("/hc/acme/en/articles.json", query={"query": "invoice"}).status == 200
        search.search_articles(a, p, "invoice")
    assert hc.drain("HelpCenterViewsQueue", None, invoke=as_function("HelpCenterViewsFunction", views.lambda_handler))
    recorder.check("HelpCenterFunction", "HelpCenterIndexFunction", "HelpCenterViewsFunction")


def hc_article_id(account_id: int, portal_id: int, slug: str) -> int:
    from parley.models.account_object import AccountObject
    from parley.models.help_center import article_slug_claim
    from parley.models.unique import UniqueClaim

    key = UniqueClaim.get(article_slug_claim(account_id, portal_id, slug)).target
    return int(AccountObject.get(account_id, key).id)


def invoke_as(record: Recorder, function_id: str, handler, event):
    """A handler of a folder's second module (functions/help_center's consumers), run as its function."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{_stack.names[function_id]}"
    context = LambdaContext(function_name=_stack.names[function_id], invoked_function_arn=arn)
    with record.running(function_id, f"{function_id} batch"):
        return handler(event, context)


# ---------------------------------------------------------------- the checker itself

def test_checker_matches_as_iam_does():
    policy = [{"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": ["arn:aws:dynamodb:r:1:table/T"]},
              {"Effect": "Allow", "Action": ["S3:GetObject"], "Resource": ["arn:aws:s3:::b/uploads/*"]}]
    assert allows(policy, "dynamodb:Query", "arn:aws:dynamodb:r:1:table/T")
    assert not allows(policy, "dynamodb:Query", "arn:aws:dynamodb:r:1:table/T/index/i")  # an index is its own ARN
    assert not allows(policy, "dynamodb:GetItem", "arn:aws:dynamodb:r:1:table/T")
    assert allows(policy, "s3:getobject", "arn:aws:s3:::b/uploads/1/a/b.png")
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::b/attachments/1.png")
    assert not allows(policy + [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}], "s3:GetObject",
                      "arn:aws:s3:::b/uploads/x")


def test_checker_fails_when_a_grant_is_removed(monkeypatch):
    """The policies as the template resolves them allow a message write; without the
    term-index statement entry they do not."""
    query = ("dynamodb:Query", _table(_stack.names["MessagesTable"]) + "/index/term-index")
    assert allows(statements("HttpApiFunction"), *query)
    stripped = [dict(s, Resource=[r for r in as_list(s.get("Resource", [])) if not r.endswith("/index/term-index")])
                for s in statements("HttpApiFunction")]
    assert not allows(stripped, *query)


def test_account_suspension_hold_release_and_deletion(api, world, recorder, monkeypatch):
    """Suspend (held ingest), reactivate (release), then delete a populated account to the end."""
    from tests.integration import channel_support as channels
    from tests.integration.test_account_deletion import _populate

    a = world.account_id
    telegram = channels.telegram_inbox(api, world)
    ok(channels.post_telegram(api, telegram, channels.fixture_bytes("telegram", "text_message")))
    ok(api.patch(f"/super_admin/api/v1/accounts/{a}", world.super_admin.token, body={"status": "suspended"}))
    drain_queue(recorder, "IngestQueue", "channel_ingest")
    ok(api.patch(f"/super_admin/api/v1/accounts/{a}", world.super_admin.token, body={"status": "active"}))
    drain_queue(recorder, "AccountJobsQueue", "account_jobs")
    drain_queue(recorder, "IngestQueue", "channel_ingest")
    channels_inbox = api.delete(f"/api/v1/accounts/{a}/inboxes/{telegram['id']}", world.admin.token)
    assert channels_inbox.status == 200, channels_inbox.json
    _populate(api, world, monkeypatch)
    ok(api.delete(f"/super_admin/api/v1/accounts/{a}", world.super_admin.token))
    drain_queue(recorder, "AccountJobsQueue", "account_jobs", rounds=20)
    recorder.check("HttpApiFunction", "ChannelIngestFunction", "AccountJobsFunction")


def test_conversation_deletion_to_the_end(api, world, website, recorder, monkeypatch):
    """An administrator deletes a busy, snoozed conversation (files, participants, echo ids,
    search terms); the account-jobs consumer cascades it in several chunks."""
    from parley.services.lifecycle import conversation_deletion
    from tests.integration.test_conversation_deletion import _busy_conversation, _left_of

    a = world.account_id
    display_id, _ = _busy_conversation(api, world, website)
    ok(api.post(f"/api/v1/accounts/{a}/conversations/{display_id}/toggle_status", world.admin.token,
                body={"status": "snoozed", "snoozed_until": int(time.time()) + 3600}))
    ok(api.delete(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token))
    monkeypatch.setattr(conversation_deletion, "CHUNK", 20)
    drain_queue(recorder, "AccountJobsQueue", "account_jobs", rounds=20)
    assert not any(_left_of(a, display_id).values()), "the flow ran to its end"
    recorder.check("HttpApiFunction", "AccountJobsFunction")


def test_flooding_sockets_are_closed_by_their_own_function(api, world, website, recorder):
    """A socket that keeps sending past its frame budget is closed from WsMessageFunction:
    its record and open-socket slot freed, DeleteConnection, and (an agent's) presence."""
    from parley.services.access import connections

    visitor = website.widget.start()
    for connection_id, query in (("visitor", {"pubsub_token": visitor.pubsub_token}),
                                 ("agent", {"token": world.agent.token})):
        invoke(recorder, "ws_connect", ws_event("ws_connect", connection_id, queryStringParameters=query), "$connect")
        replies = [invoke(recorder, "ws_message", ws_event("ws_message", connection_id, body="junk"), "flood")
                   for _ in range(connections.FRAME_BURST + connections.FLOOD_FRAMES)]
        assert replies[-1]["statusCode"] == 410
    recorder.check("WsMessageFunction")


# ---------------------------------------------------------------- Captain's copilot

def test_captain_copilot_threads_and_actions(api, world, website, recorder):
    """The copilot's routes run in the captain function (the template routes them there):
    threads and messages, the actions offered and the offline reply suggestion."""
    a = world.account_id
    base = f"/api/v1/accounts/{a}/captain"
    assistant = ok(api.post(f"{base}/assistants", world.admin.token, body={"name": "Copilot", "description": "d"}))
    ok(api.post(f"{base}/assistants/{assistant['id']}/inboxes", world.admin.token, body={"inbox_id": website.id}))
    ok(api.post(f"{base}/assistant_responses", world.admin.token, body={
        "question": "How do I reset my password?", "answer": "Use the link.", "assistant_id": assistant["id"]}))
    visitor = website.widget.start()
    assert website.widget.say(visitor, "How do I reset my password?").status == 200
    conversation_id = ok(api.get(f"/api/v1/accounts/{a}/conversations", world.admin.token,
                                 query={"status": "all"}))["data"]["payload"][0]["id"]
    recorder.calls.clear()
    thread = ok(api.post(f"{base}/copilot_threads", world.agent.token, body={
        "message": "reset password", "assistant_id": assistant["id"], "conversation_id": conversation_id}))
    ok(api.post(f"{base}/copilot_threads/{thread['id']}/copilot_messages", world.agent.token, body={"message": "more?"}))
    ok(api.get(f"{base}/copilot_threads/{thread['id']}/copilot_messages", world.agent.token))
    ok(api.get(f"{base}/copilot_threads", world.agent.token))
    ok(api.get(f"{base}/copilot", world.agent.token, query={"conversation_id": str(conversation_id)}))
    assert ok(api.post(f"{base}/copilot/reply_suggestion", world.agent.token,
                       body={"conversation_id": conversation_id}))["content"] == "Use the link."
    ok(api.post(f"{base}/tasks/reply_suggestion", world.agent.token, body={"conversation_display_id": conversation_id}))
    assert recorder.functions() == {"CaptainFunction"}
    recorder.check("CaptainFunction")

def test_captain_answers_hands_off_resolves_and_plays(api, world, website, recorder):
    """Captain as CaptainFunction: a customer's question answered (the index built and
    snapshotted, the idle schedule made), a request for a person handed off (the activity,
    the open status and auto-assignment, the internal event), the playground; its idle
    resolution as ScheduledFunction; the usage route as HttpApiFunction."""
    from tests import help_center_support as hc
    from tests.captain_support import make_assistant

    assistant = make_assistant(api, world, website.id)
    visitor = website.widget.start()
    for text in ("How can I reset my password?", "I want to talk to a person"):
        assert website.widget.say(visitor, text).status == 200
        assert hc.drain("CaptainQueue", None, invoke=lambda event: invoke(recorder, "captain", event, "captain batch"))
    visitor = website.widget.start()
    assert website.widget.say(visitor, "Where do you ship to?").status == 200
    assert hc.drain("CaptainQueue", None, invoke=lambda event: invoke(recorder, "captain", event, "captain batch"))
    event = http_event("POST", f"/api/v1/accounts/{world.account_id}/captain/assistants/{assistant['id']}/playground",
                       body={"message_content": "How can I reset my password?"},
                       headers={"api_access_token": world.admin.token})
    assert invoke(recorder, "captain", event, "playground")["statusCode"] == 200
    assert fire_schedules(recorder)
    assert api.get(f"/api/v1/accounts/{world.account_id}/captain/usage", world.admin.token).status == 200
    recorder.check("CaptainFunction", "ScheduledFunction", "HttpApiFunction")


def test_captain_proposes_faqs_from_a_resolved_conversation(api, world, website, recorder):
    """CaptainFunction reads a resolved conversation, claims it, asks the account's model
    (its key from SSM) and stores the proposals pending (ids, audit entries, usage)."""
    from parley import global_config
    from tests import help_center_support as hc
    from tests.captain_support import ModelServer, make_assistant
    from tests.integration.test_captain_mining import proposing

    make_assistant(api, world, website.id)
    server = ModelServer((200, proposing(("Do you sell gift cards?", "Yes, from 10 to 200 euros."))))
    try:
        global_config.update("CAPTAIN_PRIVATE_MODEL_ADDRESSES", True)
        ok(api.patch(f"/api/v1/accounts/{world.account_id}/captain/provider", world.admin.token, body={
            "provider": "openai_compatible", "base_url": server.url, "chat_model": "m", "api_key": "sk-policy",
            "allow_private_address": True}))
        visitor = website.widget.start()
        conversation_id = website.widget.say(visitor, "Gift cards? A human please").json["conversation_id"]
        ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/messages",
                    world.admin.token, body={"content": "Yes, from 10 to 200 euros."}))
        hc.drain("CaptainQueue", None, invoke=lambda event: invoke(recorder, "captain", event, "captain batch"))
        ok(api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/toggle_status",
                    world.admin.token, body={"status": "resolved"}))
        assert hc.drain("CaptainQueue", None, invoke=lambda event: invoke(recorder, "captain", event, "mining"))
    finally:
        server.close()
    assert server.requests and server.requests[-1]["body"]["tool_choice"]["function"]["name"] == "propose_faqs"
    recorder.check("CaptainFunction", "HttpApiFunction")


# ---------------------------------------------------------------- Captain's providers

def test_captain_provider_keys_and_models(api, world, recorder):
    """The HTTP API writes, replaces and clears provider keys in SSM under the stack's
    prefix; the captain function's managed policy (CaptainModelAccessPolicy) reads them and
    invokes the configured Bedrock models only."""
    import io

    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    from parley.llm.factory import provider_for
    from parley.llm.port import Tool, Turn
    from parley.services.captain import assistants, providers

    base = f"/api/v1/accounts/{world.account_id}/captain"
    assistant = ok(api.post(f"{base}/assistants", world.admin.token, body={"name": "Keys", "description": "d"}))
    openai = {"provider": "openai_compatible", "base_url": "https://api.openai.com/v1", "chat_model": "gpt-4o-mini",
              "api_key": "sk-policy-test"}
    ok(api.patch(f"{base}/provider", world.admin.token, body=openai))
    ok(api.patch(f"{base}/assistants/{assistant['id']}/provider", world.admin.token,
                 body=openai | {"base_url": "https://llm.example.com/v1", "api_key": "sk-other"}))
    ok(api.patch(f"{base}/provider", world.admin.token, body={"api_key": "sk-replaced"}))
    recorder.check("HttpApiFunction")

    document = RESOLVER.resolve(RESOURCES["CaptainModelAccessPolicy"]["Properties"]["PolicyDocument"])
    policy = as_list(document["Statement"])
    # The checker ignores conditions: judge the unconditional grants, and the conditional one by its condition.
    plain = [s for s in policy if "Condition" not in s]
    calls = []
    recorder.current, recorder.step = "CaptainModelAccessPolicy", "captain"
    try:
        providers.for_assistant(world.account_id, assistants.get(world.account_id, assistant["id"]))
        providers.for_assistant(world.account_id, None)
        client = boto3.client("bedrock-runtime", region_name=REGION)
        model = RESOLVER.resolve(_Tag("Ref", "CaptainBedrockModelId"))
        embedding = RESOLVER.resolve(_Tag("Ref", "CaptainBedrockEmbeddingModelId"))
        with Stubber(client) as stub:
            stub.add_response("converse", {"output": {"message": {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": "t", "name": "reply", "input": {"answer": "ok"}}}]}},
                "stopReason": "tool_use", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
                "metrics": {"latencyMs": 1}})
            raw = json.dumps({"embedding": [0.1], "inputTextTokenCount": 1}).encode()
            stub.add_response("invoke_model", {"body": StreamingBody(io.BytesIO(raw), len(raw)),
                                               "contentType": "application/json"})
            bedrock = provider_for({"provider": "bedrock"}, None, bedrock_client=client)
            bedrock.complete(system="s", turns=[Turn("user", "q")], tool=Tool("reply", "r", {"type": "object"}))
            bedrock.embed(["q"])
    finally:
        # Its table reads are the captain function's own grants; the model access is this policy's.
        calls = [c for c in recorder.calls if c.function == "CaptainModelAccessPolicy"
                 and c.action.startswith(("ssm:", "bedrock:"))]
        recorder.calls = [c for c in recorder.calls if c.function != "CaptainModelAccessPolicy"]
        recorder.current = None
    assert {c.action for c in calls} == {"ssm:GetParameter", "bedrock:InvokeModel"}
    denied = [f"{c.action} on {c.resource}" for c in calls if not allows(plain, c.action, c.resource)]
    assert not denied, denied
    assert {c.resource for c in calls if c.action == "bedrock:InvokeModel"} == {
        bedrock_model_arn(model), bedrock_model_arn(embedding)}
    # No other model, and nothing but reads of the keys.
    assert not allows(plain, "bedrock:InvokeModel", bedrock_model_arn("anthropic.claude-3-opus-20240229-v1:0"))
    assert not allows(plain, "ssm:PutParameter", calls[0].resource)
    assert not allows(plain, "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/other-stack/captain/1/0")
    # A cross-region profile of the configured model: the profile, and its models only through it.
    assert allows(plain, "bedrock:InvokeModel", f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model}")
    through = [s for s in policy if "Condition" in s]
    assert len(through) == 1 and through[0]["Condition"] == {"StringEquals": {
        "bedrock:InferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model}"}}
    assert set(as_list(through[0]["Action"])) == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}


def test_captain_documents_created_read_and_deleted(api, world, recorder, monkeypatch):
    """The HTTP API stores an upload and queues its job; CaptainDocumentsFunction reads the
    file, writes the chunks and finishes (or fails) the document; deletions remove its objects."""
    from parley import outbound
    from tests.integration.test_captain_documents import load_worker, make_pdf, upload

    def no_dns(host, port):
        raise OSError("no such host")

    monkeypatch.setattr(outbound, "system_resolver", no_dns)
    a = world.account_id
    captain = f"/api/v1/accounts/{a}/captain"
    helper = ok(api.post(f"{captain}/assistants", world.admin.token, body={"name": "Docs", "description": "d"}))
    text = ok(upload(api, world, {"assistant_id": str(helper["id"])}, [("file", "a.txt", "text/plain", b"Refunds take 5 days.")]))
    ok(upload(api, world, {"assistant_id": str(helper["id"])}, [("pdf_document", "b.pdf", "application/pdf", make_pdf(["Hi"]))]))
    ok(api.post(f"{captain}/documents", world.admin.token, body={"external_link": "https://docs.example.com/",
                                                                  "assistant_id": helper["id"]}))
    from tests.integration.test_attachments import upload as post_to_s3
    signed = ok(api.post(f"{captain}/documents/direct_uploads", world.admin.token,
                         body={"blob": {"filename": "c.txt", "content_type": "text/plain", "byte_size": 5}}))
    post_to_s3(signed, b"Hello")
    ok(api.post(f"{captain}/documents", world.admin.token, body={"assistant_id": helper["id"],
                                                                  "signed_id": signed["signed_id"]}))
    ok(api.post(f"{captain}/assistant_responses", world.admin.token, body={
        "question": "q", "answer": "a", "assistant_id": helper["id"], "document_id": text["id"]}))
    ok(api.get(f"{captain}/assistant_responses", world.admin.token))
    ok(api.get(f"{captain}/documents", world.admin.token))

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=_stack.names["CaptainDocumentsQueue"])["QueueUrl"]
    worker = load_worker()
    function_id = "CaptainDocumentsFunction"
    context = LambdaContext(function_name=_stack.names[function_id])
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    assert len(messages) == 4
    for message in messages:
        with recorder.running(function_id, "document job"):
            assert worker.lambda_handler({"Records": [sqs_record(message, _queue(url))]}, context) == {"batchItemFailures": []}
    statuses = sorted(d["status"] for d in ok(api.get(f"{captain}/documents", world.admin.token))["payload"])
    assert statuses == ["available", "available", "available", "failed"]
    assert api.delete(f"{captain}/documents/{text['id']}", world.admin.token).status == 204
    ok(api.delete(f"{captain}/assistants/{helper['id']}", world.admin.token))
    recorder.check("HttpApiFunction", function_id)


def test_reporting_consumer_api_and_rebuild(api, world, website, recorder):
    """A conversation's life recorded by the reporting consumer (rule -> queue -> function),
    read through the reporting events routes, then rebuilt by the account-jobs consumer."""
    from parley.services.reporting import rollups

    rollups.forget()
    a = world.account_id
    visitor = website.widget.start()
    number = ok(website.widget.say(visitor, "hello"))["conversation_id"]
    conversation = f"/api/v1/accounts/{a}/conversations/{number}"
    ok(api.post(f"{conversation}/messages", world.admin.token, body={"content": "Hi"}))
    ok(api.post(f"{conversation}/toggle_status", world.admin.token, body={"status": "resolved"}))
    drain_queue(recorder, "ReportingQueue", "reporting")
    assert ok(api.get(f"/api/v1/accounts/{a}/reporting_events", world.admin.token,
                      query={"since": "0", "name": "first_response"}))["meta"]["count"] == 1
    ok(api.get(f"{conversation}/reporting_events", world.admin.token))
    # A conversation the consumer never saw: the rebuild records it (its writes, as AccountJobsFunction).
    second = ok(website.widget.say(website.widget.start(), "a second one"))["conversation_id"]
    ok(api.post(f"/api/v1/accounts/{a}/conversations/{second}/messages", world.admin.token, body={"content": "Yes?"}))
    ok(api.post(f"/api/v1/accounts/{a}/reporting_events/rebuild", world.admin.token))
    drain_queue(recorder, "AccountJobsQueue", "account_jobs")
    progress = ok(api.get(f"/api/v1/accounts/{a}/reporting_events/rebuild", world.admin.token))
    assert progress["status"] == "done" and progress["recorded"] == 4  # the second's conversation, 2 messages, first response
    recorder.check("HttpApiFunction", "ReportingFunction", "AccountJobsFunction")


def test_sla_applied_followed_missed_and_reported(api, world, website, recorder, monkeypatch):
    """SLA policies (docs/sla.md): applied by hand (HttpApiFunction) and by the add_sla action
    (AutomationFunction, which also follows the clocks and runs sla_missed rules), a deadline
    passing (ScheduledFunction), the miss notified (NotifyFunction), the report (HttpApiFunction)."""
    from parley.services.sla import applied

    a = world.account_id
    base = f"/api/v1/accounts/{a}"
    team = ok(api.post(f"{base}/teams", world.admin.token, body={"name": "Escalations"}))
    ok(api.post(f"{base}/teams/{team['id']}/team_members", world.admin.token, body={"user_ids": [world.agent.id]}))
    policy = ok(api.post(f"{base}/sla_policies", world.admin.token, body={
        "name": "Gold", "first_response_time_threshold": 600, "next_response_time_threshold": 300,
        "resolution_time_threshold": 7200, "only_during_business_hours": True}))["payload"]
    ok(api.patch(f"{base}/sla_policies/{policy['id']}", world.admin.token, body={"description": "fast"}))
    ok(api.post(f"{base}/automation_rules", world.admin.token, body={
        "name": "SLA", "event_name": "conversation_created", "conditions": [
            {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": None}],
        "actions": [{"action_name": "add_sla", "action_params": [policy["id"]]},
                    {"action_name": "assign_team", "action_params": [team["id"]]}]}))
    ok(api.post(f"{base}/automation_rules", world.admin.token, body={
        "name": "Escalate", "event_name": "sla_missed", "conditions": [
            {"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": None}],
        "actions": [{"action_name": "change_priority", "action_params": ["urgent"]},
                    {"action_name": "assign_agent", "action_params": [world.agent.id]}]}))
    by_hand = ok(website.widget.say(website.widget.start(), "hello"))["conversation_id"]
    ok(api.patch(f"{base}/conversations/{by_hand}", world.agent.token, body={"sla_policy_id": policy["id"]}))
    visitor = website.widget.start()
    number = ok(website.widget.say(visitor, "I need help"))["conversation_id"]
    pump_consumers(recorder)  # add_sla, then the clocks follow the messages
    assert ok(api.get(f"{base}/conversations/{number}", world.admin.token))["sla_policy_id"] == policy["id"]
    ok(api.post(f"{base}/conversations/{by_hand}/messages", world.agent.token, body={"content": "Hi"}))
    ok(website.widget.say(visitor, "Anyone?"))
    pump_consumers(recorder)
    monkeypatch.setattr(applied, "_now", lambda: int(time.time()) + 30 * 24 * 3600)
    fire_schedules(recorder)  # deadlines pass: misses, sla.missed events
    pump_consumers(recorder)  # the sla_missed rule; notifications
    ok(api.post(f"{base}/conversations/{by_hand}/toggle_status", world.agent.token, body={"status": "resolved"}))
    pump_consumers(recorder)
    for path in ("applied_slas", "applied_slas/metrics"):
        ok(api.get(f"{base}/{path}", world.admin.token, query={"inbox_id": str(website.id)}))
    ok(api.get(f"{base}/applied_slas/download", world.admin.token))
    ok(api.delete(f"{base}/sla_policies/{policy['id']}", world.admin.token))
    recorder.check("HttpApiFunction", "AutomationFunction", "NotifyFunction", "ScheduledFunction")


def test_csat_survey_sent_rated_and_reported(api, world, website, recorder):
    """CSAT (docs/csat.md): an inbox's settings, the surveys consumer sending a survey on a
    resolution, the widget's rating, the survey page's API and the responses' list, metrics
    and CSV, each as the function that runs it."""
    from tests.integration.test_conversations import start_chat

    a = world.account_id
    ok(api.patch(f"/api/v1/accounts/{a}/inboxes/{website.id}", world.admin.token,
                 body={"csat_survey_enabled": True, "csat_config": {"display_type": "emoji"}}))
    visitor, display_id = start_chat(website)
    ok(api.post(f"/api/v1/accounts/{a}/conversations/{display_id}/toggle_status", world.admin.token,
                body={"status": "resolved"}))
    assert pump_rule(recorder, "DomainEventsToSurveysRule", "surveys", "surveys") == 1
    messages = ok(api.get(f"/api/v1/accounts/{a}/conversations/{display_id}/messages", world.admin.token))["payload"]
    [survey] = [m for m in messages if m["content_type"] == "input_csat"]
    ok(website.widget.call("PATCH", f"messages/{survey['id']}", visitor,
                           body={"message": {"submitted_values": {"csat_survey_response": {"rating": 5}}}}))
    uuid = ok(api.get(f"/api/v1/accounts/{a}/conversations/{display_id}", world.admin.token))["uuid"]
    ok(api.get(f"/public/api/v1/csat_survey/{uuid}"))
    ok(api.put(f"/public/api/v1/csat_survey/{uuid}",
               body={"message": {"submitted_values": {"csat_survey_response": {"rating": 4, "feedback_message": "ok"}}}}))
    ok(api.get(f"/survey/responses/{uuid}"), 503)  # the page: read from the frontend bucket (not deployed here)
    for path in ("", "/metrics", "/download"):
        ok(api.get(f"/api/v1/accounts/{a}/csat_survey_responses{path}", world.admin.token, query={"rating[]": "4"}))
    pump_consumers(recorder)  # automation and notify get csat_survey_response.created and message.updated
    recorder.check("HttpApiFunction", "SurveysFunction")


def test_one_off_campaign_scheduled_sent_and_reported(api, world, recorder, monkeypatch):
    """A one-off SMS campaign and a WhatsApp one (templates synced): the audience counted,
    the schedule fired, the account job sending (label entries backfilled first), the
    deliver consumer reporting each recipient's outcome, progress and recipients read."""
    from parley.models.contact import ContactIndexEntry
    from tests.integration import channel_support as channels
    from tests.integration import test_campaign_sending as campaign_tests

    a = world.account_id
    ok(api.patch(f"/api/v1/accounts/{a}", world.admin.token, body={"auto_resolve_after": 60}))  # campaign conversations too
    vip = campaign_tests.label(api, world, "vip")
    old = campaign_tests.contact(api, world, "Ann", "+14155550001", ["vip"])
    campaign_tests.contact(api, world, "Cy", None, ["vip"])
    # Ann as stored before label entries existed: the send job's backfill writes hers.
    from parley.models.contact import Contact
    from parley.services.contact import contacts
    stored = Contact.get(old)
    [entry] = [e for e in contacts.entries_for(stored).values() if e.entry_pk.endswith("#label#vip")]
    ContactIndexEntry(entry.id).delete()
    stored.index_ids = set(stored.index_ids) - {entry.id}
    stored.save()
    sms = campaign_tests.sms_inbox(api, world, monkeypatch)
    wa = channels.whatsapp_inbox(api, world, monkeypatch)["id"]
    channels.Provider(monkeypatch, (200, campaign_tests.TEMPLATES))
    ok(api.post(f"/api/v1/accounts/{a}/inboxes/{wa}/sync_templates", world.admin.token))
    ok(api.post(f"/api/v1/accounts/{a}/campaigns/audience", world.admin.token,
                body={"inbox_id": sms, "audience": [{"type": "Label", "id": vip}]}))
    made = [ok(api.post(f"/api/v1/accounts/{a}/campaigns", world.admin.token,
                        body=campaign_tests.one_off(sms, [vip])))]
    made.append(ok(api.post(f"/api/v1/accounts/{a}/campaigns", world.admin.token, body=campaign_tests.one_off(
        wa, [vip], template_params={"name": "spring_sale", "language": "en_US",
                                    "processed_params": {"1": "Ann", "2": "20%"}}))))
    ok(api.patch(f"/api/v1/accounts/{a}/campaigns/{made[1]['id']}", world.admin.token, body={"title": "WA sale"}))
    campaign_tests.sms_provider(monkeypatch)
    assert len(fire_schedules(recorder)) >= 2
    drain_queue(recorder, "AccountJobsQueue", "account_jobs", rounds=10)
    drain_queue(recorder, "DeliverQueue", "deliver", rounds=5)
    for campaign in made:
        shown = ok(api.get(f"/api/v1/accounts/{a}/campaigns/{campaign['id']}", world.admin.token))
        assert shown["campaign_status"] == "completed" and shown["progress"]["skipped"] == 1, shown
        ok(api.get(f"/api/v1/accounts/{a}/campaigns/{campaign['id']}/recipients", world.admin.token))
    ok(api.get(f"/api/v1/accounts/{a}/campaigns", world.admin.token))
    ok(api.delete(f"/api/v1/accounts/{a}/campaigns/{made[0]['id']}", world.admin.token))
    recorder.check("HttpApiFunction", "ScheduledFunction", "AccountJobsFunction", "DeliverFunction")
