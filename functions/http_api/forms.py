"""multipart/form-data bodies: how Chatwoot's clients send a message with files
(`attachments[]` on the Application API, `message[attachments][]` from the widget).

Only small files fit: API Gateway hands Lambda at most 6 MB, base64-encoded. Larger files
go straight to S3 with a presigned POST (direct_uploads)."""
from __future__ import annotations

import base64
import json
from email.parser import BytesParser

from aws_lambda_powertools.event_handler.api_gateway import Router

from api import PayloadTooLarge
from parley.errors import ParleyError
from parley.services.messaging.attachments import MULTIPART_BYTES, InlineFile

MAX_PARTS = 40


def is_multipart(router: Router) -> bool:
    content_type = router.current_event.get_header_value("content-type") or ""
    return content_type.lower().startswith("multipart/form-data")


def parse(router: Router, file_fields: tuple[str, ...]) -> tuple[dict[str, str], list[InlineFile], list[str]]:
    """(text fields, files, upload ids). Files are taken only from `file_fields`, where a
    text value is the signed_id of a direct upload; a repeated text field keeps its last
    value."""
    event = router.current_event
    data = event.get("body") or ""
    if len(data) > MULTIPART_BYTES * 4 // 3 + 65_536:  # cheap check before decoding
        raise PayloadTooLarge(f"Request body is larger than {MULTIPART_BYTES} bytes: upload with direct_uploads")
    try:
        raw = base64.b64decode(data, validate=True) if event.get("isBase64Encoded") else data.encode("utf-8", "surrogateescape")
    except ValueError:
        raise ParleyError("Request body is not valid base64") from None
    if len(raw) > MULTIPART_BYTES + 65_536:
        raise PayloadTooLarge(f"Request body is larger than {MULTIPART_BYTES} bytes: upload with direct_uploads")
    # Here, not at import: the policy's header parser costs a widget or conversation call's
    # cold start ~12 ms, and most of their requests are JSON.
    from email.policy import HTTP

    header = (event.get_header_value("content-type") or "").encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + raw)
    if not message.is_multipart() or message.defects:
        raise ParleyError("Request body is not valid multipart/form-data")
    parts = list(message.iter_parts())
    if len(parts) > MAX_PARTS:
        raise ParleyError(f"A form can have at most {MAX_PARTS} fields")
    fields: dict[str, str] = {}
    files: list[InlineFile] = []
    uploads: list[str] = []
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise ParleyError("A form field has no name")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None and name in file_fields:
            files.append(InlineFile(filename, part.get_content_type(), payload))
        elif filename is None:
            try:
                text = payload.decode("utf-8")
                if name in file_fields:
                    uploads.append(text.strip())
                else:
                    fields[name] = text
            except UnicodeDecodeError:
                raise ParleyError(f"Form field {name[:40]!r} is not UTF-8 text") from None
        else:
            raise ParleyError(f"Unexpected file in form field {name[:40]!r}")
    return fields, files, uploads


def nest(fields: dict[str, str]) -> dict:
    """Rails-style names to a nested dict: `message[content]` -> {"message": {"content": ..}}.
    JSON objects sent as text (content_attributes) are decoded where they parse as one."""
    data: dict = {}
    for name, value in fields.items():
        keys = [k for k in name.replace("]", "").split("[")]
        if any(not k for k in keys):
            raise ParleyError(f"Form field {name[:40]!r} is not a field name")
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise ParleyError(f"Form field {name[:40]!r} clashes with another field")
        if value.startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        target[keys[-1]] = value
    return data
