"""Attachment limits, and the checks a declared upload must pass before Parley hands out an upload URL."""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from parley.attachments.errors import (
    AttachmentTooLarge,
    ExtractionFailed,
    InvalidAttachment,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from parley.attachments.kinds import (
    ALL_KINDS,
    DOCUMENT_KINDS,
    Kind,
    KindInfo,
    KindMismatch,
    KindUnknown,
    classify,
    supported_summary,
)
from parley.lazy_re import lazy_compile

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What an attachment may be. Build one from settings at start-up (``Limits.from_settings``)."""

    allowed_kinds: frozenset[Kind] = ALL_KINDS
    max_document_bytes: int = 20 * MB
    max_image_bytes: int = 5 * MB
    max_text_bytes: int = 2 * MB
    max_pages: int = 500
    #: Extracted text beyond this is cut (and the result marked ``truncated``).
    max_chars: int = 2_000_000
    max_image_pixels: int = 40_000_000
    max_attachments_per_message: int = 10
    #: CSV rows kept (header included); the rest are counted and noted.
    max_csv_rows: int = 20_000
    #: DOCX zip guards, checked from the zip directory before anything is decompressed.
    max_zip_entries: int = 2_000
    max_zip_uncompressed_bytes: int = 150 * MB
    #: Members above 1 MB that expand more than this are treated as a zip bomb (Word XML is ~5-20x).
    max_zip_ratio: int = 200
    #: Wall-clock budget for one extraction, checked between pages, blocks and rows.
    time_budget_s: float = 30.0
    #: ``extract_isolated`` only: address space the child may add, and the grace after the budget
    #: before it is killed.
    isolated_memory_mb: int = 1024
    isolated_grace_s: float = 5.0

    def max_bytes(self, kind: Kind) -> int:
        if kind in DOCUMENT_KINDS:
            return self.max_document_bytes
        if kind == "image":
            return self.max_image_bytes
        return self.max_text_bytes

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """Read ``attachment_*`` fields from ``Settings`` where they exist; defaults for the rest.

        Field names: ``attachment_<limit name>`` (``attachment_max_pages``...), ``None`` meaning the
        default here, and ``attachment_allowed_kinds`` (kind names; empty meaning all).
        """
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            value = getattr(settings, f"attachment_{name}", None)
            if value is None or (name == "allowed_kinds" and not value):  # unset, or an empty env list
                continue
            if name == "allowed_kinds":
                unknown = set(value) - ALL_KINDS
                if unknown:
                    raise ValueError(f"unknown attachment kinds: {sorted(unknown)}")
                value = frozenset(value)
            values[name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Declared:
    """A declared upload that passed the checks: what the lead stores before the bytes arrive."""

    filename: str
    size: int
    kind: Kind
    media_type: str
    language: str | None = None


@dataclass(slots=True)
class Deadline:
    """A wall-clock budget checked between units of work (pages, blocks, rows).

    Cooperative: it cannot interrupt one slow library call; ``extract_isolated`` adds the hard stop.
    """

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self, doing: str) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise ExtractionFailed(
                f"reading the file took longer than {self.seconds:g} s (stopped while {doing})"
            )


_UNSAFE_NAME = lazy_compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_filename(filename: str, *, max_length: int = 200) -> str:
    """The last path component, NFC, without control or bidi-override characters, length-capped.

    File names reach the model's context, so they are cleaned like any other untrusted text.
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("", name).strip()
    if name in (".", ".."):
        return ""
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext}" if dot and len(ext) <= 16 else ""
        name = name[: max_length - len(suffix) - 1] + "\u2026" + suffix
    return name


def human_size(size: int) -> str:
    if size >= MB:
        whole = f"{size / MB:.1f} MB".replace(".0 MB", " MB")
        if size % MB and whole.endswith(" MB") and "." not in whole:
            # Just over a limit must not read as equal to it ("5 MB; at most 5 MB").
            return f"{size:,} bytes"
        return whole
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


KIND_LABELS: dict[Kind, str] = {
    "pdf": "PDF",
    "docx": "Word (DOCX)",
    "text": "text",
    "csv": "CSV",
    "json": "JSON",
    "code": "code",
    "image": "image",
}


def check_size(kind: Kind, size: int, limits: Limits, *, filename: str = "The file") -> None:
    if size <= 0:
        raise InvalidAttachment(f"{filename} is empty")
    limit = limits.max_bytes(kind)
    if size > limit:
        raise AttachmentTooLarge(
            f"{filename} is {human_size(size)}; {KIND_LABELS[kind]} files may be at most {human_size(limit)}"
        )


def validate_upload(filename: str, content_type: str | None, size: int, limits: Limits) -> Declared:
    """Check a declared upload (before issuing the presigned URL, and again on the real bytes).

    Raises ``InvalidAttachment`` (422), ``UnsupportedAttachmentType`` (415) or ``AttachmentTooLarge`` (413).
    """
    name = safe_filename(filename or "")
    if not name:
        raise InvalidAttachment("the attachment needs a file name")
    try:
        info: KindInfo = classify(name, content_type)
    except KindUnknown as e:
        raise UnsupportedAttachmentType(f"{name}: {e}. Parley reads {supported_summary()}.") from None
    except KindMismatch as e:
        raise InvalidAttachment(f"{name}: {e}") from None
    if info.kind not in limits.allowed_kinds:
        raise UnsupportedAttachmentType(f"{name}: {KIND_LABELS[info.kind]} attachments are not enabled here")
    check_size(info.kind, size, limits, filename=name)
    return Declared(
        filename=name, size=size, kind=info.kind, media_type=info.media_type, language=info.language
    )


def check_attachment_count(count: int, limits: Limits) -> None:
    if count > limits.max_attachments_per_message:
        raise TooManyAttachments(
            f"a message may carry at most {limits.max_attachments_per_message} attachments (got {count})"
        )


__all__ = [
    "Declared",
    "Deadline",
    "Limits",
    "check_attachment_count",
    "check_size",
    "human_size",
    "safe_filename",
    "validate_upload",
]
