"""The message tree: children from parent links, the active branch from the current leaf."""

from __future__ import annotations

from collections.abc import Iterable

from parley.conversations.model import Message


def link_children(messages: Iterable[Message]) -> dict[str, Message]:
    """Index messages by id and fill ``children_ids`` (creation order, as ids are time-ordered)."""
    by_id = {m.message_id: m for m in messages}
    for message in by_id.values():
        message.children_ids = []
    for message in sorted(by_id.values(), key=lambda m: m.message_id):
        parent = by_id.get(message.parent_id) if message.parent_id else None
        if parent is not None:
            parent.children_ids.append(message.message_id)
    return by_id


def branch_to(by_id: dict[str, Message], leaf_id: str | None) -> list[Message]:
    """The path from the root to ``leaf_id``, root first."""
    path: list[Message] = []
    seen: set[str] = set()
    node = by_id.get(leaf_id) if leaf_id else None
    while node is not None and node.message_id not in seen:
        seen.add(node.message_id)
        path.append(node)
        node = by_id.get(node.parent_id) if node.parent_id else None
    path.reverse()
    return path


def newest_leaf_under(by_id: dict[str, Message], message_id: str) -> str:
    """Follow the newest child from ``message_id`` down to a leaf (what a branch switch shows)."""
    node = by_id[message_id]
    while node.children_ids:
        node = by_id[node.children_ids[-1]]
    return node.message_id
