"""Rank a few texts against a query with tantivy's BM25, in memory: which memories, or which older
messages of a long conversation, are relevant to the message being answered.

The analyzer is the search index's (word forms and accents fold) with common function words left
out, so that only texts sharing a meaningful word with the query count as relevant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import tantivy

from parley.search.local import WRITER_HEAP_BYTES

_TOKENIZER = "parley_rank"
#: Words too common to make a text relevant (tantivy's own English list is short).
STOPWORDS = sorted(set("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves please
tell know remember said say also like get got one ok okay yes thanks thank hi hello
""".split()))


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.custom_stopword(STOPWORDS))
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("n", stored=True)
    sb.add_text_field("body", tokenizer_name=_TOKENIZER)
    return sb.build()


_ANALYZER = _analyzer()
_SCHEMA = _schema()


def terms(text: str) -> list[str]:
    return list(dict.fromkeys(_ANALYZER.analyze(text)))


def rank(texts: Sequence[str], query: str, limit: int | None = None) -> list[tuple[int, float]]:
    """``(position in texts, score)`` of the texts sharing a meaningful word with ``query``, best first."""
    words = terms(query)[:64]
    if not texts or not words:
        return []
    index = tantivy.Index(_SCHEMA)  # in memory
    index.register_tokenizer(_TOKENIZER, _ANALYZER)
    writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
    for n, text in enumerate(texts):
        writer.add_document(tantivy.Document(n=n, body=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    query_ = tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(_SCHEMA, "body", w)) for w in words])
    hits = searcher.search(query_, limit or len(texts), count=False).hits
    # "n" is stored on every document.
    return [(int(cast(int, searcher.doc(address).get_first("n"))), float(score)) for score, address in hits]
