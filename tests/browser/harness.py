"""A `parley dev`-style server in a subprocess and headless Debian Chromium, for the browser tests
and `tests/bench/bench_web.py`. Nothing here downloads anything: the browser is the system one."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class SetupError(RuntimeError):
    """What is missing to run the browser tests, said so a person can fix it."""


def check_chromium() -> str:
    if not CHROMIUM.is_file():
        raise SetupError(
            f"Chromium is not installed at {CHROMIUM}. `make test` installs it "
            "(`apt-get update && apt-get install -y chromium`); the browser tests cannot run without it."
        )
    return str(CHROMIUM)


def _newest_source_mtime() -> float:
    paths = [WEB / "index.html", WEB / "package-lock.json", WEB / "vite.config.ts"]
    paths += [p for p in (WEB / "src").rglob("*") if p.is_file() and ".test." not in p.name]
    return max(p.stat().st_mtime for p in paths if p.exists())


def check_dist() -> Path:
    index = DIST / "index.html"
    if not index.is_file():
        raise SetupError(f"The web client is not built ({index} is missing): run `make web`.")
    if index.stat().st_mtime < _newest_source_mtime():
        raise SetupError("web/dist is older than the sources in web/: run `make web` to rebuild it.")
    return DIST


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python -m parley.cli dev` on a free loopback port, local mode, serving web/dist."""

    def __init__(self, env: Mapping[str, str], log_name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = ARTIFACTS / log_name
        self._proc: subprocess.Popen[bytes] | None = None
        self._data_dir: str | None = None

    def start(self, timeout_s: float = 60.0) -> Server:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        # A data directory of its own: nothing from the developer's .parley/ or from an earlier run.
        self._data_dir = tempfile.mkdtemp(prefix="parley-browser-")
        env.update({"PARLEY_MODE": "local", "PARLEY_WEB_DIST": str(DIST), "PARLEY_DATA_DIR": self._data_dir,
                    **self.env})
        log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "parley.cli", "dev", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SetupError(f"the server exited with {self._proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise SetupError(f"the server did not answer /health within {timeout_s:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None

    # A small API client for seeding data (the browser tests drive the UI; setup goes straight to the API).
    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        if body is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            if r.headers.get("content-type", "").startswith("text/event-stream"):
                return raw.decode()
            return json.loads(raw) if raw else None

    def token(self, user_id: str, tier: str = "plus") -> str:
        return str(self.call("POST", "/dev/token", body={"userId": user_id, "tier": tier})["token"])


@contextmanager
def running_server(env: Mapping[str, str], log_name: str) -> Iterator[Server]:
    server = Server(env, log_name).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium under Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    path = check_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def seed_long_conversation(server: Server, token: str, turns: int) -> str:
    """A conversation of `turns` user/assistant pairs, sent through the API (needs a fast simulator)."""
    cid = server.call("POST", "/conversations", token, {"title": f"{2 * turns} messages"})["conversationId"]
    for i in range(turns):
        content = (f"Message {i}: tell me about item {i}.\n\n- point one\n- point `two`\n\n"
                   f"```python\nprint({i})\n```")
        stream = server.call("POST", f"/conversations/{cid}/messages", token, {"content": content})
        if "event: message_end" not in stream:
            raise RuntimeError(f"seeding turn {i} did not finish: {stream[-300:]}")
    return cid
