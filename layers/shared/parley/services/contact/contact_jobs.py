"""Contact CSV import and export: background jobs with a progress record.

Import: the uploaded file is checked (UTF-8 CSV, a known header, at most MAX_IMPORT_ROWS
rows), stored in S3, and one SQS message per chunk of CHUNK_ROWS rows is queued. The
contact-jobs consumer imports a chunk and then adds its counts to the import record in
one versioned write that also marks the chunk done, so a redelivered chunk is skipped.
(A chunk that crashed half-way is run again whole: its rows already written are then
found and counted as updated, never duplicated.)
Rows with a bad email or phone number (or a value another contact holds) are reported on
the record with their line number; they never stop the import. A row whose identifier,
email or phone number (checked in that order) belongs to a contact updates that contact.

Export: a record and one SQS message; the consumer writes the account's contacts as CSV
to S3 and marks the record done; the API serves the file. Cells that a spreadsheet would
run as a formula are prefixed with a quote.

Records live in the account-objects table: "contact_import#<id>", "contact_export#<id>".
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import time

from pynamodb.exceptions import PutError

from ... import audit, aws, dynamo, ids
from ...errors import Conflict, Invalid, NotFound, PayloadTooLarge
from ...models.account_object import AccountObject
from ...models.contact import Contact
from ...settings import get_settings
from ..account import account_objects, custom_attributes
from . import contacts

logger = logging.getLogger(__name__)

IMPORT_KIND, EXPORT_KIND = "contact_import", "contact_export"
MAX_IMPORT_BYTES = 4_000_000  # stays under Lambda's 6 MB request limit once base64-encoded
MAX_IMPORT_ROWS = 10_000
MAX_COLUMNS = 100
CHUNK_ROWS = 100
MAX_REPORTED_FAILURES = 200  # failures kept on the record (the counts are always exact)
MAX_EXPORT_ROWS = 100_000
MAX_EXPORT_CUSTOM_COLUMNS = 50
MAX_CELL = 10_000
STANDARD = ("name", "email", "phone_number", "identifier")
# CSV columns that land in additional_attributes (the ones Chatwoot's contact form shows);
# every other column is a custom attribute.
ADDITIONAL = {"company": "company_name", "company_name": "company_name", "city": "city", "country": "country",
              "country_code": "country_code", "description": "description"}
EXPORT_COLUMNS = ("id", "name", "email", "phone_number", "identifier", "company", "city", "country_code", "labels",
                  "blocked", "created_at", "last_activity_at")
EMAIL = re.compile(r"^[^@\s,;<>\"()\[\]]+@[^@\s,;<>\"()\[\]]+\.[^@\s,;<>\"()\[\]]+$")
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")



# ---------------------------------------------------------------- AWS clients

def _send(messages: list[dict]) -> None:
    url = aws.queue_url(get_settings().required("contact_jobs_queue"))
    for start in range(0, len(messages), 10):
        batch = messages[start:start + 10]
        result = aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(m)} for i, m in enumerate(batch)])
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} contact job messages")


def _bucket() -> str:
    return get_settings().attachments_bucket


# ---------------------------------------------------------------- CSV reading

def _text_of(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("import_file must be a UTF-8 encoded CSV file", field="import_file") from None
    if "\x00" in text:
        raise Invalid("import_file is not a text CSV file", field="import_file")
    return text


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def parse_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(headers, [(line number, cells)]) with blank lines left out. The same text always
    gives the same rows, so the API and the consumer agree on chunk boundaries."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # broken quoting is an error
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise Invalid("import_file has no header row (name,email,phone_number,identifier ...)",
                          field="import_file")
        headers = [_header_name(cell) for cell in header]
        rows = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
                if len(rows) > MAX_IMPORT_ROWS:
                    raise Invalid(f"import_file has more than {MAX_IMPORT_ROWS} rows; split it into several files",
                                  field="import_file")
    except csv.Error as exc:
        raise Invalid(f"import_file is not valid CSV (line {reader.line_num}): {exc}", field="import_file") from None
    return headers, rows


def _check_headers(headers: list[str]) -> None:
    if len(headers) > MAX_COLUMNS:
        raise Invalid(f"import_file has more than {MAX_COLUMNS} columns", field="import_file")
    if any(not h for h in headers):
        raise Invalid("import_file has a column without a name in its header row", field="import_file")
    if any(len(h) > 255 for h in headers):
        raise Invalid("import_file has a column name longer than 255 characters", field="import_file")
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise Invalid(f"import_file names a column twice: {', '.join(duplicates)}", field="import_file")
    if not set(headers) & {"email", "phone_number", "identifier"}:
        raise Invalid("import_file needs an email, phone_number or identifier column", field="import_file")


# ---------------------------------------------------------------- import: the request

def _import_key(account_id: int, import_id: int) -> str:
    return f"contact-imports/{account_id}/{import_id}.csv"


def start_import(account_id: int, user_id: int, data: bytes, file_name: str | None) -> AccountObject:
    """Check the file, store it and queue its chunks. Nothing is stored for a bad file."""
    if not data:
        raise Invalid("import_file is empty", field="import_file")
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"import_file is larger than {MAX_IMPORT_BYTES} bytes")
    headers, rows = parse_csv(_text_of(data))
    _check_headers(headers)
    if not rows:
        raise Invalid("import_file has a header but no rows", field="import_file")
    chunks = (len(rows) + CHUNK_ROWS - 1) // CHUNK_ROWS
    import_id = ids.next_id(ids.account_counter(account_id, IMPORT_KIND))
    aws.client("s3").put_object(Bucket=_bucket(), Key=_import_key(account_id, import_id), Body=data,
                     ContentType="text/csv", ServerSideEncryption="AES256")
    record = AccountObject(account_id, AccountObject.key_for(IMPORT_KIND, import_id), id=import_id, data={
        "status": "pending", "file_name": (file_name or "contacts.csv")[:255], "user_id": user_id,
        "total_rows": len(rows), "chunks": chunks, "done_chunks": [], "processed_rows": 0,
        "created": 0, "updated": 0, "failed": 0, "failures": []})
    record.save(condition=AccountObject.key.does_not_exist())
    try:
        _send([{"job": "import", "account_id": account_id, "import_id": import_id, "chunk": i}
               for i in range(chunks)])
    except Exception:
        logger.exception("queueing contact import %s failed", import_id)
        record.data = {**record.data, "status": "failed", "error": "The import could not be queued; upload it again"}
        record.save()
        raise
    return record


def get_import(account_id: int, import_id: int) -> AccountObject:
    return account_objects.get(account_id, IMPORT_KIND, import_id, "Import")


# ---------------------------------------------------------------- import: the consumer

def _coerce(definitions: dict, key: str, value: str):
    """A CSV cell as the type its custom attribute definition asks for (left as text if
    it does not fit: the definition's check then reports it)."""
    kind = (definitions.get(key) or {}).get("attribute_display_type")
    if kind in ("number", "currency", "percent") and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value) if "." in value else int(value)
    if kind == "checkbox" and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    return value


