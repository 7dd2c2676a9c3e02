"""What a visitor downloads: the loader on every page view, and everything the open widget
loads (its HTML, and every script, stylesheet and font reachable from it), gzipped.

Read from frontend/dist as built (`npm run build`); the widget's files are found by
following the HTML's src/href attributes, the scripts' static and dynamic imports, and
the stylesheets' url(...)s, so nothing it would fetch is missed or counted twice.
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
JS_REFS = re.compile(r"""(?:import|from)\s*\(?\s*["']([^"']+\.(?:js|css))["']""")
CSS_REFS = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def _resolve(ref: str, base: Path) -> Path | None:
    if ref.startswith(("http:", "https:", "data:", "//", "#")):
        return None
    path = DIST / ref.lstrip("/") if ref.startswith("/") else (base.parent / ref)
    path = path.resolve()
    return path if path.is_file() and path.is_relative_to(DIST) else None


def widget_files() -> list[Path]:
    """The widget page and everything reachable from it."""
    seen: list[Path] = []
    queue = [WIDGET]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.append(path)
        text = path.read_text(errors="replace")
        pattern = {".html": HTML_REFS, ".js": JS_REFS, ".css": CSS_REFS}.get(path.suffix)
        if pattern:
            queue += [p for ref in pattern.findall(text) if (p := _resolve(ref, path))]
    return seen


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
