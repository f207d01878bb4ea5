"""Lambda SnapStart: what each execution environment restored from the snapshot must redo.

With SnapStart (the ``api`` function, see docs/deploy.md) Lambda runs the init phase once, when a
version is published, and resumes every new execution environment from a copy of that memory. So
whatever init leaves in memory is shared by every copy:

- AWS clients, their credentials and their pooled connections: init creates none (clients are built
  on first use, after the restore; ``tests/test_snapstart.py`` fails if init starts making them), so
  nothing has to be dropped here. Code that does create one at init must close it in a hook.
- The ``random`` module's state: botocore's retry jitter and ours draw from it, and identical copies
  would retry in lockstep. Reseeded here, from the kernel's pool (which the restored VM reseeds).

``os.urandom``, ``secrets`` and ULIDs (``parley.ids``, from ``os.urandom``) need nothing.
"""

from __future__ import annotations

import random


def after_restore() -> None:
    random.seed()  # no argument: from os.urandom, fresh in each restored environment


def register_restore_hooks() -> bool:
    """Register the hooks with the runtime; False where there is none (not Lambda's managed Python)."""
    try:
        from snapshot_restore_py import register_after_restore  # in Lambda's Python 3.12+ runtimes
    except ImportError:
        return False
    register_after_restore(after_restore)
    return True
