"""Code assets for the layers and functions: the built directories, or small fakes for tests.

Synthesis never touches the network. A real synth refreshes the core layer copy (offline) and
refuses missing or stale dependency layers. With context ``parley:fake_assets=true`` every layer
(and any function whose entry file does not exist yet) is a tiny placeholder directory, so tests
synthesize without pip.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cached_property
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from infra_cdk.layer_build import build_core_layer, check_pip_layer
from infra_cdk.layout import BUILD_DIR, CORE_LAYER, LAYERS, ROOT
from infra_cdk.parameters import Parameters

#: Never shipped with function code.
EXCLUDE = ["__pycache__", "*.pyc", ".pytest_cache"]


class Assets:
    def __init__(self, params: Parameters, fake: bool, build_dir: Path = BUILD_DIR) -> None:
        self._params = params
        self.fake = fake
        self._build_dir = build_dir

    @cached_property
    def _fake_root(self) -> Path:
        root = Path(tempfile.mkdtemp(prefix="parley-fake-assets-"))
        atexit.register(shutil.rmtree, root, True)
        return root

    def _fake_dir(self, name: str) -> Path:
        path = self._fake_root / name
        if not path.exists():
            (path / "python").mkdir(parents=True)
            (path / "python" / f"{name}.txt").write_text(f"placeholder for {name}\n", "utf-8")
        return path

    @cached_property
    def _layer_dirs(self) -> dict[str, Path]:
        if self.fake:
            return {name: self._fake_dir(f"layer-{name}") for name in LAYERS}
        dirs = {CORE_LAYER: build_core_layer(self._build_dir, self._params.python_version).path}
        for name in LAYERS:
            if name != CORE_LAYER:
                check_pip_layer(self._build_dir, name, self._params)
                dirs[name] = self._build_dir / name
        return dirs

    def layer_code(self, name: str) -> lambda_.Code:
        # Layers are build outputs: their __pycache__ holds the bytecode compiled for the runtime.
        return lambda_.Code.from_asset(str(self._layer_dirs[name]))

    def function_code(self, entry: str) -> lambda_.Code:
        """The directory holding ``entry`` (a path relative to the repository root)."""
        entry_path = ROOT / entry
        if entry_path.is_file():
            return lambda_.Code.from_asset(str(entry_path.parent), exclude=EXCLUDE)
        if self.fake:
            return lambda_.Code.from_asset(str(self._fake_dir(f"fn-{entry_path.parent.name}")))
        raise FileNotFoundError(f"function entry {entry} does not exist")

    @staticmethod
    def entry_exists(entry: str) -> bool:
        return (ROOT / entry).is_file()
