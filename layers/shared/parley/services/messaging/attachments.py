"""Message attachments: browsers upload straight to S3 with a presigned POST, then create
the message naming what they uploaded; small files may also come inline (multipart).

Object keys (the attachments bucket):
- `uploads/<account id>/<uploader>/<32 hex>/<file name>`: a presigned upload, not yet
  part of a message. `<uploader>` is `u<user id>` (an agent) or `c<contact id>` (a widget
  visitor), so a caller can only ever name its own uploads; the bucket's lifecycle
  expires whatever is never attached.
- `attachments/<account id>/<conversation display id>/<32 hex>/<file name>`: accepted,
  copied with a safe Content-Type and Content-Disposition, referenced by the message.

Nothing is accepted before its first bytes (a ranged GET) show that the declared type is
true; a lie is deleted and answered 422. The message that carries them is written by
services/messaging/messages.post_message: `accept`, then `store` each, `delete` what is no longer
referred to."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from ... import aws, filetypes, ids, storage
from ...errors import Forbidden, Invalid, NotFound, ParleyError, PayloadTooLarge
from ...models.conversation import Conversation

MAX_PER_MESSAGE = 15  # Chatwoot's limit
UPLOAD_SECONDS = 15 * 60  # a presigned POST is good for this long
# Inline (multipart) files travel through API Gateway and Lambda: 6 MB payload, base64.
MULTIPART_BYTES = 4 * 1024 * 1024
_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


@dataclass(frozen=True)
class InlineFile:
    """A file that came in the request body itself."""
    filename: str
    content_type: str
    data: bytes


def max_bytes() -> int:
    from ... import global_config  # its pydantic models load only where a file is checked (cold start)

    megabytes = global_config.get("MAXIMUM_FILE_UPLOAD_SIZE", 40)
    return int(megabytes) * 1024 * 1024


def user_uploader(user_id: int) -> str:
    return f"u{user_id}"


def contact_uploader(contact_id: int) -> str:
    return f"c{contact_id}"


def safe_name(filename: str | None) -> str:
    """A file name fit for a key and a Content-Disposition header: no paths, no quotes."""
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = _NAME.sub("_", base).strip(" .")[:100]
    return cleaned or "file"


def _declared(content_type: str | None) -> str:
    declared = filetypes.normalize(content_type) or "application/octet-stream"
    if not _TYPE.match(declared):
        raise Invalid("content_type is not a media type", field="content_type")
    return declared


def _check_size(size: int) -> None:
    if size < 1:
        raise Invalid("The file is empty", field="attachments")
    limit = max_bytes()
    if size > limit:
        raise PayloadTooLarge(f"The file is {size} bytes; the limit is {limit // (1024 * 1024)} MB")


def ensure_widget_uploads(inbox) -> None:
    """The inbox's widget settings may switch attachments off (Chatwoot's feature flag)."""
    flags = (inbox.channel or {}).get("selected_feature_flags", ["attachments"])
    if "attachments" not in flags:
        raise Forbidden("Attachments are turned off for this inbox")


# ---------------------------------------------------------------- direct upload

def presign_upload(account_id: int, uploader: str, *, filename: str, content_type: str | None,
                   byte_size: int) -> dict:
    """A presigned POST for one file. S3 itself refuses a body over the limit
    (content-length-range) or with another Content-Type than the one declared here."""
    _check_size(byte_size)
    declared = _declared(content_type)
    name = safe_name(filename)
    key = f"uploads/{account_id}/{uploader}/{uuid.uuid4().hex}/{name}"
    post = storage.signer().generate_presigned_post(
        storage.bucket(), key, Fields={"Content-Type": declared},
        Conditions=[{"Content-Type": declared}, ["content-length-range", 1, max_bytes()]],
        ExpiresIn=UPLOAD_SECONDS)
    # ActiveStorage's direct-upload answer, with a POST (url + form fields) in direct_upload.
    return {"key": key, "signed_id": key, "filename": name, "content_type": declared, "byte_size": byte_size,
            "direct_upload": {"url": post["url"], "method": "POST", "fields": post["fields"], "headers": {}},
            "max_file_size": max_bytes()}


@dataclass
class Accepted:
    """A file that passed its checks, not yet stored."""
    source: str | None  # the upload key to copy from, or None for an inline file
    data: bytes | None
    name: str
    declared: str
    kind: str | None
    size: int


def accept(account_id: int | None, uploader: str | None, uploads: list[str], files: list[InlineFile]) -> list[Accepted]:
    """Check a message's files before anything is written: at most MAX_PER_MESSAGE, each
    upload named once and the caller's own, every file within the limit and honest about
    its type. NotFound if an upload is not (or no longer) there."""
    if len(uploads) + len(files) > MAX_PER_MESSAGE:
        raise Invalid(f"A message can have at most {MAX_PER_MESSAGE} attachments", field="attachments")
    if len(set(uploads)) != len(uploads):
        raise Invalid("The same upload is attached twice", field="attachments")
    accepted = [_uploaded(account_id, uploader, key) for key in uploads]
    return accepted + [_inline(item) for item in files]


def _uploaded(account_id: int, uploader: str, key: str) -> Accepted:
    """Check one presigned upload: the caller's own, present, within the limit, honest."""
    from botocore.exceptions import ClientError

    parts = key.split("/") if isinstance(key, str) else []
    if (len(parts) != 5 or parts[:3] != ["uploads", str(account_id), uploader]
            or not re.fullmatch(r"[0-9a-f]{32}", parts[3]) or safe_name(parts[4]) != parts[4]):
        raise NotFound("Attachment upload not found")
    try:
        got = aws.client("s3").get_object(Bucket=storage.bucket(), Key=key, Range=f"bytes=0-{filetypes.SNIFF_BYTES - 1}")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise NotFound("Attachment upload not found") from None
        if code == "InvalidRange":  # an empty object
            delete([key])
            raise Invalid("The file is empty", field="attachments") from None
        raise
    head = got["Body"].read()
    total = got.get("ContentRange", "").rpartition("/")[2]
    size = int(total) if total.isdigit() else int(got.get("ContentLength") or len(head))
    declared = filetypes.normalize(got.get("ContentType")) or "application/octet-stream"
    try:
        _check_size(size)
        kind = filetypes.check(declared, head)
    except (ParleyError, ValueError) as exc:
        delete([key])  # refused for good: nothing may serve it later
        if isinstance(exc, ValueError):
            raise Invalid(str(exc), field="attachments") from None
        raise
    return Accepted(key, None, parts[4], declared, kind, size)


