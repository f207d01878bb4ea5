"""Split extracted text into token-bounded chunks on natural boundaries, with overlap.

Boundaries, coarsest first: prose splits on blank lines, then sentence ends, then line ends; code on
blank lines, then line ends; rows (CSV) on line ends. A piece still over the limit is cut by tokens,
at whitespace where there is some. Pieces are packed greedily; a chunk ends early (once at least half
full) before a strong boundary: a page or section start, a Markdown heading, a definition in code.
Each chunk after the first starts with up to ``overlap`` tokens of the previous one, snapped forward
to a sentence (or line) start, so that a fact cut at a boundary is whole in one of the two.

Chunk texts are slices of the input (plus, for CSV, the header row repeated at the top), and carry
their offsets, so a renderer can merge neighbours without repeating the overlap.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from parley.attachments.extracted import Extracted, Section
from parley.attachments.plain import unfence
from parley.tokens import count_tokens, encoding

Mode = Literal["prose", "code", "rows"]


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    text: str
    tokens: int
    #: ``text`` is ``text[:prefix_chars]`` (a repeated CSV header, else empty) + source[start:end].
    start: int = 0
    end: int = 0
    prefix_chars: int = 0
    #: First and last page the chunk touches (PDF only).
    page: int | None = None
    page_end: int | None = None


#: Blank lines; the next line's indentation stays with it (code).
_PARAGRAPH = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")
_SENTENCE = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*(\s+)")
_LINE = re.compile(r"\n")
_SPACE = re.compile(r" +")
_DEFINITION = re.compile(
    r"[ \t]{0,4}(?:@\w|(?:export\s+)?(?:default\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|function|func|fn|impl|struct|enum|interface|trait|module|namespace|"
    r"public|private|protected|internal|static|CREATE|ALTER)\b)"
)
_LEVELS: dict[Mode, tuple[re.Pattern[str], ...]] = {
    "prose": (_PARAGRAPH, _SENTENCE, _LINE),
    "code": (_PARAGRAPH, _LINE),
    "rows": (_LINE,),
}
#: Tokens a join between two pieces may add ("\n\n" and friends); the exact count is checked anyway.
_JOIN_TOKENS = 1


@dataclass(slots=True)
class _Unit:
    start: int
    end: int
    tokens: int
    strong: bool = False


def chunk(
    text: str,
    *,
    max_tokens: int = 400,
    overlap: int = 50,
    mode: Mode = "prose",
    sections: Sequence[Section] = (),
    header: str | None = None,
) -> list[Chunk]:
    """Chunks of at most ``max_tokens`` tokens (exact, by ``count_tokens``), in document order.

    ``sections`` (from ``Extracted``) mark strong boundaries and give chunks their pages; ``header``
    (CSV) is repeated at the top of every chunk after the first.
    """
    if max_tokens < 16:
        raise ValueError("max_tokens must be at least 16")
    if not 0 <= overlap <= max_tokens // 2:
        raise ValueError("overlap must be between 0 and max_tokens / 2")
    if not text.strip():
        return []
    prefix = f"{header}\n" if header else ""
    prefix_tokens = count_tokens(prefix)
    if prefix_tokens > max_tokens // 4:
        prefix, prefix_tokens = "", 0
    limit = max_tokens - overlap - prefix_tokens - _JOIN_TOKENS
    units = _mark_strong(_split(text, 0, len(text), _LEVELS[mode], limit), text, mode, sections)
    return _pack(text, units, max_tokens, overlap, mode, prefix, prefix_tokens, sections)


def chunk_extracted(extracted: Extracted, *, max_tokens: int = 400, overlap: int = 50) -> list[Chunk]:
    """Chunk an extraction the way its kind wants (code unfenced and split on definitions, CSV by rows)."""
    match extracted.kind:
        case "image":
            return []
        case "code":
            body, _ = unfence(extracted.text)
            return chunk(body, max_tokens=max_tokens, overlap=overlap, mode="code")
        case "json":
            return chunk(extracted.text, max_tokens=max_tokens, overlap=overlap, mode="code")
        case "csv":
            header = extracted.text.split("\n", 1)[0]
            return chunk(extracted.text, max_tokens=max_tokens, overlap=overlap, mode="rows", header=header)
        case _:
            return chunk(extracted.text, max_tokens=max_tokens, overlap=overlap, sections=extracted.sections)


def chunks_to_json(chunks: Iterable[Chunk]) -> bytes:
    return json.dumps([asdict(c) for c in chunks], ensure_ascii=False, separators=(",", ":")).encode()


def chunks_from_json(data: bytes | str) -> list[Chunk]:
    return [Chunk(**item) for item in json.loads(data)]


# --- splitting ---------------------------------------------------------------------------------


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding blank space, keeping the first line's indentation."""
    stripped_end = start + len(text[start:end].rstrip())
    if stripped_end <= start:
        return None
    lead = start + (len(text[start:stripped_end]) - len(text[start:stripped_end].lstrip()))
    line_start = text.rfind("\n", start, lead)
    if line_start >= 0:
        return line_start + 1, stripped_end
    if start == 0 or text[start - 1] == "\n":
        return start, stripped_end
    return lead, stripped_end


def _split(text: str, start: int, end: int, levels: tuple[re.Pattern[str], ...], limit: int) -> list[_Unit]:
    span = _trimmed(text, start, end)
    if span is None:
        return []
    start, end = span
    tokens = count_tokens(text[start:end])
    if tokens <= limit:
        return [_Unit(start, end, tokens)]
    if not levels:
        return _cut_by_tokens(text, start, end, limit)
    pattern, rest = levels[0], levels[1:]
    units: list[_Unit] = []
    piece_start = start
    for match in pattern.finditer(text, start, end):
        # Sentence ends keep their punctuation: the cut is where the trailing space begins.
        cut = match.start(1) if match.re.groups else match.start()
        units.extend(_split(text, piece_start, cut, rest, limit))
        piece_start = match.end()
    if piece_start == start:  # no boundary of this level inside: go finer
        return _split(text, start, end, rest, limit) if rest else _cut_by_tokens(text, start, end, limit)
    units.extend(_split(text, piece_start, end, rest, limit))
    return units


