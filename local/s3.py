"""S3 for browsers, locally: the presigned POSTs and GETs Parley hands out, answered from
the in-process moto S3 at `<gateway>/s3/<bucket>/<key>`.

moto stores what it is given but checks no POST policy, so this module does what S3 does
with a browser upload: verify the policy's SigV4 signature and expiry, and every
condition (exact fields, starts-with, content-length-range), before the object is put.
Downloads check the URL's expiry and honour response-content-type / -disposition."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import HTTP
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

PREFIX = "/s3"
MAX_UPLOAD = 200 * 1024 * 1024
SKIP_FIELDS = {"policy", "x-amz-signature", "file"}


class PolicyError(Exception):
    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _error(code: str, message: str, status: int) -> Response:
    body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{escape(code)}</Code>" \
           f"<Message>{escape(message)}</Message></Error>"
    return Response(body, status, media_type="application/xml")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def known_secrets() -> dict[str, str]:
    """Access key id -> secret of the credentials the handlers may sign with: the stack's
    environment, or the fake pair moto's mock puts in place."""
    return {os.environ.get("AWS_ACCESS_KEY_ID", "testing"): os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "FOOBARKEY": "FOOBARSECRET", "testing": "testing"}


def check_post(bucket: str, fields: dict[str, str], size: int, secrets: dict[str, str],
               now: datetime | None = None) -> None:
    """Raise PolicyError unless S3 would accept this browser POST (fields lower-cased)."""
    now = now or datetime.now(timezone.utc)
    policy_b64 = fields.get("policy")
    if not policy_b64 or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise PolicyError("AccessDenied", "A signed policy is required")
    try:
        key_id, date, region, service, _ = fields["x-amz-credential"].split("/")
    except (KeyError, ValueError):
        raise PolicyError("InvalidArgument", "Bad x-amz-credential", 400) from None
    if key_id not in secrets:
        raise PolicyError("InvalidAccessKeyId", "The AWS access key Id you provided does not exist in our records.")
    signing = _hmac(_hmac(_hmac(_hmac(f"AWS4{secrets[key_id]}".encode(), date), region), service), "aws4_request")
    expected = hmac.new(signing, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        raise PolicyError("SignatureDoesNotMatch", "The request signature does not match")
    try:
        policy = json.loads(base64.b64decode(policy_b64))
        expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        raise PolicyError("InvalidPolicyDocument", "The policy is not valid", 400) from None
    if expires < now:
        raise PolicyError("AccessDenied", "Invalid according to Policy: Policy expired.")
    covered = set()
    values = {**fields, "bucket": bucket}
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            for name, value in condition.items():
                covered.add(name.lower())
                if values.get(name.lower()) != value:
                    raise PolicyError("AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}")
        elif condition[0] == "content-length-range":
            if not condition[1] <= size <= condition[2]:
                raise PolicyError("EntityTooLarge" if size > condition[2] else "EntityTooSmall",
                                  "Your proposed upload is outside the allowed size", 400)
        else:
            op, name, value = condition
            name = name.lstrip("$").lower()
            covered.add(name)
            got = values.get(name, "")
            if (op == "eq" and got != value) or (op == "starts-with" and not got.startswith(value)):
                raise PolicyError("AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}")
    extra = {n for n in fields if n not in SKIP_FIELDS and not n.startswith("x-ignore-")} - covered - {"bucket"}
    if extra:
        raise PolicyError("AccessDenied", f"Invalid according to Policy: Extra input fields: {sorted(extra)}")


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes]:
    """A browser's multipart/form-data POST: (fields lower-cased, the file's bytes). The
    standard library's MIME parser, since starlette's needs python-multipart."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    if not message.is_multipart():
        raise PolicyError("InvalidArgument", "POST requires a multipart/form-data body", 400)
    fields, data = {}, None
    for part in message.iter_parts():
        name = (part.get_param("name", header="content-disposition") or "").lower()
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            data = payload
        else:
            fields[name] = payload.decode("utf-8", "replace")
    if data is None:
        raise PolicyError("InvalidArgument", "POST requires exactly one file upload per request", 400)
    return fields, data


def check_get(query: dict[str, str], now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        expires = int(query["X-Amz-Expires"])
        query["X-Amz-Signature"]
    except (KeyError, ValueError):
        raise PolicyError("AccessDenied", "Request has expired or is not signed") from None
    if signed_at + timedelta(seconds=expires) < now:
        raise PolicyError("AccessDenied", "Request has expired")


class LocalS3:
    """Mounted by the gateway at PREFIX; `s3_client` reaches moto's S3 (the runner's AWS
    endpoint, which runs one request at a time)."""

    def __init__(self, s3_client):
        self.s3 = s3_client

    def post(self, bucket: str, fields: dict[str, str], data: bytes) -> None:
        check_post(bucket, fields, len(data), known_secrets())
        self.s3.put_object(Bucket=bucket, Key=fields["key"], Body=data,
                           ContentType=fields.get("content-type", "binary/octet-stream"))

    def get(self, bucket: str, key: str, query: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        check_get(query)
        got = self.s3.get_object(Bucket=bucket, Key=key)
        data = got["Body"].read()
        headers = {"content-type": query.get("response-content-type") or got.get("ContentType") or "binary/octet-stream",
                   "x-content-type-options": "nosniff"}
        disposition = query.get("response-content-disposition") or got.get("ContentDisposition")
        if disposition:
            headers["content-disposition"] = disposition
        return data, headers

    async def asgi(self, request: Request) -> Response:
        path = request.url.path[len(PREFIX):].lstrip("/")
        bucket, _, key = path.partition("/")
        try:
            if request.method == "POST" and not key:
                if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
                    raise PolicyError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
                fields, data = parse_form(request.headers.get("content-type", ""), await request.body())
                await asyncio.to_thread(self.post, bucket, fields, data)
                return Response(status_code=204)
            if request.method in ("GET", "HEAD") and key:
                data, headers = await asyncio.to_thread(self.get, bucket, key, dict(request.query_params))
                return Response(b"" if request.method == "HEAD" else data, 200, headers=headers)
        except PolicyError as exc:
            return _error(exc.code, exc.message, exc.status)
        except Exception as exc:  # moto's NoSuchKey / NoSuchBucket
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "NoSuchBucket"):
                return _error(code, "The specified key does not exist.", 404)
            raise
        return _error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
