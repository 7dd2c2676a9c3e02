"""/api/v1/accounts/{account_id}/captain/documents: Captain's documents, as Chatwoot's API.

- GET documents (?assistant_id=, ?page=): 25 a page, newest first, {payload, meta: {total_count, page}}.
- POST documents: a web page, `{document: {external_link, assistant_id, name?}}` (flat too),
  or an uploaded PDF or UTF-8 text file as multipart/form-data: the file in `pdf_document`,
  `document[pdf_document]`, `file` or `document[file]`, with `assistant_id` / `document[assistant_id]`
  and optionally `name`. Answers the document, `in_progress`; the worker makes it `available`
  or `failed` (with `error`).
- GET documents/{id}; DELETE documents/{id} (204, as Chatwoot).
- POST documents/direct_uploads (`{blob: {filename, content_type, byte_size}}`): a presigned
  S3 POST for a file larger than a request can carry (4 MB inline; PDFs up to 20 MB); the
  document is then created with `{document: {assistant_id, signed_id, name?}}` (or the
  signed_id as the text value of the multipart file field).

Who: administrators, and custom roles granting knowledge_base_manage (as for FAQs); other
members 403. Another account's documents and assistants are not found (404)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field, StrictInt

from api import Body, UploadBlob, account_member, body, json_body, parse, path_id, principal, query
from parley import permissions
from parley.errors import Invalid, NotFound
from parley.services.captain import assistants, documents
from parley.views import captain as view

router = Router()

DOCUMENTS = "/api/v1/accounts/<account_id>/captain/documents"
FILE_FIELDS = ("pdf_document", "document[pdf_document]", "file", "document[file]")


class DocumentCreate(Body):
    external_link: str = Field(min_length=1, max_length=2048)
    assistant_id: StrictInt
    name: str | None = Field(default=None, max_length=documents.MAX_NAME)


class UploadedCreate(Body):
    signed_id: str = Field(min_length=1, max_length=400)
    assistant_id: StrictInt
    name: str | None = Field(default=None, max_length=documents.MAX_NAME)


class UploadFields(Body):
    assistant_id: int
    name: str | None = Field(default=None, max_length=documents.MAX_NAME)


class DocumentQuery(Body):
    assistant_id: int | None = None
    page: int = Field(default=1, ge=1, le=10_000)


def _member(account_id: str) -> int:
    """Administrators and knowledge_base_manage (403 for anyone else in the account)."""
    account, member = account_member(router, account_id)
    permissions.require(member, permissions.KNOWLEDGE_BASE_MANAGE)
    return account


def _render(item) -> dict:
    try:
        owner = assistants.get(item.account_id, item.data.get("assistant_id") or 0)
    except NotFound:  # the assistant deleted, its documents not yet removed
        owner = None
    return view.document(item, owner, documents.shown_status(item))


def _uploader() -> str:
    from parley.services.messaging.attachments import user_uploader

    return user_uploader(principal(router).user.id)


def _upload(account: int):
    import forms  # multipart parsing, on this path only

    fields, files, uploads = forms.parse(router, FILE_FIELDS)
    if len(files) + len(uploads) != 1:
        raise Invalid("Upload exactly one file, in the field pdf_document", field="pdf_document")
    given = {name.removeprefix("document[").removesuffix("]"): value for name, value in fields.items()}
    params = parse(UploadFields, given)
    if uploads:
        return documents.create_from_upload(account, params.assistant_id, _uploader(), uploads[0], params.name)
    upload = files[0]
    return documents.create_upload(account, params.assistant_id, upload.filename, upload.content_type, upload.data,
                                   params.name)


@router.get(DOCUMENTS)
def index_documents(account_id: str):
    account = _member(account_id)
    params = query(router, DocumentQuery)
    owners = {item.id: item for item in assistants.all_of(account)}
    found, total = documents.listing(account, assistant_id=params.assistant_id, page=params.page, existing=set(owners))
    return view.documents(found, owners, [documents.shown_status(item) for item in found], total, params.page)


@router.post(DOCUMENTS)
def create_document(account_id: str):
    import forms

    account = _member(account_id)
    if forms.is_multipart(router):
        return _render(_upload(account))
    data = json_body(router)
    if set(data) == {"document"} and isinstance(data["document"], dict):
        data = data["document"]
    if "signed_id" in data:
        uploaded = parse(UploadedCreate, data)
        return _render(documents.create_from_upload(account, uploaded.assistant_id, _uploader(), uploaded.signed_id,
                                                    uploaded.name))
    given = parse(DocumentCreate, data)
    return _render(documents.create_link(account, given.assistant_id, given.external_link, given.name))


@router.post(f"{DOCUMENTS}/direct_uploads")
def direct_upload(account_id: str):
    """A presigned S3 POST for one PDF or text file the caller will make a document of."""
    account = _member(account_id)
    blob = body(router, UploadBlob, wrapper="blob")
    return documents.presign_upload(account, _uploader(), filename=blob.filename, content_type=blob.content_type,
                                    byte_size=blob.byte_size)


@router.get(f"{DOCUMENTS}/<document_id>")
def show_document(account_id: str, document_id: str):
    return _render(documents.get(_member(account_id), path_id(document_id)))


@router.delete(f"{DOCUMENTS}/<document_id>")
def delete_document(account_id: str, document_id: str):
    documents.delete(documents.get(_member(account_id), path_id(document_id)))
    return Response(status_code=204, body="")  # Chatwoot: head :no_content
