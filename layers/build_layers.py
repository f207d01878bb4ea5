"""Build the Lambda layers into ``layers/build/`` (no Docker; pip downloads Lambda-platform wheels).

    .venv/bin/python layers/build_layers.py            # deps + docs + core
    .venv/bin/python layers/build_layers.py --core     # only the core library copy (offline)
    .venv/bin/python layers/build_layers.py --out /tmp/layers -c infra_cdk/parameters.sagemaker.json

Architecture and Python version come from the CDK parameters file, so the layers always match
the functions that use them. What goes where is described in ``infra_cdk/layer_build.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra_cdk.layer_build import LayerBuildError, build_core_layer, build_pip_layers  # noqa: E402
from infra_cdk.layout import BUILD_DIR  # noqa: E402
from infra_cdk.parameters import load_parameters  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help="output directory (default: layers/build)")
    parser.add_argument("--core", action="store_true", help="only copy the core library (no network)")
    parser.add_argument("-c", "--parameters", help="parameters file (default: infra_cdk/parameters.json)")
    args = parser.parse_args(argv)

    params = load_parameters(path=args.parameters)
    start = time.perf_counter()
    try:
        built = [build_core_layer(args.out, params.python_version)]
        if not args.core:
            built += build_pip_layers(args.out, params)
    except LayerBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for layer in built:
        print(f"{layer.name:5} {layer.bytes / 1e6:7.1f} MB unzipped  {layer.path}")
    print(f"built for python{params.python_version} {params.architecture} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
