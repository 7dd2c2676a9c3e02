"""Rules template.yaml has to keep. Every failure message names the resource that broke one.

The template is read as CloudFormation JSON (intrinsics as {"Ref": ...}), so a rule sees
exactly what CloudFormation would; the Lambda permissions that SAM generates are checked on
the template as SAM expands it.
"""
from __future__ import annotations

import copy
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from local.cfn import REGION, ROOT, load_template, to_plain

TEMPLATE = to_plain(load_template())
RESOURCES: dict[str, dict] = TEMPLATE["Resources"]
PARAMETERS: dict[str, dict] = TEMPLATE.get("Parameters", {})
FUNCTION_GLOBALS: dict = TEMPLATE.get("Globals", {}).get("Function", {})

REQUIRED_FUNCTIONS = ("HttpApiFunction", "WsConnectFunction", "WsMessageFunction")
WEBSOCKET_ROUTES = ("$connect", "$disconnect", "$default")
API_PATHS = ("/api/*", "/auth/*", "/public/*", "/platform/*", "/super_admin/*", "/webhooks/*", "/twilio/*")
ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
# CloudFront managed policies: never cache, and forward everything but Host (API Gateway
# answers 403 to a Host header that is not its own).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
EXPIRING_TABLES = ("ConnectionsTable", "ThrottleTable", "UniquesTable")
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")  # ${!Literal} is an escaped literal


# ---------------------------------------------------------------- helpers

def of_type(kind: str) -> dict[str, dict]:
    return {lid: res for lid, res in RESOURCES.items() if res["Type"] == kind}


