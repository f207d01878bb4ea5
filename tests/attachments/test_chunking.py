"""Chunk boundaries, sizes, overlap, pages, code definitions, CSV headers, and storage round trips."""

from __future__ import annotations

import re

import pytest

from parley.attachments import Limits, chunk, chunk_extracted, chunks_from_json, chunks_to_json, extract
from parley.attachments.extracted import Section
from parley.attachments.render import _merge
from parley.tokens import count_tokens
from tests.attachments.samples import filler_document, make_pdf

SENTENCE_END = re.compile(r"[.!?]$")


def prose(paragraphs: int = 60) -> str:
    return "\n\n".join(filler_document(paragraphs))


@pytest.mark.parametrize(("max_tokens", "overlap"), [(400, 50), (120, 20), (64, 0)])
def test_chunks_respect_the_token_limit_exactly(max_tokens: int, overlap: int) -> None:
    chunks = chunk(prose(), max_tokens=max_tokens, overlap=overlap)
    assert len(chunks) > 3
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert c.tokens == count_tokens(c.text) <= max_tokens


def test_prose_chunks_end_at_sentence_ends_and_cover_everything() -> None:
    text = prose()
    chunks = chunk(text, max_tokens=120, overlap=20)
    for c in chunks:
        assert SENTENCE_END.search(c.text), c.text[-60:]
        assert c.text == text[c.start : c.end]
    for sentence in re.findall(r"[^.]+\.", text):
        assert any(sentence.strip() in c.text for c in chunks), sentence


def test_overlap_starts_at_a_sentence_and_stays_within_budget() -> None:
    text = prose()
    chunks = chunk(text, max_tokens=120, overlap=20)
    for prev, cur in zip(chunks, chunks[1:], strict=False):
        assert cur.start < prev.end, "each chunk repeats the end of the previous one"
        shared = text[cur.start : prev.end]
        assert 0 < count_tokens(shared) <= 20
        if text[cur.start - 2 : cur.start] not in (". ", ".\n"):
            # Only when no sentence starts inside the overlap's window: then at a word start.
            assert ". " not in shared and text[cur.start - 1] == " ", shared
        assert prev.text.endswith(shared)


def test_no_overlap_means_disjoint_chunks() -> None:
    chunks = chunk(prose(), max_tokens=120, overlap=0)
    for prev, cur in zip(chunks, chunks[1:], strict=False):
        assert cur.start >= prev.end


def test_merging_neighbours_reproduces_the_source() -> None:
    text = prose()
    chunks = chunk(text, max_tokens=100, overlap=25)
    assert _merge(chunks, "\n\n") == text


def test_paragraph_boundaries_are_preferred() -> None:
    # Short paragraphs: every chunk should end at the end of a paragraph, never inside one.
    paragraphs = [f"Paragraph {i} is short. It has two sentences." for i in range(50)]
    text = "\n\n".join(paragraphs)
    for c in chunk(text, max_tokens=80, overlap=0):
        assert c.text.split("\n\n")[-1] in paragraphs


def test_a_single_giant_word_is_cut_by_tokens() -> None:
    blob = "x" * 20_000  # no spaces, no sentences, no lines
    chunks = chunk(blob, max_tokens=100, overlap=0)
    assert "".join(c.text for c in chunks) == blob
    assert all(c.tokens <= 100 for c in chunks)


def test_long_lines_without_sentences_are_cut_at_whitespace() -> None:
    text = " ".join(f"token{i}" for i in range(5000))
    chunks = chunk(text, max_tokens=100, overlap=0)
    for c in chunks:
        assert c.tokens <= 100
        assert re.fullmatch(r"token\d+( token\d+)*", c.text), c.text[:80]


