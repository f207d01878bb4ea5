"""Benchmarks run on local mode's real servers, with throwaway data (DynamoDB Local in memory)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator

from parley.local import servers


@contextlib.contextmanager
def scratch_servers() -> Iterator[None]:
    """The local servers for the apps built inside, started on first use and stopped at the end."""
    scratch = tempfile.mkdtemp(prefix="parley-bench-")
    servers.configure(scratch, in_memory=True)
    try:
        yield
    finally:
        servers.stop_running()
        servers.configure()
        shutil.rmtree(scratch, ignore_errors=True)
