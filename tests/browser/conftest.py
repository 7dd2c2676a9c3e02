"""Browser tests: headless Debian Chromium (never a browser Playwright downloads) driving
the real frontend against `python -m local`.

- `stack`: one local stack per test session (so one per xdist worker), with its own port
  and state dir. Tests never share a visitor: every test opens the customer page in a
  fresh browser context, which is a new anonymous contact and a new conversation.
- `browser`: one Chromium per test module (see the fixture for why not per session);
  `new_context` gives each test fresh contexts (cookies, localStorage) and closes them;
  pages wait up to 20 s (the suite runs two stacks and two Chromiums on 2 cores).
- The customer page is `http://localhost:<port>/demo` while Parley is on
  `http://127.0.0.1:<port>`: the widget iframe really runs cross-origin.
- `visitor`: a new visitor on the customer page (widget loaded, chat not opened yet);
  `agent`: the seeded agent, signed in, on the "All" tab of the conversation list;
  `admin`: the seeded administrator, signed in (a module may narrow it, e.g. to the
  contacts screen); `new_agent(role)`: any seeded person's dashboard, not signed in.
  The page objects and helpers behind them (`Visitor`, `Agent`, `tag()`, `start_chat`,
  `open_settings`) are in pages.py.

Set PARLEY_CHROMIUM to use another Chromium binary. Without one the tests skip and say so.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .pages import Agent, Visitor

try:  # the harness moved to local/process.py; tests/e2e/conftest.py re-exports it
    from local.process import LocalStack, free_port
except ImportError:  # pragma: no cover
    from tests.e2e.conftest import LocalStack, free_port

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"

# The real binaries of Debian's / Ubuntu's packages first: /usr/bin/chromium is a shell
# wrapper that prints a warning and adds flags we don't want.
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser",
              "/usr/lib/chromium-browser/chromium", "/snap/chromium/current/usr/lib/chromium-browser/chrome")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage"]
TIMEOUT_MS = 20_000  # the stack runs beside another worker's stack and two Chromiums on 2 cores
VISITOR_VIEWPORT = {"width": 1280, "height": 800}
DASHBOARD_VIEWPORT = {"width": 1440, "height": 900}  # wide enough for the contact panel


def find_chromium() -> str | None:
    explicit = os.environ.get("PARLEY_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = find_chromium()
NO_CHROMIUM = ("no Chromium binary found (install Debian's `chromium` package, e.g. `make browser`, "
               "or set PARLEY_CHROMIUM)")


def pytest_collection_modifyitems(config, items) -> None:
    """Without Chromium every test in this folder is skipped, saying why, before any fixture
    runs (this hook sees the whole session's tests, hence the folder check)."""
    if CHROMIUM is None:
        here = Path(__file__).parent
        for item in items:
            if here in item.path.parents:
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    if not (DIST / "index.html").is_file() or not (DIST / "packs" / "js" / "sdk.js").is_file():
        pytest.fail("frontend/dist is missing: run `cd frontend && npm ci && npm run build` (make frontend)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Module-scoped, not session-scoped: Playwright's sync API leaves an asyncio loop
    running in this thread for as long as it is started, and the other suites' tests
    (`asyncio.run`) must not run inside it when xdist gives a worker tests of both."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def stack(chromium_path, tmp_path_factory) -> Iterator[LocalStack]:
    s = LocalStack(tmp_path_factory.mktemp("browser") / "state", free_port())
    s.state_dir.mkdir()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def seed(stack) -> dict:
    return stack.seed


@pytest.fixture
def new_context(browser) -> Iterator[Callable]:
    """Open fresh browser contexts (closed after the test); pages time out after 20 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    opened = []

    def make(**kwargs):
        ctx = browser.new_context(**kwargs)
        ctx.set_default_timeout(TIMEOUT_MS)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


@pytest.fixture
def visitor(new_context, stack) -> Visitor:
    v = Visitor(new_context(viewport=VISITOR_VIEWPORT), stack)
    v.open_page()
    return v


@pytest.fixture
def new_agent(new_context, stack, seed) -> Callable[[str], Agent]:
    """`new_agent(role)`: the dashboard of `seed[role]` in a fresh context, not signed in yet."""
    def make(role: str) -> Agent:
        return Agent(new_context(viewport=DASHBOARD_VIEWPORT), stack, seed[role])

    return make


@pytest.fixture
def agent(new_agent) -> Agent:
    a = new_agent("agent")
    a.open_inbox()
    return a


@pytest.fixture
def admin(new_agent) -> Agent:
    a = new_agent("administrator")
    a.open_dashboard()
    return a
