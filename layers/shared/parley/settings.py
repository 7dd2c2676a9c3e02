"""Typed environment, read once per container.

Every function gets the same variables from template.yaml's Globals; the local stack and
the tests set them from the same template (local/cfn.py).
"""
from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    region: str
    users_table: str
    accounts_table: str
    account_users_table: str
    access_tokens_table: str
    platform_apps_table: str
    uniques_table: str
    counters_table: str
    installation_config_table: str
    connections_table: str
    throttle_table: str
    inboxes_table: str
    inbox_members_table: str
    contacts_table: str
    contact_inboxes_table: str
    conversations_table: str
    messages_table: str
    events_table: str
    account_objects_table: str
    notifications_table: str
    audit_logs_table: str
    # Reports' rollups (services/reporting/rollups.py): the reporting consumer writes them,
    # the HTTP API reads them.
    report_rollups_table: str
    csat_surveys_table: str
    event_bus_name: str
    attachments_bucket: str
    websocket_endpoint: str
    websocket_url: str
    widget_token_secret: str
    stage: str = "prod"
    # Chatwoot's reporting events (services/reporting/recorder.py).
    reporting_events_table: str = ""
    # Sent by CloudFront on every API request (X-Parley-Edge); empty locally.
    edge_secret: str = ""
    # Where browsers send presigned S3 uploads and downloads; empty means S3 itself. The
    # local stack serves its in-process S3 on its own port (local/s3.py).
    s3_public_endpoint: str = ""
    # The frontend bucket (the HTTP API reads the built widget page from it); HttpApiFunction only.
    frontend_bucket: str = ""
    # The super-admin console's instance status (HttpApiFunction only): the stack whose
    # outputs it shows, and "name=<work queue url>|<dlq url> ..." of the queues it counts.
    stack_name: str = ""
    status_queues: str = ""
    # Queues, buckets and tables only some functions are given (template.yaml): empty in
    # the others, and `required` says which function lacks one.
    ingest_queue_url: str = ""
    deliver_queue_url: str = ""
    account_jobs_queue: str = ""
    contact_jobs_queue: str = ""
    # Captain document ingest jobs (HttpApiFunction sends, CaptainDocumentsFunction reads).
    captain_documents_queue: str = ""
    webhook_deliveries_queue: str = ""
    mail_bucket: str = ""
    idempotency_table: str = ""
    # The help center's views queue (HelpCenterFunction sends, HelpCenterViewsFunction reads)
    # and the CloudFront distribution the indexer invalidates (empty locally: no CDN).
    help_center_views_queue: str = ""
    distribution_id: str = ""
    schedule_group: str = ""
    scheduler_role_arn: str = ""
    schedule_dlq_arn: str = ""
    # The scheduled function's ARN; it cannot be in that function's own environment (a
    # template cycle), so there it comes from the invocation (parley.schedules).
    scheduled_function_arn: str = ""
    # Captain's model providers (services/captain/providers.py): where account keys live in
    # SSM Parameter Store (HttpApiFunction writes, CaptainFunction reads), the deployment's
    # default provider and Bedrock's models (template parameters CaptainDefaultProvider,
    # CaptainBedrockModelId, CaptainBedrockEmbeddingModelId).
    # The public address of the frontend (the survey links the surveys function sends);
    # SurveysFunction only.
    frontend_url: str = ""
    # The local stack's stand-ins for the messaging providers (local/providers.py): set by
    # the runner only, never by template.yaml (parley/channels sends there when it is set).
    provider_sandbox_url: str = ""
    captain_key_prefix: str = ""
    captain_default_provider: str = "offline"
    captain_bedrock_model_id: str = ""
    captain_bedrock_embedding_model_id: str = ""

    def required(self, name: str) -> str:
        """A per-function value this function must have been given."""
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"environment variable {name.upper()} is not set for this function (template.yaml)")
        return value


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set (see template.yaml Globals)")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Each field from the variable of its name in capitals: required unless the field has
    a default. The region follows Lambda's AWS_REGION, else AWS_DEFAULT_REGION."""
    values = {f.name: _env(f.name.upper(), None if f.default is MISSING else f.default)
              for f in fields(Settings) if f.name != "region"}
    return Settings(region=_env("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")), **values)
