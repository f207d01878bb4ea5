"""Benchmark of the deployment artefacts (not collected by pytest; run it directly):

    .venv/bin/python tests/infra/bench_infra.py

Prints, for each Lambda function, the unzipped size of its code plus its layers (goal: at most
25 MB, boto3 excluded: the runtime provides it), from a real layer build into a temporary
directory when the package registry is reachable; and the synthesis time of the CDK app (cold,
in a fresh process with JSII start-up, and warm, in-process).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra_cdk.chat import chat_spec  # noqa: E402
from infra_cdk.functions import function_table  # noqa: E402
from infra_cdk.layer_build import LayerBuildError, build_core_layer, build_pip_layers, tree_size  # noqa: E402
from infra_cdk.parameters import load_parameters  # noqa: E402
from tests.infra.conftest import SAGEMAKER  # noqa: E402  (the gated models from staged weights, as the tests synth)

GOAL_MB = 25.0
FAKE = {"parley:fake_assets": "true", "parley:include_planned": "true", **SAGEMAKER}


def zipped_size(path: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(path))
    return buffer.tell()


def code_size(entry: str) -> int:
    directory = (ROOT / entry).parent
    if not (ROOT / entry).is_file():
        return -1
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def sizes(layers_dir: Path) -> None:
    params = load_parameters()
    layer_bytes = {p.name: tree_size(p) for p in layers_dir.iterdir() if p.is_dir()}
    print(f"\nlayers (python{params.python_version}, {params.architecture}), unzipped / zipped:")
    for name, size in sorted(layer_bytes.items()):
        print(f"  {name:5} {size / 1e6:6.1f} MB / {zipped_size(layers_dir / name) / 1e6:5.1f} MB")
    print(f"\nfunction code + layers, unzipped (goal <= {GOAL_MB:g} MB; boto3 not counted, the runtime has it):")
    for spec in (*function_table(params), chat_spec(params)):
        code = code_size(spec.entry)
        layers = sum(layer_bytes[name] for name in spec.layers)
        total = (max(code, 0) + layers) / 1e6
        status = "ok" if total <= GOAL_MB else "OVER"
        note = "" if code >= 0 else "  (entry not written yet: layers only)"
        extra = "  + the Lambda Web Adapter layer (AWS's, a few MB)" if spec.name == "chat" else ""
        print(f"  {spec.name:11} {total:6.1f} MB  {status}{note}{extra}")
    for name in sorted(layer_bytes):
        breakdown(layers_dir / name)


def breakdown(layer: Path, top: int = 6) -> None:
    """The largest top-level entries of a layer's python/ (what an over-size function carries)."""
    python = layer / "python"
    entries = sorted(((tree_size(e) if e.is_dir() else e.stat().st_size, e.name) for e in python.iterdir()),
                     reverse=True)
    print(f"  largest in {layer.name}: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in entries[:top]))


def synth_times() -> None:
    code = (
        "import time, tempfile; t = time.perf_counter()\n"
        "from infra_cdk.app import build_app\n"
        "with tempfile.TemporaryDirectory() as out:\n"
        f"    app, stack, _ = build_app(out, {FAKE!r}, nag=True)\n"
        "    app.synth(); print(time.perf_counter() - t)\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    print(f"\nsynth, fresh process (JSII start-up + build + cdk-nag + synth): {float(cold.stdout.split()[-1]):.1f} s")

    from infra_cdk.app import build_app

    runs = (("first in this process (JSII start-up), without cdk-nag", False),
            ("warm, without cdk-nag", False), ("warm, with cdk-nag", True))
    for label, nag in runs:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            app, _, _ = build_app(out, FAKE, nag=nag)
            app.synth()
            print(f"synth, {label}: {time.perf_counter() - start:.1f} s")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="parley-bench-layers-") as tmp:
        out = Path(tmp)
        start = time.perf_counter()
        try:
            build_core_layer(out)
            build_pip_layers(out, load_parameters())
            print(f"layer build (pip, Lambda platform wheels): {time.perf_counter() - start:.1f} s")
            sizes(out)
        except LayerBuildError as exc:
            print(f"layer build skipped (registry unreachable?): {exc}")
    synth_times()


if __name__ == "__main__":
    main()
