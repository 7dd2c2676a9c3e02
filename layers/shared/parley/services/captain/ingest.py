"""Reading a Captain document into chunks: the worker's part (CaptainDocumentsFunction).

Bounded everywhere, because the input is whatever a URL or an upload holds:
- A URL is fetched through parley.outbound (http(s) only; every address the host resolves
  to must be public, the connection goes to the checked address, every redirect hop is
  checked again, at most 3 hops). A page's body is read as a stream and stopped at
  MAX_PAGE_BYTES; each read waits at most READ_TIMEOUT seconds and the whole job at most
  TIME_BUDGET seconds. The first page failing (refused address, error status, too large,
  not text) fails the document with the reason; a linked page failing is skipped.
- Same-site links (the first page's host, http or https) are followed breadth first up to
  the installation's CAPTAIN_DOCUMENT_MAX_PAGES pages (20 by default). `<meta name=robots
  content=nofollow>` stops following links from that page, `rel=nofollow` skips that link,
  `noindex` keeps that page's text out. robots.txt is not read (a person asked for this
  site, as a browser would).
- HTML becomes text with the standard library's parser: script, style, nav, noscript,
  template, svg, iframe, head (but the title) and form controls are dropped. Nothing of
  it is ever executed or rendered: the text is stored as text.
- A PDF is read with pypdf (imported here only, from the captain layer), at most
  MAX_PDF_PAGES pages; one that is not a PDF, is encrypted or cannot be read fails with
  the reason. A text file must be UTF-8 (decoded strictly).
- At most MAX_CONTENT_CHARS characters of text are kept (the rest is cut: `truncated`).
- Chunks: paragraphs packed up to chunks.CHUNK_TARGET characters, a longer paragraph cut at
  sentence ends (words as the last resort), never over chunks.CHUNK_MAX; each carries its page's
  title and URL.

`run` is idempotent: a job for a document that is gone, finished or of another revision
does nothing."""
from __future__ import annotations

import io
import time
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from ... import global_config, outbound
from ...models.account_object import AccountObject
from . import chunks, documents

MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_CONTENT_CHARS = 1_000_000
DEFAULT_MAX_PAGES = 20
TIME_BUDGET = 120.0  # seconds for one job (the function's timeout is 180)
READ_TIMEOUT = 10.0
USER_AGENT = "ParleyCaptain/1.0 (+document ingest)"


class Failed(Exception):
    """The document cannot be read; the message is shown as its error."""


@dataclass
class Page:
    title: str
    url: str | None
    text: str


# ---------------------------------------------------------------- HTML to text

SKIPPED = frozenset({"script", "style", "nav", "noscript", "template", "svg", "iframe", "object",
                     "canvas", "select", "button", "textarea", "head", "math"})
BLOCKS = frozenset({"p", "div", "section", "article", "main", "br", "li", "ul", "ol", "table", "tr", "td", "th",
                    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "header", "footer", "aside", "dd",
                    "dt", "dl", "figure", "figcaption", "hr", "summary", "details", "address"})
