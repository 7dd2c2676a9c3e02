"""The public help center's article page: server time and weight.

The article pages of a portal built from the benchmark corpus (bench/data/help_center,
62 articles with real Markdown) are served by functions/help_center/app.py called in-process
as API Gateway calls it, over moto (every table built from template.yaml), after the indexer
has run. Three server times per page:

- pages: the corpus's median-length article, its longest, and a long guide made of twelve
  of them (about 1,500 words);
- warm: the container has the portal's content and the rendered page for this content
  version (what every request after the first costs until the next change: one GetItem);
- render: the page cache emptied before each request, the portal's content still held (the
  first request for a page after a change elsewhere: Markdown rendered and sanitised, HTML built);
- reload: every cache emptied (the first request after a change to this portal, or in a new
  container: the portal, its categories and articles read again, then rendered).

Weight: the HTML as served (it is the whole page: styles inline, no script file, no font,
no image unless the portal has a logo) and gzipped at level 6, as CloudFront compresses.
"""
from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path

from bench.report import print_table

DATA = Path(__file__).resolve().parent / "data" / "help_center" / "articles.json"
RUNS = 200
TARGET_MS = 20
TARGET_GZ_KB = 15


def _corpus() -> list[dict]:
    return [a for a in json.loads(DATA.read_text())["articles"] if a.get("locale", "en") == "en"]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def measure(runs: int = RUNS) -> dict:
    from moto import mock_aws

    from tests import conftest, event_pipe
    from tests import help_center_support as hc

    with mock_aws():
        conftest.build_stack(conftest._session, prefix="test", parameters=conftest.PARAMETERS)
        event_pipe.start(conftest._session, conftest._stack, None)  # the outbox's pipe, as the tests run it
        world = conftest.world.__wrapped__(None)
        from parley.services.help_center import search, site as sites

        app = conftest.load_function("help_center")
        for cache in (sites, search, app):
            cache.forget()
        account = world.account_id
        portal = hc.portal(account, "bench", name="Acme Help")
        categories: dict[str, int] = {}
        articles = []
        for position, article in enumerate(_corpus(), start=1):
            name = article.get("category") or "General"
            if name not in categories:
                categories[name] = hc.category(account, portal, f"c{len(categories) + 1}", name=str(name).title(),
                                               position=len(categories) + 1)
            articles.append(hc.article(account, portal, article["title"], article["content"],
                                       description=article.get("description", ""), slug=f"a-{article['id']}",
                                       category_id=categories[name], position=position))
        # a long guide too (a dozen of the corpus's articles as one page, ~1,500 words)
        corpus = _corpus()
        guide = "\n\n".join(f"## {a['title']}\n\n{a['content']}" for a in corpus[:12])
        long_guide = hc.article(account, portal, "The complete guide", guide, slug="complete-guide",
                                description="Everything in one page.", category_id=next(iter(categories.values())))
        hc.run_indexer()
        site = hc.Site(app)
        # the median-length article and the longest
        by_length = sorted(articles, key=lambda a: len(a["content"]))
        chosen = {"median article": by_length[len(by_length) // 2], "longest article": by_length[-1],
                  "long guide (12 joined)": long_guide}
        results = {}
        for label, article in chosen.items():
            path = f"/hc/bench/articles/{article['slug']}"
            first = site.get(path)
            assert first.status == 200, first.status
            body = first.text.encode()
            times = {"warm": [], "render": [], "reload": []}
            for _ in range(runs):
                start = time.perf_counter()
                site.get(path)
                times["warm"].append((time.perf_counter() - start) * 1000)
            for _ in range(runs // 4):
                app.forget()
                start = time.perf_counter()
                site.get(path)
                times["render"].append((time.perf_counter() - start) * 1000)
            for _ in range(runs // 10):
                app.forget()
                sites.forget()
                start = time.perf_counter()
                site.get(path)
                times["reload"].append((time.perf_counter() - start) * 1000)
            results[label] = {
                "markdown_bytes": len(article["content"].encode()),
                "html_bytes": len(body),
                "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
                "scripts": body.count(b"<script"),
                "external": body.count(b"<script src") + body.count(b'rel="stylesheet"'),
                "times": {k: _percentiles(v) for k, v in times.items()},
            }
        return {"articles": len(articles), "pages": results}


def run() -> None:
    figures = measure()
    rows = []
    for label, page in figures["pages"].items():
        warm, render, reload = (page["times"][k] for k in ("warm", "render", "reload"))
        rows.append([label, f"{page['markdown_bytes'] / 1024:.1f} KB",
                     f"{page['html_bytes'] / 1024:.1f} KB", f"{page['gzip_bytes'] / 1024:.1f} KB",
                     f"{page['gzip_bytes'] / 1024 / TARGET_GZ_KB:.2f}x",
                     f"{warm[0]:.2f} / {warm[1]:.2f}", f"{render[0]:.1f} / {render[1]:.1f}",
                     f"{reload[0]:.1f} / {reload[1]:.1f}", f"{render[1] / TARGET_MS:.2f}x",
                     f"{page['scripts']} inline, {page['external']} files"])
    print_table(f"Public article page ({figures['articles']} articles in the portal; functions/help_center "
                "in-process over moto; ms p50 / p95)",
                ["page", "Markdown", "HTML", "gzip", "gzip vs 15 KB", "warm ms", "render ms", "reload ms",
                 "render p95 vs 20 ms", "JavaScript"], rows)
