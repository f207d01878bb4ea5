"""The search index on tantivy: one index directory per user under a root directory.

Per-user indexes make isolation structural (a query opens its own user's index; a member's search
also asks a sharer's, but only with a filter on the conversations shared with them, see
``parley.search.service``) and keep every index small enough to copy whole to and from S3 on AWS. Writes of one user are
serialized by a lock; tantivy allows one writer per index, taken for each batch of writes and
released after its commit, so other processes (a CLI) can write between them.

A commit costs 1.5-10 ms here (measured: the most while a young index merges its small segments)
and a turn writes two messages, so writes of titles and messages wait up to ``LINGER_S`` and are
committed together, one commit per user per batch, by a flusher thread (a title committed on its own,
as it once was, made a commit of every new conversation: half the CPU of a short native turn).
Every read of an index (a search, a change that reads documents, the catch-up mark) commits that
user's waiting messages first, so a search always finds what was written before it. While messages
wait, a marker file sits in the user's index; a process that died with it there (kill -9) left
messages uncommitted, and the next process that opens the index rebuilds it from the table.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import tantivy

from parley.observability import logger
from parley.search.port import TITLE_ROLE, IndexedMessage, SearchHit, SearchPage, SearchRequest

TOKENIZER = "parley_text"
SNIPPET_CHARS = 180
#: Open indexes kept in memory (each holds file handles and a reader).
OPEN_INDEXES = 64
WRITER_HEAP_BYTES = 15_000_000
MARK_FILE = "parley-mark.json"
#: How long a message write may wait to share its commit with others.
LINGER_S = 0.5
#: Present while messages of the user wait to be committed (see the module's docstring).
PENDING_FILE = "parley-pending"


def analyzer() -> tantivy.TextAnalyzer:
    """Words, lowercased, accents folded ("café" = "cafe"), English stems ("running" = "run")."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("conversation_id", stored=True, tokenizer_name="raw")
    #: Unique per document: the message id, or "T#<conversation id>" for a title.
    sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    sb.add_text_field("role", stored=True, tokenizer_name="raw")
    sb.add_text_field("body", stored=True, tokenizer_name=TOKENIZER)
    sb.add_integer_field("created_at", stored=True, indexed=True, fast=True)
    sb.add_integer_field("archived", stored=True, indexed=True, fast=True)
    return sb.build()


def title_doc_id(conversation_id: str) -> str:
    return f"T#{conversation_id}"


def mark(fragment: str, ranges: list[tuple[int, int]]) -> str:
    """The fragment as HTML: each (byte-offset) range in ``<mark>``, the rest escaped."""
    raw = fragment.encode("utf-8")
    out, at = [], 0
    for start, end in sorted(ranges):
        if start < at:
            continue
        out.append(html.escape(raw[at:start].decode("utf-8", "replace")))
        out.append(f"<mark>{html.escape(raw[start:end].decode('utf-8', 'replace'))}</mark>")
        at = end
    out.append(html.escape(raw[at:].decode("utf-8", "replace")))
    return "".join(out)


class _UserIndex:
    def __init__(self, path: Path, schema: tantivy.Schema, text_analyzer: tantivy.TextAnalyzer) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        exists = tantivy.Index.exists(str(path))
        # A marker left by a process that died with messages uncommitted: rebuild as if new.
        self.fresh = not exists or (path / PENDING_FILE).exists()
        self.index = tantivy.Index.open(str(path)) if exists else tantivy.Index(schema, path=str(path))
        self.index.register_tokenizer(TOKENIZER, text_analyzer)
        # Reentrant: a flush holds it across the commit it makes.
        self.lock = threading.RLock()


