"""A conversation as a downloadable file: Markdown for people (the active branch), file names."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from parley.conversations.model import Conversation, Message

_ROLE_TITLES = {"user": "User", "assistant": "Assistant", "system": "System"}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def export_filename(conversation: Conversation, extension: str) -> str:
    """``<title-slug>-<id>.<ext>``: ASCII only, so every browser and header parser accepts it."""
    ascii_title = unicodedata.normalize("NFKD", conversation.title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return f"{slug or 'conversation'}-{conversation.conversation_id}.{extension}"


def content_disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def render_markdown(conversation: Conversation, branch: list[Message]) -> str:
    lines = [
        f"# {conversation.title}",
        "",
        f"- Conversation: `{conversation.conversation_id}`",
        f"- Model: {conversation.model}",
        f"- Created: {iso(conversation.created_at)}",
        f"- Updated: {iso(conversation.updated_at)}",
    ]
    if conversation.system_prompt:
        lines += ["", "## System prompt", "", conversation.system_prompt]
    for message in branch:
        heading = _ROLE_TITLES.get(message.role, message.role.title())
        if message.role == "assistant" and message.model:
            heading += f" ({message.model})"
        lines += ["", f"## {heading}", "", f"_{iso(message.created_at)}_", "", message.content]
        if message.attachments:
            lines += ["", "Attachments: " + ", ".join(f"`{a}`" for a in message.attachments)]
        if message.finish_reason and message.finish_reason not in ("stop", "end_turn"):
            lines += ["", f"_(finished: {message.finish_reason})_"]
    return "\n".join(lines) + "\n"
