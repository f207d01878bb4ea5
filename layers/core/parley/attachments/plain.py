"""Readers for the text kinds: plain text and Markdown, CSV, JSON and source code."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

from parley.attachments.errors import ExtractionFailed
from parley.attachments.extracted import Body, Section
from parley.attachments.limits import Deadline, Limits

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.*?)[ \t#]*$", re.MULTILINE)
_BACKTICK_RUN = re.compile(r"`{3,}")


def decode_text(data: bytes) -> str:
    """UTF-8 (or UTF-16 with a byte-order mark) to text with ``\\n`` line ends; refuses binary data."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as e:
        if b"\x00" in data[:8192]:
            raise ExtractionFailed("this looks like a binary file, not text") from None
        raise ExtractionFailed(
            f"the file is not valid UTF-8 text (invalid byte at position {e.start}); "
            "save it as UTF-8 and upload it again"
        ) from None
    # Control characters other than tab, newlines and form feed do not occur in real text files.
    controls = len(_CONTROL.findall(text, 0, 1_000_000))
    if "\x00" in text or controls > max(8, len(text[:1_000_000]) // 200):
        raise ExtractionFailed("this looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cap(text: str, limits: Limits) -> tuple[str, bool, tuple[str, ...]]:
    if len(text) <= limits.max_chars:
        return text, False, ()
    cut = text.rfind("\n", max(0, limits.max_chars - 2000), limits.max_chars)
    kept = text[: cut if cut > 0 else limits.max_chars]
    return kept, True, (f"only the first {len(kept):,} of {len(text):,} characters were extracted",)


def read_text(data: bytes, limits: Limits) -> Body:
    text, truncated, notes = _cap(decode_text(data), limits)
    if not text.strip():
        raise ExtractionFailed("the file contains no text")
    return Body(text=text, sections=markdown_sections(text), truncated=truncated, notes=notes)


def markdown_sections(text: str) -> tuple[Section, ...]:
    """Sections at Markdown headings (outside code fences is not checked: a cheap, harmless approximation)."""
    heads = [(m.start(), m.group(2)) for m in _MD_HEADING.finditer(text)]
    return tuple(
        Section(label=label[:200], start=start, end=heads[i + 1][0] if i + 1 < len(heads) else len(text))
        for i, (start, label) in enumerate(heads)
    )


def fence_for(body: str) -> str:
    """A backtick fence longer than any backtick run inside the code."""
    longest = max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(body)), default=0)
    return "`" * max(3, longest + 1)


def fence(body: str, language: str | None) -> str:
    marks = fence_for(body)
    return f"{marks}{language or ''}\n{body.rstrip(chr(10))}\n{marks}"


def unfence(text: str) -> tuple[str, str | None]:
    """Inverse of ``fence``: (code, language)."""
    first, _, rest = text.partition("\n")
    marks = first[: len(first) - len(first.lstrip("`"))]
    language = first[len(marks) :] or None
    body = rest[: -len(marks)] if rest.endswith(marks) else rest
    return body.removesuffix("\n"), language


def read_code(data: bytes, language: str | None, limits: Limits) -> Body:
    text, truncated, notes = _cap(decode_text(data), limits)
    if not text.strip():
        raise ExtractionFailed("the file contains no text")
    return Body(text=fence(text, language), truncated=truncated, notes=notes)


def read_json(data: bytes, limits: Limits) -> Body:
    text = decode_text(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg.startswith("Extra data") and _is_json_lines(text):
            lines, truncated, notes = _cap(text, limits)
            return Body(text=lines, truncated=truncated, notes=notes)
        raise ExtractionFailed(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise ExtractionFailed("the JSON is nested too deeply to read") from None
    stripped = text.strip()
    minified = "\n" not in stripped and 80 < len(stripped) <= limits.max_chars // 4
    if minified and _depth(value) <= _PRETTY_DEPTH:
        # Minified JSON becomes readable (and chunkable on line boundaries) when pretty-printed. Only
        # shallow, modest documents: indentation grows with depth, and a deep one would balloon.
        pretty = json.dumps(value, indent=2, ensure_ascii=False)
        if len(pretty) <= limits.max_chars:
            text = pretty
    text, truncated, notes = _cap(text, limits)
    return Body(text=text, truncated=truncated, notes=notes)


_PRETTY_DEPTH = 32


def _depth(value: object) -> int:
    """Nesting depth, iteratively (the value may be as deep as the parser allowed)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > _PRETTY_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_json_lines(text: str) -> bool:
    try:
        for line in text.splitlines():
            if line.strip():
                json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def read_csv(data: bytes, filename: str, limits: Limits, deadline: Deadline) -> Body:
    text = decode_text(data)
    delimiter = "\t" if filename.lower().endswith(".tsv") else _sniff_delimiter(text[:65536])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    kept = total = 0
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            total += 1
            if total % 5000 == 0:
                deadline.check(f"reading row {total:,}")
            if kept < limits.max_csv_rows and out.tell() < limits.max_chars:
                writer.writerow(row)
                kept += 1
    except csv.Error as e:
        raise ExtractionFailed(f"the CSV could not be read at row {total + 1}: {e}") from None
    body = out.getvalue()
    if not body.strip():
        raise ExtractionFailed("the CSV file has no rows")
    body, cut, notes = _cap(body, limits)
    truncated = cut or kept < total
    if kept < total:
        notes = (f"only the first {kept:,} of {total:,} rows were extracted",)
    return Body(text=body, truncated=truncated, notes=notes)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
