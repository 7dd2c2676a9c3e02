"""The attachments bucket: signing the URLs browsers use, and its name. An adapter: it
knows S3 and the settings, nothing of the domain (services/messaging/attachments.py decides what is
stored; views render the signed URLs this makes). Presigning is computed locally, with no
request to S3."""
from __future__ import annotations

from . import aws, filetypes
from .settings import get_settings

URL_SECONDS = 15 * 60  # a presigned GET (data_url) is good for this long


def signer():
    """Signs the URLs browsers use: they point at S3 (or the local stack's stand-in)."""
    return aws.client("s3", endpoint_url=get_settings().s3_public_endpoint or None, presigning=True)


def bucket() -> str:
    return get_settings().attachments_bucket


def disposition(name: str, inline: bool) -> str:
    return f'{"inline" if inline else "attachment"}; filename="{name}"'


def download_url(record: dict) -> str:
    """A short-lived GET URL for a stored attachment record. The response headers are set
    again here (not only on the object), so what a browser may render never depends on what
    was stored."""
    served_as, inline = filetypes.serving(record.get("kind"))
    return signer().generate_presigned_url("get_object", ExpiresIn=URL_SECONDS, Params={
        "Bucket": bucket(), "Key": record["key"], "ResponseContentType": served_as,
        "ResponseContentDisposition": disposition(record.get("filename") or "file", inline)})
