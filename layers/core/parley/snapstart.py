"""Lambda SnapStart: what each execution environment restored from the snapshot must redo.

With SnapStart (the ``api`` function, see docs/deploy.md) Lambda runs the init phase once, when a
version is published, and resumes every new execution environment from a copy of that memory. So
whatever init leaves in memory is shared by every copy:

- AWS clients, their credentials and their pooled connections: init creates none (clients are built
  on first use, after the restore; ``tests/test_snapstart.py`` fails if init starts making them), so
  nothing has to be dropped here. Code that does create one at init must close it in a hook.
- The ``random`` module's state: botocore's retry jitter and ours draw from it, and identical copies
  would retry in lockstep. Reseeded here, from the kernel's pool (which the restored VM reseeds).

The other way round, work done before the snapshot is done for every copy: the entry can pass a
``warm`` hook, run once after init and before the snapshot is taken (the ``api`` function builds its
deferred routes there, see parley.api.lazy_routes), so a restored copy's first request finds them built.

``os.urandom``, ``secrets`` and ULIDs (``parley.ids``, from ``os.urandom``) need nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def after_restore() -> None:
    random.seed()  # no argument: from os.urandom, fresh in each restored environment


def register_restore_hooks(warm: Callable[[], None] | None = None) -> bool:
    """Register the hooks with the runtime; False where there is none (not Lambda's managed Python).

    ``warm`` runs before the snapshot; it must create no AWS client, connection or thread either.
    """
    try:  # in Lambda's Python 3.12+ runtimes
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    if warm is not None:
        register_before_snapshot(warm)
    register_after_restore(after_restore)
    return True
