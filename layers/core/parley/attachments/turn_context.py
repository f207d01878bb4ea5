"""What a turn's attachments add to the model's input, within a token budget.

Documents become delimited blocks of untrusted text (the chunks most relevant to the question, when a
document does not fit whole), images become OpenAI image parts. The attachments arrive checked (the
caller's, ready); this loads their chunks and bytes and shares the budget between them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parley.attachments.chunking import Chunk, chunks_from_json
from parley.attachments.relevance import select_chunks
from parley.attachments.render import render_document
from parley.attachments.uploads import chunks_key, original_key
from parley.errors import PayloadTooLarge
from parley.tokens import count_tokens

if TYPE_CHECKING:
    from parley.attachments.objects import AttachmentObjects
    from parley.attachments.store import Attachment


@dataclass(frozen=True)
class TurnAttachments:
    """What a turn's attachments add to the model's input."""

    #: One delimited block of untrusted text per document, in the order the attachments were given.
    document_blocks: list[str] = field(default_factory=list)
    #: OpenAI content parts: ``{"type": "image_url", "image_url": {"url": "data:<type>;base64,..."}}``.
    image_parts: list[dict[str, Any]] = field(default_factory=list)
    #: Per attachment: ``{id, kind, filename, chunksUsed, totalChunks, tokens}`` (for the message's details).
    records: list[dict[str, Any]] = field(default_factory=list)
    #: sha256 of each attachment's bytes, in order (for the response cache key).
    content_hashes: tuple[str, ...] = ()
    #: Tokens added: the documents' blocks counted exactly, the images estimated.
    tokens: int = 0

    @property
    def image_count(self) -> int:
        return len(self.image_parts)


@dataclass
class _Document:
    attachment: Attachment
    chunks: list[Chunk]
    full_tokens: int = 0
    selected: list[Chunk] = field(default_factory=list)
    block: str = ""
    tokens: int = 0


class TurnContext:
    def __init__(self, objects: AttachmentObjects) -> None:
        self._objects = objects

    def build(self, attachments: Sequence[Attachment], question: str, budget_tokens: int) -> TurnAttachments:
        """The attachments (the caller's, ready, in order) ready for the model, within ``budget_tokens``.

        Raises 413 ``attachments_too_large`` when not even the attachments' headers and images fit.
        One S3 GET per attachment, concurrently.
        """
        images = [a for a in attachments if a.kind == "image"]
        image_tokens = sum(a.tokens or 0 for a in images)
        if image_tokens > budget_tokens:
            raise PayloadTooLarge(
                f"the attached images need about {image_tokens} tokens, more than the {max(budget_tokens, 0)} "
                "left for attachments in this model's context",
                code="attachments_too_large",
            )
        loaded = self._load(attachments)
        documents = [_Document(a, loaded[a.attachment_id]) for a in attachments if a.kind != "image"]
        _fit(documents, budget_tokens - image_tokens, question)

        by_id = {d.attachment.attachment_id: d for d in documents}
        blocks: list[str] = []
        parts: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for a in attachments:
            if a.kind == "image":
                data = loaded[a.attachment_id]
                url = f"data:{a.media_type};base64,{base64.b64encode(data).decode('ascii')}"
                parts.append({"type": "image_url", "image_url": {"url": url}})
                records.append(_record(a, used=[], total=0, tokens=a.tokens or 0))
            else:
                d = by_id[a.attachment_id]
                blocks.append(d.block)
                records.append(_record(a, used=[c.index for c in d.selected], total=len(d.chunks), tokens=d.tokens))
        return TurnAttachments(
            document_blocks=blocks,
            image_parts=parts,
            records=records,
            content_hashes=tuple(a.sha256 or "" for a in attachments),
            tokens=image_tokens + sum(d.tokens for d in documents),
        )

    def _load(self, attachments: Sequence[Attachment]) -> dict[str, Any]:
        """Chunks of each document and bytes of each image, fetched concurrently."""

        def fetch(a: Attachment) -> tuple[str, Any]:
            key = original_key(a.attachment_id) if a.kind == "image" else chunks_key(a.attachment_id)
            body = self._objects.read(key)
            return a.attachment_id, body if a.kind == "image" else chunks_from_json(body)

        if len(attachments) == 1:
            return dict([fetch(attachments[0])])
        with ThreadPoolExecutor(max_workers=min(8, len(attachments))) as pool:
            return dict(pool.map(fetch, attachments))


def _fit(documents: list[_Document], budget: int, question: str) -> None:
    """Share the budget: documents that fit whole take what they need, the rest split what is left.

    Smallest first, each taking at most an equal share of what remains, so whatever a small
    document leaves unused flows to the larger ones. Each block is counted exactly once rendered.
    """
    for d in documents:
        d.full_tokens = sum(c.tokens for c in d.chunks)
    remaining = budget
    ordered = sorted(documents, key=lambda d: (d.full_tokens, d.attachment.attachment_id))
    for position, d in enumerate(ordered):
        share = remaining // (len(ordered) - position)
        _render_within(d, share, question)
        if d.tokens > remaining:
            raise PayloadTooLarge(
                f"there is no room left in this model's context for {d.attachment.filename}",
                code="attachments_too_large",
            )
        remaining -= d.tokens


def _render_within(d: _Document, allowance: int, question: str) -> None:
    a = d.attachment
    details = a.details or {}

    def render(chunks: list[Chunk]) -> str:
        return render_document(
            a.filename, a.kind, chunks,  # type: ignore[arg-type]
            total_chunks=len(d.chunks), truncated=bool(details.get("truncated")),
            language=details.get("language"), pages=details.get("pages"),
        )

    # The frame (name, notes, the untrusted-data wrapper: ~180 tokens) is measured around the first
    # chunk; chunks then get what is left, and any excess from the labels between excerpts is taken
    # back until the whole block fits.
    first = d.chunks[:1]
    frame = count_tokens(render(first)) - sum(c.tokens for c in first) + 16
    chunk_budget = allowance - frame
    while True:  # ends: the chunk budget shrinks every round until nothing is selected
        selected = select_chunks(d.chunks, question, chunk_budget) if chunk_budget > 0 else []
        block = render(selected)
        tokens = count_tokens(block)
        if tokens <= allowance or not selected:
            break
        chunk_budget -= tokens - allowance + 16
    d.selected, d.block, d.tokens = selected, block, tokens


def _record(a: Attachment, *, used: list[int], total: int, tokens: int) -> dict[str, Any]:
    screening = (a.details or {}).get("screening") or {}
    return {"id": a.attachment_id, "kind": a.kind, "filename": a.filename, "chunksUsed": used,
            "totalChunks": total, "tokens": tokens, "flagged": bool(screening.get("flagged")),
            "families": list(screening.get("families", []))}


__all__ = ["TurnAttachments", "TurnContext"]
