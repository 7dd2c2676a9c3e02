"""Contact CSV import and export: the HTTP API queues the work, the real contact_jobs
consumer does it (over moto S3 and SQS), and the records report progress."""
from __future__ import annotations

import base64
import csv
import io
import json
import os

import boto3

from local.sources import sqs_record
from tests.conftest import LambdaContext, http_event, load_function
from tests.integration.test_contacts import base, create
from tests.test_support import table_snapshot

BOUNDARY = "----parleyboundary7MA4YWxk"


def multipart(data: bytes, name: str = "import_file", filename: str = "contacts.csv") -> tuple[bytes, dict]:
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload(api, world, data: bytes, token=None, account_id=None, **kw):
    body, headers = multipart(data, **kw)
    return api.post(f"{base(world, account_id)}/import", token or world.admin.token, raw_body=body, headers=headers)


def queue() -> tuple[object, str, str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=os.environ["CONTACT_JOBS_QUEUE"])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def run_jobs(redeliver: bool = False) -> list[dict]:
    """Deliver every queued message to the consumer as Lambda's SQS poller would; with
    `redeliver`, each batch is delivered twice (a lost delete). Returns the bodies."""
    sqs, url, arn = queue()
    handler = load_function("contact_jobs").lambda_handler
    seen = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return seen
        event = {"Records": [sqs_record(m, arn) for m in messages]}
        for _ in range(2 if redeliver else 1):
            result = handler(event, LambdaContext())
            assert result == {"batchItemFailures": []}, result
        seen += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])


def contact_by_email(world, email: str):
    from parley.services.contact import contacts

    return contacts.find_by_unique(world.account_id, "email", email)


# ---------------------------------------------------------------- import

def test_import_creates_updates_and_reports_bad_rows(api, world):
    existing = create(api, world, email="old@import.test", name="Old Name", custom_attributes={"tier": "gold"})
    rows = ["name,email,phone_number,identifier,company,plan",
            "Ann,ann@import.test,+15550001111,crm-1,Acme Corp,pro",
            "Updated Name,OLD@import.test,,,,silver",
            "Bad Email,not-an-email,,,,",
            "Bad Phone,bp@import.test,12345,,,",
            "",  # blank lines are skipped, not rows
            "No Keys,,,,,x",
            "Ben,ben@import.test,+44 20 7946 0958,,,"]
    reply = upload(api, world, "\r\n".join(rows).encode())
    assert reply.status == 200, reply.json
    job = reply.json
    assert job["status"] == "pending" and job["total_rows"] == 6 and job["file_name"] == "contacts.csv"

    run_jobs()
    done = api.get(f"{base(world)}/imports/{job['id']}", world.admin.token).json
    assert done["status"] == "completed", done
    assert (done["processed_rows"], done["created"], done["updated"], done["failed"]) == (6, 2, 1, 3)
    reasons = {f["row"]: f["reason"] for f in done["failures"]}
    assert set(reasons) == {4, 5, 7}  # CSV line numbers, header is line 1
    assert "not an email address" in reasons[4] and "E.164" in reasons[5]
    assert "email, phone_number or identifier" in reasons[7]

    ann = contact_by_email(world, "ann@import.test")
    assert (ann.name, ann.phone_number, ann.identifier) == ("Ann", "+15550001111", "crm-1")
    assert ann.additional_attributes == {"company_name": "Acme Corp"} and ann.custom_attributes == {"plan": "pro"}
    assert contact_by_email(world, "ben@import.test").phone_number == "+442079460958"
    old = api.get(f"{base(world)}/{existing['id']}", world.admin.token).json["payload"]
    assert old["name"] == "Updated Name"
    assert old["custom_attributes"] == {"tier": "gold", "plan": "silver"}  # merged, not replaced
    # imported contacts are listed and searchable like any other
    assert api.get(f"{base(world)}/search", world.agent.token, query={"q": "ann"}).json["meta"]["count"] == 1


def test_chunks_redelivered_are_counted_once(api, world, monkeypatch):
    from parley.services.contact import contact_jobs

    monkeypatch.setattr(contact_jobs, "CHUNK_ROWS", 3)
    lines = ["email,name"] + [f"p{i}@chunks.test,Person {i}" for i in range(8)]
    job = upload(api, world, "\n".join(lines).encode()).json
    messages = run_jobs(redeliver=True)
    assert sorted(m["chunk"] for m in messages) == [0, 1, 2]
    done = api.get(f"{base(world)}/imports/{job['id']}", world.admin.token).json
    assert (done["status"], done["processed_rows"], done["created"], done["updated"]) == ("completed", 8, 8, 0)
    assert api.get(base(world), world.admin.token).json["meta"]["count"] == 8


