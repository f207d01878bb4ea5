"""PDF text, page by page, with pypdf (pure Python: nothing to compile into the Lambda layer)."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from parley.attachments.errors import ExtractionFailed
from parley.attachments.extracted import Body, TextBuilder
from parley.attachments.limits import Deadline, Limits

_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def page_marker(number: int) -> str:
    return f"[page {number}]"


def read_pdf(data: bytes, limits: Limits, deadline: Deadline) -> Body:
    # The header may follow some junk, but must come within the first KB (as readers require).
    if b"%PDF-" not in data[:1024]:
        raise ExtractionFailed("this is not a PDF file (no PDF header)")
    reader = PdfReader(io.BytesIO(data), strict=False)
    _open_encrypted(reader)

    declared = _declared_page_count(reader)
    if declared is not None and declared > limits.max_pages:
        raise ExtractionFailed(f"the PDF has {declared:,} pages; at most {limits.max_pages:,} are supported")
    deadline.check("reading the page list")
    count = len(reader.pages)
    if count > limits.max_pages:
        raise ExtractionFailed(f"the PDF has {count:,} pages; at most {limits.max_pages:,} are supported")
    if count == 0:
        raise ExtractionFailed("the PDF has no pages")

    out = TextBuilder(limits.max_chars)
    empty_pages = 0
    read = 0
    for number in range(1, count + 1):
        deadline.check(f"reading page {number}")
        text = _tidy(reader.pages[number - 1].extract_text() or "")
        read = number
        if not text:
            empty_pages += 1
        if number > 1 and not out.add("\n\n"):
            break
        out.begin_section(f"page {number}", page=number)
        if not out.add(page_marker(number) + "\n" + text):
            break
    body = out.text()
    if empty_pages == read:
        raise ExtractionFailed(
            "the PDF has no extractable text (it may be scanned images; text recognition is not supported)"
        )
    notes: list[str] = []
    if out.truncated:
        notes.append(f"text extraction stopped at page {read} of {count} (character limit reached)")
    if empty_pages:
        notes.append(f"{empty_pages} of {read} pages had no extractable text (scanned or image-only pages)")
    return Body(
        text=body, sections=tuple(out.sections), pages=count, truncated=out.truncated, notes=tuple(notes)
    )


def _open_encrypted(reader: PdfReader) -> None:
    if not reader.is_encrypted:
        return
    # Many "protected" PDFs only restrict printing or copying and open with an empty user password.
    try:
        result = reader.decrypt("")
    except (DependencyError, NotImplementedError):
        raise ExtractionFailed("the PDF uses an encryption method that cannot be opened") from None
    except FileNotDecryptedError:
        result = PasswordType.NOT_DECRYPTED
    if result == PasswordType.NOT_DECRYPTED:
        raise ExtractionFailed("the PDF is password-protected; remove the password and upload it again")


def _declared_page_count(reader: PdfReader) -> int | None:
    """``/Count`` of the page tree's root: read before walking the tree (a hostile file makes it huge)."""
    try:
        # pypdf types the trailer as an object; a hostile file may make any step missing (caught).
        trailer: Any = reader.trailer
        count = trailer["/Root"]["/Pages"]["/Count"]
        return int(count)
    except Exception:  # a missing or odd /Count is left to the real walk below
        return None


def _tidy(text: str) -> str:
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n").replace("\x00", ""))
    return _BLANK_RUNS.sub("\n\n", text).strip()
