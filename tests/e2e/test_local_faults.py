"""The local stack's faults, performed for real: DynamoDB Local missing, Java missing, its
port taken, a corrupt data folder, DynamoDB Local dying under a running stack, and a
kill -9 of the whole stack in the middle of a burst of webhooks. Each gives a clear
message; after a restart every acknowledged update is stored exactly once."""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

import httpx
import pytest

from local import dynamodb
from local.dynamodb import DATABASE_FILE, DynamoDBLocal, EngineError
from local.process import LocalStack, free_port

BOT_TOKEN = "7000003:AAfaultsFAULTSfaults0000000000001"
FIRST_CHAT = 770_000_000


def test_dynamodb_local_not_installed_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(dynamodb, "PACKAGE", tmp_path / "nothing-here")
    with pytest.raises(EngineError, match=r"not installed.*make dev"):
        DynamoDBLocal(free_port()).start()


def test_java_missing_names_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="openjdk-17-jre-headless"):
        DynamoDBLocal(free_port()).start()


def test_a_taken_port_is_named():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(EngineError, match=f"port {port} is taken"):
            DynamoDBLocal(port).start()


def test_a_corrupt_data_folder_is_named_and_left_alone(tmp_path):
    data = tmp_path / "dynamodb"
    data.mkdir()
    garbage = b"not a database, a disk error's leftovers " * 100
    (data / DATABASE_FILE).write_bytes(garbage)
    engine = DynamoDBLocal(free_port(), data, log=tmp_path / "dynamodb.log")
    with pytest.raises(EngineError, match="may be corrupt: move .* aside"):
        engine.start()
    assert not engine.alive() and (data / DATABASE_FILE).read_bytes() == garbage  # nothing overwritten


def test_the_stack_refuses_to_start_without_its_database(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        stack = LocalStack(tmp_path / "state", free_port())
        stack.state_dir.mkdir()
        stack.env_extra = {"PARLEY_DYNAMODB_PORT": str(holder.getsockname()[1])}
        with pytest.raises(RuntimeError, match="Parley cannot start: port .* is taken"):
            stack.start()
        assert stack.exit_code == 1


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _java_child(pid: int) -> int:
    for child in _children(pid):
        with open(f"/proc/{child}/cmdline", "rb") as f:
            if b"DynamoDBLocal.jar" in f.read():
                return child
    raise AssertionError("no DynamoDB Local child")


def _update(chat_id: int, n: int) -> dict:
    person = {"id": chat_id, "first_name": "Burst", "last_name": str(chat_id - FIRST_CHAT)}
    return {"update_id": chat_id * 1000 + n, "message": {
        "message_id": n + 1, "from": {**person, "is_bot": False}, "chat": {**person, "type": "private"},
        "date": int(time.time()), "text": f"burst {chat_id}:{n}"}}


def test_kill_9_mid_burst_loses_and_duplicates_nothing_acknowledged(tmp_path):
    """Four chats post updates as fast as the stack answers; the whole stack (runner,
    containers, DynamoDB Local) is killed with SIGKILL mid-burst. After a restart every
    update that got a 200 is stored, each exactly once. Then DynamoDB Local alone dies
    under the running stack: it stops with exit code 1 and says why (one stack for both
    faults: each start costs a JVM and a pool of containers)."""
    stack = LocalStack(tmp_path / "state", free_port())
    stack.state_dir.mkdir()
    stack.start()
    seed = stack.seed
    auth = {"api_access_token": seed["administrator"]["access_token"]}
    account = seed["account"]["id"]
    inbox = httpx.post(f"{stack.base_url}/api/v1/accounts/{account}/inboxes", headers=auth, timeout=30, json={
        "name": "Burst Telegram", "channel": {"type": "telegram", "bot_token": BOT_TOKEN}}).json()
    acknowledged: list[str] = []
    enough = threading.Event()

    def chat(chat_id: int) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": inbox["secret_token"], "content-type": "application/json"}
        with httpx.Client(base_url=stack.base_url, timeout=10) as http:
            for n in range(200):
                body = _update(chat_id, n)
                try:
                    reply = http.post(f"/webhooks/telegram/{BOT_TOKEN}", content=json.dumps(body), headers=headers)
                except httpx.HTTPError:
                    return  # the stack is gone
                if reply.status_code == 200:
                    acknowledged.append(body["message"]["text"])
                    if len(acknowledged) >= 40:
                        enough.set()

    chats = [threading.Thread(target=chat, args=(FIRST_CHAT + c,)) for c in range(4)]
    for t in chats:
        t.start()
    assert enough.wait(120), "the burst did not get going"
    stack.process.kill()  # SIGKILL: no shutdown code runs
    stack.process.wait()
    for t in chats:
        t.join(30)
    assert len(acknowledged) >= 40

    stack.process = None
    stack.start()
    try:
        listing = {"inbox_id": inbox["id"], "status": "all", "assignee_type": "all"}
        # Updates a killed worker had claimed wait out its lease (ingest.LEASE_SECONDS, 60 s)
        # before another finishes them, as on AWS.
        deadline = time.monotonic() + 150
        while True:
            stored = _stored_texts(stack.base_url, account, auth, listing)
            if set(acknowledged) <= set(stored) or time.monotonic() > deadline:
                break
            time.sleep(1)
        missing = set(acknowledged) - set(stored)
        assert not missing, f"{len(missing)} acknowledged updates lost, e.g. {sorted(missing)[:3]}"
        duplicated = {text for text in stored if stored.count(text) > 1}
        assert not duplicated, f"stored twice: {sorted(duplicated)[:3]}"

        os.kill(_java_child(stack.process.pid), signal.SIGKILL)
        stack.process.wait(timeout=30)
        assert stack.process.returncode == 1
        assert "DynamoDB Local stopped unexpectedly" in stack.log.read_text()
    finally:
        stack.stop()


def _stored_texts(base: str, account: int, auth: dict, listing: dict) -> list[str]:
    texts = []
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        for conversation in http.get(f"/api/v1/accounts/{account}/conversations", params=listing).json()["data"]["payload"]:
            before = None
            while True:
                page = http.get(f"/api/v1/accounts/{account}/conversations/{conversation['id']}/messages",
                                params={"before": before} if before else None).json()["payload"]
                if not page:
                    break
                texts += [m["content"] for m in page if m["message_type"] == 0]
                before = min(m["id"] for m in page)
    return texts
