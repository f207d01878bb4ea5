"""What the cold-storage job and the restorer are tuned by."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from parley.settings import Settings

DAY_MS = 86_400_000


@dataclass(frozen=True)
class ColdStoreConfig:
    #: Conversations not updated for this many days are moved to S3.
    idle_days: float = 30
    #: Key prefix of the archives (``<prefix><user>/<conversation>.json.gz``); a bucket lifecycle
    #: rule on it can move old archives to cheaper storage classes.
    prefix: str = "cold/"
    #: ``AES256`` (SSE-S3) or ``aws:kms`` (with ``kms_key_id``, or the account's S3 key).
    sse: str = "AES256"
    kms_key_id: str | None = None
    #: Bounds of one run of the job (it resumes where it stopped on the next run).
    max_conversations_per_run: int = 1000
    scan_page_size: int = 500
    #: A half-done archive older than this is someone's crash, not work in progress. It must exceed
    #: the longest a run can last (a Lambda runs at most 15 minutes).
    archive_stale_after_s: float = 1800
    #: A restore claim older than this is taken over by the next access (restores take well under 1 s).
    restore_stale_after_s: float = 30
    #: How long an access waits for somebody else's restore before answering 503 (retryable).
    restore_wait_s: float = 10
    #: Concurrent BatchWriteItem calls when restoring (25 items each).
    restore_parallelism: int = 4

    @property
    def idle_ms(self) -> int:
        return int(self.idle_days * DAY_MS)

    @classmethod
    def from_settings(cls, settings: Settings) -> ColdStoreConfig:
        """``Settings.coldstore_<field>`` where the settings have it, else the default above."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = getattr(settings, f"coldstore_{field.name}", None)
            if value is not None:
                values[field.name] = value
        return cls(**values)
