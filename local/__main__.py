"""`python -m local` (make dev): template.yaml running on this machine.

DynamoDB, SQS, EventBridge, S3 and SES are moto, in this process (`mock_aws`: the
fastest option, and the handlers run in this process anyway). API Gateway, the event
sources and CloudFront are local/gateway.py and local/sources.py. State lives in
PARLEY_STATE_DIR (default .local/) and survives Ctrl-C. See docs/local.md.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import boto3
import uvicorn
from moto import mock_aws

from . import mail, seed
from .cfn import REGION, ROOT, build_stack
from .gateway import MAIL_PATH, MAX_POST_BYTES, Gateway
from .runtime import Runtime, apply_environment, shared_environment
from .s3 import PREFIX as LOCAL_S3_PREFIX, LocalS3
from .sources import EventSources
from .state import Snapshots, widget_token_secret

HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    """uvicorn, telling us when it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            # moto, botocore, the handlers and uvicorn leave ~240,000 long-lived objects;
            # frozen, full collections skip them instead of scanning them every time
            # (each full collection stalls every thread).
            gc.collect()
            gc.freeze()
            self.on_ready()


def _upload_widget_page(session: boto3.Session, stack) -> None:
    """What `aws s3 sync frontend/dist` does for the page the API serves at /widget."""
    page = ROOT / "frontend" / "dist" / "widget" / "index.html"
    if page.is_file():
        session.client("s3").put_object(Bucket=stack.names["FrontendBucket"], Key="widget/index.html",
                                        Body=page.read_bytes(), ContentType="text/html")


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    state_dir = Path(os.environ.get("PARLEY_STATE_DIR") or ROOT / ".local").resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{HOST}:{port}"

    mock = mock_aws()
    mock.start()
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    stack = build_stack(session, parameters={"Stage": "local", "WidgetTokenSecret": widget_token_secret(state_dir)})
    env = shared_environment(stack)
    # Pushes go to this server's @connections endpoint, and clients connect to its /ws.
    env.update(WEBSOCKET_ENDPOINT=base_url, WEBSOCKET_URL=f"ws://{HOST}:{port}/ws", POWERTOOLS_TRACE_DISABLED="true")
    # Browsers upload and download attachments through this server's /s3 (local/s3.py).
    env.update(S3_PUBLIC_ENDPOINT=f"{base_url}{LOCAL_S3_PREFIX}")
    apply_environment(env)

    _upload_widget_page(session, stack)
    runtime = Runtime(stack)
    snapshots = Snapshots(session, runtime.lock, state_dir)
    snapshots.restore()
    cast = seed.ensure(state_dir, base_url)
    mail.ensure_senders(session)
    snapshots.save()
    for function_id in stack.functions:  # cold starts now, not on the first request
        try:
            runtime.handler(function_id)
        except Exception as exc:
            print(f"[{function_id}] cannot be loaded yet ({exc!r}); it will be retried when invoked", file=sys.stderr)

    sources = EventSources(session, stack, runtime)
    sources.start()
    stop_saving = threading.Event()
    saver = snapshots.autosave(runtime, stop_saving)
    gateway = Gateway(stack, runtime.invoke, ROOT / "frontend" / "dist", demo_page=lambda: seed.demo_page(cast, base_url),
                      s3=LocalS3(session.client("s3"), runtime.lock), mail_page=lambda: mail.page(runtime.lock))
    # ws="websockets": uvicorn 0.37's sans-io protocol garbles a refused handshake, and a
    # refused $connect must reach the client as its status code (401, 403, ...).
    config = uvicorn.Config(gateway.app, host=HOST, port=port, ws="websockets", ws_max_size=MAX_POST_BYTES,
                            lifespan="off", log_level="warning")
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)  # one line per request, nothing else
    server = _Server(config, on_ready=lambda: print(seed.banner(cast, base_url, state_dir)
                                                    + f"\n  Mail sent:      {base_url}{MAIL_PATH} (password and confirmation links)",
                                                    flush=True))
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then re-raises the signal: make
    # both end here as KeyboardInterrupt, so the final snapshot below always runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        sources.stop()
        stop_saving.set()
        saver.join()
        snapshots.save()
        mock.stop()
        print("Parley stopped; state saved.", flush=True)


if __name__ == "__main__":
    main()
