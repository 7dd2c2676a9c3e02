"""Attachments: presigned upload to (moto) S3, a message naming the upload, content sniffing,
size limits, safe serving, tenant and visitor isolation; multipart for Chatwoot clients.

Uploads go through local/s3.py's LocalS3, which checks the presigned POST policy the way
S3 does (moto alone checks none of it)."""
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from local.s3 import LocalS3, PolicyError
from tests.spec import assert_matches

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
MESSAGES = "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"


def bucket() -> str:
    from parley.settings import get_settings

    return get_settings().attachments_bucket


def s3():
    return boto3.client("s3", region_name="us-east-1")


def keys(prefix: str) -> list[str]:
    return [o["Key"] for o in s3().list_objects_v2(Bucket=bucket(), Prefix=prefix).get("Contents", [])]


def exists(key: str) -> bool:
    return bool(keys(key))


def upload(presigned: dict, data: bytes) -> None:
    """What the browser does with direct_upload: a multipart POST of the fields + file."""
    url = urlparse(presigned["direct_upload"]["url"])
    name = url.hostname.split(".s3")[0] if ".s3" in url.hostname else url.path.strip("/").split("/")[-1]
    assert name == bucket()
    LocalS3(s3()).post(name, {k.lower(): v for k, v in presigned["direct_upload"]["fields"].items()}, data)


@pytest.fixture
def chat(api, world, website):
    """A visitor's conversation in Acme's website inbox."""
    visitor = website.widget.start()
    assert website.widget.say(visitor, "Hello, I have a file").status == 200
    reply = api.get(f"/api/v1/accounts/{world.account_id}/conversations", world.admin.token)
    conversation_id = reply.json["data"]["payload"][0]["id"]
    return visitor, conversation_id, MESSAGES.format(account_id=world.account_id, conversation_id=conversation_id)


def presign(api, world, conversation_id, token=None, *, filename="pic.png", content_type="image/png", size=None,
            data=PNG):
    return api.post(f"/api/v1/accounts/{world.account_id}/conversations/{conversation_id}/direct_uploads",
                    token or world.admin.token,
                    body={"blob": {"filename": filename, "content_type": content_type,
                                   "byte_size": len(data) if size is None else size}})