class LocalSearchIndex:
    """``SearchIndex`` on local disk (``root/<hash of the user id>/``)."""

    def __init__(self, root: str | Path) -> None:
        self._root = Path(root)
        self._schema = build_schema()
        self._analyzer = analyzer()
        self._open: OrderedDict[str, _UserIndex] = OrderedDict()
        self._open_lock = threading.Lock()
        self._on_new: Callable[[str], object] | None = None
        #: Messages waiting for their commit, per user id, in write order.
        self._pending: dict[str, list[IndexedMessage]] = {}
        self._pending_lock = threading.Lock()
        self._wake = threading.Event()
        self._flusher: threading.Thread | None = None
        #: Commits made (tests, diagnostics).
        self.commits = 0
        _LIVE.add(self)

    def set_rebuilder(self, on_new: Callable[[str], object]) -> None:
        """What fills an index created for a user who may already have conversations."""
        self._on_new = on_new

    # -- plumbing ------------------------------------------------------------------------------

    def _user(self, user_id: str) -> _UserIndex:
        key = hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:40]
        with self._open_lock:
            found = self._open.get(key)
            if found is None:
                found = _UserIndex(self._root / key, self._schema, self._analyzer)
                self._open[key] = found
                while len(self._open) > OPEN_INDEXES:
                    self._open.popitem(last=False)
            self._open.move_to_end(key)
            rebuild, found.fresh = found.fresh, False
        if rebuild and self._on_new is not None:
            try:
                self._on_new(user_id)
            except Exception:  # a partial index still serves; what is written from now on is indexed
                logger.warning("search index rebuild failed", exc_info=True)
        return found

    def _write(self, user_id: str, change: Callable[[tantivy.Index, tantivy.IndexWriter], object]) -> None:
        # Waiting messages first, in their own commit: a change may read or delete documents, and
        # tantivy shows a writer's additions to no reader before they are committed.
        self.flush(user_id)
        self._commit(user_id, change)

    def _commit(self, user_id: str, change: Callable[[tantivy.Index, tantivy.IndexWriter], object]) -> None:
        user = self._user(user_id)
        with user.lock:
            writer = user.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            try:
                change(user.index, writer)
                writer.commit()
                self.commits += 1
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # releases the index lock
            user.index.reload()

    # -- messages waiting for their commit -----------------------------------------------------

    def _defer(self, user_id: str, docs: list[IndexedMessage]) -> None:
        marker = self._user(user_id).path / PENDING_FILE  # opening may rebuild: not under the lock
        with self._pending_lock:
            waiting = self._pending.setdefault(user_id, [])
            if not waiting:
                marker.touch()
            waiting.extend(docs)
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(target=_flush_forever, args=(weakref.ref(self),),
                                                 name="search-flusher", daemon=True)
                self._flusher.start()
        self._wake.set()

    def flush(self, user_id: str | None = None) -> None:
        """Commit the waiting messages of ``user_id`` (every user's when None)."""
        if user_id is None:
            with self._pending_lock:
                users = list(self._pending)
        else:
            users = [user_id]  # even with nothing waiting: the lock waits out a commit in flight
        for uid in users:
            user = self._user(uid)
            with user.lock:  # taken before the list: two flushes of one user commit in write order
                with self._pending_lock:
                    docs = self._pending.pop(uid, [])
                if not docs or not user.path.exists():
                    continue  # nothing waits, or the index was deleted (a test's or bench's directory)
                try:
                    self._commit(uid, self._adder(docs))
                except Exception:  # derived data: the conversation itself is saved
                    logger.warning("search index commit failed", extra={"documents": len(docs)}, exc_info=True)
                with self._pending_lock:
                    if uid not in self._pending:
                        (user.path / PENDING_FILE).unlink(missing_ok=True)

    def _term(self, field: str, value: str | int) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value)

    def _docs(self, index: tantivy.Index, query: tantivy.Query, limit: int = 100_000) -> list[dict[str, Any]]:
        searcher = index.searcher()
        found = searcher.search(query, limit, count=False).hits
        return [searcher.doc(address).to_dict() for _, address in found]

    @staticmethod
    def _first(doc: dict[str, Any], field: str) -> Any:
        values = doc.get(field) or [None]
        return values[0]

    def _document(self, doc: IndexedMessage, archived: bool) -> tantivy.Document:
        return tantivy.Document(
            conversation_id=doc.conversation_id,
            doc_id=doc.message_id or title_doc_id(doc.conversation_id),
            role=doc.role,
            body=doc.text,
            created_at=int(doc.created_at),
            archived=int(archived),
        )

    def _title_state(self, index: tantivy.Index, conversation_id: str) -> bool | None:
        """Whether the conversation is archived; None when it has no title document, i.e. is not
        searchable at all (a temporary chat): then none of its messages is indexed either."""
        titles = self._docs(index, self._term("doc_id", title_doc_id(conversation_id)), 1)
        return bool(self._first(titles[0], "archived")) if titles else None

    # -- the high-water mark of what was indexed (see parley.search.rebuild) --------------------

    def mark(self, user_id: str) -> int | None:
        self.flush(user_id)
        try:
            return int(json.loads((self._user(user_id).path / MARK_FILE).read_text())["updatedAt"])
        except (OSError, ValueError, KeyError):
            return None

    def set_mark(self, user_id: str, updated_at: int) -> None:
        self.flush(user_id)  # the mark vouches for what is committed
        user = self._user(user_id)
        with user.lock:
            temporary = user.path / f"{MARK_FILE}.tmp"
            temporary.write_text(json.dumps({"updatedAt": int(updated_at)}))
            temporary.replace(user.path / MARK_FILE)

    # -- writes --------------------------------------------------------------------------------

    def add(self, user_id: str, docs: list[IndexedMessage]) -> None:
        docs = [d for d in docs if d.text.strip()]
        if docs:
            self._defer(user_id, docs)  # titles too: a new conversation and its first turns, one commit

    def _adder(self, docs: list[IndexedMessage]) -> Callable[[tantivy.Index, tantivy.IndexWriter], None]:
        # One document per id: a message written twice in one batch (the write path and a catch-up)
        # would otherwise leave a deleted copy in the new segment until a merge.
        latest = list({d.message_id or title_doc_id(d.conversation_id): d for d in docs}.values())
        titled = {d.conversation_id for d in latest if d.role == TITLE_ROLE}

        def change(index: tantivy.Index, writer: tantivy.IndexWriter) -> None:
            archived: dict[str, bool | None] = {}
            for doc in latest:
                if doc.conversation_id not in archived:
                    state = self._title_state(index, doc.conversation_id)
                    # A title in this batch is a conversation just made (not archived): its messages
                    # in the same batch are indexed with it.
                    archived[doc.conversation_id] = False if state is None and doc.conversation_id in titled else state
                state = archived[doc.conversation_id]
                if state is None and doc.role != TITLE_ROLE:
                    continue
                writer.delete_documents_by_term("doc_id", doc.message_id or title_doc_id(doc.conversation_id))
                writer.add_document(self._document(doc, bool(state)))

        return change

    def set_title(self, user_id: str, conversation_id: str, title: str) -> None:
        """Replace an indexed title (keeping its time); a conversation never indexed stays so."""

        def change(index: tantivy.Index, writer: tantivy.IndexWriter) -> None:
            titles = self._docs(index, self._term("doc_id", title_doc_id(conversation_id)), 1)
            if not titles:
                return
            archived = bool(self._first(titles[0], "archived"))
            when = int(self._first(titles[0], "created_at"))
            writer.delete_documents_by_term("doc_id", title_doc_id(conversation_id))
            writer.add_document(self._document(
                IndexedMessage(conversation_id, None, TITLE_ROLE, title, when), archived))

        self._write(user_id, change)

    def set_archived(self, user_id: str, conversation_id: str, archived: bool) -> None:
        """Re-add the conversation's documents with the flag (tantivy documents are immutable)."""

        def change(index: tantivy.Index, writer: tantivy.IndexWriter) -> None:
            docs = self._docs(index, self._term("conversation_id", conversation_id))
            writer.delete_documents_by_term("conversation_id", conversation_id)
            for doc in docs:
                writer.add_document(tantivy.Document(**{**{k: v[0] for k, v in doc.items()},
                                                        "archived": int(archived)}))

        self._write(user_id, change)

    def remove_conversation(self, user_id: str, conversation_id: str) -> None:
        self._write(user_id, lambda _i, w: w.delete_documents_by_term("conversation_id", conversation_id))

    def remove_message(self, user_id: str, conversation_id: str, message_id: str) -> None:
        self._write(user_id, lambda _i, w: w.delete_documents_by_term("doc_id", message_id))

    # -- reads ---------------------------------------------------------------------------------

    def text_query(self, words: tuple[str, ...], phrases: tuple[str, ...]) -> tantivy.Query | None:
        """Any of the words (ranked by BM25), and every quoted phrase; None when nothing is searchable."""
        q = tantivy.Query
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for phrase in phrases:
            tokens = self._analyzer.analyze(phrase)
            if len(tokens) == 1:
                must.append((tantivy.Occur.Must, self._term("body", tokens[0])))
            elif tokens:
                words_: list[str | tuple[int, str]] = list(tokens)
                must.append((tantivy.Occur.Must, q.phrase_query(self._schema, "body", words_)))
        tokens = list(dict.fromkeys(t for w in words for t in self._analyzer.analyze(w)))
        should = [(tantivy.Occur.Should, self._term("body", t)) for t in tokens]
        if not must and not should:
            return None
        if must and should:
            return q.boolean_query(must + should)
        return q.boolean_query(must or should)

    def search(self, user_id: str, request: SearchRequest) -> SearchPage:
        text = self.text_query(request.words, request.phrases)
        if text is None:
            return SearchPage()
        clauses = [(tantivy.Occur.Must, text)]
        if request.archived is not None:
            clauses.append((tantivy.Occur.Must, self._term("archived", int(request.archived))))
        if request.conversation_ids is not None:
            if not request.conversation_ids:
                return SearchPage()
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, self._term("conversation_id", c)) for c in request.conversation_ids])))
        if request.from_ms is not None or request.to_ms is not None:
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self._schema, "created_at", tantivy.FieldType.Integer, request.from_ms, request.to_ms)))
        query = tantivy.Query.boolean_query(clauses)
        user = self._user(user_id)  # first: opening may rebuild, and what that writes waits too
        self.flush(user_id)
        index = user.index
        searcher = index.searcher()
        found = searcher.search(query, request.limit + 1, count=False, offset=request.offset).hits
        snippets = tantivy.SnippetGenerator.create(searcher, text, self._schema, "body")
        snippets.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for score, address in found[: request.limit]:
            doc = searcher.doc(address)
            snippet = snippets.snippet_from_doc(doc)
            fragment = snippet.fragment()
            ranges = [(r.start, r.end) for r in snippet.highlighted()]
            if not fragment:
                fragment, ranges = str(self._first(doc.to_dict(), "body") or "")[:SNIPPET_CHARS], []
            role = str(doc.get_first("role"))
            hits.append(SearchHit(
                conversation_id=str(doc.get_first("conversation_id")),
                message_id=None if role == TITLE_ROLE else str(doc.get_first("doc_id")),
                role=role,
                created_at=int(cast(int, doc.get_first("created_at"))),  # stored on every document
                score=float(score),
                snippet=mark(fragment, ranges),
            ))
        return SearchPage(hits, more=len(found) > request.limit)


#: Every index of this process, so that what waits is committed when the process exits normally.
_LIVE: weakref.WeakSet[LocalSearchIndex] = weakref.WeakSet()


def _flush_forever(ref: weakref.ref[LocalSearchIndex]) -> None:
    """The flusher: after a write wakes it, lets others join for ``LINGER_S``, then commits them.
    Holds its index only weakly, and ends once the index is gone."""
    while True:
        index = ref()
        if index is None:
            return
        wake = index._wake
        del index
        if not wake.wait(timeout=60):
            continue
        wake.clear()
        threading.Event().wait(LINGER_S)
        index = ref()
        if index is None:
            return
        index.flush()
        del index


@atexit.register
def _flush_all() -> None:
    for index in list(_LIVE):
        index.flush()
