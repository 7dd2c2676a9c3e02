"""Captain's documents: a web page (and the same-site pages it links to) or an uploaded PDF
or text file, turned into text chunks an assistant answers from.

A document is an AccountObject of kind "captain_document" (data: assistant_id, name,
external_link, source "url"|"pdf"|"text", status "in_progress"|"available"|"failed",
error, revision, chunks_key, chunk_count, pages, content_length, content (a preview), named,
truncated, upload_key for an uploaded file). Creating one writes it `in_progress` (audited,
type Captain::Document) and queues one ingest job (the CaptainDocumentsQueue); the worker
(services/captain/ingest.py, run by CaptainDocumentsFunction) fetches and extracts the
text, writes the chunks as ONE JSON object in the uploads bucket at `chunks_key`
(`captain-documents/<account>/<document>/<revision>.json`:
`{"chunks": [{"n", "text", "title", "url"}]}`), then marks it available and bumps the
assistant's knowledge version in one transaction (`finish`), or marks it failed with the
reason (`fail`). A job is idempotent: it acts only on the revision it names while that
revision is still in progress.

Deleting a document deletes the item and bumps the knowledge version in one audited
transaction, then its objects (chunks, the uploaded file). FAQs proposed from it stay
(pending ones wait for a person to approve or delete them; their `document` renders null).
Deleting an assistant deletes its documents (`delete_of_assistant`)."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

from pynamodb.exceptions import PutError, TransactWriteError

from ... import audit, aws, dynamo, ids, outbound, storage
from ...errors import Invalid, NotFound
from ...models.account_object import AccountObject
from ...models.base import utcnow
from ...settings import get_settings
from . import assistants, state

KIND = "captain_document"
AUDITED_TYPE = "Captain::Document"
SOURCES = ("url", "pdf", "text")
STATUSES = ("in_progress", "available", "failed")
PER_PAGE = 25
MAX_LISTED = 10_000  # documents an account can list (one Query, filtered; as FAQs)
PREFIX = "captain-documents"
# Uploaded files: a PDF up to MAX_PDF_BYTES, a UTF-8 text file up to MAX_TEXT_BYTES. They
# come inline (multipart) through API Gateway and Lambda, whose payload limit is 6 MB
# base64-encoded, so forms.parse refuses a body over 4 MB with a 413 before this is reached.
MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_CHUNK_OBJECT = 16 * 1024 * 1024  # bytes of one document's chunk object, as read back
MAX_NAME = 255
PREVIEW_CHARS = 2_000  # `content`: the start of the extracted text, as stored on the item
# A job retried by SQS (its visibility timeout x maxReceiveCount) is over by then: a
# document still in progress after this long is shown failed (its job was lost).
STALE_AFTER = timedelta(hours=2)


def key_for(document_id: int) -> str:
    return AccountObject.key_for(KIND, document_id)


def get(account_id: int, document_id: int) -> AccountObject:
    """The account's document; another account's is not found (the account is in the key)."""
    try:
        return AccountObject.get(account_id, key_for(document_id))
    except AccountObject.DoesNotExist:
        raise NotFound("Document not found") from None


def find(account_id: int, document_id: int) -> AccountObject | None:
    try:
        return AccountObject.get(account_id, key_for(document_id), consistent_read=True)
    except AccountObject.DoesNotExist:
        return None


def all_of(account_id: int) -> list[AccountObject]:
    return list(AccountObject.query(account_id, AccountObject.key.startswith(f"{KIND}#"), limit=MAX_LISTED))


def of_assistant(account_id: int, assistant_id: int) -> list[AccountObject]:
    return [item for item in all_of(account_id) if item.data.get("assistant_id") == assistant_id]


def shown_status(item: AccountObject) -> tuple[str, str | None]:
    """(status, error) as shown: a job lost past every retry shows as failed."""
    status = item.data.get("status") or "in_progress"
    if status == "in_progress" and item.updated_at is not None and utcnow() - item.updated_at > STALE_AFTER:
        return "failed", "Processing did not finish; delete the document and add it again"
    return status, item.data.get("error")


def listing(account_id: int, *, assistant_id: int | None = None, page: int = 1,
            existing: set[int] | None = None) -> tuple[list[AccountObject], int]:
    """One page (25, newest first) of the account's documents, of one assistant if given.
    Documents of an assistant no longer in `existing` (deleted, its documents not yet
    removed) are left out."""
    found = [item for item in all_of(account_id)
             if (existing is None or item.data.get("assistant_id") in existing)
             and (assistant_id is None or item.data.get("assistant_id") == assistant_id)]
    found.sort(key=lambda item: item.id, reverse=True)
    start = (page - 1) * PER_PAGE
    return found[start:start + PER_PAGE], len(found)


# ---------------------------------------------------------------- what the knowledge reads

def available_of(account_id: int, assistant_id: int) -> list[AccountObject]:
    """The assistant's documents whose chunks are ready (one Query of the account's documents)."""
    return [item for item in of_assistant(account_id, assistant_id)
            if item.data.get("status") == "available" and item.data.get("chunks_key")]


def chunks_of(document: AccountObject) -> list[dict]:
    """The document's chunks ([{n, text, title, url}]); [] if it has none (any more)."""
    key = document.data.get("chunks_key")
    if not key:
        return []
    from botocore.exceptions import ClientError

    try:
        got = aws.client("s3").get_object(Bucket=storage.bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return []
        raise
    if int(got.get("ContentLength") or 0) > MAX_CHUNK_OBJECT:
        return []
    try:
        body = json.loads(got["Body"].read(MAX_CHUNK_OBJECT + 1))
    except ValueError:  # garbled (never written so by the worker): the document answers nothing
        return []
    chunks = body.get("chunks") if isinstance(body, dict) else None
    return [chunk for chunk in chunks if isinstance(chunk, dict)] if isinstance(chunks, list) else []


# ---------------------------------------------------------------- create

def _name(name: str | None, fallback: str) -> str:
    name = (name or "").strip() or fallback
    return name[:MAX_NAME]


def create_link(account_id: int, assistant_id: int, external_link: str, name: str | None = None) -> AccountObject:
    """A web page to read (with the same-site pages it links to). The URL must be http(s)
    and not name a private address (checked again, with DNS, on every fetch)."""
    assistant = assistants.get(account_id, assistant_id)  # another account's: 404
    outbound.check_url(external_link, "external_link")
    if any(item.data.get("external_link") == external_link and item.data.get("source") == "url"
           for item in of_assistant(account_id, assistant.id)):
        raise Invalid("external_link has already been taken", field="external_link")
    # Unnamed: the link until the first page is read, then that page's title.
    return _created(assistant, {"name": _name(name, external_link), "external_link": external_link, "source": "url",
                                "named": bool((name or "").strip())})


TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".csv")
WHAT = "Upload a PDF or a UTF-8 text file (.pdf, .txt, .md)"


