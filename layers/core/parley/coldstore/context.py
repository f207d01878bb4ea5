"""What the archiver, the restorer and the job share."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from parley.coldstore.config import ColdStoreConfig
from parley.coldstore.objects import ArchiveObjects
from parley.coldstore.rawtable import RawTable
from parley.coldstore.stub import object_key
from parley.errors import ParleyError

#: Called at each named step (``"archive.written"``...); tests inject crashes through it.
Fault = Callable[[str], None]
#: Milliseconds since the epoch (tests move time forward to make half-done moves stale).
Clock = Callable[[], int]


def no_fault(step: str) -> None:
    return None


class ColdArchiveError(ParleyError):
    """A cold conversation whose archive is missing or unreadable: never papered over."""

    code, retryable = "cold_archive_error", False


@dataclass
class ColdContext:
    table: RawTable
    objects: ArchiveObjects
    config: ColdStoreConfig
    clock: Clock
    fault: Fault = no_fault

    def key(self, user_id: str, conversation_id: str) -> str:
        return object_key(self.config.prefix, user_id, conversation_id)

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex
