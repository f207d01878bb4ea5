"""``parley dev`` as a user runs it: a real process with its own servers, stopped by signals."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET
from tests.support import free_port


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc, so it works for processes we did not start)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def servers(self) -> set[int]:
        return children_of(self.process.pid)

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def auth(user: str, tier: str = "plus") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, user, tier)}"}  # type: ignore[arg-type]


@contextlib.contextmanager
def dev_server(data_dir: Path, *, env: dict[str, str] | None = None, log_name: str = "dev.log",
               ephemeral: bool = False) -> Iterator[DevServer]:
    """Start ``parley dev --data-dir data_dir`` (or ``--ephemeral``, its log still beside ``data_dir``)
    and wait until it serves; kill it at the end if still up."""
    port = free_port()
    log = data_dir.parent / log_name
    environment = {**os.environ, "PARLEY_SIM_TTFT_MS": "0", "PARLEY_SIM_TOKENS_PER_S": "0", **(env or {})}
    environment.pop("PARLEY_MODE", None)
    with open(log, "ab") as out:
        where = ["--ephemeral"] if ephemeral else ["--data-dir", str(data_dir)]
        process = subprocess.Popen([sys.executable, "-m", "parley.cli", "dev", *where, "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=environment, stdin=subprocess.DEVNULL)
    server = DevServer(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"parley dev exited with {process.returncode}:\n{server.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"parley dev did not serve in time:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            left = server.servers()
            process.kill()
            process.wait(timeout=10)
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
