"""DOCX text with python-docx: paragraphs (headings marked) and tables, in document order.

A DOCX is a zip: its directory is checked before anything is decompressed (entry count, total and
per-member expansion), and python-docx's zip reads never yield more than a member's declared size,
so a lying directory cannot smuggle a bomb past the check. python-docx parses XML with entity
resolution off (no billion-laughs) and lxml's default depth and node-size limits.
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn

from parley.attachments.errors import ExtractionFailed
from parley.attachments.extracted import Body, TextBuilder
from parley.attachments.limits import Deadline, Limits, human_size

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING = re.compile(r"^(?:heading|title)\s*(\d?)$", re.IGNORECASE)
_W_P = qn("w:p")
_W_TBL = qn("w:tbl")


def check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open the zip and refuse bombs from its directory alone."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExtractionFailed("the DOCX file is damaged (not a readable zip archive)") from None
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise ExtractionFailed(
            f"the DOCX has {len(infos):,} parts; at most {limits.max_zip_entries:,} are supported"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_zip_uncompressed_bytes:
        raise ExtractionFailed(
            f"the DOCX expands to {human_size(total)}; "
            f"at most {human_size(limits.max_zip_uncompressed_bytes)} is supported"
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise ExtractionFailed("the DOCX is encrypted; remove the password and upload it again")
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_zip_ratio * max(
            info.compress_size, 1
        ):
            raise ExtractionFailed("the DOCX contains a part that expands suspiciously (a zip bomb?)")
    names = set(archive.namelist())
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise ExtractionFailed("this zip file is not a Word document")
    return archive


def read_docx(data: bytes, limits: Limits, deadline: Deadline) -> Body:
    if data.startswith(_OLE_MAGIC):
        # Password-protected .docx files are OLE containers too, as are legacy .doc files.
        raise ExtractionFailed(
            "this is a password-protected or legacy (.doc) Word file; remove the password or save it as .docx"
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ExtractionFailed("this is not a DOCX file")
    check_zip(data, limits).close()
    deadline.check("opening the document")
    document = docx.Document(io.BytesIO(data))
    heading_levels = _heading_levels(document)

    out = TextBuilder(limits.max_chars)
    first = True
    for n, element in enumerate(document.element.body.inner_content_elements):
        if n % 200 == 0:
            deadline.check(f"reading block {n:,}")
        heading: str | None = None
        if element.tag == _W_P:
            text = element.text.strip()
            level = heading_levels.get(element.style or "")
            if level is not None and text:
                heading = text[:200]
                text = "#" * level + " " + text
        elif element.tag == _W_TBL:
            text = _table_text(element)
        else:  # pragma: no cover - inner_content_elements yields only paragraphs and tables
            continue
        if not text:
            continue
        if not first and not out.add("\n\n"):
            break
        if heading is not None:
            out.begin_section(heading)
        if not out.add(text):
            break
        first = False
    body = out.text()
    if not body.strip():
        raise ExtractionFailed("the document contains no text")
    notes = ("text extraction stopped at the character limit",) if out.truncated else ()
    return Body(text=body, sections=tuple(out.sections), truncated=out.truncated, notes=notes)


def _heading_levels(document: DocxDocument) -> dict[str, int]:
    """Style id -> heading level, from style names (ids are localised: "berschrift1" in German Word)."""
    levels: dict[str, int] = {}
    for style in document.styles:
        match = _HEADING.match((style.name or "").strip())
        if match and style.style_id:
            levels[style.style_id] = int(match.group(1) or 1)
    return levels


def _table_text(tbl) -> str:  # type: ignore[no-untyped-def]  # lxml element
    rows: list[str] = []
    for tr in tbl.iterchildren(qn("w:tr")):
        cells = [
            " ".join(p.text.strip() for p in tc.iter(_W_P)).strip() for tc in tr.iterchildren(qn("w:tc"))
        ]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
