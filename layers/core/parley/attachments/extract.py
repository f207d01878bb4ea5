"""``extract``: bytes of one upload -> ``Extracted`` (text, sections, token count; or image facts).

Everything that can go wrong with a hostile or broken file ends in ``ExtractionFailed`` with a reason
a user can read; nothing else escapes (the boundary catches broadly, but names what failed). Time is
bounded cooperatively by a deadline checked between pages, blocks and rows; ``extract_isolated``
(isolate.py) adds a hard stop and a memory cap for what a single library call could still do.
"""

from __future__ import annotations

import hashlib

from parley.attachments.errors import AttachmentError, ExtractionFailed
from parley.attachments.extracted import Body, Extracted
from parley.attachments.images import read_image
from parley.attachments.limits import KIND_LABELS, Deadline, Declared, Limits, validate_upload
from parley.attachments.pdf import read_pdf
from parley.attachments.plain import read_code, read_csv, read_json, read_text
from parley.attachments.word import read_docx
from parley.observability import logger
from parley.tokens import count_tokens


def extract(
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    limits: Limits,
    deadline: Deadline | None = None,
) -> Extracted:
    """Read an upload. Raises ``AttachmentError`` subclasses only (413, 415, 422 ``extraction_failed``)."""
    # The declared size was checked before the upload; the bytes that arrived are checked again.
    declared = validate_upload(filename, content_type, len(data), limits)
    deadline = deadline or Deadline(limits.time_budget_s)
    try:
        body = _read(data, declared, limits, deadline)
        deadline.check("finishing")
        tokens = count_tokens(body.text)
    except AttachmentError:
        raise
    except MemoryError:
        raise ExtractionFailed(
            "reading the file needed more memory than allowed (it may be a decompression bomb)"
        ) from None
    except RecursionError:
        raise ExtractionFailed("the file's structure is nested too deeply to read") from None
    except Exception as e:
        # Libraries raise anything on hostile input; the reason names the library's complaint.
        logger.info("extraction failed", extra={"kind": declared.kind, "error": type(e).__name__})
        raise ExtractionFailed(
            f"the {KIND_LABELS[declared.kind]} file could not be read; it may be damaged ({_describe(e)})"
        ) from e
    return Extracted(
        kind=declared.kind,
        filename=declared.filename,
        media_type=body.image.media_type if body.image else declared.media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        text=body.text,
        tokens=tokens,
        sections=body.sections,
        pages=body.pages,
        language=declared.language,
        image=body.image,
        truncated=body.truncated,
        notes=body.notes,
    )


def _read(data: bytes, declared: Declared, limits: Limits, deadline: Deadline) -> Body:
    match declared.kind:
        case "pdf":
            return read_pdf(data, limits, deadline)
        case "docx":
            return read_docx(data, limits, deadline)
        case "image":
            return read_image(data, declared.media_type, limits)
        case "csv":
            return read_csv(data, declared.filename, limits, deadline)
        case "json":
            return read_json(data, limits)
        case "code":
            return read_code(data, declared.language, limits)
        case _:
            return read_text(data, limits)


def _describe(error: Exception) -> str:
    detail = " ".join(str(error).split())[:160]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
