"""Read template.yaml and build its resources on one machine.

The local stack and the tests both call `build_stack()`, so the tables, queues, bus and
rules they run against are exactly the ones the template deploys: there is no second list.
Resources are created through boto3, which moto answers (in-process or as a server).
"""
from __future__ import annotations

import copy
import fnmatch
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _Tag:
    """An unresolved CloudFormation intrinsic (!Ref, !GetAtt, !Sub ...)."""

    def __init__(self, name: str, value: Any):
        self.name, self.value = name, value

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"!{self.name} {self.value!r}"


# libyaml's loader when PyYAML has it (its wheels do): the pure-Python one takes 0.4 s
# over template.yaml, and the tests build the stack from it once per test.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> _Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return _Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


_parsed: dict[tuple[Path, int], dict] = {}


def load_template(path: Path = TEMPLATE) -> dict:
    """The template as plain data; intrinsics stay as `_Tag` objects until resolved. A copy
    of the file's last parse, while the file is unchanged (callers may change theirs)."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _parsed:
        _parsed[key] = yaml.load(path.read_text(), Loader=_Loader)
    return copy.deepcopy(_parsed[key])


def to_plain(value: Any) -> Any:
    """The template with intrinsics turned into CloudFormation's JSON form ({"Ref": ...})."""
    if isinstance(value, _Tag):
        key = "Ref" if value.name == "Ref" else f"Fn::{value.name}"
        inner = value.value
        if value.name == "GetAtt" and isinstance(inner, str):
            inner = inner.split(".", 1)
        return {key: to_plain(inner)}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


@dataclass
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int = 3  # seconds; SAM's defaults
    memory_size: int = 128

    @property
    def app_path(self) -> Path:
        return self.code_dir / (self.handler.split(".")[0] + ".py")


@dataclass
class HttpRoute:
    """One HttpApi event of a function: `ANY /{proxy+}` -> HttpApiFunction."""

    function_id: str
    method: str = "ANY"  # upper case
    path: str | None = None  # None: the `$default` route, which catches what no route matches

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"


@dataclass
class TargetPolicy:
    """How EventBridge retries a rule's Lambda target, and where it gives up to."""

    max_retries: int = 185  # EventBridge's default MaximumRetryAttempts
    dead_letter_url: str | None = None


@dataclass
class SqsSource:
    """An SQS event-source mapping (a function's `Type: SQS` event)."""

    function_id: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    batching_window: float = 0.0  # MaximumBatchingWindowInSeconds


@dataclass
class StreamSource:
    """A consumer of a table's DynamoDB stream: an `AWS::Pipes::Pipe` (to a bus or a function)
    or a function's `Type: DynamoDB` event (an event-source mapping). Defaults are AWS's."""

    consumer_id: str  # "pipe:<logical id>" or "function:<function id>:<event name>": names its checkpoints
    table_id: str
    table_name: str
    kind: str  # "pipe" or "mapping"
    starting_position: str = "LATEST"  # or TRIM_HORIZON
    batch_size: int = 100
    batching_window: float = 0.0  # MaximumBatchingWindowInSeconds
    max_retries: int = -1  # -1: until the record leaves the stream (24 h)
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    on_failure_url: str | None = None  # SQS queue of DeadLetterConfig / DestinationConfig.OnFailure
    filters: list[str] = field(default_factory=list)  # FilterCriteria patterns (JSON text); any may match
    function_id: str | None = None  # the target function, else:
    bus_name: str | None = None  # the target event bus
    detail_type: str | None = None  # EventBridgeEventBusParameters
    event_source: str | None = None
    input_template: str | None = None
    arn: str = ""  # the pipe's or the function's ARN, for dead-letter records


@dataclass
class WebSocketApi:
    """The template's WebSocket API: which function answers each route."""

    routes: dict[str, str] = field(default_factory=dict)  # "$connect" -> function logical id
    selection_field: str | None = None  # "action" for RouteSelectionExpression $request.body.action
    stage: str = ""
    # Routes with a RouteResponse: only these send the handler's `body` back to the client.
    two_way: set[str] = field(default_factory=set)


@dataclass
class EdgeBehavior:
    """One CloudFront cache behavior: which paths, whether they go to the HTTP API (else
    the frontend bucket), and the response headers its ResponseHeadersPolicy adds."""

    path_pattern: str  # "*" for the default behavior
    to_api: bool
    headers: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (value, override)

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.path_pattern)