def props(logical_id: str) -> dict:
    return RESOURCES[logical_id].get("Properties") or {}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def references(value) -> set[str]:
    """Names (logical ids, parameters, pseudo parameters) that Ref, GetAtt or Sub use in value."""
    if isinstance(value, list):
        return set().union(*map(references, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if set(value) == {"Ref"}:
        return {value["Ref"]}
    if set(value) == {"Fn::GetAtt"}:
        return {value["Fn::GetAtt"][0]}
    if set(value) == {"Fn::Sub"}:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        named = {name.split(".")[0] for name in SUB_VARIABLE.findall(text) if name not in variables}
        return named | references(list(variables.values()))
    return references(list(value.values()))


def is_intrinsic(value) -> bool:
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::")


def merge_globals(globals_: dict, own: dict) -> dict:
    """SAM's Globals rule: maps merge, lists are appended to the global list, scalars override."""
    merged = dict(globals_)
    for key, value in own.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict) and not is_intrinsic(base) and not is_intrinsic(value):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


FUNCTIONS = sorted(of_type("AWS::Serverless::Function"))
TABLES = of_type("AWS::DynamoDB::Table")
QUEUES = of_type("AWS::SQS::Queue")
RULES = of_type("AWS::Events::Rule")


def function_props(logical_id: str) -> dict:
    return merge_globals(FUNCTION_GLOBALS, props(logical_id))


def index_names(table: str) -> set[str]:
    p = props(table)
    return {i["IndexName"] for i in p.get("GlobalSecondaryIndexes", []) + p.get("LocalSecondaryIndexes", [])}


def websocket_apis() -> list[str]:
    return sorted(lid for lid in of_type("AWS::ApiGatewayV2::Api") if props(lid).get("ProtocolType") == "WEBSOCKET")


def the_websocket_api() -> str:
    apis = websocket_apis()
    assert len(apis) == 1, f"expected one AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET, found {apis}"
    return apis[0]


def routes_of(api: str) -> dict[str, str]:
    """route key -> logical id of the route"""
    return {props(lid)["RouteKey"]: lid for lid in of_type("AWS::ApiGatewayV2::Route")
            if references(props(lid).get("ApiId")) == {api}}


def api_invocations() -> list[tuple[str, str]]:
    """(function, API) for every API that invokes a function of this template."""
    pairs = set()
    for fn in FUNCTIONS:
        for event in (props(fn).get("Events") or {}).values():
            if event.get("Type") in ("HttpApi", "Api"):
                p = event.get("Properties") or {}
                # Without ApiId / RestApiId SAM creates an implicit API with these ids.
                implicit = "ServerlessHttpApi" if event["Type"] == "HttpApi" else "ServerlessRestApi"
                pairs |= {(fn, api) for api in references(p.get("ApiId") or p.get("RestApiId")) or {implicit}}
    for integration in of_type("AWS::ApiGatewayV2::Integration"):
        p = props(integration)
        for fn in references(p.get("IntegrationUri")) & set(FUNCTIONS):
            pairs |= {(fn, api) for api in references(p.get("ApiId"))}
    return sorted(pairs)


def dead_letter_queues() -> set[str]:
    """Queues that a RedrivePolicy, a rule target's DeadLetterConfig, a function's OnFailure or a
    function's *_DLQ_ARN variable names."""
    named = set()
    for queue in QUEUES:
        named |= references((props(queue).get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
    for rule in RULES:
        for target in props(rule).get("Targets", []):
            named |= references((target.get("DeadLetterConfig") or {}).get("Arn"))
    for pipe in of_type("AWS::Pipes::Pipe"):
        stream = (props(pipe).get("SourceParameters") or {}).get("DynamoDBStreamParameters") or {}
        named |= references((stream.get("DeadLetterConfig") or {}).get("Arn"))
    for function in FUNCTIONS:
        config = (RESOURCES[function].get("Properties") or {}).get("EventInvokeConfig") or {}
        named |= references(((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        # A DLQ that code attaches at run time (a scheduler target's) is passed as *_DLQ_ARN.
        variables = ((function_props(function).get("Environment") or {}).get("Variables") or {})
        for name, value in variables.items():
            if name.endswith("_DLQ_ARN"):
                named |= references(value)
    return named


@functools.cache
def sam_expanded() -> dict:
    """The template as the SAM transform turns it into plain CloudFormation."""
    # aws-sam-translator comes with cfn-lint (the transform it lints with), offline.
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(TEMPLATE)
    for res in template["Resources"].values():
        # The translator wants the S3 locations `sam build` + `sam deploy` put there.
        for key in ("CodeUri", "ContentUri"):
            if key in (res.get("Properties") or {}):
                res["Properties"][key] = "s3://bucket/artifact.zip"
    session = boto3.Session(region_name=REGION)  # the region only names ARNs' partition
    return Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session).translate(
        sam_template=template, parameter_values={})


# ---------------------------------------------------------------- APIs

def test_http_api_serves_the_http_function():
    apis = of_type("AWS::Serverless::HttpApi")
    assert apis, "no AWS::Serverless::HttpApi in the template"
    events = (props("HttpApiFunction").get("Events") or {}).values() if "HttpApiFunction" in RESOURCES else []
    served_by = {api for e in events if e.get("Type") == "HttpApi" for api in references(e["Properties"].get("ApiId"))}
    assert served_by & set(apis), f"HttpApiFunction has no HttpApi event on {sorted(apis)}"


def test_one_websocket_api():
    the_websocket_api()


@pytest.mark.parametrize("route_key", WEBSOCKET_ROUTES)
def test_websocket_route_targets_a_function_integration(route_key):
    api = the_websocket_api()
    routes = routes_of(api)
    assert route_key in routes, f"{api} has no {route_key} route"
    route = routes[route_key]
    target = props(route).get("Target")
    integrations = references(target) & set(of_type("AWS::ApiGatewayV2::Integration"))
    assert len(integrations) == 1 and "integrations/" in str(target), \
        f"{route}: Target must be integrations/<an AWS::ApiGatewayV2::Integration>, got {target!r}"
    integration = integrations.pop()
    assert references(props(integration).get("ApiId")) == {api}, f"{integration} belongs to another API than {route}"
    assert props(integration).get("IntegrationType") == "AWS_PROXY", f"{integration}: IntegrationType must be AWS_PROXY"
    invoked = references(props(integration).get("IntegrationUri")) & set(FUNCTIONS)
    assert len(invoked) == 1, f"{integration}: IntegrationUri must invoke one function of this template, got {invoked}"


def test_websocket_stage_deploys_every_route():
    api = the_websocket_api()
    stages = [s for s in of_type("AWS::ApiGatewayV2::Stage") if references(props(s).get("ApiId")) == {api}]
    deployments = [d for d in of_type("AWS::ApiGatewayV2::Deployment") if references(props(d).get("ApiId")) == {api}]
    assert stages, f"{api} has no AWS::ApiGatewayV2::Stage"
    assert deployments, f"{api} has no AWS::ApiGatewayV2::Deployment"
    for stage in stages:
        assert references(props(stage).get("DeploymentId")) & set(deployments), f"{stage}: DeploymentId must name {deployments}"
    for deployment in deployments:
        # Without DependsOn the deployment can be taken before the routes exist: an empty API.
        missing = set(routes_of(api).values()) - set(as_list(RESOURCES[deployment].get("DependsOn", [])))
        assert not missing, f"{deployment} must DependsOn every route of {api}; missing {sorted(missing)}"


@pytest.mark.parametrize("function, api", api_invocations())
def test_api_invoked_function_has_permission_scoped_to_that_api(function, api):
    expanded = sam_expanded()["Resources"]
    grants = [(lid, res["Properties"]) for lid, res in expanded.items()
              if res["Type"] == "AWS::Lambda::Permission"
              and references(res["Properties"].get("FunctionName")) == {function}
              and res["Properties"].get("Principal") == "apigateway.amazonaws.com"]
    unscoped = [lid for lid, grant in grants if not {n for n in references(grant.get("SourceArn")) if not n.startswith("AWS::")}]
    assert not unscoped, f"{unscoped}: let any API Gateway API invoke {function}; the SourceArn must name the API"
    assert any(api in references(grant.get("SourceArn")) for _, grant in grants), \
        f"{function} has no AWS::Lambda::Permission whose SourceArn is scoped to {api}"


# ---------------------------------------------------------------- functions and layer

def test_required_functions_exist():
    missing = [fn for fn in REQUIRED_FUNCTIONS if fn not in FUNCTIONS]
    assert not missing, f"missing AWS::Serverless::Function: {missing}"


def test_shared_layer_is_built_for_arm64_python():
    assert RESOURCES.get("SharedLayer", {}).get("Type") == "AWS::Serverless::LayerVersion", \
        "SharedLayer must be an AWS::Serverless::LayerVersion"
    assert str(props("SharedLayer").get("ContentUri")).rstrip("/") == "layers/shared", "SharedLayer: ContentUri must be layers/shared"
    metadata = RESOURCES["SharedLayer"].get("Metadata") or {}
    assert metadata.get("BuildMethod") == "makefile", "SharedLayer: Metadata.BuildMethod must be makefile (precompiled)"
    # The layer holds compiled wheels (pydantic-core, argon2): built for one CPU.
    assert metadata.get("BuildArchitecture") == "arm64", "SharedLayer: Metadata.BuildArchitecture must be arm64"
    makefile = (ROOT / "layers" / "shared" / "Makefile").read_text()
    assert "build-SharedLayer:" in makefile, "layers/shared/Makefile needs the build-SharedLayer target"
    for needed in ("manylinux2014_aarch64", "--only-binary=:all:", "compileall", "requirements.txt"):
        assert needed in makefile, f"layers/shared/Makefile: the layer build must use {needed}"


def layer_python() -> str:
    """The Python version the layer's Makefile installs wheels for and compiles with."""
    match = re.search(r"^PYTHON_VERSION := (3\.\d+)$", (ROOT / "layers" / "shared" / "Makefile").read_text(), re.M)
    assert match, "layers/shared/Makefile must set PYTHON_VERSION"
    return "python" + match.group(1)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_is_arm64_on_a_current_python(function):
    p = function_props(function)
    assert p.get("Architectures") == ["arm64"], f"{function}: Architectures must be [arm64], got {p.get('Architectures')}"
    match = re.fullmatch(r"python3\.(\d+)", str(p.get("Runtime")))
    assert match and int(match.group(1)) >= 12, f"{function}: Runtime must be python3.12 or newer, got {p.get('Runtime')}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_runtime_matches_the_layer_build(function):
    # Wheels with C extensions (pydantic-core) are built for one Python minor version.
    build = layer_python()
    runtime = function_props(function).get("Runtime")
    assert runtime == build, f"{function}: Runtime {runtime} but SharedLayer is built with {build}"
    assert runtime in props("SharedLayer").get("CompatibleRuntimes", []), f"{function}: {runtime} not in SharedLayer CompatibleRuntimes"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_uses_the_shared_layer(function):
    assert {"Ref": "SharedLayer"} in function_props(function).get("Layers", []), f"{function} does not use SharedLayer"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_code_has_an_app_with_lambda_handler(function):
    p = function_props(function)
    code_uri = str(p.get("CodeUri"))
    assert re.fullmatch(r"functions/[a-z0-9_]+/", code_uri), f"{function}: CodeUri must be functions/<name>/, got {code_uri}"
    # app.lambda_handler; a folder's second handler (functions/help_center's indexer and
    # views consumers, beside its app.py) is <module>.lambda_handler
    handler = str(p.get("Handler"))
    assert re.fullmatch(r"[a-z_]+\.lambda_handler", handler), f"{function}: Handler must be <module>.lambda_handler, got {handler}"
    assert (ROOT / code_uri / "app.py").is_file(), f"{function}: {code_uri}app.py does not exist"
    app = ROOT / code_uri / (handler.split(".")[0] + ".py")
    assert app.is_file(), f"{function}: {app.relative_to(ROOT)} does not exist"
    assert re.search(r"^(def lambda_handler\s*\(|lambda_handler\s*[:=])", app.read_text(), re.M), \
        f"{function}: {app.relative_to(ROOT)} does not define lambda_handler"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_logs_to_a_log_group_with_retention(function):
    log_group = (function_props(function).get("LoggingConfig") or {}).get("LogGroup")
    named = references(log_group) & set(of_type("AWS::Logs::LogGroup"))
    assert named, f"{function}: LoggingConfig.LogGroup must name an AWS::Logs::LogGroup of this template, got {log_group!r}"
    for group in named:
        assert props(group).get("RetentionInDays"), f"{group} (logs of {function}) has no RetentionInDays"


def policy_documents(function: str) -> list:
    """The function's Policies, a `!Ref` to a customer managed policy of this template
    (CaptainModelAccessPolicy, shared by the captain functions) read as its document."""
    documents = []
    for policy in function_props(function).get("Policies") or []:
        ref = policy.get("Ref") if isinstance(policy, dict) and set(policy) == {"Ref"} else None
        if ref in RESOURCES and RESOURCES[ref]["Type"] == "AWS::IAM::ManagedPolicy":
            policy = RESOURCES[ref]["Properties"]["PolicyDocument"]
        documents.append(policy)
    return documents


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_policy_statement_ids_are_unique(function):
    """IAM refuses a policy whose statements share a Sid (merged branches each adding one)."""
    for policy in policy_documents(function):
        sids = [s.get("Sid") for s in as_list(policy.get("Statement")) if s.get("Sid")]
        repeated = sorted({sid for sid in sids if sids.count(sid) > 1})
        assert not repeated, f"{function}: statement ids used twice: {repeated}"


def dynamodb_resource_of_template(resource) -> bool:
    """True for a table's Arn or "${Table.Arn}/index/<one of its indexes>"."""
    if isinstance(resource, dict) and resource.get("Fn::GetAtt") and len(resource) == 1:
        table, attribute = resource["Fn::GetAtt"]
        return table in TABLES and attribute == "Arn"
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str) and len(resource) == 1:
        match = re.fullmatch(r"\$\{(\w+)\.Arn\}/index/([\w.-]+)", resource["Fn::Sub"])
        return bool(match) and match.group(1) in TABLES and match.group(2) in index_names(match.group(1))
    return False


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_policy_is_inline_least_privilege(function):
    policies = function_props(function).get("Policies")
    assert isinstance(policies, list) and policies, f"{function}: Policies must be a list of inline Statement documents"
    for policy in policy_documents(function):
        assert isinstance(policy, dict) and "Statement" in policy and set(policy) <= {"Statement", "Version"}, \
            f"{function}: {policy!r} is not an inline Statement document or a managed policy of this template " \
            "(no SAM policy templates such as *CrudPolicy, no AWS managed policy names or ARNs)"
        for statement in as_list(policy["Statement"]):
            sid = statement.get("Sid", "?")
            assert not {"NotAction", "NotResource"} & set(statement), f"{function} statement {sid}: NotAction/NotResource grant too much"
            actions = as_list(statement.get("Action"))
            wild = [a for a in actions if not isinstance(a, str) or "*" in a]
            assert not wild, f"{function} statement {sid}: wildcard actions {wild}"
            resources = as_list(statement.get("Resource"))
            assert "*" not in resources, f'{function} statement {sid}: Resource "*"'
            if any(a.startswith("dynamodb:") for a in actions):
                foreign = [r for r in resources if not dynamodb_resource_of_template(r)]
                assert not foreign, f"{function} statement {sid}: DynamoDB resources that are not a table or index of this template: {foreign}"


# ---------------------------------------------------------------- DynamoDB

@pytest.mark.parametrize("table", sorted(TABLES))
def test_table_is_on_demand_backed_up_and_encrypted(table):
    p = props(table)
    assert p.get("BillingMode") == "PAY_PER_REQUEST", f"{table}: BillingMode must be PAY_PER_REQUEST (nothing to pay while idle)"
    assert (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is True, \
        f"{table}: PointInTimeRecoveryEnabled must be true"
    assert (p.get("SSESpecification") or {}).get("SSEEnabled") is True, f"{table}: SSESpecification.SSEEnabled must be true"


@pytest.mark.parametrize("table", EXPIRING_TABLES)
def test_expiring_table_has_ttl(table):
    assert table in TABLES, f"{table} is missing"
    ttl = props(table).get("TimeToLiveSpecification") or {}
    assert ttl.get("Enabled") is True and ttl.get("AttributeName"), f"{table}: TimeToLiveSpecification must be enabled"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_table_defines_exactly_its_key_attributes(table):
    p = props(table)
    schemas = [p["KeySchema"]] + [i["KeySchema"] for i in p.get("GlobalSecondaryIndexes", []) + p.get("LocalSecondaryIndexes", [])]
    keyed = {key["AttributeName"] for schema in schemas for key in schema}
    defined = [a["AttributeName"] for a in p.get("AttributeDefinitions", [])]
    assert len(defined) == len(set(defined)), f"{table}: an attribute is defined twice in {defined}"
    assert not keyed - set(defined), f"{table}: key attributes missing from AttributeDefinitions: {sorted(keyed - set(defined))}"
    assert not set(defined) - keyed, f"{table}: AttributeDefinitions that no key uses: {sorted(set(defined) - keyed)}"


# ---------------------------------------------------------------- events and queues

def test_the_event_log_reaches_the_bus_through_its_stream():
    """The outbox's way out: every record a committed change adds to the event log goes to
    the bus, named by its event; the log's TTL deletions do not; failures are retried, then
    described on an alarmed dead-letter queue."""
    assert props("EventsTable").get("StreamSpecification") == {"StreamViewType": "NEW_IMAGE"}
    pipes = [p for p in of_type("AWS::Pipes::Pipe") if props(p).get("Source") == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}]
    assert len(pipes) == 1, "one AWS::Pipes::Pipe reads the EventsTable stream"
    pipe = props(pipes[0])
    assert references(pipe.get("Target")) & set(of_type("AWS::Events::EventBus"))
    filters = [json.loads(f["Pattern"]) for f in pipe["SourceParameters"]["FilterCriteria"]["Filters"]]
    assert filters == [{"eventName": ["INSERT"]}]
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream.get("MaximumRetryAttempts") and references((stream.get("DeadLetterConfig") or {}).get("Arn"))
    bus = pipe["TargetParameters"]["EventBridgeEventBusParameters"]
    assert bus == {"Source": "parley", "DetailType": "$.dynamodb.NewImage.event.S"}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_targets_retry_then_dead_letter(rule):
    for target in props(rule).get("Targets", []):
        where = f"{rule} target {target.get('Id')}"
        assert (target.get("RetryPolicy") or {}).get("MaximumRetryAttempts") is not None, f"{where}: no RetryPolicy"
        dlq = references((target.get("DeadLetterConfig") or {}).get("Arn"))
        assert dlq and dlq <= set(QUEUES), f"{where}: DeadLetterConfig must name a queue of this template, got {dlq or None}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_lambda_targets_send_function_failures_to_a_dead_letter_queue(rule):
    # EventBridge invokes Lambda asynchronously: its DeadLetterConfig sees only delivery
    # failures, so the function itself needs an on-failure destination.
    for target in props(rule).get("Targets", []):
        function = next(iter(references(target.get("Arn")) & set(FUNCTIONS)), None)
        if function is None:
            continue
        config = function_props(function).get("EventInvokeConfig") or {}
        on_failure = (config.get("DestinationConfig") or {}).get("OnFailure") or {}
        destination = references(on_failure.get("Destination"))
        assert on_failure.get("Type") == "SQS" and destination and destination <= set(QUEUES), \
            f"{function}: EventInvokeConfig needs an SQS OnFailure destination in this template"


@pytest.mark.parametrize("queue", sorted(set(QUEUES) - dead_letter_queues()))
def test_queue_redrives_to_a_dead_letter_queue(queue):
    redrive = props(queue).get("RedrivePolicy") or {}
    target = references(redrive.get("deadLetterTargetArn"))
    assert target and target <= set(QUEUES), f"{queue}: RedrivePolicy.deadLetterTargetArn must name a queue of this template"
    assert redrive.get("maxReceiveCount"), f"{queue}: RedrivePolicy needs maxReceiveCount"


@pytest.mark.parametrize("queue", sorted(dead_letter_queues()))
def test_dead_letter_queue_has_an_alarm(queue):
    assert queue in QUEUES, f"{queue} is named as a dead-letter queue but is not an AWS::SQS::Queue of this template"
    alarms = [a for a in of_type("AWS::CloudWatch::Alarm")
              if props(a).get("Namespace") == "AWS/SQS" and queue in references(props(a).get("Dimensions"))]
    assert alarms, f"dead-letter queue {queue} has no AWS::CloudWatch::Alarm"


# ---------------------------------------------------------------- storage and CDN

def test_frontend_and_attachments_buckets_exist():
    buckets = of_type("AWS::S3::Bucket")
    missing = {"FrontendBucket", "AttachmentsBucket"} - set(buckets)
    assert not missing, f"missing AWS::S3::Bucket: {sorted(missing)}"


@pytest.mark.parametrize("bucket", sorted(of_type("AWS::S3::Bucket")))
def test_bucket_is_private_and_encrypted(bucket):
    block = props(bucket).get("PublicAccessBlockConfiguration") or {}
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    assert all(block.get(flag) is True for flag in flags), f"{bucket}: all four PublicAccessBlockConfiguration flags must be true"
    rules = (props(bucket).get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    assert any((r.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for r in rules), f"{bucket}: no BucketEncryption"


def distribution() -> tuple[str, dict]:
    found = of_type("AWS::CloudFront::Distribution")
    assert len(found) == 1, f"expected one AWS::CloudFront::Distribution, found {sorted(found)}"
    lid = next(iter(found))
    return lid, props(lid)["DistributionConfig"]


def origin(config: dict, origin_id: str) -> dict:
    return next((o for o in config.get("Origins", []) if o.get("Id") == origin_id), {})


def test_distribution_serves_the_frontend_bucket_through_origin_access_control():
    lid, config = distribution()
    default = origin(config, config["DefaultCacheBehavior"].get("TargetOriginId"))
    assert "FrontendBucket" in references(default.get("DomainName")), f"{lid}: the default origin must be FrontendBucket"
    oac = references(default.get("OriginAccessControlId")) & set(of_type("AWS::CloudFront::OriginAccessControl"))
    assert oac, f"{lid}: the frontend origin must use an AWS::CloudFront::OriginAccessControl"
    # OAC signs requests; the bucket must then let this distribution (and only it) read.
    grants = [p for p in of_type("AWS::S3::BucketPolicy").values()
              if references(p["Properties"].get("Bucket")) == {"FrontendBucket"}
              and lid in references(p["Properties"].get("PolicyDocument"))]
    assert grants, f"FrontendBucket has no bucket policy that lets {lid} read it"


@pytest.mark.parametrize("path", API_PATHS)
def test_distribution_sends_api_paths_to_the_http_api_uncached(path):
    lid, config = distribution()
    behavior = next((b for b in config.get("CacheBehaviors", []) if b.get("PathPattern") == path), None)
    assert behavior, f"{lid}: no cache behavior for {path}"
    assert "HttpApi" in references(origin(config, behavior.get("TargetOriginId")).get("DomainName")), \
        f"{lid} {path}: must go to the HttpApi origin"
    assert behavior.get("CachePolicyId") == CACHING_DISABLED, f"{lid} {path}: CachePolicyId must be Managed-CachingDisabled"
    assert behavior.get("OriginRequestPolicyId") == ALL_VIEWER_EXCEPT_HOST_HEADER, \
        f"{lid} {path}: OriginRequestPolicyId must be Managed-AllViewerExceptHostHeader (headers, query strings, no Host)"
    assert set(behavior.get("AllowedMethods", [])) == ALL_METHODS, f"{lid} {path}: AllowedMethods must be all seven methods"
    functions = [references(a.get("FunctionARN")) for a in behavior.get("FunctionAssociations", [])
                 if a.get("EventType") == "viewer-request"]
    assert any("ApiForwardedHostFunction" in f for f in functions), \
        f"{lid} {path}: the viewer's host must reach the API as X-Forwarded-Host (ApiForwardedHostFunction)"


# ---------------------------------------------------------------- edge headers (issue 9, items 7-8)

ONE_YEAR = 365 * 24 * 3600


def behaviors(config: dict) -> list[dict]:
    return [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]


def headers_policy(behavior: dict) -> dict:
    """The ResponseHeadersPolicyConfig a behavior names (a policy of this template)."""
    named = references(behavior.get("ResponseHeadersPolicyId")) & set(of_type("AWS::CloudFront::ResponseHeadersPolicy"))
    assert named, f"behavior {behavior.get('PathPattern', 'default')}: no ResponseHeadersPolicyId of this template"
    return props(named.pop())["ResponseHeadersPolicyConfig"]


def csp_directives(text: str) -> dict[str, list[str]]:
    out = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def sub_text(value) -> str:
    return value["Fn::Sub"] if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str) else value


def test_every_behavior_sends_hsts_nosniff_and_a_referrer_policy():
    lid, config = distribution()
    for behavior in behaviors(config):
        where = f"{lid} {behavior.get('PathPattern', 'default')}"
        security = headers_policy(behavior).get("SecurityHeadersConfig") or {}
        hsts = security.get("StrictTransportSecurity") or {}
        assert int(hsts.get("AccessControlMaxAgeSec", 0)) >= ONE_YEAR and hsts.get("IncludeSubdomains") is True \
            and hsts.get("Override") is True, f"{where}: HSTS for a year with subdomains"
        assert (security.get("ContentTypeOptions") or {}).get("Override") is True, f"{where}: X-Content-Type-Options: nosniff"
        assert (security.get("ReferrerPolicy") or {}).get("ReferrerPolicy") in (
            "strict-origin-when-cross-origin", "same-origin", "no-referrer", "strict-origin"), f"{where}: Referrer-Policy"


def test_dashboard_has_a_strict_content_security_policy_and_cannot_be_framed():
    lid, config = distribution()
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "frontend"
    security = headers_policy(default).get("SecurityHeadersConfig") or {}
    csp = security.get("ContentSecurityPolicy") or {}
    assert csp.get("Override") is True, f"{lid}: the frontend's CSP must override whatever S3 sends"
    directives = csp_directives(sub_text(csp["ContentSecurityPolicy"]))
    assert directives.get("script-src") == ["'self'"], f"{lid}: script-src must be 'self' only (no inline script, no eval)"
    assert directives.get("object-src") == ["'none'"] and directives.get("base-uri") in (["'self'"], ["'none'"])
    assert directives.get("frame-ancestors") == ["'none'"], f"{lid}: /app (and any page from the bucket) must not be framed"
    assert (security.get("FrameOptions") or {}).get("FrameOption") == "DENY", f"{lid}: X-Frame-Options for old browsers"
    # Dashboard apps are framed, over https only (their URLs are checked for it when saved).
    assert directives.get("frame-src") == ["https:"], f"{lid}: frame-src must allow https pages only"
    for words in directives.values():
        assert "'unsafe-eval'" not in words and "*" not in words


def test_frontend_pages_have_no_inline_script():
    """script-src 'self' would block it: any bootstrap code lives in a file."""
    for page in ("frontend/index.html", "frontend/widget/index.html"):
        html = (ROOT / page).read_text()
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, f"{page}: inline <script> {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{page}: inline event handler"


def test_widget_page_comes_from_the_api_cached_per_website_token():
    """frame-ancestors differs per inbox (allowed_domains), so the widget page is the API's
    answer, cached by CloudFront per website_token; its CSP is the API's, not overridden."""
    lid, config = distribution()
    behavior = next((b for b in config.get("CacheBehaviors", []) if b.get("PathPattern") == "/widget"), None)
    assert behavior, f"{lid}: no cache behavior for /widget"
    assert "HttpApi" in references(origin(config, behavior.get("TargetOriginId")).get("DomainName"))
    assert set(behavior.get("AllowedMethods", ["GET", "HEAD"])) == {"GET", "HEAD"}
    policies = references(behavior.get("CachePolicyId")) & set(of_type("AWS::CloudFront::CachePolicy"))
    assert policies, f"{lid} /widget: CachePolicyId must be a cache policy of this template"
    cache = props(policies.pop())["CachePolicyConfig"]
    keys = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["website_token"]}
    assert keys["HeadersConfig"]["HeaderBehavior"] == "none" and keys["CookiesConfig"]["CookieBehavior"] == "none"
    assert int(cache["MaxTTL"]) <= 300, f"{lid} /widget: an allowed_domains change must reach browsers within minutes"
    security = headers_policy(behavior).get("SecurityHeadersConfig") or {}
    assert "ContentSecurityPolicy" not in security and "FrameOptions" not in security, \
        f"{lid} /widget: the page's own frame-ancestors must reach the browser unchanged"


def test_websocket_connects_and_frames_are_throttled_separately():
    """A flood of $connect must not use up the frame budget of everyone's open sockets."""
    api = the_websocket_api()
    stage = next(s for s in of_type("AWS::ApiGatewayV2::Stage") if references(props(s).get("ApiId")) == {api})
    settings = props(stage).get("RouteSettings") or {}
    connect, default = settings.get("$connect") or {}, props(stage).get("DefaultRouteSettings") or {}
    assert connect.get("ThrottlingRateLimit") and connect.get("ThrottlingBurstLimit"), f"{stage}: $connect needs its own limit"
    assert connect["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    # Route settings apply only to routes the stage's deployment has.
    assert set(settings) <= set(routes_of(api)), f"{stage}: RouteSettings for routes that do not exist"


# ---------------------------------------------------------------- the template as a whole

def test_every_reference_names_something_that_exists():
    known = set(RESOURCES) | set(PARAMETERS)
    places = {"Globals": TEMPLATE.get("Globals", {}), "Outputs": TEMPLATE.get("Outputs", {}), **RESOURCES}
    dangling = {}
    for where, value in places.items():
        named = references(value) | set(as_list(value.get("DependsOn", []))) if where in RESOURCES else references(value)
        missing = {n for n in named if not n.startswith("AWS::") and n not in known}
        if missing:
            dangling[where] = sorted(missing)
    assert not dangling, f"references to names that are not resources or parameters: {dangling}"


def test_cfn_lint_passes():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), "template.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"cfn-lint template.yaml exited {result.returncode}:\n{result.stdout}{result.stderr}"



def test_layer_builds_for_lambda_arm64(tmp_path):
    """Run the layer build sam build runs (wheels from PyPI): every pinned package must have
    an arm64 wheel, and the result must be what Lambda loads."""
    from bench.layer_size import build

    build(tmp_path)
    python = tmp_path / "python"
    config = python / "parley" / "installation_config.yml"
    assert config.is_file() and not config.is_symlink(), "installation_config.yml must ship as a file"
    native = list(python.glob("pydantic_core/_pydantic_core*.so"))
    assert native and "aarch64" in native[0].name, f"pydantic-core is not the arm64 build: {native}"
    assert list((python / "parley").rglob("*.pyc")), "the layer must ship compiled .pyc"


def test_a_variable_means_the_same_in_every_function_that_has_it():
    """parley.settings reads each variable by name, whichever function runs it (and the
    tests set every function's at once): a name must never mean two things."""
    from tests.conftest import _stack

    seen: dict[str, tuple[str, str]] = {}
    for function in _stack.functions:
        for name, value in _stack.env_for(function).items():
            first = seen.setdefault(name, (function, value))
            assert first[1] == value, f"{name} is {first[1]!r} in {first[0]} but {value!r} in {function}"


LAYER_REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"


def test_the_captain_layer_builds_for_lambda_arm64(tmp_path):
    """The captain layer's build as sam build runs it (layers/captain/Makefile): arm64
    wheels for every pin, retrieval's model weights inside the wheel, compiled .pyc."""
    from bench.layer_size import CAPTAIN_LAYER, build

    build(tmp_path, CAPTAIN_LAYER, "build-CaptainLayer")
    python = tmp_path / "python"
    found = list(python.glob("numpy/_core/_multiarray_umath*.so"))
    assert found and "aarch64" in found[0].name, f"numpy is not the arm64 build: {found}"
    wheel = next(python.glob("tokenizers-*.dist-info")) / "WHEEL"
    assert "aarch64" in wheel.read_text(), "tokenizers is not the arm64 build"  # an abi3 .so: the tag says
    assert (python / "pypdf").is_dir() and list((python / "wordllama").rglob("*.safetensors"))
    assert list((python / "wordllama").rglob("*.pyc")), "the layer must ship compiled .pyc"
    # On top of the shared layer (--no-deps): nothing of its own may shadow the shared
    # layer's packages, at another version, in /opt/python.
    shared = {line.split("==")[0].lower().replace("_", "-") for line in (LAYER_REQUIREMENTS).read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    here = {d.name.split("-")[0].lower().replace("_", "-") for d in python.glob("*.dist-info")}
    assert not here & shared, f"the captain layer repeats the shared layer's {sorted(here & shared)}"
    assert not (python / "parley").exists()
