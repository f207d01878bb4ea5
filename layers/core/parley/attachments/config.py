"""How attachments are handled in this deployment: limits, lifetimes, chunking, and how extraction is isolated.

``make_extractor`` turns the isolation setting into the extraction strategy; the extraction
libraries (pypdf, python-docx, Pillow) load on its first call, never at import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from parley.attachments.limits import Limits

if TYPE_CHECKING:
    from parley.attachments.extracted import Extracted
    from parley.settings import Settings

Isolation = Literal["fork", "forkserver", "none"]
#: ``extractor(data, filename=..., content_type=..., limits=...)`` -> ``Extracted``; raises AttachmentError.
Extractor = Callable[..., "Extracted"]


@dataclass(frozen=True)
class AttachmentConfig:
    limits: Limits = field(default_factory=Limits)
    #: How long an upload URL lives (at most 900 s).
    upload_expires_s: int = 900
    #: An attachment never used in a sent message is deleted this long after its upload URL was issued.
    unused_ttl_s: int = 2 * 24 * 3600
    chunk_tokens: int = 400
    chunk_overlap: int = 50
    #: Process pending uploads when they are read (local mode: no S3 event can reach the app).
    process_inline: bool = False
    #: How extraction is isolated: ``fork`` in the single-threaded Lambda handler, ``forkserver`` in a
    #: threaded server (forking one with threads running can deadlock the child), ``none`` in process.
    isolation: Isolation = "fork"

    @property
    def claim_lease_ms(self) -> int:
        """How long a processor holds a record: the extraction's hard limit plus time for S3 writes."""
        return int((self.limits.time_budget_s + self.limits.isolated_grace_s + 60) * 1000)

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentConfig:
        """From ``Settings``; the two mode-dependent fields default by mode when unset (None).

        Read as given: a ``0`` (no chunk overlap) is a value, never "unset" (no ``or default``).
        """
        local = settings.mode == "local"
        inline = settings.attachment_process_inline
        return cls(
            limits=Limits.from_settings(settings),
            upload_expires_s=settings.attachment_upload_expires_s,
            unused_ttl_s=settings.attachment_unused_ttl_s,
            chunk_tokens=settings.attachment_chunk_tokens,
            chunk_overlap=settings.attachment_chunk_overlap,
            process_inline=local if inline is None else inline,
            isolation=settings.attachment_isolation or ("forkserver" if local else "fork"),
        )


def make_extractor(isolation: Isolation) -> Extractor:
    """The extraction strategy; the libraries are imported on the first call, not here."""

    def run(data: bytes, *, filename: str, content_type: str | None, limits: Limits) -> Extracted:
        if isolation == "none":
            from parley.attachments.extract import extract

            return extract(data, filename=filename, content_type=content_type, limits=limits)
        from parley.attachments.isolate import extract_isolated

        if isolation == "forkserver":
            _preload_forkserver()
        return extract_isolated(
            data, filename=filename, content_type=content_type, limits=limits, start_method=isolation
        )

    return run


def _preload_forkserver() -> None:
    import multiprocessing

    # The fork server imports these once; each extraction then forks from it without re-importing.
    multiprocessing.get_context("forkserver").set_forkserver_preload(["parley.attachments.extract"])


__all__ = ["AttachmentConfig", "Extractor", "Isolation", "make_extractor"]
