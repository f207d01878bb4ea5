"""What extraction produces: the text (or image facts) of one attachment, ready to store and chunk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from parley.attachments.kinds import Kind


@dataclass(frozen=True, slots=True)
class Section:
    """A span of ``Extracted.text``: a PDF page, a DOCX or Markdown heading's section."""

    label: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # PNG, JPEG, GIF, WEBP (Pillow's names)
    media_type: str
    width: int
    height: int
    animated: bool = False
    #: OpenAI-style high-detail estimate (85 + 170 per 512-px tile); providers differ, treat as a guide.
    estimated_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Extracted:
    kind: Kind
    filename: str
    media_type: str
    size: int
    sha256: str
    #: Documents: the text, PDF pages introduced by ``[page N]`` lines; code: fenced with its language.
    text: str = ""
    tokens: int = 0
    sections: tuple[Section, ...] = ()
    pages: int | None = None
    language: str | None = None
    image: ImageInfo | None = None
    #: Something was left out (characters over the limit, CSV rows over the cap): see ``notes``.
    truncated: bool = False
    notes: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        """Everything but the text, JSON-ready (camelCase), for the attachment's record."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "filename": self.filename,
            "mediaType": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "tokens": self.tokens,
            "chars": len(self.text),
            "pages": self.pages,
            "language": self.language,
            "truncated": self.truncated,
            "notes": list(self.notes),
        }
        if self.image is not None:
            out["image"] = {
                "format": self.image.format,
                "width": self.image.width,
                "height": self.image.height,
                "animated": self.image.animated,
                "estimatedTokens": self.image.estimated_tokens,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """A lossless, JSON-ready form (``from_dict`` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extracted:
        values = dict(data)
        values["sections"] = tuple(Section(**s) for s in values.get("sections", ()))
        values["notes"] = tuple(values.get("notes", ()))
        if values.get("image") is not None:
            values["image"] = ImageInfo(**values["image"])
        return cls(**values)


@dataclass(slots=True)
class TextBuilder:
    """Builds a document's text part by part under a character cap, recording sections as it goes."""

    max_chars: int
    parts: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    length: int = 0
    truncated: bool = False
    _open: tuple[str, int, int | None] | None = None

    @property
    def full(self) -> bool:
        return self.truncated

    def add(self, text: str) -> bool:
        """Append; False once the cap is reached (the part is cut at a line end where one is near)."""
        if self.truncated:
            return False
        room = self.max_chars - self.length
        if len(text) > room:
            cut = text.rfind("\n", max(0, room - 2000), room)
            text = text[: cut if cut > 0 else room]
            self.truncated = True
        self.parts.append(text)
        self.length += len(text)
        return not self.truncated

    def begin_section(self, label: str, page: int | None = None) -> None:
        self.end_section()
        self._open = (label, self.length, page)

    def end_section(self) -> None:
        if self._open is not None:
            label, start, page = self._open
            self.sections.append(Section(label, start, self.length, page))
            self._open = None

    def text(self) -> str:
        self.end_section()
        return "".join(self.parts)


@dataclass(frozen=True, slots=True)
class Body:
    """What one kind's reader returns; ``extract`` adds the common fields."""

    text: str = ""
    sections: tuple[Section, ...] = ()
    pages: int | None = None
    truncated: bool = False
    notes: tuple[str, ...] = ()
    image: ImageInfo | None = None
