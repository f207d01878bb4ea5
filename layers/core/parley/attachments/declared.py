"""The declarations of an upload that are certain to be accepted, as one JSON Schema.

``POST /attachments`` publishes this schema and admits exactly what it describes, so that a client
(or a schema-driven tester) can tell a good declaration from a bad one without asking: a file name
ending in an extension Parley reads, with a visible name before it; a content type that goes with
that extension (or none); and a size from 1 byte to the limit of that kind. Everything else is
refused with the precise reason (413, 415 or 422, from ``validate_upload``).

It is a deliberate subset of what ``classify`` would take (names like ``Makefile`` without an
extension, odd spellings of content types): the schema must never promise more than the server does.
The patterns avoid ``\\s`` and anchors' edge cases, so that ECMAScript (the schema) and Python (the
check here, with ``fullmatch``) read them alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from parley.attachments.kinds import (
    _CODE_LANGUAGES,
    _CODE_NAMES,
    _EXTENSIONS,
    _GENERIC_TYPES,
    _IMAGE_ALIASES,
    _PDF_TYPES,
    DOCX_TYPE,
    IMAGE_MEDIA_TYPES,
)
from parley.attachments.limits import Limits

#: What ``safe_filename`` removes, and the path separators and the dot: the name needs one other
#: character before its extension.
_NOT_VISIBLE = "\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200f\\u2028-\\u202f\\u205f\\u2066-\\u2069\\u3000\\ufeff./\\\\"
_TEXT_TYPE = ("(text/[a-z0-9][a-z0-9.+-]*|application/(x-[a-z0-9.+-]*|[a-z0-9.+-]*"
              "(json|xml|yaml|toml|sql|javascript|ecmascript)|csv|php|graphql|vnd\\.ms-excel))(;.*)?")
_TS_VIDEO = "(video/mp2t|video/vnd\\.dlna\\.mpeg-tts)(;.*)?"


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _name_pattern(extensions: list[str]) -> str:
    exts = "|".join(_any_case(e.lstrip(".")) for e in sorted(extensions))
    return f"(.*[/\\\\])?[^/\\\\]*[^{_NOT_VISIBLE}][^/\\\\]*\\.({exts})"


def _exact_names(names: list[str]) -> str:
    return f"(.*[/\\\\])?({'|'.join(_any_case(n) for n in sorted(names))})"


#: A last path component without a dot (no extension), with a visible character.
_NO_EXTENSION = f"(.*[/\\\\])?[^/\\\\.]*[^{_NOT_VISIBLE}][^/\\\\.]*"
_TEXT_ONLY_TYPE = "text/[a-z0-9][a-z0-9.+-]*(;.*)?"


def _literal_types(types: set[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(types) if t) + "|"  # "" is generic too


@dataclass(frozen=True)
class _Branch:
    name: str
    content_type: str
    max_size: int
    #: Whether the content type must be given (a name without an extension says nothing by itself).
    type_required: bool = False

    def json_schema(self) -> dict[str, Any]:
        given = {"type": "string", "pattern": f"^({self.content_type})$"}
        schema: dict[str, Any] = {
            "properties": {
                "filename": {"type": "string", "pattern": f"^{self.name}$"},
                "contentType": given if self.type_required else {"anyOf": [{"type": "null"}, given]},
                "size": {"type": "integer", "minimum": 1, "maximum": self.max_size},
            },
        }
        if self.type_required:
            schema["required"] = ["contentType"]
        return schema

    def admits(self, filename: str, content_type: str | None, size: int) -> bool:
        if content_type is None and self.type_required:
            return False
        return (1 <= size <= self.max_size and re.fullmatch(self.name, filename) is not None
                and (content_type is None or re.fullmatch(self.content_type, content_type) is not None))


class DeclaredUploads:
    """The accepted declarations under ``limits`` (its allowed kinds and sizes)."""

    def __init__(self, limits: Limits) -> None:
        generic = _literal_types(set(_GENERIC_TYPES))
        branches: list[_Branch] = []
        allowed = limits.allowed_kinds
        if "image" in allowed:
            for ext, media in IMAGE_MEDIA_TYPES.items():
                aliases = {t for t, m in _IMAGE_ALIASES.items() if m == media}
                branches.append(_Branch(_name_pattern([ext]), generic + _literal_types(aliases),
                                        limits.max_image_bytes))
        if "pdf" in allowed:
            branches.append(_Branch(_name_pattern([".pdf"]), generic + _literal_types(set(_PDF_TYPES)),
                                    limits.max_document_bytes))
        if "docx" in allowed:
            types = {DOCX_TYPE, "application/zip", "application/x-zip-compressed"}
            branches.append(_Branch(_name_pattern([".docx"]), generic + _literal_types(types),
                                    limits.max_document_bytes))
        text_like = [e for e, (kind, _) in _EXTENSIONS.items() if kind in allowed and kind in ("text", "csv", "json")]
        if "code" in allowed:
            text_like += list(_CODE_LANGUAGES)
        typescript = [e for e in text_like if e in (".ts", ".mts", ".cts")]
        if text_like:
            branches.append(_Branch(_name_pattern(text_like), generic + _TEXT_TYPE, limits.max_text_bytes))
        if typescript:  # browsers call TypeScript an MPEG transport stream
            branches.append(_Branch(_name_pattern(typescript), _TS_VIDEO, limits.max_text_bytes))
        if "code" in allowed:  # Dockerfile, Makefile...
            branches.append(_Branch(_exact_names(list(_CODE_NAMES)), generic + _TEXT_TYPE, limits.max_text_bytes))
        if {"text", "csv", "json", "code"} <= allowed:  # README, LICENSE: a text type says what they are
            branches.append(_Branch(_NO_EXTENSION, _TEXT_ONLY_TYPE, limits.max_text_bytes, type_required=True))
        self._branches = branches

    def admits(self, filename: str, content_type: str | None, size: int) -> bool:
        return any(b.admits(filename, content_type, size) for b in self._branches)

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [b.json_schema() for b in self._branches]}