def multipart(fields: dict[str, str], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, filename, content_type, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_agent_uploads_an_image_and_sends_it(api, world, website, chat):
    visitor, conversation_id, messages = chat
    presigned = presign(api, world, conversation_id)
    assert presigned.status == 200, presigned.json
    key = presigned.json["signed_id"]
    assert key.startswith(f"uploads/{world.account_id}/u{world.admin.id}/")
    fields = presigned.json["direct_upload"]["fields"]
    assert fields["Content-Type"] == "image/png" and "policy" in fields
    upload(presigned.json, PNG)

    reply = api.post(messages, world.admin.token, body={"content": "", "attachments": [key]})
    assert reply.status == 200, reply.json
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    [shown] = reply.json["attachments"]
    assert {k: shown[k] for k in ("message_id", "file_type", "account_id", "extension", "file_size")} == {
        "message_id": reply.json["id"], "file_type": "image", "account_id": world.account_id,
        "extension": "png", "file_size": len(PNG)}
    query = parse_qs(urlparse(shown["data_url"]).query)
    assert query["response-content-type"] == ["image/png"]
    assert query["response-content-disposition"][0].startswith("inline;")
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert shown["thumb_url"]

    # Moved under attachments/ with safe headers; the upload is gone.
    assert not exists(key)
    [stored] = keys(f"attachments/{world.account_id}/{conversation_id}/")
    head = s3().head_object(Bucket=bucket(), Key=stored)
    assert head["ContentType"] == "image/png" and head["ContentDisposition"].startswith("inline;")

    # The URL serves the bytes (local/s3.py checks its expiry, as S3 does).
    path = urlparse(shown["data_url"])
    served, headers = LocalS3(s3()).get(bucket(), stored, {k: v[0] for k, v in parse_qs(path.query).items()})
    assert served == PNG and headers["content-type"] == "image/png"

    listed = api.get(messages, world.admin.token)
    assert_matches(listed.json, "get", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
    assert listed.json["payload"][-1]["attachments"][0]["id"] == shown["id"]
    # The visitor's widget gets the same image.
    widget_messages = website.widget.call("GET", "messages", visitor).json["payload"]
    assert widget_messages[-1]["attachments"][0]["file_type"] == "image"

    # The conversation keeps its last message with the file's record, not a URL that
    # would expire while stored; the list signs a fresh one each time it is read.
    from parley.models.conversation import Conversation

    kept = Conversation.get(world.account_id, conversation_id).last_message
    assert kept["attachments"][0]["key"] == stored and "data_url" not in kept["attachments"][0]
    row = next(c for c in api.get(f"/api/v1/accounts/{world.account_id}/conversations",
                                  world.admin.token).json["data"]["payload"] if c["id"] == conversation_id)
    [in_list] = row["messages"][0]["attachments"]
    assert in_list["id"] == shown["id"] and in_list["data_url"].startswith("http") and "key" not in in_list
    assert row["last_non_activity_message"]["attachments"] == row["messages"][0]["attachments"]

    # Deleting the message removes its file from the bucket.
    assert api.delete(f"{messages}/{reply.json['id']}", world.admin.token).status == 200
    assert not exists(stored)


def test_a_lie_is_refused_and_deleted(api, world, chat):
    _, conversation_id, messages = chat
    before = len(api.get(messages, world.admin.token).json["payload"])
    presigned = presign(api, world, conversation_id, data=HTML).json
    upload(presigned, HTML)  # declared image/png, but it is a page with a script
    reply = api.post(messages, world.admin.token, body={"content": "x", "attachments": [presigned["signed_id"]]})
    assert reply.status == 422, reply.json
    assert "declared as image/png" in reply.json["error"]
    assert not exists(presigned["signed_id"])
    assert len(api.get(messages, world.admin.token).json["payload"]) == before


def test_one_bad_file_changes_nothing(api, world, chat):
    _, conversation_id, messages = chat
    good = presign(api, world, conversation_id).json
    bad = presign(api, world, conversation_id, filename="doc.pdf", content_type="application/pdf", data=PNG).json
    upload(good, PNG)
    upload(bad, PNG)
    reply = api.post(messages, world.admin.token, body={"content": "x", "attachments": [good["signed_id"], bad["signed_id"]]})
    assert reply.status == 422
    assert exists(good["signed_id"]) and not exists(bad["signed_id"])
    assert keys(f"attachments/{world.account_id}/") == []
    # The honest one can still be sent, without text; without files, text is required.
    assert api.post(messages, world.admin.token, body={"attachments": [good["signed_id"]]}).status == 200
    assert api.post(messages, world.admin.token, body={"content": " "}).status == 422
    assert api.post(messages, world.admin.token, body={"attachments": []}).status == 422


def test_size_limit(api, world, chat):
    from parley import global_config

    _, conversation_id, messages = chat
    assert presign(api, world, conversation_id, size=41 * 1024 * 1024).status == 413
    assert presign(api, world, conversation_id, size=0).status == 422
    global_config.update("MAXIMUM_FILE_UPLOAD_SIZE", 1)
    presigned = presign(api, world, conversation_id, size=1024).json
    big = PNG + b"\x00" * (1024 * 1024)
    with pytest.raises(PolicyError) as refused:  # S3 refuses the body: content-length-range
        upload(presigned, big)
    assert refused.value.code == "EntityTooLarge"
    # Written past the policy (it can't be, on S3): still refused when attached, and deleted.
    s3().put_object(Bucket=bucket(), Key=presigned["signed_id"], Body=big, ContentType="image/png")
    reply = api.post(messages, world.admin.token, body={"attachments": [presigned["signed_id"]]})
    assert reply.status == 413 and "limit is 1 MB" in reply.json["error"]
    assert not exists(presigned["signed_id"])

    # The policy also pins the declared type and the key.
    presigned = presign(api, world, conversation_id).json
    fields = {k.lower(): v for k, v in presigned["direct_upload"]["fields"].items()}
    for change in ({"content-type": "text/html"}, {"key": presigned["signed_id"] + "x"}, {"x-amz-signature": "0" * 64}):
        with pytest.raises(PolicyError):
            LocalS3(s3()).post(bucket(), {**fields, **change}, PNG)


def test_markup_is_served_as_an_attachment(api, world, chat):
    _, conversation_id, messages = chat
    for filename, content_type, data in (("logo.svg", "image/svg+xml", SVG), ("page.html", "text/html", HTML)):
        _markup_served_as_attachment(api, world, conversation_id, messages, filename, content_type, data)


def _markup_served_as_attachment(api, world, conversation_id, messages, filename, content_type, data):
    presigned = presign(api, world, conversation_id, filename=filename, content_type=content_type, data=data).json
    upload(presigned, data)
    reply = api.post(messages, world.admin.token, body={"content": "file", "attachments": [presigned["signed_id"]]})
    assert reply.status == 200, reply.json
    [shown] = reply.json["attachments"]
    assert shown["file_type"] == "file" and shown["thumb_url"] == ""
    query = parse_qs(urlparse(shown["data_url"]).query)
    assert query["response-content-disposition"] == [f'attachment; filename="{filename}"']
    assert query["response-content-type"] == ["text/plain; charset=utf-8"]
    [stored] = [k for k in keys(f"attachments/{world.account_id}/") if k.endswith("/" + filename)]
    head = s3().head_object(Bucket=bucket(), Key=stored)
    assert head["ContentDisposition"].startswith("attachment;") and head["ContentType"].startswith("text/plain")


def test_another_accounts_upload_is_not_found(api, world, chat):
    _, conversation_id, messages = chat
    ours = presign(api, world, conversation_id).json
    upload(ours, PNG)
    foreign = ours["signed_id"].replace(f"uploads/{world.account_id}/", f"uploads/{world.other_account_id}/")
    s3().put_object(Bucket=bucket(), Key=foreign, Body=PNG, ContentType="image/png")
    reply = api.post(messages, world.admin.token, body={"content": "x", "attachments": [foreign]})
    assert reply.status == 404
    # Another agent's upload in the same account is not the caller's either.
    reply = api.post(messages, world.agent.token, body={"content": "x", "attachments": [ours["signed_id"]]})
    assert reply.status == 404
    for bad in ("../../etc/passwd", f"attachments/{world.account_id}/1/x/y.png", ""):
        assert api.post(messages, world.admin.token, body={"content": "x", "attachments": [bad]}).status == 404
    # Globex's administrator cannot get an upload URL into Acme's conversation.
    assert presign(api, world, conversation_id, token=world.other_admin.token).status == 404


def test_visitor_uploads_a_pdf_and_cannot_use_another_visitors(api, world, website, chat):
    visitor, conversation_id, messages = chat
    widget = website.widget
    reply = widget.call("POST", "direct_uploads", visitor, body={"blob": {
        "filename": "invoice.pdf", "content_type": "application/pdf", "byte_size": len(PDF)}})
    assert reply.status == 200, reply.json
    signed_id = reply.json["signed_id"]
    assert signed_id.startswith(f"uploads/{world.account_id}/c{visitor.contact_id}/")
    upload(reply.json, PDF)

    other = widget.start()
    stolen = widget.call("POST", "messages", other, body={"message": {"content": "mine", "attachments": [signed_id]}})
    assert stolen.status == 404
    assert exists(signed_id)

    sent = widget.call("POST", "messages", visitor, body={"message": {"content": "", "attachments": [signed_id]}})
    assert sent.status == 200, sent.json
    assert sent.json["attachments"][0]["file_type"] == "file"
    agent_view = api.get(messages, world.admin.token).json["payload"][-1]["attachments"][0]
    assert agent_view["extension"] == "pdf"
    assert parse_qs(urlparse(agent_view["data_url"]).query)["response-content-disposition"] == [
        'attachment; filename="invoice.pdf"']
    blob = {"blob": {"filename": "a.pdf", "byte_size": 3}}
    assert widget.call("POST", "direct_uploads", body=blob, headers={"X-Auth-Token": "a.b.c"}).status == 401
    # No token at all: a new visitor about to send its first file, with uploads of its own.
    fresh = widget.call("POST", "direct_uploads", body=blob)
    assert fresh.status == 200 and fresh.json["widget_auth_token"]
    assert not fresh.json["signed_id"].startswith(f"uploads/{world.account_id}/c{visitor.contact_id}/")

    # The inbox's widget settings can turn attachments off.
    changed = api.patch(f"/api/v1/accounts/{world.account_id}/inboxes/{website.id}", world.admin.token,
                        body={"channel": {"selected_feature_flags": ["emoji_picker"]}})
    assert changed.status == 200, changed.json
    refused = widget.call("POST", "direct_uploads", visitor, body={"blob": {"filename": "a.pdf", "byte_size": 3}})
    assert refused.status == 403


def test_multipart_messages_for_chatwoot_clients(api, world, website, chat):
    visitor, conversation_id, messages = chat
    raw, content_type = multipart({"content": "the report", "private": "false"},
                                  [("attachments[]", "report.pdf", "application/pdf", PDF)])
    reply = api.post(messages, world.admin.token, raw_body=raw, headers={"content-type": content_type})
    assert reply.status == 200, reply.json
    assert reply.json["content"] == "the report" and reply.json["attachments"][0]["extension"] == "pdf"
    assert_matches(reply.json, "post", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")

    raw, content_type = multipart({"message[content]": "", "message[timestamp]": "x"},
                                  [("message[attachments][]", "shot.png", "image/png", PNG)])
    reply = website.widget.call("POST", "messages", visitor, raw_body=raw, headers={"content-type": content_type})
    assert reply.status == 200, reply.json
    assert reply.json["attachments"][0]["file_type"] == "image"

    before = len(keys(f"attachments/{world.account_id}/"))
    raw, content_type = multipart({"content": "x"}, [("attachments[]", "a.png", "image/png", HTML)])
    reply = api.post(messages, world.admin.token, raw_body=raw, headers={"content-type": content_type})
    assert reply.status == 422
    assert len(keys(f"attachments/{world.account_id}/")) == before
    # A new visitor's first message with a lying file starts no conversation.
    newcomer = website.widget.start()
    raw, content_type = multipart({"message[content]": "hi"}, [("message[attachments][]", "a.png", "image/png", HTML)])
    reply = website.widget.call("POST", "messages", newcomer, raw_body=raw, headers={"content-type": content_type})
    assert reply.status == 422
    assert website.widget.call("GET", "conversations", newcomer).json == []
    raw, content_type = multipart({"content": "x"}, [("avatar", "a.png", "image/png", PNG)])
    assert api.post(messages, world.admin.token, raw_body=raw, headers={"content-type": content_type}).status == 400
    garbage = api.post(messages, world.admin.token, raw_body=b"\x00\xff--nope",
                       headers={"content-type": "multipart/form-data; boundary=zzz"})
    assert garbage.status == 400
