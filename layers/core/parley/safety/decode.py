"""Encoded runs inside a text (base64, hex, percent and HTML escapes), decoded when they hide prose.

Models decode base64 and hex fluently, so an instruction smuggled that way still reaches them.
A run is decoded, and the result screened like any text, only when it turns into printable prose:
hashes, keys, images and hex dumps decode to binary and are left alone, which keeps this cheap
and keeps ordinary code and logs from being flagged for containing encodings.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

# Patterns start with a character class and carry no look-behind, so the regex engine can skip
# ahead cheaply through prose. Printable ASCII bytes are 0x20-0x7e, so a hex payload worth decoding
# is pairs whose first digit is 2-7: prose (whose hex letters a-f are everywhere) is skipped fast.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX_SPACED = re.compile(r"[2-7][0-9A-Fa-f](?:[ :,][2-7][0-9A-Fa-f]){7,}")
_HEX_RUN = re.compile(r"[2-7][0-9A-Fa-f](?:[2-7][0-9A-Fa-f]){7,}(?![0-9A-Za-z])")
_HEX_ESCAPED = re.compile(r"(?:(?:\\x|0x)[0-9A-Fa-f]{2}[ ,]*){6,}")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){6,}")
_ENTITIES = re.compile(r"(?:&#(?:[0-9]{2,3}|x[0-9A-Fa-f]{2});){6,}")

#: Bounds that keep a pathological document (megabytes of base64) from costing more than a glance.
MAX_RUNS = 48
MAX_RUN_CHARS = 8192
MIN_DECODED_CHARS = 8


@dataclass(frozen=True, slots=True)
class Decoded:
    kind: str
    text: str


def _looks_like_prose(text: str) -> bool:
    if len(text) < MIN_DECODED_CHARS or not text.isprintable() and not _printable_with_newlines(text):
        return False
    letters = sum(ch.isalpha() for ch in text)
    # Instructions are words: mostly letters, with spaces between them.
    return letters >= 0.6 * len(text.replace(" ", "")) and (" " in text or len(text) < 24)


def _printable_with_newlines(text: str) -> bool:
    return text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable()


def _could_be_base64(run: str) -> bool:
    # Long plain words ("internationalization") and snake_case identifiers match the alphabet;
    # encoded prose mixes cases and digits.
    return any(c.isupper() for c in run) and any(c.islower() for c in run) and (
        any(c.isdigit() or c in "+/=" for c in run) or sum(c.isupper() for c in run) * 5 > len(run))


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _b64(run: str) -> str | None:
    run = run[:MAX_RUN_CHARS]
    padded = run + "=" * (-len(run) % 4)
    try:
        if "-" in run or "_" in run:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _utf8(raw)


def _hex(run: str) -> str | None:
    digits = re.sub(r"\\x|0x|[^0-9A-Fa-f]", "", run[:MAX_RUN_CHARS])
    if len(digits) % 2:
        return None
    try:
        return _utf8(bytes.fromhex(digits))
    except ValueError:
        return None


def decode_runs(text: str) -> list[Decoded]:
    """Every encoded run in ``text`` that decodes to printable prose, at most :data:`MAX_RUNS`."""
    found: list[Decoded] = []
    seen = 0
    scanners = (
        ("base64", _BASE64, _b64),
        ("hex", _HEX_SPACED, _hex),
        ("hex", _HEX_RUN, _hex),
        ("hex", _HEX_ESCAPED, _hex),
        ("percent", _PERCENT, lambda run: unquote(run[:MAX_RUN_CHARS], errors="strict")),
        ("entities", _ENTITIES, lambda run: html.unescape(run[:MAX_RUN_CHARS])),
    )
    for kind, pattern, decode in scanners:
        # Cheap gates before a scan over a long document.
        if (kind == "percent" and "%" not in text or kind == "entities" and "&#" not in text
                or pattern is _HEX_ESCAPED and "\\x" not in text and "0x" not in text):
            continue
        for run in _runs(pattern, text):
            if kind == "base64" and not _could_be_base64(run):
                continue
            seen += 1
            if seen > MAX_RUNS:
                return found
            try:
                decoded = decode(run)
            except (UnicodeDecodeError, ValueError):
                decoded = None
            if decoded is not None and _looks_like_prose(decoded):
                found.append(Decoded(kind, decoded))
    return found


def _runs(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    if pattern is _BASE64 or pattern is _HEX_RUN:
        # Unspaced runs are whole tokens: splitting on whitespace (in C) and looking only at long
        # tokens is several times cheaper than a regex scan through prose.
        for token in text.split():
            if len(token) >= 16:
                for m in pattern.finditer(token):
                    if m.start() == 0 or not token[m.start() - 1].isalnum():
                        yield m.group(0)
        return
    for m in pattern.finditer(text):
        run = m.group(0)
        if pattern is _HEX_SPACED and m.start() > 0 and text[m.start() - 1].isalnum():
            run = run[3:]  # the first pair was the tail of a longer token
        yield run