LINES = frozenset({"br", "li", "tr", "td", "th", "dd", "dt"})  # a new line, not a new paragraph


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.links: list[str] = []
        self.skipping: list[str] = []
        self.in_title = False
        self.nofollow = False
        self.noindex = False

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "title":
            self.in_title = True
        elif tag == "meta" and attrs.get("name", "").lower() == "robots":
            content = attrs.get("content", "").lower()
            self.nofollow = self.nofollow or "nofollow" in content or "none" in content
            self.noindex = self.noindex or "noindex" in content or "none" in content
        elif tag == "a" and attrs.get("href") and "nofollow" not in attrs.get("rel", "").lower():
            self.links.append(attrs["href"])
        if tag == "body" and "head" in self.skipping:  # an unclosed head ends where the body starts
            self.skipping = self.skipping[:self.skipping.index("head")]
        if tag in SKIPPED:
            self.skipping.append(tag)
        if tag in BLOCKS:
            self.parts.append("\n" if tag in LINES else "\n\n")

    def handle_startendtag(self, tag, attrs):
        # <br/>, <meta .../>: no content to skip
        stack = list(self.skipping)
        self.handle_starttag(tag, attrs)
        self.skipping = stack

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass
        if tag in BLOCKS and tag not in LINES:  # a line-level element starts a line, it does not end one
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, str, list[str], bool, bool]:
    """(title, text, links, nofollow, noindex) of an HTML page."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return (" ".join("".join(reader.title_parts).split()), tidy("".join(reader.parts)), reader.links,
            reader.nofollow, reader.noindex)


def tidy(text: str) -> str:
    """Spaces collapsed within lines, paragraphs separated by one blank line."""
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current) if len(current) > 1 and all(len(c) > 60 for c in current) else "\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


# ---------------------------------------------------------------- chunks

def chunk(pages: list[Page]) -> list[dict]:
    return [{"n": n, "text": text, "title": page.title, "url": page.url}
            for n, (page, text) in enumerate((page, text) for page in pages
                                             for text in chunks.pack(page.text.split("\n\n")))]


# ---------------------------------------------------------------- files

def pdf_pages(data: bytes, title: str, deadline: float) -> tuple[list[Page], bool]:
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise Failed("The file is not a PDF")
    import pypdf  # the captain layer's; only this path needs it
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Failed("The PDF is encrypted; upload it without a password")
        count = len(reader.pages)
    except Failed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise Failed(f"The PDF could not be read ({type(exc).__name__})") from None
    pages, truncated = [], count > MAX_PDF_PAGES
    for number in range(min(count, MAX_PDF_PAGES)):
        if time.monotonic() > deadline:
            truncated = True
            break
        try:
            text = reader.pages[number].extract_text() or ""
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
            continue  # one unreadable page does not lose the others
        pages.append(Page(f"{title} (page {number + 1})", None, tidy(text)))
    return pages, truncated


def text_page(data: bytes, title: str) -> Page:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Failed("The file is not UTF-8 text") from None
    return Page(title, None, tidy(text))


# ---------------------------------------------------------------- the web

@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes
    too_large: bool


def fetch(http, url: str, deadline: float) -> Fetched:
    """GET `url`, following at most outbound.MAX_REDIRECTS redirects (each hop checked by
    the client's guard), reading at most MAX_PAGE_BYTES of the body before the deadline."""
    import httpx

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Failed("Time is up")
    timeout = httpx.Timeout(min(READ_TIMEOUT, remaining), connect=min(5.0, remaining))
    request = http.build_request("GET", url, timeout=timeout, headers={
        "User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8"})
    for _ in range(outbound.MAX_REDIRECTS + 1):
        response = http.send(request, stream=True)
        try:
            if response.next_request is None:
                body, too_large = bytearray(), False
                for part in response.iter_bytes():
                    body += part
                    if len(body) > MAX_PAGE_BYTES:
                        too_large = True
                        break
                    if time.monotonic() > deadline:
                        raise Failed(f"Reading {url} took longer than the {int(TIME_BUDGET)} s allowed")
                content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
                return Fetched(str(response.url), response.status_code, content_type, bytes(body[:MAX_PAGE_BYTES]),
                               too_large)
        finally:
            response.close()
        request = response.next_request
    raise outbound.Blocked(f"more than {outbound.MAX_REDIRECTS} redirects")


def _decoded(fetched: Fetched) -> str:
    return fetched.body.decode("utf-8", errors="replace")


def _same_site(url: str, host: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower().rstrip(".") == host


def max_pages() -> int:
    value = global_config.get("CAPTAIN_DOCUMENT_MAX_PAGES", DEFAULT_MAX_PAGES)
    return max(1, min(int(value) if isinstance(value, int) else DEFAULT_MAX_PAGES, 200))


def crawl(start: str, *, guard: outbound.Guard | None = None, transport=None, limit: int | None = None,
          deadline: float | None = None) -> tuple[list[Page], bool]:
    """The pages of the site from `start`, breadth first: (pages, truncated)."""
    import httpx

    limit = limit or max_pages()
    deadline = deadline or time.monotonic() + TIME_BUDGET
    host = (urlsplit(start).hostname or "").lower().rstrip(".")
    queue, seen = deque([start]), {urldefrag(start)[0]}
    pages: list[Page] = []
    truncated = False
    with outbound.client(guard, transport) as http:
        first = True
        while queue and len(pages) < limit:
            url = queue.popleft()
            if time.monotonic() > deadline:
                truncated = True
                break
            problem = None
            try:
                fetched = fetch(http, url, deadline)
            except outbound.Blocked as exc:
                problem = f"{url} was refused: {exc}"
            except outbound.Unreachable as exc:
                problem = f"{url} could not be reached: {exc}"
            except httpx.HTTPError as exc:
                problem = f"{url} could not be read: {type(exc).__name__}"
            except Failed as exc:
                problem = str(exc)
            else:
                if fetched.status != 200:
                    problem = f"{url} answered HTTP {fetched.status}"
                elif fetched.too_large:
                    problem = f"{url} is larger than {MAX_PAGE_BYTES // (1024 * 1024)} MB"
            if problem is not None:
                if first:
                    raise Failed(problem)
                continue
            was_first, first = first, False
            if fetched.content_type in ("text/html", "application/xhtml+xml") or (
                    not fetched.content_type and fetched.body.lstrip()[:1] == b"<"):
                title, text, links, nofollow, noindex = html_text(_decoded(fetched))
                if not noindex:
                    pages.append(Page(title or fetched.url, fetched.url, text))
                if not nofollow:
                    for href in links:
                        link = urldefrag(urljoin(fetched.url, href.strip()))[0]
                        if _same_site(link, host) and link not in seen:
                            seen.add(link)
                            queue.append(link)
            elif fetched.content_type == "text/plain":
                pages.append(Page(fetched.url, fetched.url, tidy(_decoded(fetched))))
            elif fetched.content_type == "application/pdf" and was_first:
                found, cut = pdf_pages(fetched.body, fetched.url, deadline)
                pages.extend(Page(page.title, fetched.url, page.text) for page in found)
                truncated = truncated or cut
            elif was_first:
                raise Failed(f"{url} is {fetched.content_type or 'of no stated type'}, not a web page, text or a PDF")
    return pages, truncated or bool(queue)


# ---------------------------------------------------------------- the job

def read(item: AccountObject, *, guard=None, transport=None) -> tuple[list[Page], bool]:
    deadline = time.monotonic() + TIME_BUDGET
    source = item.data.get("source")
    name = item.data.get("name") or item.data.get("external_link") or "Document"
    if source == "url":
        return crawl(item.data["external_link"], guard=guard, transport=transport, deadline=deadline)
    data = documents.upload_of(item)
    if source == "pdf":
        return pdf_pages(data, name, deadline)
    return [text_page(data, name)], False


def run(account_id: int, document_id: int, revision: str, *, guard=None, transport=None,
        provider_for=None) -> str:
    """Read the document into chunks and make it available, or fail it with the reason.
    Errors that are not the document's (an outage, a bug) propagate, for SQS to retry.
    `provider_for(document)` names the assistant's model (parley.llm.port.Provider), asked
    only once the document is available: with a generating one, FAQs are then proposed from
    it, pending (services/captain/proposals.py)."""
    item = documents.find(account_id, document_id)
    if item is None or item.data.get("revision") != revision or item.data.get("status") != "in_progress":
        return "skipped"
    try:
        pages, truncated = read(item, guard=guard, transport=transport)
        kept, total = [], 0
        for page in pages:
            if total >= MAX_CONTENT_CHARS:
                truncated = True
                break
            text = page.text[:MAX_CONTENT_CHARS - total]
            truncated = truncated or len(text) < len(page.text)
            total += len(text)
            kept.append(Page(page.title, page.url, text))
        chunks = chunk(kept)
        if not chunks:
            raise Failed("No text was found in the document")
    except Failed as exc:
        return "failed" if documents.fail(item, str(exc)) else "skipped"
    preview = "\n\n".join(page.text for page in kept if page.text)
    done = documents.finish(item, chunks, pages=len(pages), content_length=total, preview=preview,
                            truncated=truncated, title=pages[0].title if pages and pages[0].url else None)
    if not done:
        return "skipped"
    if provider_for is not None:
        from ...errors import ParleyError
        from ...llm.port import ProviderError
        from . import proposals

        try:
            provider = provider_for(item)
            if getattr(provider, "generates", False):
                proposals.propose(item, chunks, provider)
        except (ParleyError, ProviderError):  # the assistant deleted meanwhile, no usable model: none proposed
            pass
    return "available"


def give_up(account_id: int, document_id: int, revision: str, reason: str) -> str:
    """The last attempt failed on an error that is not the document's: mark it failed."""
    item = documents.find(account_id, document_id)
    if item is None or item.data.get("revision") != revision or item.data.get("status") != "in_progress":
        return "skipped"
    return "failed" if documents.fail(item, reason) else "skipped"
