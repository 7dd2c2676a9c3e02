"""The survey page (/survey/responses/{conversation_uuid}) as the HTTP API serves it: the
built frontend/dist/survey/index.html from the frontend bucket, the same for every survey
(the page asks /public/api/v1/csat_survey/{uuid} for its survey). Served by the API, as
the widget page is, so the path answers wherever the API does (CloudFront caches it)."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ... import aws
from ...settings import get_settings

KEY = "survey/index.html"
NOT_DEPLOYED = "<!doctype html><title>Survey</title><p>The survey page is not available right now.</p>"


def built_page() -> tuple[int, str]:
    """(status, html): the built page, or 503 while the frontend is not deployed."""
    try:
        body = aws.client("s3").get_object(Bucket=get_settings().frontend_bucket, Key=KEY)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            return 503, NOT_DEPLOYED
        raise
    return 200, body.decode("utf-8")