def _row_fields(headers: list[str], cells: list[str], definitions: dict) -> dict:
    """The contact fields a row sets; Invalid with the reason if it cannot be imported."""
    if len(cells) > len(headers):
        raise Invalid(f"has {len(cells)} cells but the header names {len(headers)} columns")
    values = {h: (c or "").strip() for h, c in zip(headers, cells)}
    if any(len(v) > MAX_CELL for v in values.values()):
        raise Invalid(f"has a cell longer than {MAX_CELL} characters")
    fields: dict = {}
    if values.get("name"):
        fields["name"] = values["name"][:255]
    email = values.get("email")
    if email:
        if len(email) > 254 or not EMAIL.match(email):
            raise Invalid(f"email {email[:60]!r} is not an email address")
        fields["email"] = email.lower()
    phone = values.get("phone_number")
    if phone:
        phone = _PHONE_PUNCTUATION.sub("", phone)
        if not E164.match(phone):
            raise Invalid(f"phone_number {values['phone_number'][:40]!r} is not in E.164 format, like +15551234567")
        fields["phone_number"] = phone
    if values.get("identifier"):
        if len(values["identifier"]) > 255:
            raise Invalid("identifier is longer than 255 characters")
        fields["identifier"] = values["identifier"]
    if not any(fields.get(f) for f in ("email", "phone_number", "identifier")):
        raise Invalid("needs an email, phone_number or identifier")
    additional = {ADDITIONAL[h]: v for h, v in values.items() if h in ADDITIONAL and v}
    custom = {h: _coerce(definitions, h, v) for h, v in values.items()
              if v and h not in STANDARD and h not in ADDITIONAL}
    if additional:
        fields["additional_attributes"] = additional
    if custom:
        fields["custom_attributes"] = custom
    return fields


