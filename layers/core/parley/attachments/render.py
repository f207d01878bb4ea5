"""An attachment's selected chunks as a clearly delimited block of untrusted data for the model's context.

What Parley states about the file (name, kind, which parts are shown) sits outside the wrapper; the
file's own text sits inside it. The wrapper is ``wrap(text, label)``, by default
``parley.safety.untrusted.wrap_untrusted`` (markers the text cannot forge, template tokens
neutralised); pass another, e.g. one bound to an HMAC key, through ``wrap``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from parley.attachments.chunking import Chunk
from parley.attachments.kinds import Kind
from parley.attachments.limits import KIND_LABELS, safe_filename
from parley.attachments.plain import fence
from parley.safety.untrusted import neutralize_template_tokens, wrap_untrusted

Wrap = Callable[[str, str], str]


def default_wrap(text: str, label: str) -> str:
    return wrap_untrusted(text, label=label)


def render_document(
    name: str,
    kind: Kind,
    chunks: Sequence[Chunk],
    *,
    total_chunks: int,
    truncated: bool,
    language: str | None = None,
    pages: int | None = None,
    wrap: Wrap | None = None,
) -> str:
    """Render chunks (document order, as ``select_chunks`` returns them) for the model.

    ``truncated``: the extraction itself was cut (``Extracted.truncated``); chunks left out by the
    selection are stated from ``len(chunks) < total_chunks``. ``language`` fences code and JSON.
    """
    wrap = wrap or default_wrap
    shown = sorted(chunks, key=lambda c: c.index)
    filename = neutralize_template_tokens(safe_filename(name))  # the name is the user's text too
    label = f"{KIND_LABELS[kind]}" + (f", {pages} pages" if pages else "")
    lines = [f"Attached file {json.dumps(filename, ensure_ascii=False)} ({label})."]
    if not shown:
        lines.append("No content of this file is included.")
        return "\n".join(lines)
    runs = _runs(shown)
    if len(shown) >= total_chunks:
        lines.append("Its full extracted content follows.")
    else:
        lines.append(
            f"Only {len(shown)} of its {total_chunks} excerpts are included, selected for relevance to the "
            f"user's message: {_where(runs)}. The rest of the file is not shown; say so if it may matter."
        )
    if truncated:
        lines.append("The file was longer than the extraction limit, so its end was not extracted at all.")
    fenced = kind in ("code", "json")
    parts: list[str] = []
    for run in runs:
        text = _merge(run, "\n" if kind in ("csv", "code", "json") else "\n\n")
        if fenced:
            text = fence(text, language or ("json" if kind == "json" else None))
        if len(shown) < total_chunks:
            text = f"[{_run_label(run)}]\n{text}"
        parts.append(text)
    body = "\n\n[...]\n\n".join(parts)
    return "\n".join(lines) + "\n" + wrap(body, f"attached file {filename}")


def _runs(chunks: Sequence[Chunk]) -> list[list[Chunk]]:
    runs: list[list[Chunk]] = []
    for c in chunks:
        if runs and runs[-1][-1].index == c.index - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def _merge(run: Sequence[Chunk], joiner: str) -> str:
    """Neighbouring chunks joined without repeating their overlap (or a repeated CSV header)."""
    out = run[0].text
    for prev, cur in zip(run, run[1:], strict=False):
        if cur.start <= prev.end:
            out += cur.text[cur.prefix_chars + (prev.end - cur.start) :]
        else:
            out += joiner + cur.text[cur.prefix_chars :]
    return out


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}-{last}"


def _run_label(run: Sequence[Chunk]) -> str:
    label = f"excerpt {_span(run[0].index + 1, run[-1].index + 1)}"
    first_page, last_page = run[0].page, run[-1].page_end or run[-1].page
    if first_page is not None and last_page is not None:
        label += f", page{'s' if first_page != last_page else ''} {_span(first_page, last_page)}"
    return label


def _where(runs: Sequence[Sequence[Chunk]]) -> str:
    excerpts = ", ".join(_span(r[0].index + 1, r[-1].index + 1) for r in runs)
    page_spans = [(r[0].page, r[-1].page_end or r[-1].page) for r in runs if r[0].page is not None]
    text = f"excerpts {excerpts}"
    if page_spans:
        unique = dict.fromkeys(_span(a, b) for a, b in page_spans if a and b)
        text += " (pages " + ", ".join(unique) + ")"
    return text
