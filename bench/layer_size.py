"""Layer size: the shared layer and the captain layer as Lambda arm64 gets them, per package.

Built by running each layer's Makefile target, the one `sam build` runs
(layers/shared/Makefile build-SharedLayer, layers/captain/Makefile build-CaptainLayer):
arm64 wheels for the runtime's Python, parley copied into the shared one, everything
compiled to .pyc. Lambda allows 250 MB unzipped for a function and all its layers
together: the captain functions take both.
"""
from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import print_table

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "shared"
CAPTAIN_LAYER = ROOT / "layers" / "captain"
LAMBDA_LIMIT_MB = 250
TOP = 5


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(artifacts: Path, layer: Path = LAYER, target: str = "build-SharedLayer") -> str:
    """Run the layer's build; with the Makefile's Python, or this one if that is missing
    here (the wheels are the same; only the .pyc differ by a little). Says which."""
    wanted = re.search(r"^PYTHON_VERSION := (\S+)$", (layer / "Makefile").read_text(), re.M).group(1)
    runs = subprocess.run([f"python{wanted}", "-c", "pass"], capture_output=True).returncode == 0 \
        if shutil.which(f"python{wanted}") else False  # a pyenv shim exists even when it cannot run
    version = wanted if runs else f"{sys.version_info.major}.{sys.version_info.minor}"
    done = subprocess.run(["make", "-s", "-C", str(layer), target, f"ARTIFACTS_DIR={artifacts}",
                           f"PYTHON_VERSION={version}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"layer build failed:\n{done.stderr[-2000:]}")
    note = "" if version == wanted else f" (python{wanted} not found: compiled with {version})"
    return f"Lambda arm64, CPython {wanted} wheels, precompiled{note}"


def measure(layer: Path, target: str) -> tuple[str, dict[str, int], int, int]:
    """(platform, {package: bytes}, unzipped bytes, zipped bytes) of a layer built as sam builds it."""
    with tempfile.TemporaryDirectory(prefix="parley-layer-") as tmp:
        python = Path(tmp) / "python"  # the layer's top folder, /opt/python on Lambda
        platform = build(Path(tmp), layer, target)
        sizes = {"parley (this project)": tree_size(python / "parley")} if (python / "parley").exists() else {}
        for dist in importlib.metadata.distributions(path=[str(python)]):
            files = [dist.locate_file(f) for f in dist.files or []]
            sizes[f"{dist.metadata['Name']} {dist.version}"] = sum(Path(f).stat().st_size for f in files if Path(f).is_file())
        total = tree_size(python)
        zipped = Path(shutil.make_archive(str(Path(tmp) / "layer"), "zip", tmp, "python")).stat().st_size
    return platform, sizes, total, zipped


def _rows(sizes: dict[str, int], total: int, zipped: int) -> list[list[str]]:
    mb = 1024 * 1024
    ranked = sorted(sizes.items(), key=lambda item: -item[1])
    rows = [[name, f"{size / mb:.1f}", f"{100 * size / total:.0f}%"] for name, size in ranked[:TOP]]
    rows.append([f"{len(ranked) - TOP} others", f"{sum(s for _, s in ranked[TOP:]) / mb:.1f}",
                 f"{100 * sum(s for _, s in ranked[TOP:]) / total:.0f}%"])
    rows.append(["total (unzipped)", f"{total / mb:.1f}", "100%"])
    rows.append(["zipped", f"{zipped / mb:.1f}", ""])
    return rows


def run() -> None:
    mb = 1024 * 1024
    print("layer size: building the layers ...", flush=True)
    platform, sizes, total, zipped = measure(LAYER, "build-SharedLayer")
    print_table("Shared layer size", ["package", "MB", "share"], _rows(sizes, total, zipped), [
        f"built for {platform}, as sam build runs it",
        f"parley itself: {sizes['parley (this project)'] / mb:.2f} MB",
        f"{100 * total / mb / LAMBDA_LIMIT_MB:.0f}% of Lambda's {LAMBDA_LIMIT_MB} MB unzipped limit (function + layers)",
    ])
    platform, captain, captain_total, captain_zipped = measure(CAPTAIN_LAYER, "build-CaptainLayer")
    both = total + captain_total
    print_table("Captain layer size (the captain functions only)", ["package", "MB", "share"],
                _rows(captain, captain_total, captain_zipped), [
        f"built for {platform}, as sam build runs it",
        f"with the shared layer: {both / mb:.1f} MB, {100 * both / mb / LAMBDA_LIMIT_MB:.0f}% of Lambda's "
        f"{LAMBDA_LIMIT_MB} MB unzipped limit (function + layers)",
    ])