def source_of(filename: str | None, content_type: str | None) -> str:
    """"pdf" or "text", from what the file claims to be (its content is checked after)."""
    declared = (content_type or "").split(";")[0].strip().lower()
    lower = (filename or "").lower()
    if declared == "application/pdf" or lower.endswith(".pdf"):
        return "pdf"
    if declared.startswith("text/") or lower.endswith(TEXT_SUFFIXES):
        return "text"
    raise Invalid(WHAT, field="pdf_document")


def limit_of(source: str) -> int:
    return MAX_PDF_BYTES if source == "pdf" else MAX_TEXT_BYTES


def _check_size(source: str, size: int) -> None:
    from ...errors import PayloadTooLarge

    if size < 1:
        raise Invalid("The file is empty", field="pdf_document")
    if size > limit_of(source):
        what = "PDF" if source == "pdf" else "text file"
        raise PayloadTooLarge(f"The {what} is {size} bytes; the limit is {limit_of(source) // (1024 * 1024)} MB")


def _check_content(source: str, head: bytes, whole: bytes | None) -> None:
    """A PDF must start as one (a file that claims to be a PDF and is not is refused here;
    one whose inside is broken fails when it is read); a text file must be UTF-8."""
    if source == "pdf":
        if not head[:1024].lstrip().startswith(b"%PDF-"):
            raise Invalid("The file is not a PDF", field="pdf_document")
        return
    try:
        (whole or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("The text file is not UTF-8 text", field="pdf_document") from None


def check_upload(filename: str | None, content_type: str | None, data: bytes) -> str:
    """The source ("pdf" or "text") of a file sent in the request, or a 4xx (413 over the limits)."""
    source = source_of(filename, content_type)
    _check_size(source, len(data))
    _check_content(source, data[:1024], data)
    return source


def create_upload(account_id: int, assistant_id: int, filename: str | None, content_type: str | None,
                  data: bytes, name: str | None = None) -> AccountObject:
    """A PDF or text file sent in the request (multipart): checked, stored under
    captain-documents/<account>/<document>/, then read by the worker."""
    from ..messaging.attachments import safe_name

    assistant = assistants.get(account_id, assistant_id)
    source = check_upload(filename, content_type, data)
    file_name = safe_name(filename or ("document.pdf" if source == "pdf" else "document.txt"))
    return _created(assistant, {"name": _name(name, file_name), "external_link": file_name, "source": source},
                    upload=data)


# A file larger than a request can carry goes straight to S3 with a presigned POST (as
# message attachments do, services/messaging/attachments.py): `uploads/<account>/<uploader>/
# <32 hex>/<name>`, where S3 itself refuses a body over the limit or of another type; the
# document is then created naming it (`signed_id`), and the file is moved under
# captain-documents/. Unused uploads expire with the bucket's lifecycle rule for uploads/.
UPLOAD_SECONDS = 15 * 60


def presign_upload(account_id: int, uploader: str, *, filename: str, content_type: str | None, byte_size: int) -> dict:
    from ..messaging.attachments import safe_name

    source = source_of(filename, content_type)
    _check_size(source, byte_size)  # a 200 MB PDF: 413 before anything is signed or stored
    declared = "application/pdf" if source == "pdf" else "text/plain"
    name = safe_name(filename)
    key = f"uploads/{account_id}/{uploader}/{uuid.uuid4().hex}/{name}"
    post = storage.signer().generate_presigned_post(
        storage.bucket(), key, Fields={"Content-Type": declared},
        Conditions=[{"Content-Type": declared}, ["content-length-range", 1, limit_of(source)]],
        ExpiresIn=UPLOAD_SECONDS)
    return {"key": key, "signed_id": key, "filename": name, "content_type": declared, "byte_size": byte_size,
            "direct_upload": {"url": post["url"], "method": "POST", "fields": post["fields"], "headers": {}},
            "max_file_size": limit_of(source)}


def create_from_upload(account_id: int, assistant_id: int, uploader: str, signed_id: str,
                       name: str | None = None) -> AccountObject:
    """A document from the caller's own presigned upload (another's, or none: 404)."""
    import re

    from botocore.exceptions import ClientError

    assistant = assistants.get(account_id, assistant_id)
    parts = signed_id.split("/") if isinstance(signed_id, str) else []
    if (len(parts) != 5 or parts[:3] != ["uploads", str(account_id), uploader]
            or not re.fullmatch(r"[0-9a-f]{32}", parts[3]) or not parts[4] or len(signed_id) > 400):
        raise NotFound("Upload not found")
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=storage.bucket(), Key=signed_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise NotFound("Upload not found") from None
        raise
    source = source_of(parts[4], head.get("ContentType"))
    size = int(head.get("ContentLength") or 0)
    try:
        _check_size(source, size)
        ranged = {"Range": "bytes=0-1023"} if source == "pdf" else {}  # a text file (2 MB at most) is read whole
        first = s3.get_object(Bucket=storage.bucket(), Key=signed_id, **ranged)["Body"].read()
        _check_content(source, first, None if source == "pdf" else first)
    except Exception:
        s3.delete_object(Bucket=storage.bucket(), Key=signed_id)  # refused for good
        raise
    return _created(assistant, {"name": _name(name, parts[4]), "external_link": parts[4], "source": source},
                    copy_from=signed_id)


def _created(assistant: AccountObject, fields: dict, upload: bytes | None = None,
             copy_from: str | None = None) -> AccountObject:
    account_id = assistant.account_id
    document_id = ids.next_id(ids.account_counter(account_id, KIND))
    revision = uuid.uuid4().hex[:16]
    data = {"assistant_id": assistant.id, **fields, "status": "in_progress", "error": None, "revision": revision,
            "chunks_key": None, "chunk_count": 0, "pages": 0, "content_length": 0, "content": None,
            "truncated": False, "upload_key": None}
    s3 = aws.client("s3")
    stored_as = "application/pdf" if fields["source"] == "pdf" else "text/plain; charset=utf-8"
    if upload is not None or copy_from is not None:
        data["upload_key"] = f"{PREFIX}/{account_id}/{document_id}/upload"
    if upload is not None:
        s3.put_object(Bucket=storage.bucket(), Key=data["upload_key"], Body=upload, ContentType=stored_as)
    elif copy_from is not None:
        s3.copy_object(Bucket=storage.bucket(), Key=data["upload_key"], ContentType=stored_as,
                       MetadataDirective="REPLACE", CopySource={"Bucket": storage.bucket(), "Key": copy_from})
        s3.delete_object(Bucket=storage.bucket(), Key=copy_from)
    item = AccountObject(account_id, key_for(document_id), id=document_id, data=data)
    item.updated_at = utcnow()
    try:
        with dynamo.transaction() as tx:
            tx.save(item, condition=AccountObject.key.does_not_exist())
            tx.condition_check(AccountObject, account_id, assistant.key, condition=AccountObject.key.exists())
            audit.add(tx, account_id, AUDITED_TYPE, document_id, "create",
                      {k: data[k] for k in ("assistant_id", "name", "external_link", "source", "status")})
    except TransactWriteError as exc:
        if data["upload_key"]:
            s3.delete_object(Bucket=storage.bucket(), Key=data["upload_key"])
        if "ConditionalCheckFailed" in dynamo.cancellation_codes(exc):
            assistants.get(account_id, assistant.id)  # deleted meanwhile: 404
        raise
    try:
        enqueue(item)
    except Exception:  # the job could not be queued: say so on the document, never leave it waiting
        fail(item, "The document could not be queued for processing; delete it and add it again")
        item.refresh()
    return item


def enqueue(item: AccountObject) -> None:
    url = aws.queue_url(get_settings().required("captain_documents_queue"))
    aws.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(
        {"account_id": item.account_id, "document_id": item.id, "revision": item.data["revision"]}))


