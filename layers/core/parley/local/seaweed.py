"""SeaweedFS as local mode's S3 server: its four components, each started as soon as it can be.

``weed server`` would run them all in one process, but it starts the filer after a fixed 1 s sleep and
the S3 gateway after 2 s, and its volume server could heartbeat before the master had become leader
(then retry 5 s later): 3.2 s to ready, 8 s on about a third of starts. Run apart, each starts the
moment the one it needs answers: master (a single master, leader at once), then the volume server and
the filer together, then the gateway.

The data directory's layout is the one ``weed server -dir`` made (volumes and ``filerldb2/`` in it,
the master's state in ``m<port>/``), so directories from earlier versions open unchanged.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from parley.local.probe import loopback_client

ComponentArgs = list[str]


@dataclass(frozen=True)
class SeaweedPorts:
    master: int
    volume: int
    filer: int
    s3: int
    master_grpc: int
    volume_grpc: int
    filer_grpc: int
    s3_grpc: int


@dataclass(frozen=True)
class SeaweedCommands:
    """The command line of each component, in the order they start."""

    master: ComponentArgs
    volume: ComponentArgs
    filer: ComponentArgs
    s3: ComponentArgs


def commands(weed: str, directory: Path, ports: SeaweedPorts, *, access_key: str, secret_key: str) -> SeaweedCommands:
    config = directory / "s3-identities.json"
    config.write_text(json.dumps({"identities": [{
        "name": "parley-local",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    socket = directory / "filer.sock"
    # SeaweedFS also listens on Unix sockets named after its ports, which a killed server leaves behind:
    # a port handed out again would then fail to bind. These ports are free, so any such file is stale.
    for stale in [socket, *(Path(tempfile.gettempdir()) / f"seaweedfs-{kind}-grpc-{port}.sock"
                            for kind, port in (("master", ports.master_grpc), ("volume", ports.volume_grpc),
                                               ("filer", ports.filer_grpc), ("s3", ports.s3_grpc)))]:
        stale.unlink(missing_ok=True)
    master = f"127.0.0.1:{ports.master}.{ports.master_grpc}"
    loopback = ["-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    return SeaweedCommands(
        master=[weed, "master", *loopback, f"-mdir={directory}", f"-port={ports.master}",
                f"-port.grpc={ports.master_grpc}", "-peers=none", "-telemetry=false", "-volumeSizeLimitMB=64"],
        volume=[weed, "volume", *loopback, f"-dir={directory}", f"-mserver={master}", f"-port={ports.volume}",
                f"-port.grpc={ports.volume_grpc}", "-max=64", "-preStopSeconds=0"],
        filer=[weed, "filer", *loopback, f"-defaultStoreDir={directory}", f"-master={master}",
               f"-port={ports.filer}", f"-port.grpc={ports.filer_grpc}", f"-localSocket={socket}"],
        s3=[weed, "s3", "-ip.bind=127.0.0.1", f"-filer=127.0.0.1:{ports.filer}.{ports.filer_grpc}",
            f"-localFilerSocket={socket}", f"-port={ports.s3}", f"-port.grpc={ports.s3_grpc}", f"-config={config}",
            # Listeners on fixed ports that Parley does not use (two apps on one machine would collide).
            "-port.iceberg=0", "-port.lance=0"],
    )


def _answers(check: Callable[[], bool]) -> bool:
    with contextlib.suppress(httpx.HTTPError, ValueError):
        return check()
    return False


def master_is_leader(port: int) -> bool:
    def check() -> bool:
        status: Any = loopback_client().get(f"http://127.0.0.1:{port}/cluster/status").json()
        return bool(status.get("IsLeader"))
    return _answers(check)


def filer_answers(port: int) -> bool:
    return _answers(lambda: loopback_client().get(f"http://127.0.0.1:{port}/").status_code < 500)