def _inline(item: InlineFile) -> Accepted:
    _check_size(len(item.data))
    declared = _declared(item.content_type)
    try:
        kind = filetypes.check(declared, item.data[:filetypes.SNIFF_BYTES])
    except ValueError as exc:
        raise Invalid(str(exc), field="attachments") from None
    return Accepted(None, item.data, safe_name(item.filename), declared, kind, len(item.data))


def store(conversation: Conversation, item: Accepted) -> dict:
    """Put the file at its final key with headers that make it safe to serve, and return
    the attachment as the message stores it."""
    served_as, inline = filetypes.serving(item.kind)
    key = f"attachments/{conversation.account_id}/{conversation.display_id}/{uuid.uuid4().hex}/{item.name}"
    headers = {"ContentType": served_as, "ContentDisposition": storage.disposition(item.name, inline)}
    if item.source is not None:
        aws.client("s3").copy_object(Bucket=storage.bucket(), Key=key, CopySource={"Bucket": storage.bucket(), "Key": item.source},
                          MetadataDirective="REPLACE", **headers)
    else:
        aws.client("s3").put_object(Bucket=storage.bucket(), Key=key, Body=item.data, **headers)
    extension = item.name.rpartition(".")[2].lower() if "." in item.name else None
    return {"id": ids.next_id("Attachment"), "key": key, "kind": item.kind, "content_type": item.declared,
            "file_type": filetypes.file_type(item.kind, item.declared), "extension": extension,
            "file_size": item.size, "filename": item.name}


def delete(keys: list[str]) -> None:
    """Remove these objects from the attachments bucket (uploads or stored files)."""
    if keys:
        aws.client("s3").delete_objects(Bucket=storage.bucket(), Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