def test_code_chunks_start_at_definitions() -> None:
    source = "\n".join(
        f"def handler_{i}(event):\n    value = event['{i}']\n    return value * {i}\n" for i in range(30)
    )
    chunks = chunk(source, max_tokens=90, overlap=0, mode="code")
    assert len(chunks) > 5
    for c in chunks:
        assert c.text.startswith("def handler_"), c.text[:40]
        assert c.tokens <= 90


def test_code_keeps_indentation_at_a_chunk_start() -> None:
    source = "class A:\n" + "\n".join(f"    def m{i}(self):\n        return {i}\n" for i in range(60))
    chunks = chunk(source, max_tokens=60, overlap=0, mode="code")
    assert any(c.text.startswith("    def m") for c in chunks[1:])


def test_csv_chunks_repeat_the_header_and_merge_without_it() -> None:
    text = "id,city,population\n" + "\n".join(f"{i},City {i},{i * 1000}" for i in range(400))
    chunks = chunk(text, max_tokens=100, overlap=10, mode="rows", header="id,city,population")
    assert len(chunks) > 3
    assert all(c.text.startswith("id,city,population\n") for c in chunks)
    assert all(c.tokens <= 100 for c in chunks)
    assert chunks[0].prefix_chars == 0 and chunks[1].prefix_chars == len("id,city,population\n")
    assert _merge(chunks, "\n") == text


def test_pdf_chunks_know_their_pages() -> None:
    pages = [
        [f"Page {p} line {i}: the quick brown fox jumps over the lazy dog." for i in range(12)]
        for p in range(1, 7)
    ]
    extracted = extract(make_pdf(pages), filename="p.pdf", content_type="", limits=Limits())
    chunks = chunk_extracted(extracted, max_tokens=150, overlap=20)
    for c in chunks:
        assert c.page is not None and c.page_end is not None and c.page <= c.page_end
        for p in range(1, 7):
            if f"Page {p} line" in c.text[c.prefix_chars :]:
                assert c.page <= p <= c.page_end
    # Pages start chunks (strong boundaries): some chunk starts at every page marker after the first.
    starts = {c.start for c in chunks}
    for section in extracted.sections[1:]:
        marker = section.start
        assert any(abs(s - marker) <= 400 for s in starts)


def test_sections_mark_strong_boundaries() -> None:
    intro = [f"Intro sentence number {i} is here." for i in range(6)]
    text = "\n\n".join([*intro, "# Chapter two", "Body sentence here.", "More.", "More."])
    at = text.index("# Chapter two")
    sections = (Section("Intro", 0, at), Section("Chapter two", at, len(text)))
    assert count_tokens(text[:at]) < 56 < count_tokens(text)
    chunks = chunk(text, max_tokens=60, overlap=0, sections=sections)
    assert chunks[1].text.startswith("# Chapter two")
    # Without the sections (and without the heading mark) the first chunk runs on past it.
    plain = text.replace("# Chapter two", "Chapter two.")
    assert "Chapter two." in chunk(plain, max_tokens=60, overlap=0)[0].text


def test_chunk_extracted_for_code_strips_the_fence() -> None:
    source = "\n".join(f"def f{i}():\n    return {i}\n" for i in range(5))
    extracted = extract(source.encode(), filename="m.py", content_type="", limits=Limits())
    chunks = chunk_extracted(extracted)
    assert len(chunks) == 1 and chunks[0].text == source.rstrip("\n")
    assert "```" not in chunks[0].text


def test_images_have_no_chunks_and_blank_text_none() -> None:
    assert chunk("   \n  ") == []


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        chunk("x", max_tokens=8)
    with pytest.raises(ValueError):
        chunk("x", max_tokens=100, overlap=60)


def test_chunks_round_trip_through_json() -> None:
    chunks = chunk(prose(10), max_tokens=100, overlap=10)
    assert chunks_from_json(chunks_to_json(chunks)) == chunks


def test_chunking_is_deterministic() -> None:
    text = prose()
    assert chunk(text, max_tokens=150, overlap=30) == chunk(text, max_tokens=150, overlap=30)
