"""The local index commits message writes together, and never at the cost of what a search sees."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from parley.search import local
from parley.search.local import PENDING_FILE, LocalSearchIndex
from parley.search.port import TITLE_ROLE, IndexedMessage, SearchRequest


def title(cid: str) -> IndexedMessage:
    return IndexedMessage(cid, None, TITLE_ROLE, f"chat {cid}", 1)


def message(cid: str, n: int, text: str = "a walrus on the beach") -> IndexedMessage:
    return IndexedMessage(cid, f"{cid}-m{n}", "user" if n % 2 else "assistant", text, 10 + n)


def found(index: LocalSearchIndex, user: str, words: str = "walrus", archived: bool | None = None) -> set[str]:
    page = index.search(user, SearchRequest(words=tuple(words.split()), phrases=(), archived=archived, limit=100))
    return {hit.message_id or "" for hit in page.hits}


def test_a_burst_of_message_writes_is_one_commit(tmp_path: Path) -> None:
    index = LocalSearchIndex(tmp_path)
    index.add("u", [title("c1")])
    before = index.commits
    for n in range(20):
        index.add("u", [message("c1", n)])
    deadline = time.monotonic() + 10
    while index.commits == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.commits - before == 1  # the flusher's one commit, made after the linger
    assert not (tmp_path / next(p.name for p in tmp_path.iterdir()) / PENDING_FILE).exists()
    assert found(index, "u") == {f"c1-m{n}" for n in range(20)}


def test_a_new_conversation_and_its_first_turns_share_one_commit(tmp_path: Path) -> None:
    # A title committed on its own was a commit per new conversation: about half the CPU of a short
    # native turn (issue 21).
    index = LocalSearchIndex(tmp_path)
    for cid in ("c1", "c2", "c3"):
        index.add("u", [title(cid)])
        index.add("u", [message(cid, 1), message(cid, 2)])
    assert index.commits == 0
    deadline = time.monotonic() + 10
    while index.commits == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.commits == 1
    assert found(index, "u") == {f"{cid}-m{n}" for cid in ("c1", "c2", "c3") for n in (1, 2)}
    assert found(index, "u", "chat") == {""}  # the titles too (a title hit has no message id)


def test_a_search_right_after_a_write_finds_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "LINGER_S", 30.0)  # the flusher would not get there in time
    index = LocalSearchIndex(tmp_path)
    index.add("u", [title("c1")])
    index.add("u", [message("c1", 1)])
    assert found(index, "u") == {"c1-m1"}


def test_a_search_while_the_flusher_commits_waits_for_that_commit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "LINGER_S", 0.0)
    index = LocalSearchIndex(tmp_path)
    index.add("u", [title("c1")])
    committing, commit = threading.Event(), index._commit

    def slow_commit(user_id, change):  # the flusher has taken the messages and is mid-commit
        if threading.current_thread().name == "search-flusher":
            committing.set()
            time.sleep(0.5)
        commit(user_id, change)

    monkeypatch.setattr(index, "_commit", slow_commit)
    index.add("u", [message("c1", 1)])
    assert committing.wait(10)
    assert found(index, "u") == {"c1-m1"}


def test_changes_apply_after_the_messages_written_before_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "LINGER_S", 30.0)
    index = LocalSearchIndex(tmp_path)
    for cid in ("c1", "c2"):
        index.add("u", [title(cid)])
        index.add("u", [message(cid, 1), message(cid, 2)])
    index.set_archived("u", "c1", True)  # must see both waiting messages of c1
    index.remove_conversation("u", "c2")  # must remove both waiting messages of c2
    index.add("u", [message("c2", 3)])  # a conversation no longer indexed: its messages are not either
    assert found(index, "u", archived=True) == {"c1-m1", "c1-m2"}
    assert found(index, "u", archived=False) == set()


def test_a_process_that_died_with_messages_waiting_has_the_index_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "LINGER_S", 30.0)
    first = LocalSearchIndex(tmp_path)
    first.add("u", [title("c1")])
    first.add("u", [message("c1", 1)])
    marker = next(tmp_path.iterdir()) / PENDING_FILE
    assert marker.exists()
    first._pending.clear()  # what kill -9 does to what waits in memory

    rebuilt: list[str] = []
    second = LocalSearchIndex(tmp_path)
    # As parley.search.rebuild does: each conversation's title, then its messages.
    second.set_rebuilder(lambda user: (rebuilt.append(user), second.add(user, [title("c1")]),
                                       second.add(user, [message("c1", 1)])))
    assert found(second, "u") == {"c1-m1"} and rebuilt == ["u"]
    assert not marker.exists()
    assert found(LocalSearchIndex(tmp_path), "u") == {"c1-m1"}  # a clean index is not rebuilt again


def test_waiting_messages_are_committed_when_the_process_exits(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local, "LINGER_S", 30.0)
    index = LocalSearchIndex(tmp_path)
    index.add("u", [title("c1")])
    index.add("u", [message("c1", 1)])
    local._flush_all()  # what atexit runs
    assert found(LocalSearchIndex(tmp_path), "u") == {"c1-m1"}
