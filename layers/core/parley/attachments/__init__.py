"""Attachments: what an upload is, reading it safely, and choosing what of it reaches the model.

Pure functions; the API routes, storage and S3 events that call them live elsewhere.

- ``validate_upload`` / ``check_attachment_count``: before issuing an upload URL (413/415/422).
- ``extract_isolated`` (or ``extract`` in-process): bytes -> ``Extracted``; refusals are ``AttachmentError``.
- ``chunk_extracted``: ``Extracted`` -> chunks, once, when the file is processed.
- ``select_chunks`` + ``render_document``: per chat turn, the relevant chunks as an untrusted block.

Names load lazily: the chat path (chunks, selection, rendering) never imports pypdf, python-docx or
Pillow, which only the extraction path needs (about 110 ms of cold start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Chunk": "chunking",
    "chunk": "chunking",
    "chunk_extracted": "chunking",
    "chunks_from_json": "chunking",
    "chunks_to_json": "chunking",
    "AttachmentError": "errors",
    "AttachmentTooLarge": "errors",
    "ExtractionFailed": "errors",
    "InvalidAttachment": "errors",
    "TooManyAttachments": "errors",
    "UnsupportedAttachmentType": "errors",
    "extract": "extract",
    "Extracted": "extracted",
    "ImageInfo": "extracted",
    "Section": "extracted",
    "extract_isolated": "isolate",
    "run_isolated": "isolate",
    "Kind": "kinds",
    "classify": "kinds",
    "Deadline": "limits",
    "Declared": "limits",
    "Limits": "limits",
    "check_attachment_count": "limits",
    "safe_filename": "limits",
    "validate_upload": "limits",
    "bm25_scores": "relevance",
    "select_chunks": "relevance",
    "default_wrap": "render",
    "render_document": "render",
}
__all__ = [
    "AttachmentError",
    "AttachmentTooLarge",
    "Chunk",
    "Deadline",
    "Declared",
    "Extracted",
    "ExtractionFailed",
    "ImageInfo",
    "InvalidAttachment",
    "Kind",
    "Limits",
    "Section",
    "TooManyAttachments",
    "UnsupportedAttachmentType",
    "bm25_scores",
    "check_attachment_count",
    "chunk",
    "chunk_extracted",
    "chunks_from_json",
    "chunks_to_json",
    "classify",
    "default_wrap",
    "extract",
    "extract_isolated",
    "render_document",
    "run_isolated",
    "safe_filename",
    "select_chunks",
    "validate_upload",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from parley.attachments.chunking import Chunk, chunk, chunk_extracted, chunks_from_json, chunks_to_json
    from parley.attachments.errors import (
        AttachmentError,
        AttachmentTooLarge,
        ExtractionFailed,
        InvalidAttachment,
        TooManyAttachments,
        UnsupportedAttachmentType,
    )
    from parley.attachments.extract import extract
    from parley.attachments.extracted import Extracted, ImageInfo, Section
    from parley.attachments.isolate import extract_isolated, run_isolated
    from parley.attachments.kinds import Kind, classify
    from parley.attachments.limits import (
        Deadline,
        Declared,
        Limits,
        check_attachment_count,
        safe_filename,
        validate_upload,
    )
    from parley.attachments.relevance import bm25_scores, select_chunks
    from parley.attachments.render import default_wrap, render_document