def _import_row(account_id: int, fields: dict) -> str:
    """Create or update one contact; returns "created" or "updated"."""
    existing = None
    for field in ("identifier", "email", "phone_number"):
        existing = contacts.find_by_unique(account_id, field, fields.get(field))
        if existing is not None:
            break
    if existing is None:
        contacts.new_contact(account_id, **fields)
        return "created"
    changes = dict(fields)
    for key in ("custom_attributes", "additional_attributes"):
        if key in changes:
            changes[key] = {**(getattr(existing, key) or {}), **changes[key]}
    contacts.update_contact(existing, **changes)
    return "updated"


_file_cache: dict[str, tuple[list[str], list[tuple[int, list[str]]]]] = {}


def _import_rows(record: AccountObject):
    """The stored file's rows, parsed once per container (a batch holds several chunks of
    one file). The record's creation time is part of the cache key, so a reused id (a
    fresh test account) never meets an old file."""
    key = _import_key(record.account_id, record.id)
    cache_key = f"{key}@{record.created_at.isoformat()}"
    if cache_key not in _file_cache:
        body = aws.client("s3").get_object(Bucket=_bucket(), Key=key)["Body"].read()
        _file_cache.clear()
        _file_cache[cache_key] = parse_csv(_text_of(body))
    return _file_cache[cache_key]


def process_chunk(account_id: int, import_id: int, chunk: int) -> bool:
    """Import one chunk of rows and record its outcome. False if there was nothing to do
    (the record is gone, or the chunk was already counted)."""
    try:
        record = get_import(account_id, import_id)
    except NotFound:
        logger.warning("contact import %s of account %s is gone; chunk %s skipped", import_id, account_id, chunk)
        return False
    if chunk in record.data.get("done_chunks", []) or not 0 <= chunk < record.data.get("chunks", 0):
        return False
    headers, rows = _import_rows(record)
    definitions = {d.data["attribute_key"]: d.data for d in custom_attributes.all_of(account_id, "contact_attribute")}
    counts = {"created": 0, "updated": 0, "failed": 0}
    failures = []
    for line, cells in rows[chunk * CHUNK_ROWS:(chunk + 1) * CHUNK_ROWS]:
        try:
            outcome = _import_row(account_id, _row_fields(headers, cells, definitions))
        except (Invalid, Conflict, NotFound) as exc:  # this row only: the rest go on
            counts["failed"] += 1
            failures.append({"row": line, "reason": exc.message})
            continue
        counts[outcome] += 1
    processed = sum(counts.values())
    for _ in range(20):
        data = record.data
        if chunk in data.get("done_chunks", []):
            return False
        done = data.get("done_chunks", []) + [chunk]
        record.data = {
            **data, "done_chunks": sorted(done), "processed_rows": data.get("processed_rows", 0) + processed,
            "created": data.get("created", 0) + counts["created"], "updated": data.get("updated", 0) + counts["updated"],
            "failed": data.get("failed", 0) + counts["failed"],
            "failures": sorted(data.get("failures", []) + failures, key=lambda f: f["row"])[:MAX_REPORTED_FAILURES],
            "status": "completed" if len(done) >= data.get("chunks", 0) else "processing",
        }
        try:
            record.save()
            return True
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            record.refresh(consistent_read=True)  # another chunk finished first: add to its counts
    raise Conflict(f"contact import {import_id}: could not record chunk {chunk}")


# ---------------------------------------------------------------- export

def _export_key(account_id: int, export_id: int) -> str:
    return f"contact-exports/{account_id}/{export_id}.csv"


