"""The archive format: every item of a conversation's partition, as raw DynamoDB items, gzip'd JSON lines.

Items are kept in DynamoDB's own attribute-value form (``{"S": ...}``, ``{"N": ...}``), so any kind
of item (messages, summaries, kinds added later) round-trips exactly without knowing its schema.
Line 1 is a header; each further line is one item, serialized canonically so that its SHA-256
(over the item lines) identifies the content independently of dict ordering.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

FORMAT = "parley.cold/1"

RawItem = dict[str, dict[str, Any]]


class ArchiveCorrupt(Exception):
    """An archive that does not decode, or whose items do not match its header."""


@dataclass(frozen=True)
class Manifest:
    """What identifies an archive's content: how many items and their hash."""

    item_count: int
    sha256: str


@dataclass(frozen=True)
class Archive:
    conversation_id: str
    user_id: str
    archived_at: int
    items: list[RawItem]
    manifest: Manifest


def _encode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "M":
        return {"M": {k: _encode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode_value(v) for v in inner]}
    return {kind: inner}


def _decode_value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "M":
        return {"M": {k: _decode_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_value(v) for v in inner]}
    return {kind: inner}


def item_line(item: RawItem) -> str:
    encoded = {name: _encode_value(value) for name, value in item.items()}
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _parse_line(line: str) -> RawItem:
    return {name: _decode_value(value) for name, value in json.loads(line).items()}


def _digest(lines: list[str]) -> str:
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode("utf-8"))
        sha.update(b"\n")
    return sha.hexdigest()


def manifest_of(items: list[RawItem]) -> Manifest:
    lines = [item_line(i) for i in items]
    return Manifest(len(lines), _digest(lines))


def pack(conversation_id: str, user_id: str, items: list[RawItem], archived_at: int) -> tuple[bytes, Manifest]:
    """The compressed archive and the manifest to verify it by."""
    lines = [item_line(i) for i in items]
    manifest = Manifest(len(lines), _digest(lines))
    header = {
        "format": FORMAT,
        "conversationId": conversation_id,
        "userId": user_id,
        "archivedAt": archived_at,
        "itemCount": manifest.item_count,
        "sha256": manifest.sha256,
    }
    text = "\n".join([json.dumps(header, separators=(",", ":")), *lines]) + "\n"
    # mtime=0: the same content always compresses to the same bytes.
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0), manifest


def unpack(body: bytes) -> Archive:
    """Decode an archive and check its items against its own header."""
    try:
        lines = gzip.decompress(body).decode("utf-8").splitlines()
        header = json.loads(lines[0])
        item_lines = lines[1:]
        items = [_parse_line(line) for line in item_lines]
    except (OSError, EOFError, UnicodeDecodeError, ValueError, IndexError, KeyError) as exc:
        raise ArchiveCorrupt(f"undecodable archive: {type(exc).__name__}") from exc
    if header.get("format") != FORMAT:
        raise ArchiveCorrupt(f"unknown archive format {header.get('format')!r}")
    # Recompute from the parsed items, not the stored lines: a decode/encode mismatch shows up too.
    manifest = manifest_of(items)
    if manifest != Manifest(int(header["itemCount"]), str(header["sha256"])):
        raise ArchiveCorrupt("archive items do not match its header")
    return Archive(
        conversation_id=str(header["conversationId"]),
        user_id=str(header["userId"]),
        archived_at=int(header["archivedAt"]),
        items=items,
        manifest=manifest,
    )
