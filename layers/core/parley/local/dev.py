"""``parley dev``: the app on uvicorn over the local servers, which it starts, watches and stops.

Order matters on the way out: the app stops taking requests, every live answer ends with a
retryable ``server_shutting_down`` event and is saved, and only then do the servers stop.
"""

from __future__ import annotations

import gc
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from parley.heap import after_start_up
from parley.local.servers import ACCESS_KEY, SECRET_KEY, LocalServers
from parley.local.warmup import start_warm_up
from parley.observability import use_log_level
from parley.settings import Settings


class GracefulServer(uvicorn.Server):
    """uvicorn that tells live generations about the shutdown as soon as the signal arrives.

    uvicorn waits for open connections before the app's lifespan shutdown runs, and an SSE stream
    stays open until its answer ends: without this, every stream would run out the graceful
    timeout and be cut without its final event.
    """

    def __init__(self, config: uvicorn.Config, on_exit: Any) -> None:
        super().__init__(config)
        self._on_exit = on_exit
        self._told = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self._told:
            self._told = True
            self._on_exit()
        super().handle_exit(sig, frame)


def reset_data_dir(data_dir: Path, *, assume_yes: bool) -> bool:
    """Wipe the data directory after a prompt (``assume_yes`` skips it). Returns whether it was wiped."""
    if not data_dir.exists():
        return True
    if not assume_yes:
        if not sys.stdin.isatty():
            print(f"refusing to delete {data_dir} without a terminal to ask; pass --yes", file=sys.stderr)
            return False
        answer = input(f"Delete every conversation, key and upload under {data_dir}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept", file=sys.stderr)
            return False
    shutil.rmtree(data_dir)
    print(f"deleted {data_dir}", file=sys.stderr)
    return True


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(settings: Settings, *, host: str, port: int, ephemeral: bool = False) -> int:
    """Serve until a signal. ``ephemeral``: DynamoDB Local in memory (no disk commit per write) and a
    scratch data directory (uploads, search index, logs), removed when the app stops."""
    gc.disable()  # until the app is built: see parley.heap
    from parley.app import create_app

    use_log_level(settings.log_level)
    data_dir = Path(tempfile.mkdtemp(prefix="parley-ephemeral-")) if ephemeral else Path(settings.data_dir)
    if ephemeral:
        settings = settings.model_copy(update={"data_dir": str(data_dir)})
    servers = LocalServers(data_dir, in_memory=ephemeral, dynamodb_local_dir=settings.dynamodb_local_dir)
    kept = f"nothing is kept: scratch in {data_dir}" if ephemeral else f"data in {data_dir.resolve()}"
    print(f"starting DynamoDB Local and the S3 server ({kept}) ...", file=sys.stderr)
    # SIGTERM while the servers start must still stop them (uvicorn's own handlers come later).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        endpoints = servers.start()
        signal.signal(signal.SIGTERM, previous)
        settings = settings.model_copy(update={"dynamodb_endpoint": endpoints.dynamodb, "s3_endpoint": endpoints.s3})
        app = create_app(settings)
        runner = app.state.container.runner
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                timeout_graceful_shutdown=max(int(settings.shutdown_grace_s), 1))
        server = GracefulServer(config, on_exit=runner.begin_shutdown)
        start_warm_up(endpoints.dynamodb, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        after_start_up()
        print(f"Parley (local mode, simulated model) on http://{host}:{port}", file=sys.stderr)
        # uvicorn raises the signal again once it has shut down; these note it instead of letting
        # it end the process before the servers are stopped.
        received: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, _frame: received.append(number))
        server.run()
        return 130 if signal.SIGINT in received else 0
    except KeyboardInterrupt:
        return 130
    finally:
        servers.stop()
        if ephemeral:
            shutil.rmtree(data_dir, ignore_errors=True)
        print("stopped", file=sys.stderr)