def start_export(account_id: int, user_id: int, column_names: list[str] | None,
                 conditions: list[dict] | None) -> AccountObject:
    columns = list(dict.fromkeys(column_names or EXPORT_COLUMNS))
    unknown = [c for c in columns if c not in EXPORT_COLUMNS]
    if unknown:
        raise Invalid(f"Unknown column_names: {', '.join(unknown)[:200]}; use any of: {', '.join(EXPORT_COLUMNS)}",
                      field="column_names")
    if conditions:
        contacts.compile_filter(conditions)  # a bad filter is a 422 now, not a failed job later
    export_id = ids.next_id(ids.account_counter(account_id, EXPORT_KIND))
    record = AccountObject(account_id, AccountObject.key_for(EXPORT_KIND, export_id), id=export_id, data={
        "status": "pending", "user_id": user_id, "columns": columns, "conditions": conditions or [], "rows": 0})
    # Audited with the record that starts it; the job concludes the entry (run_export).
    with dynamo.transaction() as tx:
        entry = audit.add(tx, account_id, "Contact", None, "export",
                          {"export_id": export_id, "columns": columns, "conditions": conditions or []})
        record.data = {**record.data, "audit_log_id": entry.id}
        tx.save(record, condition=AccountObject.key.does_not_exist())
    try:
        _send([{"job": "export", "account_id": account_id, "export_id": export_id}])
    except Exception:
        logger.exception("queueing contact export %s failed", export_id)
        record.data = {**record.data, "status": "failed", "error": "The export could not be queued; try again"}
        record.save()
        audit.conclude(entry, "failed: the export could not be queued")
        raise
    return record


def get_export(account_id: int, export_id: int) -> AccountObject:
    return account_objects.get(account_id, EXPORT_KIND, export_id, "Export")


def safe_cell(value) -> str:
    """A value as a CSV cell a spreadsheet will not run: text starting like a formula
    gets a leading quote (OWASP's advice for CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(contact: Contact, column: str):
    additional = contact.additional_attributes or {}
    if column == "company":
        return additional.get("company_name") or additional.get("company")
    if column in ("city", "country_code"):
        return additional.get(column)
    if column == "labels":
        return ",".join(contact.labels or [])
    if column == "created_at":
        return contact.created_at.isoformat() if contact.created_at else None
    if column == "last_activity_at":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(contact.last_activity_at)) \
            if contact.last_activity_at else None
    return getattr(contact, column)


def run_export(account_id: int, export_id: int) -> bool:
    """Write the export's CSV to S3 (once: a redelivered message finds it done)."""
    try:
        record = get_export(account_id, export_id)
    except NotFound:
        logger.warning("contact export %s of account %s is gone", export_id, account_id)
        return False
    if record.data.get("status") == "completed":
        return False
    test = contacts.compile_filter(record.data["conditions"]) if record.data.get("conditions") else None
    chosen, custom_keys, truncated = [], {}, False
    for contact in Contact.account_index.query(account_id, page_size=500):
        if not contacts.is_resolved(contact) or (test is not None and not test(contact)):
            continue
        if len(chosen) == MAX_EXPORT_ROWS:
            truncated = True
            break
        chosen.append(contact)
        for key in contact.custom_attributes or {}:
            if len(custom_keys) < MAX_EXPORT_CUSTOM_COLUMNS:
                custom_keys.setdefault(key, None)
    columns = record.data["columns"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns + list(custom_keys)])
    for contact in chosen:
        writer.writerow([safe_cell(_cell(contact, c)) for c in columns]
                        + [safe_cell((contact.custom_attributes or {}).get(k)) for k in custom_keys])
    body = out.getvalue().encode("utf-8")
    aws.client("s3").put_object(Bucket=_bucket(), Key=_export_key(account_id, export_id), Body=body,
                     ContentType="text/csv; charset=utf-8", ServerSideEncryption="AES256")
    record.data = {**record.data, "status": "completed", "rows": len(chosen), "bytes": len(body),
                   "truncated": truncated}
    record.save()
    if record.data.get("audit_log_id"):
        audit.concluded(account_id, record.data["audit_log_id"],
                        f"completed: {len(chosen)} contacts{' (truncated)' if truncated else ''}")
    return True


def export_file(record: AccountObject) -> bytes:
    if record.data.get("status") != "completed":
        raise Conflict("The export is not ready yet", field="status")
    try:
        return aws.client("s3").get_object(Bucket=_bucket(), Key=_export_key(record.account_id, record.id))["Body"].read()
    except aws.client("s3").exceptions.NoSuchKey:
        raise NotFound("The export file is gone") from None


def export_link(record: AccountObject, expires: int = 300) -> str:
    """A short-lived S3 link, for files too large to pass through a Lambda response."""
    return aws.client("s3").generate_presigned_url("get_object", ExpiresIn=expires, Params={
        "Bucket": _bucket(), "Key": _export_key(record.account_id, record.id),
        "ResponseContentDisposition": f'attachment; filename="contacts-{record.id}.csv"'})
