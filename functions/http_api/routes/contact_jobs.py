"""/api/v1/accounts/{account_id}/contacts/import and /contacts/export: CSV in and out,
as background jobs with a progress record the dashboard polls. Administrators only, as in
Chatwoot.

The import takes Chatwoot's multipart form (`import_file`) or the CSV itself as the body
(Content-Type text/csv)."""
from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, FilterCondition, admin_membership, body, path_id
from parley.errors import Invalid, PayloadTooLarge
from parley.services.contact import contact_jobs
from parley.views.contacts import contact_export, contact_import

router = Router()

MULTIPART_OVERHEAD = 64_000  # boundaries and part headers around the file
MAX_REQUEST = contact_jobs.MAX_IMPORT_BYTES + MULTIPART_OVERHEAD
INLINE_DOWNLOAD_BYTES = 5_000_000  # larger files go by a presigned S3 link (Lambda's 6 MB response limit)


class ExportBody(Body):
    column_names: list[str] | None = Field(default=None, max_length=50)
    payload: list[FilterCondition] | None = Field(default=None, max_length=20)


def _admin(account_id: str):
    admin = admin_membership(router, account_id)
    return admin.account_id, admin


def _upload() -> tuple[bytes, str | None]:
    """The uploaded CSV and its file name, from a multipart form or a raw CSV body."""
    event = router.current_event
    raw = event.get("body") or ""
    # base64 grows 4/3: refuse an oversized body before decoding it
    if len(raw) > MAX_REQUEST * 4 // 3 + 4:
        raise PayloadTooLarge(f"import_file is larger than {contact_jobs.MAX_IMPORT_BYTES} bytes")
    try:
        data = base64.b64decode(raw, validate=False) if event.get("isBase64Encoded") else raw.encode()
    except ValueError:
        raise Invalid("The request body is not valid base64") from None
    if len(data) > MAX_REQUEST:
        raise PayloadTooLarge(f"import_file is larger than {contact_jobs.MAX_IMPORT_BYTES} bytes")
    content_type = event.get_header_value("content-type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + data)
        if message.is_multipart():
            for part in message.iter_parts():
                if part.get_param("name", header="content-disposition") == "import_file":
                    return part.get_payload(decode=True) or b"", part.get_filename()
        raise Invalid("import_file is missing: send the CSV as the multipart field import_file", field="import_file")
    if content_type.lower().split(";")[0].strip() in ("text/csv", "application/csv", "text/plain"):
        return data, None
    raise Invalid("Send the CSV as multipart/form-data (field import_file) or with Content-Type text/csv",
                  field="import_file")


@router.post("/api/v1/accounts/<account_id>/contacts/import")
def start_import(account_id: str):
    account_id, member = _admin(account_id)
    data, file_name = _upload()
    return contact_import(contact_jobs.start_import(account_id, member.user_id, data, file_name))


@router.get("/api/v1/accounts/<account_id>/contacts/imports/<import_id>")
def show_import(account_id: str, import_id: str):
    account_id, _ = _admin(account_id)
    return contact_import(contact_jobs.get_import(account_id, path_id(import_id)))


def _download_path(account_id: int, export_id: int) -> str:
    return f"/api/v1/accounts/{account_id}/contacts/exports/{export_id}/download"


@router.post("/api/v1/accounts/<account_id>/contacts/export")
def start_export(account_id: str):
    account_id, member = _admin(account_id)
    payload = body(router, ExportBody)
    conditions = [c.model_dump() for c in payload.payload] if payload.payload else None
    record = contact_jobs.start_export(account_id, member.user_id, payload.column_names, conditions)
    return contact_export(record, _download_path(account_id, record.id))


@router.get("/api/v1/accounts/<account_id>/contacts/exports/<export_id>")
def show_export(account_id: str, export_id: str):
    account_id, _ = _admin(account_id)
    record = contact_jobs.get_export(account_id, path_id(export_id))
    return contact_export(record, _download_path(account_id, record.id))


@router.get("/api/v1/accounts/<account_id>/contacts/exports/<export_id>/download")
def download_export(account_id: str, export_id: str):
    account_id, _ = _admin(account_id)
    record = contact_jobs.get_export(account_id, path_id(export_id))
    if record.data.get("status") == "completed" and record.data.get("bytes", 0) > INLINE_DOWNLOAD_BYTES:
        return Response(status_code=302, headers={"Location": contact_jobs.export_link(record)}, body="")
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=contact_jobs.export_file(record),
                    headers={"Content-Disposition": f'attachment; filename="contacts-{record.id}.csv"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
