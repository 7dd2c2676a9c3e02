"""Captain documents' reading rules, without AWS: HTML to text, chunking, and what the
worker's cold start leaves out (pypdf and httpx load with the first job that needs them)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from local.cfn import ROOT
from parley.services.captain import chunks, ingest


def test_html_becomes_text_without_scripts_styles_navigation_or_head():
    title, text, links, nofollow, noindex = ingest.html_text(
        "<html><head><title> Acme   Help </title><script>var a = 'SCRIPT';</script><style>.x{}</style>"
        "<meta name=robots content='index'></head><body><nav>NAV</nav><h1>Refunds</h1>"
        "<p>Within <b>30</b> days.</p><ul><li>one</li><li>two</li></ul><template>TPL</template>"
        "<svg><text>SVG</text></svg><a href='/a'>A</a> <a rel='nofollow noopener' href='/b'>B</a>"
        "<button>BUTTON</button><p>&lt;script&gt;alert(1)&lt;/script&gt; is shown as text</p></body></html>")
    assert title == "Acme Help"
    assert text.split("\n\n")[:2] == ["Refunds", "Within 30 days."]
    assert "one\ntwo" in text and "<script>alert(1)</script> is shown as text" in text
    for gone in ("SCRIPT", "NAV", "TPL", "SVG", "BUTTON", ".x{}"):
        assert gone not in text
    assert links == ["/a"] and not nofollow and not noindex


def test_robots_meta_and_an_unclosed_head():
    _, text, links, nofollow, noindex = ingest.html_text(
        "<head><meta name='ROBOTS' content='NOINDEX, NOFOLLOW'><title>T</title><body><p>Body text</p><a href='/x'>x</a>")
    assert nofollow and noindex and text == "Body text\n\nx" and links == ["/x"]
    assert ingest.html_text("<meta name=robots content=none><p>x</p>")[3:] == (True, True)


def test_chunks_pack_paragraphs_and_cut_long_ones_at_sentences():
    paragraphs = [f"Paragraph {n} says something useful about refunds." for n in range(60)]
    packed = ingest.chunk([ingest.Page("Refunds", "https://docs.example.com/r", "\n\n".join(paragraphs))])
    assert [c["n"] for c in packed] == list(range(len(packed)))
    assert all(len(c["text"]) <= chunks.CHUNK_MAX for c in packed)
    assert all(800 <= len(c["text"]) for c in packed[:-1])  # packed, not one paragraph each
    assert "\n\n".join(c["text"] for c in packed) == "\n\n".join(paragraphs)  # nothing lost or split mid-paragraph
    assert {(c["title"], c["url"]) for c in packed} == {("Refunds", "https://docs.example.com/r")}

    sentences = " ".join(f"Sentence number {n} ends here." for n in range(200))
    long = ingest.chunk([ingest.Page("Long", None, sentences)])
    assert len(long) > 1 and all(len(c["text"]) <= chunks.CHUNK_MAX and c["text"].endswith(".") for c in long)
    endless = ingest.chunk([ingest.Page("One word", None, "x" * 4000)])
    assert [len(c["text"]) for c in endless] == [1500, 1500, 1000]
    assert ingest.chunk([ingest.Page("Empty", None, "")]) == []


def test_text_files_are_utf8_strictly():
    assert ingest.text_page("\ufeffHello\r\n\r\nWorld".encode(), "t").text == "Hello\n\nWorld"
    try:
        ingest.text_page(b"caf\xe9", "t")
    except ingest.Failed as exc:
        assert "UTF-8" in str(exc)
    else:
        raise AssertionError("latin-1 was accepted")


PROBE = """
import importlib.util, json, sys
sys.path[:0] = [{layer!r}, {folder!r}]
spec = importlib.util.spec_from_file_location("documents", {path!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
module.lambda_handler
print(json.dumps(sorted(sys.modules)))
"""


def test_the_workers_cold_start_leaves_out_pypdf_and_httpx():
    folder = ROOT / "functions" / "captain"
    code = PROBE.format(layer=str(ROOT / "layers" / "shared"), folder=str(folder), path=str(folder / "documents.py"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                          cwd=folder, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    for name in ("pypdf", "httpx", "aws_lambda_powertools.utilities.parser"):
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], f"the worker imports {name} at init"