def test_raw_csv_body_and_existing_by_identifier_or_phone(api, world):
    by_id = create(api, world, identifier="ext-9", name="By Id")
    by_phone = create(api, world, phone_number="+15557770000", name="By Phone")
    data = b"\xef\xbb\xbfIdentifier,Name,Phone Number\next-9,Renamed,\n,Phoned,+1 (555) 777-0000\n"  # BOM, odd headers
    reply = api.post(f"{base(world)}/import", world.admin.token, raw_body=data, headers={"Content-Type": "text/csv"})
    assert reply.status == 200, reply.json
    run_jobs()
    done = api.get(f"{base(world)}/imports/{reply.json['id']}", world.admin.token).json
    assert (done["created"], done["updated"], done["failed"]) == (0, 2, 0), done
    assert api.get(f"{base(world)}/{by_id['id']}", world.admin.token).json["payload"]["name"] == "Renamed"
    assert api.get(f"{base(world)}/{by_phone['id']}", world.admin.token).json["payload"]["name"] == "Phoned"


def test_row_that_takes_another_contacts_value_is_reported(api, world):
    create(api, world, email="a@clash.test")
    create(api, world, email="b@clash.test", phone_number="+15551110000")
    # a@ exists, and the row would give it b@'s phone number
    job = upload(api, world, b"email,phone_number\na@clash.test,+15551110000\n").json
    run_jobs()
    done = api.get(f"{base(world)}/imports/{job['id']}", world.admin.token).json
    assert done["failed"] == 1 and "already been taken" in done["failures"][0]["reason"]
    assert contact_by_email(world, "a@clash.test").phone_number is None