# ---------------------------------------------------------------- the worker's outcome

def chunks_key(item: AccountObject) -> str:
    return f"{PREFIX}/{item.account_id}/{item.id}/{item.data['revision']}.json"


def _pending():
    """With the version condition pynamodb adds (the version the worker read, when the
    document was this revision and in progress): the document is unchanged since."""
    return AccountObject.key.exists()


def finish(item: AccountObject, chunks: list[dict], *, pages: int, content_length: int, preview: str,
           truncated: bool, title: str | None = None) -> bool:
    """Write the chunks object, then in one transaction mark the document available and bump
    its assistant's knowledge version. False (and the object removed) if the document was
    deleted or already finished meanwhile."""
    key = chunks_key(item)
    s3 = aws.client("s3")
    s3.put_object(Bucket=storage.bucket(), Key=key, ContentType="application/json",
                  Body=json.dumps({"chunks": chunks}, ensure_ascii=False).encode("utf-8"))
    item.data = {**item.data, "status": "available", "error": None, "chunks_key": key, "chunk_count": len(chunks),
                 "pages": pages, "content_length": content_length, "content": preview[:PREVIEW_CHARS],
                 "truncated": truncated}
    if title and item.data.get("named") is False:
        item.data["name"] = _name(title, item.data.get("external_link") or "")
    item.updated_at = utcnow()
    try:
        with dynamo.transaction() as tx:
            tx.save(item, condition=_pending())
            state.bump(tx, item.account_id, item.data["assistant_id"])
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" not in dynamo.cancellation_codes(exc):
            raise
        current = find(item.account_id, item.id)
        if current is None or current.data.get("chunks_key") != key:
            s3.delete_object(Bucket=storage.bucket(), Key=key)
        return False
    return True


