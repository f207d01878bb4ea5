"""Where the Lambda layers are built and which dependencies go into which layer.

Pure Python, shared by ``layers/build_layers.py`` (which builds them, with network) and the CDK
app (which only reads the built directories, offline).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "layers" / "build"
CORE_SOURCES = {
    # package name -> source directory (copied whole into the core layer's python/ dir)
    "parley": ROOT / "layers" / "core" / "parley",
    "model_endpoints": ROOT / "model_endpoints",
}

#: Layer name -> what it holds. Each layer directory has ``python/`` (Lambda adds /opt/python to
#: sys.path) and a ``<name>.json`` stamp beside it recording what it was built from.
CORE_LAYER = "core"
DEPS_LAYER = "deps"
DOCS_LAYER = "docs"
LAYERS = (DEPS_LAYER, DOCS_LAYER, CORE_LAYER)

#: Distribution names that go into the ``docs`` layer rather than ``deps``: the document and image
#: libraries only the attachment processor needs (lxml and Pillow alone are ~40 MB unzipped), so
#: the api and chat functions stay small and start fast.
DOCS_DISTRIBUTIONS = frozenset({"pypdf", "python-docx", "pillow"})

#: Provided by the Lambda Python runtime: never shipped in a layer (boto3 and its closure).
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})


def layer_dir(name: str) -> Path:
    return BUILD_DIR / name


def stamp_path(name: str) -> Path:
    return BUILD_DIR / f"{name}.json"


def platform_tags(architecture: str) -> tuple[str, ...]:
    """pip ``--platform`` values for the Lambda runtime (Amazon Linux 2023, glibc 2.34).

    Newer wheels (tiktoken >= 0.12) are tagged manylinux_2_28 only, older ones manylinux2014.
    """
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    return (f"manylinux_2_28_{machine}", f"manylinux2014_{machine}")
