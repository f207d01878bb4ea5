"""select_chunks: the answer's chunks are chosen from a large document, within the budget, in order."""

from __future__ import annotations

import pytest

from parley.attachments import Chunk, bm25_scores, chunk, select_chunks
from tests.attachments.samples import filler_document

FACTS = {
    900: "The launch code for Project Zephyr is 7741-alpha.",
    1500: "Invoices from Halvorsen Shipping must be approved by the finance committee.",
    2400: "The getUserProfile endpoint returns HTTP 404 when the account was deleted.",
}


@pytest.fixture(scope="module")
def document() -> tuple[str, list[Chunk]]:
    paragraphs = filler_document(2800)  # about 1.3 M characters
    for at, fact in FACTS.items():
        paragraphs[at] += " " + fact
    text = "\n\n".join(paragraphs)
    return text, chunk(text, max_tokens=400, overlap=50)


def holding(chunks: list[Chunk], needle: str) -> set[int]:
    return {c.index for c in chunks if needle in c.text}


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("What is the launch code for project Zephyr?", "7741-alpha"),
        ("who has to approve halvorsen invoices", "finance committee"),
        ("What does get_user_profile return for deleted accounts?", "HTTP 404"),
    ],
)
def test_the_answer_is_selected_within_budget(
    document: tuple[str, list[Chunk]], question: str, needle: str
) -> None:
    _, chunks = document
    assert len(chunks) > 500
    budget = 2000
    selected = select_chunks(chunks, question, budget)
    assert holding(selected, needle), "a chunk holding the answer is selected"
    assert sum(c.tokens for c in selected) <= budget
    assert [c.index for c in selected] == sorted(c.index for c in selected)
    assert selected[0].index == 0, "the first chunk is kept"
    assert select_chunks(chunks, question, budget) == selected, "deterministic"


def test_the_best_chunk_ranks_first(document: tuple[str, list[Chunk]]) -> None:
    _, chunks = document
    scores = bm25_scores([c.text for c in chunks], "Project Zephyr launch code")
    best = max(range(len(chunks)), key=lambda i: scores[i])
    assert "7741-alpha" in chunks[best].text


def test_the_first_chunk_never_crowds_out_the_best_match(document: tuple[str, list[Chunk]]) -> None:
    _, chunks = document
    target = min(holding(chunks, "7741-alpha"))
    tight = chunks[target].tokens + chunks[0].tokens - 1  # room for one of the two only
    selected = select_chunks(chunks, "launch code Zephyr", tight)
    assert target in {c.index for c in selected} and sum(c.tokens for c in selected) <= tight
    both = chunks[target].tokens + chunks[0].tokens
    assert {0, target} <= {c.index for c in select_chunks(chunks, "launch code Zephyr", both)}


def test_everything_is_returned_when_it_fits() -> None:
    chunks = chunk("\n\n".join(filler_document(20)), max_tokens=100, overlap=0)
    total = sum(c.tokens for c in chunks)
    assert select_chunks(chunks, "anything", total) == chunks
    assert select_chunks(chunks, "anything", 0) == []
    assert select_chunks([], "anything", 100) == []


def test_unmatched_questions_fill_the_budget_across_the_document() -> None:
    chunks = chunk("\n\n".join(filler_document(400)), max_tokens=100, overlap=0)
    selected = select_chunks(chunks, "summarise", 1000)
    indices = [c.index for c in selected]
    assert indices[0] == 0
    assert sum(c.tokens for c in selected) <= 1000
    assert max(indices) > len(chunks) // 2, "spread over the document, not only its beginning"


def test_scores_ignore_case_accents_plurals_and_stopwords() -> None:
    texts = ["The Café serves croissants daily.", "A library lends books.", "the the the of and"]
    assert bm25_scores(texts, "cafe croissant")[0] > 0 == bm25_scores(texts, "cafe croissant")[1]
    assert bm25_scores(texts, "what is the")[2] == 0
    assert bm25_scores(texts, "libraries")[1] > 0
