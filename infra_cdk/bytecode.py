"""Compiled ``.pyc`` in the layers, so that a cold start does not compile the code from source.

Lambda unpacks layers into a read-only ``/opt``: without ``.pyc`` files there, every cold start
compiles every module it imports (and cannot cache the result). The bytecode must come from the
function's Python version (``cpython-312`` files are all a 3.12 runtime reads), so the build looks
for that interpreter; ``unchecked-hash`` files are used without looking at the source's timestamp
(the unzipped files' mtimes mean nothing), and ``-d /opt/python`` makes tracebacks name the paths
as Lambda sees them.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

#: Where a layer's ``python/`` directory ends up in the function.
LAMBDA_SITE = "/opt/python"


def lambda_python(version: str) -> str | None:
    """A ``python<version>`` to compile with: $PARLEY_LAYER_PYTHON, then PATH, then pyenv's versions."""
    candidates = [os.environ.get("PARLEY_LAYER_PYTHON"), shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}")),
                         reverse=True)
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30, check=False).stdout.strip()
        except OSError:
            continue
        if found == version:
            return candidate
    return None


def compile_site(site: Path, version: str) -> bool:
    """Compile every module under ``site`` for ``version``; False when no such interpreter is here
    (the layer still works: Lambda then compiles at each cold start, as without this)."""
    python = lambda_python(version)
    if python is None:
        return False
    result = subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-d", LAMBDA_SITE, str(site)],
        capture_output=True, text=True, check=False,
    )
    # compileall exits 1 when a file does not compile (a test fixture of some package, say): the rest
    # is still compiled, and that one file is compiled at import as before.
    if result.returncode not in (0, 1):
        raise RuntimeError(f"compileall failed ({result.returncode}): {result.stderr[-2000:]}")
    return True
