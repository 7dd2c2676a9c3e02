"""What a visitor downloads: the loader on every page view, and everything the open widget
loads (its HTML, and every script, stylesheet and font reachable from it), gzipped.

Read from frontend/dist as built (`npm run build`); the widget's files are found by
following the HTML's src/href attributes, the scripts' static imports and the stylesheets'
url(...)s, so nothing it would fetch is missed or counted twice. Its lazy chunks (a
dynamic `import()`, with the files Vite preloads beside it, e.g. the help center, loaded
only when the inbox has a portal, and the article view, loaded when an article is opened)
are measured apart: what each adds to what is already loaded.
"""
from __future__ import annotations

import gzip
import re
from pathlib import Path

from bench.report import print_table

DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"
LOADER = DIST / "packs" / "js" / "sdk.js"
WIDGET = DIST / "widget" / "index.html"
TARGETS = {"loader": 4 * 1024, "widget": 60 * 1024}
# Chatwoot v4.10, production build, measured the same way (figures from the issue).
CHATWOOT = {"loader": 9.5 * 1024, "widget": 670 * 1024}

HTML_REFS = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
JS_REFS = re.compile(r"""(?:\bimport|\bfrom)\s*["'`]([^"'`]+\.(?:js|css))["'`]""")
# preload(() => import(`./help-X.js`).then(...), __vite__mapDeps([0,1,2])): the chunk, and
# the files preloaded with it (indexes into the chunk's `m.f=[...]` table of paths)
DYNAMIC = re.compile(r"""\bimport\(\s*["'`]([^"'`]+\.js)["'`]\s*\)""")
DEPS_CALL = re.compile(r"""__vite__mapDeps\(\[([\d,]*)\]\)""")
MAP_DEPS = re.compile(r"""m\.f=\[([^\]]*)\]""")
CSS_REFS = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def _resolve(ref: str, base: Path) -> Path | None:
    if ref.startswith(("http:", "https:", "data:", "//", "#")):
        return None
    path = DIST / ref.lstrip("/") if ref.startswith("/") else (base.parent / ref)
    path = path.resolve()
    return path if path.is_file() and path.is_relative_to(DIST) else None


def widget_files(start: Path = WIDGET, known: list[Path] = ()) -> list[Path]:
    """The widget page (or a lazy chunk) and everything statically reachable from it that
    is not in `known`."""
    seen: list[Path] = []
    queue = [start]
    while queue:
        path = queue.pop()
        if path in seen or path in known:
            continue
        seen.append(path)
        text = path.read_text(errors="replace")
        pattern = {".html": HTML_REFS, ".js": JS_REFS, ".css": CSS_REFS}.get(path.suffix)
        if pattern:
            queue += [p for ref in pattern.findall(text) if (p := _resolve(ref, path))]
    return seen


def lazy_chunks(files: list[Path]) -> list[tuple[Path, list[Path]]]:
    """Each dynamic import of the loaded scripts: its chunk, and what it adds (its static
    imports and the files Vite preloads with it) to `files`. Lazy chunks' own dynamic
    imports are followed too, each measured beside everything loaded before it."""
    chunks: list[tuple[Path, list[Path]]] = []
    loaded = list(files)
    scan = [p for p in files if p.suffix == ".js"]
    while scan:
        script = scan.pop(0)
        text = script.read_text(errors="replace")
        table = MAP_DEPS.search(text)
        deps = [d.strip().strip("\"'`") for d in table.group(1).split(",")] if table else []
        imports = [(m.start(), m.group(1)) for m in DYNAMIC.finditer(text)]
        preloads: dict[int, str] = {}  # each deps list belongs to the last import before it
        for call in DEPS_CALL.finditer(text):
            before = [pos for pos, _ in imports if pos < call.start() and pos not in preloads]
            if before:
                preloads[before[-1]] = call.group(1)
        for pos, ref in imports:
            target = _resolve(ref, script)
            if not target or target in loaded:
                continue
            indexes = preloads.get(pos, "")
            extra = [_resolve("/" + deps[int(i)], script) for i in indexes.split(",") if i and int(i) < len(deps)]
            added = widget_files(target, loaded)
            for p in extra:
                if p and p not in loaded and p not in added:
                    added += widget_files(p, loaded + added)
            chunks.append((target, added))
            loaded += added
            scan += [p for p in added if p.suffix == ".js"]
    return chunks


def run() -> None:
    if not LOADER.exists() or not WIDGET.exists():
        print("\nWidget size: frontend/dist is not built (cd frontend && npm ci && npm run build)")
        return
    files = widget_files()
    sizes = {"loader": gzipped(LOADER), "widget": sum(gzipped(p) for p in files)}
    rows = [[name, f"{sizes[name] / 1024:.1f}", f"{TARGETS[name] / 1024:.0f}",
             "ok" if sizes[name] <= TARGETS[name] else "OVER",
             f"{CHATWOOT[name] / 1024:.1f}", f"{CHATWOOT[name] / sizes[name]:.0f}x smaller"]
            for name in ("loader", "widget")]
    print_table("What a visitor downloads (gzip -9)",
                ["", "Parley KB", "target KB", "", "Chatwoot 4.10 KB", "ratio"], rows,
                ["loader: /packs/js/sdk.js, fetched on every page that embeds the snippet",
                 "widget: everything the open widget loads, conversation shown (Chatwoot: 670 KB open)"])
    print_table("Widget files", ["file", "bytes", "gzip bytes"],
                [[str(p.relative_to(DIST)), str(p.stat().st_size), str(gzipped(p))] for p in files])
    lazy = lazy_chunks(files)
    if lazy:
        print_table("Lazy chunks: what each adds when it loads (gzip -9)", ["chunk", "files", "KB"],
                    [[target.name, " ".join(p.name for p in added), f"{sum(gzipped(p) for p in added) / 1024:.2f}"]
                     for target, added in lazy],
                    ["help-*: the help center, loaded when the inbox is linked to a portal",
                     "HelpArticle-*: the article view, loaded when an article is opened"])
