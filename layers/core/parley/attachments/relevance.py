"""Pick the chunks of a document that matter for a question, within a token budget (offline RAG).

Okapi BM25 over lightly normalised terms, written here (~40 lines) rather than taken from
``rank-bm25``: that package pulls in numpy (tens of MB in the Lambda layer) for a loop this small,
and the part that matters, the term normalisation, would be ours either way. No embeddings: nothing
to download or host, deterministic, and good at what attachment questions mostly are (names,
numbers, identifiers, key phrases). Order of choice: the best match, then the first chunk (title,
abstract, imports) if it fits beside it, then the other matches by score; the budget left is filled
with unmatched chunks spread evenly over the document, so that a vague question ("summarise this")
still sees the document's whole shape. Ties break on position: the result is deterministic.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from parley.attachments.chunking import Chunk

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not
    now of off on once only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours tell show give explain find
    please document file""".split()
)
K1, B = 1.5, 0.75


def select_chunks(chunks: Sequence[Chunk], question: str, budget_tokens: int) -> list[Chunk]:
    """The most relevant chunks whose tokens sum to at most ``budget_tokens``, in document order."""
    if budget_tokens <= 0 or not chunks:
        return []
    if sum(c.tokens for c in chunks) <= budget_tokens:
        return list(chunks)
    scores = bm25_scores([c.text for c in chunks], question)
    chosen: set[int] = set()
    used = 0

    def take(i: int) -> None:
        nonlocal used
        if i not in chosen and used + chunks[i].tokens <= budget_tokens:
            chosen.add(i)
            used += chunks[i].tokens

    ranked = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    # The best match first, so that the first chunk never crowds out the answer; then the first chunk.
    for i in ranked[:1]:
        take(i)
    take(0)
    for i in ranked[1:]:
        take(i)
    for i in _spread([i for i, s in enumerate(scores) if s <= 0]):
        take(i)
    return [chunks[i] for i in sorted(chosen)]


def bm25_scores(texts: Sequence[str], query: str) -> list[float]:
    """Okapi BM25 of ``query`` against each text (idf floored at 0 by the +1 inside the log)."""
    normalise = _Normaliser()
    wanted = set(normalise.terms(query))
    if not wanted or not texts:
        return [0.0] * len(texts)
    lengths: list[int] = []
    matches: list[Counter[str]] = []
    for text in texts:
        terms = normalise.terms(text)
        lengths.append(len(terms))
        counts = Counter(terms)
        matches.append(Counter({t: counts[t] for t in wanted if t in counts}))
    n = len(texts)
    average = sum(lengths) / n or 1.0
    df = Counter(t for m in matches for t in m)
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in wanted}
    scores: list[float] = []
    for length, found in zip(lengths, matches, strict=True):
        norm = K1 * (1 - B + B * length / average)
        scores.append(sum(idf[t] * tf * (K1 + 1) / (tf + norm) for t, tf in found.items()))
    return scores


class _Normaliser:
    """Words -> terms: case-folded, accents dropped, camelCase and snake_case split, plurals trimmed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        for word in _WORD.findall(text):
            terms = cache.get(word)
            if terms is None:
                terms = cache[word] = self._word(word)
            out.extend(terms)
        return out

    @staticmethod
    def _word(word: str) -> tuple[str, ...]:
        parts = [word]
        if not word.islower() and not word.isupper() and word[1:].lower() != word[1:]:
            parts += _CAMEL.findall(word)  # getUserName: the whole and get, user, name
        terms: list[str] = []
        for part in parts:
            term = part.casefold()
            if not term.isascii():
                term = "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
            if term in _STOPWORDS or (len(term) < 2 and not term.isdigit()):
                continue
            terms.append(_stem(term))
        return tuple(dict.fromkeys(terms))


def _stem(term: str) -> str:
    """Plural and common suffix trimming, applied alike to questions and documents."""
    if len(term) > 4 and term.endswith("ies"):
        return term[:-3] + "y"
    if len(term) > 5 and term.endswith("ing"):
        return term[:-3]
    if len(term) > 4 and term.endswith("ed") and not term.endswith("eed"):
        return term[:-2]
    if len(term) > 3 and term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


def _spread(indices: list[int]) -> list[int]:
    """Indices reordered so that any prefix is spread evenly (bisection order: middle, quarters...)."""
    if not indices:
        return []
    order: list[int] = []
    seen: set[int] = set()
    step = len(indices)
    while step >= 1:
        for k in range(step // 2, len(indices), step):
            if k not in seen:
                seen.add(k)
                order.append(indices[k])
        if step == 1:
            break
        step = max(1, step // 2)
    return order