@dataclass
class Stack:
    """What a running copy of the template needs to know about itself."""

    names: dict[str, str] = field(default_factory=dict)  # logical id -> physical name
    functions: dict[str, Function] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)  # logical id -> URL
    # (rule logical id, target function logical id, local delivery queue URL)
    rule_targets: list[tuple[str, str, str]] = field(default_factory=list)
    target_policies: dict[str, TargetPolicy] = field(default_factory=dict)  # delivery queue URL -> policy
    sqs_sources: list[SqsSource] = field(default_factory=list)
    stream_sources: list[StreamSource] = field(default_factory=list)  # DynamoDB stream consumers
    http_routes: list[HttpRoute] = field(default_factory=list)
    websocket: WebSocketApi | None = None
    schedule_groups: list[str] = field(default_factory=list)  # EventBridge Scheduler groups
    edge: list[EdgeBehavior] = field(default_factory=list)  # CloudFront behaviors, in matching order

    def edge_behavior(self, path: str) -> EdgeBehavior | None:
        """CloudFront's choice: the first cache behavior whose pattern matches, else the default."""
        return next((b for b in self.edge if b.matches(path)), None)

    def function_for_arn(self, arn: str) -> str | None:
        """The logical id of the function an ARN (a schedule's target) names."""
        name = arn.rsplit(":", 1)[-1]
        return next((fid for fid in self.functions if self.names.get(fid) == name), None)

    def env_for(self, function_id: str) -> dict[str, str]:
        return dict(self.functions[function_id].environment)