def _cut_by_tokens(text: str, start: int, end: int, limit: int) -> list[_Unit]:
    """Last resort for a piece without boundaries: cut every ``limit`` tokens, at whitespace if near."""
    enc = encoding()
    piece = text[start:end]
    ids = enc.encode(piece, disallowed_special=())
    _, offsets = enc.decode_with_offsets(ids)
    units: list[_Unit] = []
    at = 0
    while at < len(ids):
        stop = min(at + limit, len(ids))
        if stop < len(ids):
            lo, hi = offsets[at + (stop - at) // 2], offsets[stop]
            space = max(piece.rfind(" ", lo, hi), piece.rfind("\n", lo, hi))
            if space > lo:
                # Tokens carry their leading space (" word"): cut before the token that starts there.
                stop = max(at + 1, bisect.bisect_left(offsets, space, at, stop))
        char_from = offsets[at]
        char_to = offsets[stop] if stop < len(ids) else len(piece)
        span = _trimmed(text, start + char_from, start + char_to)
        if span is not None:
            units.append(_Unit(span[0], span[1], count_tokens(text[span[0] : span[1]])))
        at = stop
    return units


def _mark_strong(units: list[_Unit], text: str, mode: Mode, sections: Sequence[Section]) -> list[_Unit]:
    starts = sorted(s.start for s in sections)
    previous_end = 0
    for unit in units:
        first = bisect.bisect_left(starts, previous_end)
        if first < len(starts) and starts[first] <= unit.start:
            unit.strong = True
        elif mode == "prose" and text.startswith("#", unit.start):
            unit.strong = True
        elif mode == "code" and _DEFINITION.match(text, unit.start):
            unit.strong = True
        previous_end = unit.end
    return units


# --- packing -----------------------------------------------------------------------------------


def _pack(
    text: str,
    units: list[_Unit],
    max_tokens: int,
    overlap: int,
    mode: Mode,
    prefix: str,
    prefix_tokens: int,
    sections: Sequence[Section],
) -> list[Chunk]:
    pages = _PageMap(sections)
    chunks: list[Chunk] = []
    i = 0
    prev: tuple[int, int] | None = None  # own start and end of the previous chunk
    while i < len(units):
        lead = prefix if chunks else ""
        lead_tokens = prefix_tokens if chunks else 0
        begin = units[i].start
        if prev is not None and overlap:
            begin = _overlap_start(text, prev[0], prev[1], overlap, mode) or begin
        overlap_tokens = count_tokens(text[begin : units[i].start]) if begin < units[i].start else 0
        room = max_tokens - lead_tokens - overlap_tokens
        used = units[i].tokens
        j = i + 1
        while j < len(units):
            cost = units[j].tokens + _JOIN_TOKENS
            if used + cost > room or (units[j].strong and used >= room // 2):
                break
            used += cost
            j += 1
        body = lead + text[begin : units[j - 1].end]
        tokens = count_tokens(body)
        while tokens > max_tokens and j > i + 1:  # the join estimate was short: give back a piece
            j -= 1
            body = lead + text[begin : units[j - 1].end]
            tokens = count_tokens(body)
        if tokens > max_tokens and begin < units[i].start:  # last resort: drop the overlap
            begin = units[i].start
            body = lead + text[begin : units[j - 1].end]
            tokens = count_tokens(body)
        end = units[j - 1].end
        first_page, last_page = pages.span(begin, end)
        chunks.append(
            Chunk(
                index=len(chunks),
                text=body,
                tokens=tokens,
                start=begin,
                end=end,
                prefix_chars=len(lead),
                page=first_page,
                page_end=last_page,
            )
        )
        prev = (units[i].start, end)
        i = j
    return chunks


def _overlap_start(text: str, own_start: int, end: int, overlap: int, mode: Mode) -> int | None:
    """Where the next chunk starts: about ``overlap`` tokens before ``end``, at a sentence or line start."""
    window = max(own_start, end - overlap * 16)
    enc = encoding()
    ids = enc.encode(text[window:end], disallowed_special=())
    candidate = window
    if len(ids) > overlap:
        _, offsets = enc.decode_with_offsets(ids)
        candidate = window + offsets[len(ids) - overlap]
    # Boundaries after the candidate, best kind first; the first whose tail fits the overlap wins
    # (a tail can count a token more on its own than inside the text, so it is counted again).
    kinds = [_SENTENCE, _LINE, _SPACE] if mode == "prose" else [_LINE]
    lo = max(own_start + 1, candidate - 8)
    for pattern in kinds:
        tries = 0
        for match in pattern.finditer(text, lo, end):
            found = match.end()
            if found < candidate:
                continue
            if found >= end or tries == 3:
                break
            if count_tokens(text[found:end]) <= overlap:
                return found
            tries += 1
    return None


class _PageMap:
    def __init__(self, sections: Sequence[Section]) -> None:
        paged = sorted((s.start, s.page) for s in sections if s.page is not None)
        self._starts = [start for start, _ in paged]
        self._pages = [page for _, page in paged]

    def span(self, start: int, end: int) -> tuple[int | None, int | None]:
        if not self._starts:
            return None, None
        return self._at(start), self._at(max(start, end - 1))

    def _at(self, offset: int) -> int | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._pages[max(i, 0)]