def test_bad_files_are_refused_and_nothing_is_stored(api, world):
    from parley.services.contact import contact_jobs

    before = table_snapshot()
    cases = [
        b"",  # empty
        b"\xff\xfe\x00n\x00a",  # not UTF-8
        b"name,email\n",  # header only
        b"name,city\nAnn,Oslo\n",  # no key column
        b"email,email\na@x.test,b@x.test\n",  # a column twice
        b"email,\na@x.test,1\n",  # a column without a name
        b'email,name\n"a@x.test,unterminated\n',  # a quote that never closes
        b"email\x00,name\nx,y\n",  # NUL bytes
    ]
    for data in cases:
        reply = upload(api, world, data)
        assert reply.status == 422, (data, reply.status, reply.json)
        assert reply.json["errors"][0]["field"] == "import_file"
    run_jobs()
    too_many = "email\n" + "\n".join(f"r{i}@x.test" for i in range(contact_jobs.MAX_IMPORT_ROWS + 1))
    assert upload(api, world, too_many.encode()).status == 422
    oversized = b"email\n" + b"a@x.test\n" * (contact_jobs.MAX_IMPORT_BYTES // 9 + 10)
    reply = upload(api, world, oversized)
    assert reply.status == 413, reply.status
    assert upload(api, world, b"email\na@x.test\n", name="wrong_field").status == 422
    assert api.post(f"{base(world)}/import", world.admin.token, body={"email": "a@x.test"}).status == 422
    after = table_snapshot()
    assert {k: v for k, v in after.items() if "Contacts" in k} == {k: v for k, v in before.items() if "Contacts" in k}


def test_import_is_for_administrators_of_the_account(api, world):
    data = b"email\nz@x.test\n"
    assert upload(api, world, data, token=world.agent.token).status == 403
    assert upload(api, world, data, token=world.other_admin.token).status == 404
    job = upload(api, world, data).json
    assert api.get(f"{base(world)}/imports/{job['id']}", world.agent.token).status == 403
    assert api.get(f"{base(world)}/imports/{job['id']}", world.other_admin.token).status == 404
    other = f"{base(world, world.other_account_id)}/imports/{job['id']}"
    assert api.get(other, world.other_admin.token).status == 404  # ids are per account
    assert api.get(f"{base(world)}/imports/abc", world.admin.token).status == 404


def test_malformed_messages_are_dropped_not_retried(api, world):
    handler = load_function("contact_jobs").lambda_handler
    sqs, url, arn = queue()
    for body in ("not json", json.dumps({"job": "import", "account_id": "x"}), json.dumps([1]),
                 json.dumps({"job": "import", "account_id": world.account_id, "import_id": 999, "chunk": 0})):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    assert len(messages) == 4
    result = handler({"Records": [sqs_record(m, arn) for m in messages]}, LambdaContext())
    assert result == {"batchItemFailures": []}


# ---------------------------------------------------------------- export

def download(api, world, export_id: int, token=None):
    path = f"{base(world)}/exports/{export_id}/download"
    return api.app.lambda_handler(http_event("GET", path, headers={"api_access_token": token or world.admin.token}),
                                  LambdaContext())


def test_export_writes_a_safe_csv(api, world):
    create(api, world, email="plain@export.test", name="Plain", custom_attributes={"plan": "pro"})
    create(api, world, email="evil@export.test", name="=HYPERLINK(\"http://x\",\"y\")",
           custom_attributes={"note": "@SUM(1)"}, additional_attributes={"city": "-2+3"})
    create(api, world, identifier="+cmd|' /C calc'!A0", name="Tab\tName")
    started = api.post(f"{base(world)}/export", world.admin.token, body={})
    assert started.status == 200, started.json
    assert started.json["status"] == "pending" and started.json["download_url"] is None
    assert download(api, world, started.json["id"])["statusCode"] == 409  # not ready yet

    run_jobs()
    status = api.get(f"{base(world)}/exports/{started.json['id']}", world.admin.token).json
    assert status["status"] == "completed" and status["rows"] == 3
    response = download(api, world, started.json["id"])
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/csv")
    assert "attachment" in response["headers"]["Content-Disposition"]
    text = base64.b64decode(response["body"]).decode() if response.get("isBase64Encoded") else response["body"]
    table = list(csv.DictReader(io.StringIO(text)))
    by_email = {row["email"]: row for row in table}
    assert by_email["plain@export.test"]["plan"] == "pro" and by_email["plain@export.test"]["name"] == "Plain"
    evil = by_email["evil@export.test"]
    assert evil["name"] == "'=HYPERLINK(\"http://x\",\"y\")" and evil["note"] == "'@SUM(1)" and evil["city"] == "'-2+3"
    third = next(row for row in table if row["identifier"].startswith("'+cmd"))
    assert third["name"] == "Tab\tName"  # a tab inside is harmless; only the first character matters
    for row in table:
        for cell in row.values():
            assert not (cell or "").startswith(("=", "+", "-", "@")), row


def test_export_columns_and_filter(api, world):
    create(api, world, email="keep@export.test", name="Keep", additional_attributes={"city": "Oslo"})
    create(api, world, email="drop@export.test", name="Drop", additional_attributes={"city": "Rome"})
    started = api.post(f"{base(world)}/export", world.admin.token, body={
        "column_names": ["email", "city"],
        "payload": [{"attribute_key": "city", "filter_operator": "equal_to", "values": ["oslo"]}]})
    assert started.status == 200, started.json
    run_jobs()
    response = download(api, world, started.json["id"])
    text = base64.b64decode(response["body"]).decode()
    assert text.splitlines() == ["email,city", "keep@export.test,Oslo"]


def test_export_bad_input_and_permissions(api, world):
    for bad in ({"column_names": ["password"]}, {"column_names": "email"},
                {"payload": [{"attribute_key": "nope", "filter_operator": "equal_to", "values": ["x"]}]},
                {"payload": [{"attribute_key": "email", "filter_operator": "explode", "values": ["x"]}]},
                {"unknown": 1}):
        reply = api.post(f"{base(world)}/export", world.admin.token, body=bad)
        assert reply.status == 422, (bad, reply.json)
    sqs, url, _ = queue()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert api.post(f"{base(world)}/export", world.agent.token, body={}).status == 403
    assert api.post(f"{base(world)}/export", world.other_admin.token, body={}).status == 404
    job = api.post(f"{base(world)}/export", world.admin.token, body={}).json
    run_jobs()
    assert download(api, world, job["id"], world.agent.token)["statusCode"] == 403
    assert download(api, world, job["id"], world.other_admin.token)["statusCode"] == 404
    other = f"{base(world, world.other_account_id)}/exports/{job['id']}"
    assert api.get(other, world.other_admin.token).status == 404
    assert api.get(f"{other}/download", world.other_admin.token).status == 404
    assert api.get(f"{base(world)}/exports/999", world.admin.token).status == 404


def test_exports_do_not_cross_accounts(api, world):
    create(api, world, email="acme@export.test")
    from parley.services.contact import contacts

    contacts.create_contact(world.other_account_id, email="globex@export.test")
    job = api.post(f"{base(world)}/export", world.admin.token, body={}).json
    run_jobs()
    text = base64.b64decode(download(api, world, job["id"])["body"]).decode()
    assert "acme@export.test" in text and "globex@export.test" not in text