class Resolver:
    """Resolves intrinsics to the physical names of this local copy of the stack."""

    def __init__(self, template: dict, prefix: str, parameters: dict[str, str], overrides: dict[str, str]):
        self.template = template
        self.prefix = prefix
        self.resources = template.get("Resources", {})
        self.params = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in template.get("Parameters", {}).items()
        }
        self.params.update({"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": prefix, "AWS::Partition": "aws",
                            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{prefix}/"
                                            f"{uuid.uuid5(uuid.NAMESPACE_URL, prefix)}"})
        self.overrides = overrides  # logical id -> value, for endpoints that differ locally

    def physical_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {}) or {}
        explicit = props.get("TableName") or props.get("QueueName") or props.get("BucketName") or props.get("Name")
        if explicit is not None:
            return str(self.resolve(explicit))
        return f"{self.prefix}-{logical_id}".lower() if self.resources[logical_id]["Type"] == "AWS::S3::Bucket" else f"{self.prefix}-{logical_id}"

    def ref(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        if name in self.overrides:
            return self.overrides[name]
        if (self.resources.get(name) or {}).get("Type") == "AWS::CloudFront::Distribution":
            return ""  # no CDN locally: nothing to invalidate (the help center's indexer skips it)
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if attribute == "Arn":
            service = {"AWS::DynamoDB::Table": f"dynamodb:{REGION}:{ACCOUNT}:table/",
                       "AWS::SQS::Queue": f"sqs:{REGION}:{ACCOUNT}:",
                       "AWS::Events::EventBus": f"events:{REGION}:{ACCOUNT}:event-bus/",
                       "AWS::S3::Bucket": "s3:::",
                       "AWS::IAM::Role": f"iam::{ACCOUNT}:role/",
                       "AWS::Scheduler::ScheduleGroup": f"scheduler:{REGION}:{ACCOUNT}:schedule-group/",
                       }.get(kind, f"lambda:{REGION}:{ACCOUNT}:function:")
            return f"arn:aws:{service}{name}"
        if attribute == "QueueName":
            return name
        return f"{name}.{attribute}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, _Tag):
            if value.name == "Ref":
                return self.ref(value.value)
            if value.name == "GetAtt":
                target = value.value.split(".", 1) if isinstance(value.value, str) else value.value
                return self.get_att(target[0], target[1])
            if value.name == "Sub":
                text, extra = (value.value, {}) if isinstance(value.value, str) else value.value
                extra = {k: self.resolve(v) for k, v in extra.items()}

                def sub(match: re.Match) -> str:
                    key = match.group(1)
                    if key in extra:
                        return str(extra[key])
                    if key in self.overrides:
                        return self.overrides[key]
                    if "." in key and key.split(".")[0] in self.resources:
                        return self.get_att(*key.split(".", 1))
                    return self.ref(key)

                return re.sub(r"\$\{([^}]+)\}", sub, text)
            if value.name == "Split":
                separator, text = value.value
                return str(self.resolve(text)).split(separator)
            if value.name == "Select":
                index, items = value.value
                return self.resolve(items)[int(index)]
            raise ValueError(f"unsupported intrinsic !{value.name}")
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


def global_refs(template: dict) -> dict[str, str]:
    """Environment variable -> the logical id it names, for Globals variables that are a
    plain !Ref (tables, the bus, buckets)."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value.value for name, value in variables.items()
            if isinstance(value, _Tag) and value.name == "Ref" and value.value in template["Resources"]}


def _of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def table_names(dynamodb) -> set[str]:
    """Every table this DynamoDB endpoint has (ListTables answers 100 at a time)."""
    return {name for page in dynamodb.get_paginator("list_tables").paginate() for name in page["TableNames"]}


def build_stack(
    session: Any,
    prefix: str = "parley-local",
    parameters: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    template_path: Path = TEMPLATE,
    endpoints: dict[str, str] | None = None,
) -> Stack:
    """Create every table, queue, bucket, bus and rule of the template (idempotent).

    `session` is a boto3 Session pointed at moto; `endpoints` sends a service elsewhere
    (the local stack: {"dynamodb": DynamoDB Local's URL}). Lambda targets of EventBridge rules get
    a local delivery queue each (moto cannot invoke Lambda), which the local runner polls
    and hands to the function, the way EventBridge would.
    """
    template = load_template(template_path)
    r = Resolver(template, prefix, parameters or {}, overrides or {})
    stack = Stack()
    endpoints = endpoints or {}
    dynamodb, sqs, s3, events, scheduler = (session.client(s, region_name=REGION, endpoint_url=endpoints.get(s))
                                            for s in ("dynamodb", "sqs", "s3", "events", "scheduler"))

    existing_tables = table_names(dynamodb)

    def create_table(name: str, props: dict) -> None:
        args = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode") if k in props}
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb.create_table(TableName=name, **args)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)

    missing = []
    for logical_id, res in _of_type(template, "AWS::DynamoDB::Table").items():
        name = r.physical_name(logical_id)
        stack.names[logical_id] = name
        if name not in existing_tables:
            missing.append((name, r.resolve(res["Properties"])))
    # DynamoDB Local takes ~0.1-0.2 s a table on disk: create them side by side there
    # (moto in-process is not thread-safe: one at a time).
    with ThreadPoolExecutor(8 if endpoints.get("dynamodb") else 1) as pool:
        for done in [pool.submit(create_table, name, props) for name, props in missing]:
            done.result()

    queues = _of_type(template, "AWS::SQS::Queue")
    # Dead-letter queues first, so redrive policies can name them.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in (queues[q].get("Properties") or {}))
    for logical_id in ordered:
        props = r.resolve(queues[logical_id].get("Properties") or {})
        name = r.physical_name(logical_id)
        attributes = {}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        stack.queue_urls[logical_id] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        stack.names[logical_id] = name

    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for logical_id, res in _of_type(template, "AWS::S3::Bucket").items():
        name = r.physical_name(logical_id)
        stack.names[logical_id] = name
        if name not in existing_buckets:
            s3.create_bucket(Bucket=name)
            notifications = (res.get("Properties") or {}).get("NotificationConfiguration") or {}
            if (notifications.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
                s3.put_bucket_notification_configuration(
                    Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})

    for logical_id in _of_type(template, "AWS::Events::EventBus"):
        name = r.physical_name(logical_id)
        stack.names[logical_id] = name
        if not any(b["Name"] == name for b in events.list_event_buses()["EventBuses"]):
            events.create_event_bus(Name=name)

    for logical_id in _of_type(template, "AWS::Scheduler::ScheduleGroup"):
        name = r.physical_name(logical_id)
        stack.names[logical_id] = name
        if not any(g["Name"] == name for g in scheduler.list_schedule_groups()["ScheduleGroups"]):
            scheduler.create_schedule_group(Name=name)
        stack.schedule_groups.append(name)

    functions = _of_type(template, "AWS::Serverless::Function")
    for logical_id, res in _of_type(template, "AWS::Events::Rule").items():
        props = res["Properties"]
        bus = r.resolve(props.get("EventBusName", "default"))
        rule_name = f"{prefix}-{logical_id}"
        events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(r.resolve(props["EventPattern"])),
                        State="ENABLED")
        targets = []
        for target in props.get("Targets", []):
            arn = target["Arn"]
            function_id = arn.value.split(".")[0] if isinstance(arn, _Tag) and arn.name == "GetAtt" else None
            if function_id in functions:
                queue_name = f"{prefix}-{logical_id}-{target['Id']}-delivery"
                url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
                queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"
                targets.append({"Id": target["Id"], "Arn": queue_arn})
                stack.rule_targets.append((logical_id, function_id, url))
                stack.target_policies[url] = _target_policy(r, stack, target)
            else:
                targets.append({"Id": target["Id"], "Arn": r.resolve(arn)})
        events.put_targets(Rule=rule_name, EventBusName=bus, Targets=targets)

    globals_fn = template.get("Globals", {}).get("Function", {})
    globals_env = (globals_fn.get("Environment") or {}).get("Variables", {})
    for logical_id, res in functions.items():
        props = res["Properties"]
        variables = dict(globals_env)
        variables.update((props.get("Environment") or {}).get("Variables", {}))
        env = {k: str(r.resolve(v)) for k, v in variables.items()}
        code_dir = (template_path.parent / props["CodeUri"]).resolve()
        timeout = int(r.resolve(props.get("Timeout", globals_fn.get("Timeout", 3))))
        memory = int(r.resolve(props.get("MemorySize", globals_fn.get("MemorySize", 128))))
        stack.functions[logical_id] = Function(logical_id, code_dir, props["Handler"], env, timeout, memory)
        stack.names[logical_id] = r.physical_name(logical_id)
        _add_event_sources(r, stack, logical_id, props.get("Events") or {})
    stack.stream_sources += [_pipe(template, r, stack, pipe_id) for pipe_id, pipe in _of_type(template, "AWS::Pipes::Pipe").items()
                             if r.resolve(pipe["Properties"].get("DesiredState", "RUNNING")) != "STOPPED"]
    stack.websocket = _websocket_api(template, r)
    stack.edge = _edge_behaviors(template, r)
    return stack


def _security_headers(config: dict) -> dict[str, tuple[str, bool]]:
    """The headers a ResponseHeadersPolicy's SecurityHeadersConfig makes CloudFront send."""
    headers = {}
    hsts = config.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={hsts['AccessControlMaxAgeSec']}" + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
        headers["Strict-Transport-Security"] = (value + ("; preload" if hsts.get("Preload") else ""), bool(hsts.get("Override")))
    if "ContentTypeOptions" in config:
        headers["X-Content-Type-Options"] = ("nosniff", bool(config["ContentTypeOptions"].get("Override")))
    if "ReferrerPolicy" in config:
        headers["Referrer-Policy"] = (config["ReferrerPolicy"]["ReferrerPolicy"], bool(config["ReferrerPolicy"].get("Override")))
    if "FrameOptions" in config:
        headers["X-Frame-Options"] = (config["FrameOptions"]["FrameOption"], bool(config["FrameOptions"].get("Override")))
    if "ContentSecurityPolicy" in config:
        csp = config["ContentSecurityPolicy"]
        headers["Content-Security-Policy"] = (csp["ContentSecurityPolicy"], bool(csp.get("Override")))
    return headers


def _edge_behaviors(template: dict, r: Resolver) -> list[EdgeBehavior]:
    """The distribution's behaviors, so the local gateway routes paths and adds response
    headers exactly as CloudFront would (no second copy of either)."""
    distributions = _of_type(template, "AWS::CloudFront::Distribution")
    if not distributions:
        return []
    config = next(iter(distributions.values()))["Properties"]["DistributionConfig"]
    policies = _of_type(template, "AWS::CloudFront::ResponseHeadersPolicy")
    api_origins = {o["Id"] for o in config.get("Origins", []) if "HttpApi" in _referenced(o.get("DomainName"))}
    out = []
    for behavior in [*config.get("CacheBehaviors", []), {**config["DefaultCacheBehavior"], "PathPattern": "*"}]:
        policy = next((policies[p] for p in _referenced(behavior.get("ResponseHeadersPolicyId")) if p in policies), None)
        security = r.resolve(policy["Properties"]["ResponseHeadersPolicyConfig"].get("SecurityHeadersConfig") or {}) if policy else {}
        out.append(EdgeBehavior(behavior["PathPattern"], behavior["TargetOriginId"] in api_origins, _security_headers(security)))
    return out


def _referenced(value: Any) -> list[str]:
    """Logical ids named by a !Ref, !GetAtt or the ${...} of a !Sub."""
    if isinstance(value, _Tag) and value.name == "Sub":
        text = value.value if isinstance(value.value, str) else value.value[0]
        return [name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", text)]
    if isinstance(value, _Tag):
        return [value.value.split(".")[0] if isinstance(value.value, str) else value.value[0]]
    return []


def _websocket_api(template: dict, r: Resolver) -> WebSocketApi | None:
    apis = [k for k, v in _of_type(template, "AWS::ApiGatewayV2::Api").items()
            if v["Properties"].get("ProtocolType") == "WEBSOCKET"]
    if not apis:
        return None
    if len(apis) > 1:
        raise ValueError(f"the local stack runs one WebSocket API; the template declares {apis}")
    api = WebSocketApi()
    expression = str(template["Resources"][apis[0]]["Properties"].get("RouteSelectionExpression", ""))
    if expression.startswith("$request.body."):
        api.selection_field = expression.removeprefix("$request.body.")
    integrations = _of_type(template, "AWS::ApiGatewayV2::Integration")
    functions = _of_type(template, "AWS::Serverless::Function")
    routes = _of_type(template, "AWS::ApiGatewayV2::Route")
    for route in routes.values():
        props = route["Properties"]
        target = next((i for i in _referenced(props.get("Target")) if i in integrations), None)
        uri = integrations[target]["Properties"].get("IntegrationUri") if target else None
        function_id = next((f for f in _referenced(uri) if f in functions), None)
        if function_id:
            api.routes[props["RouteKey"]] = function_id
    for response in _of_type(template, "AWS::ApiGatewayV2::RouteResponse").values():
        for route_id in _referenced(response["Properties"].get("RouteId")):
            if route_id in routes:
                api.two_way.add(routes[route_id]["Properties"]["RouteKey"])
    for stage in _of_type(template, "AWS::ApiGatewayV2::Stage").values():
        if _referenced(stage["Properties"].get("ApiId")) == apis[:1]:
            api.stage = str(r.resolve(stage["Properties"]["StageName"]))
    return api


def _queue_url(stack: Stack, arn: str) -> str | None:
    name = arn.rsplit(":", 1)[-1]
    return next((stack.queue_urls[q] for q, n in stack.names.items() if n == name and q in stack.queue_urls), None)


def _target_policy(r: Resolver, stack: Stack, target: dict) -> TargetPolicy:
    policy = TargetPolicy()
    if "MaximumRetryAttempts" in (target.get("RetryPolicy") or {}):
        policy.max_retries = int(r.resolve(target["RetryPolicy"]["MaximumRetryAttempts"]))
    if (target.get("DeadLetterConfig") or {}).get("Arn"):
        policy.dead_letter_url = _queue_url(stack, r.resolve(target["DeadLetterConfig"]["Arn"]))
    return policy


def _add_event_sources(r: Resolver, stack: Stack, function_id: str, events: dict) -> None:
    for name, event in events.items():
        props = r.resolve(event.get("Properties") or {})
        if event["Type"] == "HttpApi":
            path = props.get("Path")
            stack.http_routes.append(HttpRoute(function_id, str(props.get("Method", "ANY")).upper(), path))
        elif event["Type"] == "SQS" and props.get("Enabled", True):
            url = _queue_url(stack, props["Queue"])
            if url is None:
                raise ValueError(f"{function_id}: SQS event names a queue the template does not create: {props['Queue']}")
            stack.sqs_sources.append(SqsSource(function_id, url, props["Queue"], int(props.get("BatchSize", 10)),
                                               "ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                                               float(props.get("MaximumBatchingWindowInSeconds", 0))))
        elif event["Type"] == "DynamoDB" and props.get("Enabled", True):
            source = _stream_consumer(r, stack, f"function:{function_id}:{name}", "mapping",
                                      (event.get("Properties") or {}).get("Stream"), props)
            source.function_id = function_id
            source.arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack.names[function_id]}"
            source.report_batch_item_failures = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
            source.bisect_on_error = bool(props.get("BisectBatchOnFunctionError", False))
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            source.on_failure_url = _failure_queue(stack, source.consumer_id, destination)
            stack.stream_sources.append(source)


def _failure_queue(stack: Stack, consumer_id: str, arn: str | None) -> str | None:
    if not arn:
        return None
    url = _queue_url(stack, arn)
    if url is None:
        raise ValueError(f"{consumer_id}: the failure destination {arn} is not a queue of this template "
                         "(locally only SQS destinations are supported)")
    return url


def _stream_consumer(r: Resolver, stack: Stack, consumer_id: str, kind: str, stream: Any, props: dict) -> StreamSource:
    """The part pipes and event-source mappings share: which table, where to start, how many."""
    target = (stream.value.split(".", 1) if isinstance(stream.value, str) else stream.value) \
        if isinstance(stream, _Tag) and stream.name == "GetAtt" else [None, None]
    table_id = target[0]
    if target[1] != "StreamArn" or r.resources.get(table_id, {}).get("Type") != "AWS::DynamoDB::Table":
        raise ValueError(f"{consumer_id}: the stream must be !GetAtt <Table>.StreamArn of a table in this template")
    if not (r.resources[table_id].get("Properties") or {}).get("StreamSpecification"):
        raise ValueError(f"{consumer_id}: table {table_id} declares no StreamSpecification, so it has no stream")
    position = str(props.get("StartingPosition", ""))
    if position not in ("LATEST", "TRIM_HORIZON"):
        raise ValueError(f"{consumer_id}: StartingPosition must be LATEST or TRIM_HORIZON, not {position!r}")
    filters = [str(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters") or []]
    return StreamSource(consumer_id, table_id, stack.names[table_id], kind, position,
                        # Lambda's default is 100; the CDK documents 1 for pipes
                        int(props.get("BatchSize", 100 if kind == "mapping" else 1)),
                        float(props.get("MaximumBatchingWindowInSeconds", 0)),
                        int(props.get("MaximumRetryAttempts", -1)), filters=filters)


def _pipe(template: dict, r: Resolver, stack: Stack, pipe_id: str) -> StreamSource:
    """An EventBridge pipe from a table's stream to a bus or a function."""
    raw = template["Resources"][pipe_id]["Properties"]
    consumer_id = f"pipe:{pipe_id}"
    for unsupported in ("Enrichment", "EnrichmentParameters"):
        if raw.get(unsupported):
            raise ValueError(f"{consumer_id}: {unsupported} is not supported by the local stack")
    source_params = r.resolve(raw.get("SourceParameters") or {})
    stream_params = source_params.get("DynamoDBStreamParameters") or {}
    source = _stream_consumer(r, stack, consumer_id, "pipe", raw.get("Source"),
                              {**stream_params, "FilterCriteria": source_params.get("FilterCriteria")})
    name = r.physical_name(pipe_id)
    source.arn = f"arn:aws:pipes:{REGION}:{ACCOUNT}:pipe/{name}"
    source.on_failure_url = _failure_queue(stack, consumer_id, (stream_params.get("DeadLetterConfig") or {}).get("Arn"))
    if stream_params.get("OnPartialBatchItemFailure"):
        source.bisect_on_error = True  # AUTOMATIC_BISECT, its only value
    target_params = r.resolve(raw.get("TargetParameters") or {})
    source.input_template = target_params.get("InputTemplate")
    target = raw.get("Target")
    resources = template["Resources"]
    referenced = [t for t in _referenced(target) if t in resources]
    target_arn = str(r.resolve(target))
    if referenced and resources[referenced[0]]["Type"] == "AWS::Serverless::Function":
        source.function_id = referenced[0]
    elif referenced and resources[referenced[0]]["Type"] == "AWS::Events::EventBus":
        source.bus_name = stack.names[referenced[0]]
    elif ":event-bus/" in target_arn:
        source.bus_name = target_arn.rsplit("/", 1)[-1]
    elif stack.function_for_arn(target_arn):
        source.function_id = stack.function_for_arn(target_arn)
    else:
        raise ValueError(f"{consumer_id}: target {target_arn} is neither an event bus nor a function of this "
                         "template (the local stack runs those two)")
    bus = target_params.get("EventBridgeEventBusParameters") or {}
    source.detail_type, source.event_source = bus.get("DetailType"), bus.get("Source")
    return source
