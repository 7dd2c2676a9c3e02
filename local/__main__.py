"""`python -m local` (make dev): template.yaml running on this machine.

- DynamoDB: Amazon DynamoDB Local, a child process with its data in `.local/dynamodb/`
  (local/dynamodb.py).
- The functions: containers in a bounded pool of worker processes (local/runtime.py).
- SQS and EventBridge PutEvents: the runner's own durable engines (local/queues.py,
  local/bus.py); S3, SES, Scheduler and EventBridge's rules: moto's server mode. Both on
  one AWS endpoint in this process (local/aws.py) that the containers reach over HTTP.
- API Gateway, CloudFront and the event sources: local/gateway.py and local/sources.py.

State lives in PARLEY_STATE_DIR (default .local/) and survives Ctrl-C, SIGTERM and a
kill -9. See docs/local.md.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import uvicorn

from . import mail, providers, seed, usage
from .cfn import ROOT
from .dynamodb import DynamoDBLocal, EngineError
from .engines import Engines
from .gateway import MAIL_PATH, MAX_POST_BYTES, Gateway
from .runtime import LAYER, apply_environment
from .s3 import PREFIX as LOCAL_S3_PREFIX, LocalS3
from .state import Snapshots, set_aside_older_data, widget_token_secret

HOST = "127.0.0.1"
# Warmed before the stack says it is ready: the first page load and socket need them.
FIRST_NEEDED = ("HttpApiFunction", "WsConnectFunction", "WsMessageFunction")


class _Server(uvicorn.Server):
    """uvicorn, telling us when it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            # The runner's long-lived objects (moto, botocore models) are frozen so full
            # collections skip them instead of scanning them every time.
            gc.collect()
            gc.freeze()
            self.on_ready()


def _upload_widget_page(session, stack, endpoint: str) -> None:
    """What `aws s3 sync frontend/dist` does for the pages the API serves: /widget and the
    CSAT survey page (/survey/responses/{uuid})."""
    for key in ("widget/index.html", "survey/index.html"):
        page = ROOT / "frontend" / "dist" / key
        if page.is_file():
            session.client("s3", endpoint_url=endpoint).put_object(
                Bucket=stack.names["FrontendBucket"], Key=key, Body=page.read_bytes(), ContentType="text/html")


def _watch(engine: DynamoDBLocal, server: uvicorn.Server, failed: threading.Event) -> None:
    """If DynamoDB Local dies, say so and stop, rather than answer every request with 500."""
    while not server.should_exit:
        if not engine.alive() and engine.process is not None:
            print(f"\nDynamoDB Local stopped unexpectedly (exit code {engine.process.returncode}); its log is "
                  f"{engine.log}. Parley stops: start it again with `make dev`.", file=sys.stderr, flush=True)
            failed.set()
            server.should_exit = True
            return
        time.sleep(0.5)


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    state_dir = Path(os.environ.get("PARLEY_STATE_DIR") or ROOT / ".local").resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{HOST}:{port}"
    set_aside_older_data(state_dir)

    engines = Engines(state_dir, parameters={"Stage": "local", "WidgetTokenSecret": widget_token_secret(state_dir)},
                      dynamodb_port=int(os.environ.get("PARLEY_DYNAMODB_PORT") or 0) or None)
    # What differs locally, over every function's own variables (after the endpoints):
    # where pushes go (this server's @connections), where clients connect, where browsers
    # upload and download attachments (this server's /s3, local/s3.py).
    overrides = {"WEBSOCKET_ENDPOINT": base_url, "WEBSOCKET_URL": f"ws://{HOST}:{port}/ws",
                 "S3_PUBLIC_ENDPOINT": f"{base_url}{LOCAL_S3_PREFIX}", "POWERTOOLS_TRACE_DISABLED": "true",
                 "FRONTEND_URL": base_url,  # the survey links (functions/surveys)
                 # Twilio, WhatsApp and Telegram calls go to their stand-ins (local/providers.py).
                 providers.SANDBOX_ENV: f"{base_url}{providers.PATH}"}
    try:
        engines.start(overrides)
    except EngineError as exc:
        print(f"Parley cannot start: {exc}", file=sys.stderr, flush=True)
        return 1
    stack, runtime, session, aws = engines.stack, engines.runtime, engines.session, engines.aws
    # The runner's own code (the seed, the mail page) runs as the HTTP API would.
    apply_environment({**stack.env_for("HttpApiFunction"), **engines.environment})
    sys.path.insert(0, str(LAYER))
    warming = threading.Thread(target=runtime.warm, args=(list(FIRST_NEEDED),), name="warm")
    warming.start()

    _upload_widget_page(session, stack, aws.endpoint)
    snapshots = Snapshots(session, state_dir, aws.endpoint, dynamodb=engines.client("dynamodb"), queues=engines.queues,
                          schedule_groups=stack.schedule_groups)
    snapshots.restore()
    cast = seed.ensure(state_dir, base_url)
    mail.ensure_senders(session, aws.endpoint)
    snapshots.save()

    engines.start_consumers()
    stop_saving = threading.Event()
    saver = snapshots.autosave(runtime, stop_saving)
    gateway = Gateway(stack, runtime.invoke, ROOT / "frontend" / "dist", demo_page=lambda which: seed.demo_page(cast, base_url, which),
                      s3=LocalS3(session.client("s3", endpoint_url=aws.endpoint)),
                      mail_page=lambda: mail.page(aws.lock), usage=lambda: usage.collect(engines),
                      providers=providers.ProviderSandbox())
    # ws="websockets": uvicorn 0.37's sans-io protocol garbles a refused handshake, and a
    # refused $connect must reach the client as its status code (401, 403, ...).
    config = uvicorn.Config(gateway.app, host=HOST, port=port, ws="websockets", ws_max_size=MAX_POST_BYTES,
                            lifespan="off", log_level="warning")
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)  # one line per request, nothing else
    warming.join()

    def ready() -> None:
        print(seed.banner(cast, base_url, state_dir)
              + f"\n  Mail sent:      {base_url}{MAIL_PATH} (password and confirmation links)"
              + f"\n  SMS, WhatsApp:  {base_url}{providers.PATH} (what Twilio, Meta and Telegram were asked to send)"
              + f"\n  DynamoDB Local: {engines.dynamodb.endpoint} (data in {engines.dynamodb.data_dir})", flush=True)
        # The other functions' first containers start now, not on their first event.
        threading.Thread(target=runtime.warm, name="warm-rest", daemon=True).start()

    server = _Server(config, on_ready=ready)
    failed = threading.Event()
    threading.Thread(target=_watch, args=(engines.dynamodb, server, failed), name="dynamodb-watch", daemon=True).start()
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then re-raises the signal: make
    # both end here as KeyboardInterrupt, so the shutdown below always runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop_saving.set()
        saver.join()
        engines.streams.stop()
        engines.sources.stop()
        runtime.stop()
        snapshots.save()
        engines.stop()
        print("Parley stopped; state saved.", flush=True)
    return 1 if failed.is_set() else 0


if __name__ == "__main__":
    sys.exit(main())