def fail(item: AccountObject, reason: str) -> bool:
    """Mark the document failed with `reason` (shown as its `error`); False if it was
    deleted or finished meanwhile."""
    item.data = {**item.data, "status": "failed", "error": reason[:500]}
    item.updated_at = utcnow()
    try:
        item.save(condition=_pending())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


# ---------------------------------------------------------------- delete

def delete(item: AccountObject) -> None:
    """The document, and (if it was answerable) a bump of its assistant's knowledge version,
    in one audited transaction; then its objects in the bucket."""
    with dynamo.transaction() as tx:
        # Not versioned: a worker finishing meanwhile does not hold the deletion up (its
        # objects have known keys, removed below either way).
        tx.delete(item, condition=AccountObject.key.exists(), add_version_condition=False)
        state.bump(tx, item.account_id, item.data.get("assistant_id") or 0)
        audit.add(tx, item.account_id, AUDITED_TYPE, item.id, "destroy",
                  {k: item.data.get(k) for k in ("assistant_id", "name", "external_link", "source", "status")})
    _remove_objects(item)


def _remove_objects(item: AccountObject) -> None:
    """The document's objects: their keys follow from the item (one revision a document)."""
    keys = [chunks_key(item)] + ([item.data["upload_key"]] if item.data.get("upload_key") else [])
    aws.client("s3").delete_objects(Bucket=storage.bucket(), Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})


def delete_of_assistant(account_id: int, assistant_id: int) -> int:
    """Remove a deleted assistant's documents and their objects (after the assistant's own
    transaction; the listing already hides them meanwhile). A worker finishing one of them
    afterwards finds it gone and removes its own chunks object."""
    doomed = of_assistant(account_id, assistant_id)
    with AccountObject.batch_write() as batch:
        for item in doomed:
            batch.delete(item)
    for item in doomed:
        _remove_objects(item)
    return len(doomed)


def upload_of(item: AccountObject) -> bytes:
    return aws.client("s3").get_object(Bucket=storage.bucket(), Key=item.data["upload_key"])["Body"].read()
