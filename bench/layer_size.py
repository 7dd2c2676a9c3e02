"""Layer size: the shared layer as Lambda arm64 gets it, per package.

The layer's requirements are installed the way `sam build` lays them out for the runtime
and CPU the template names (SharedLayer's BuildMethod and BuildArchitecture): wheels for
manylinux2014 on that CPU, unpacked, no .pyc. The parley package is added as source.
Lambda allows 250 MB unzipped for a function and all its layers together.
"""
from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import print_table
from local.cfn import load_template

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "layers" / "shared" / "requirements.txt"
LAMBDA_LIMIT_MB = 250
TOP = 5
WHEEL_PLATFORM = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def install(target: Path) -> str:
    """Install for Lambda's platform; if that cannot be done here, for this machine's. Says which."""
    metadata = load_template()["Resources"]["SharedLayer"].get("Metadata") or {}
    python = metadata["BuildMethod"].removeprefix("python")
    architecture = metadata.get("BuildArchitecture", "x86_64")
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--target", str(target), "-r", str(REQUIREMENTS)]
    lambda_platform = ["--platform", WHEEL_PLATFORM[architecture], "--only-binary=:all:",
                       "--python-version", python, "--implementation", "cp"]
    done = subprocess.run(base + lambda_platform, capture_output=True, text=True)
    if done.returncode == 0:
        return f"Lambda {architecture}, CPython {python} ({WHEEL_PLATFORM[architecture]} wheels)"
    print(f"pip could not install for Lambda {architecture}: {done.stderr.strip().splitlines()[-1:]}", flush=True)
    shutil.rmtree(target, ignore_errors=True)
    done = subprocess.run(base, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pip install failed:\n{done.stderr[-2000:]}")
    return f"THIS machine's platform (fallback: Lambda {architecture} wheels could not be installed here)"


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="parley-layer-") as tmp:
        python = Path(tmp) / "python"  # the layer's top folder, /opt/python on Lambda
        print("layer size: installing the layer's requirements ...", flush=True)
        platform = install(python)
        # Follow the symlinked installation_config.yml, as sam build's copy does.
        shutil.copytree(ROOT / "layers" / "shared" / "parley", python / "parley",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        sizes = {"parley (this project)": tree_size(python / "parley")}
        for dist in importlib.metadata.distributions(path=[str(python)]):
            files = [dist.locate_file(f) for f in dist.files or []]
            sizes[f"{dist.metadata['Name']} {dist.version}"] = sum(Path(f).stat().st_size for f in files if Path(f).is_file())
        total = tree_size(python)
        zipped = Path(shutil.make_archive(str(Path(tmp) / "layer"), "zip", tmp, "python")).stat().st_size
    mb = 1024 * 1024
    ranked = sorted(sizes.items(), key=lambda item: -item[1])
    rows = [[name, f"{size / mb:.1f}", f"{100 * size / total:.0f}%"] for name, size in ranked[:TOP]]
    rows.append([f"{len(ranked) - TOP} others", f"{sum(s for _, s in ranked[TOP:]) / mb:.1f}",
                 f"{100 * sum(s for _, s in ranked[TOP:]) / total:.0f}%"])
    rows.append(["total (unzipped)", f"{total / mb:.1f}", "100%"])
    rows.append(["zipped", f"{zipped / mb:.1f}", ""])
    print_table("Shared layer size", ["package", "MB", "share"], rows, [
        f"installed for {platform}, no .pyc, as sam build lays it out",
        f"parley itself: {sizes['parley (this project)'] / mb:.2f} MB",
        f"{100 * total / mb / LAMBDA_LIMIT_MB:.0f}% of Lambda's {LAMBDA_LIMIT_MB} MB unzipped limit (function + layers)",
    ])
