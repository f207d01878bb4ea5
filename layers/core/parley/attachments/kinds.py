"""What kind of file an upload is, from its name and its declared content type.

The name decides first (browsers send unreliable content types for code and text: ``.ts`` arrives as
``video/mp2t``, ``.md`` as nothing at all); the content type decides only for names without a known
extension, and otherwise must not contradict the name. Extraction later checks the bytes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Kind = Literal["pdf", "docx", "text", "csv", "json", "code", "image"]
ALL_KINDS: frozenset[Kind] = frozenset({"pdf", "docx", "text", "csv", "json", "code", "image"})
#: Kinds whose bytes are text (decoded as UTF-8 and held to the text size limit).
TEXT_KINDS: frozenset[Kind] = frozenset({"text", "csv", "json", "code"})
DOCUMENT_KINDS: frozenset[Kind] = frozenset({"pdf", "docx"})

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

#: Extension -> (kind, language for code fences).
_EXTENSIONS: dict[str, tuple[Kind, str | None]] = {
    ".pdf": ("pdf", None),
    ".docx": ("docx", None),
    ".txt": ("text", None),
    ".text": ("text", None),
    ".md": ("text", None),
    ".markdown": ("text", None),
    ".rst": ("text", None),
    ".log": ("text", None),
    ".csv": ("csv", None),
    ".tsv": ("csv", None),
    ".json": ("json", "json"),
    ".jsonl": ("json", "json"),
    ".ndjson": ("json", "json"),
    ".png": ("image", None),
    ".jpg": ("image", None),
    ".jpeg": ("image", None),
    ".gif": ("image", None),
    ".webp": ("image", None),
}

_CODE_LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ipy": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "jsx",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".scala": "scala",
    ".groovy": "groovy",
    ".gradle": "groovy",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".cs": "csharp",
    ".fs": "fsharp",
    ".vb": "vbnet",
    ".m": "objectivec",
    ".mm": "objectivec",
    ".swift": "swift",
    ".rb": "ruby",
    ".php": "php",
    ".pl": "perl",
    ".pm": "perl",
    ".lua": "lua",
    ".r": "r",
    ".jl": "julia",
    ".dart": "dart",
    ".hs": "haskell",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".clj": "clojure",
    ".ml": "ocaml",
    ".zig": "zig",
    ".nim": "nim",
    ".sql": "sql",
    ".sh": "bash",
    ".bash": "bash",
    ".zsh": "zsh",
    ".fish": "fish",
    ".ps1": "powershell",
    ".bat": "batch",
    ".cmd": "batch",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".env.example": "dotenv",
    ".properties": "properties",
    ".html": "html",
    ".htm": "html",
    ".xml": "xml",
    ".svg": "xml",
    ".css": "css",
    ".scss": "scss",
    ".sass": "sass",
    ".less": "less",
    ".vue": "vue",
    ".svelte": "svelte",
    ".tf": "hcl",
    ".hcl": "hcl",
    ".proto": "protobuf",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".cmake": "cmake",
    ".mk": "makefile",
    ".dockerfile": "dockerfile",
    ".diff": "diff",
    ".patch": "diff",
    ".tex": "latex",
    ".ipynb": "json",
}
#: Well-known extensionless names.
_CODE_NAMES: dict[str, str] = {
    "dockerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "jenkinsfile": "groovy",
    "vagrantfile": "ruby",
    "gemfile": "ruby",
    "rakefile": "ruby",
}

#: Canonical media types per image format, and the aliases clients send for them.
IMAGE_MEDIA_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_IMAGE_ALIASES: dict[str, str] = {
    "image/png": "image/png",
    "image/x-png": "image/png",
    "image/apng": "image/png",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
_KIND_MEDIA_TYPE: dict[Kind, str] = {
    "pdf": "application/pdf",
    "docx": DOCX_TYPE,
    "text": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "code": "text/plain",
}
#: Content types that identify a kind on their own (used for names without a known extension).
_TYPE_KINDS: dict[str, tuple[Kind, str | None]] = {
    "application/pdf": ("pdf", None),
    "application/x-pdf": ("pdf", None),
    DOCX_TYPE: ("docx", None),
    "text/plain": ("text", None),
    "text/markdown": ("text", None),
    "text/x-markdown": ("text", None),
    "text/csv": ("csv", None),
    "text/tab-separated-values": ("csv", None),
    "application/json": ("json", "json"),
    "application/x-ndjson": ("json", "json"),
    "text/x-python": ("code", "python"),
    "text/x-script.python": ("code", "python"),
    "text/javascript": ("code", "javascript"),
    "application/javascript": ("code", "javascript"),
    "text/x-java-source": ("code", "java"),
    "text/x-c": ("code", "c"),
    "text/x-c++": ("code", "cpp"),
    "text/x-go": ("code", "go"),
    "text/x-rust": ("code", "rust"),
    "text/x-sh": ("code", "bash"),
    "application/x-sh": ("code", "bash"),
    "application/sql": ("code", "sql"),
    "text/html": ("code", "html"),
    "text/css": ("code", "css"),
    "application/xml": ("code", "xml"),
    "text/xml": ("code", "xml"),
    "application/yaml": ("code", "yaml"),
    "text/yaml": ("code", "yaml"),
    "application/toml": ("code", "toml"),
}


@dataclass(frozen=True, slots=True)
class KindInfo:
    kind: Kind
    #: The media type Parley records: canonical for the kind (for images, the image format's).
    media_type: str
    #: Code-fence language for ``code`` and ``json``.
    language: str | None = None


class KindUnknown(ValueError):
    """Neither the name nor the content type is a kind Parley reads."""


class KindMismatch(ValueError):
    """The content type contradicts the name (a ``.pdf`` sent as ``image/png``)."""


def normalize_content_type(content_type: str | None) -> str:
    """``"Text/Plain; charset=UTF-8"`` -> ``"text/plain"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def extension_of(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name.lower()
    if name.endswith(".env.example"):
        return ".env.example"
    return PurePosixPath(name).suffix


def _text_like_type_ok(content_type: str, ext: str) -> bool:
    """Whether a content type is plausible for a text, code, CSV or JSON file named with ``ext``."""
    if content_type in _GENERIC_TYPES or content_type.startswith("text/"):
        return True
    if content_type in ("video/mp2t", "video/vnd.dlna.mpeg-tts") and ext in (".ts", ".mts", ".cts"):
        return True  # the MPEG transport-stream clash every browser has for TypeScript
    if content_type.startswith("application/"):
        sub = content_type.removeprefix("application/")
        return (
            sub.startswith("x-")
            or sub.endswith(
                ("+json", "+xml", "json", "xml", "yaml", "toml", "sql", "javascript", "ecmascript")
            )
            or sub in ("csv", "php", "graphql", "x-ipynb+json", "vnd.ms-excel")  # Windows sends CSV as Excel
        )
    return False


def classify(filename: str, content_type: str | None) -> KindInfo:
    """Decide the kind of a declared upload; raises ``KindUnknown`` or ``KindMismatch``."""
    ctype = normalize_content_type(content_type)
    ext = extension_of(filename)
    base = PurePosixPath(filename.replace("\\", "/")).name.lower()

    if ext in _EXTENSIONS or ext in _CODE_LANGUAGES or base in _CODE_NAMES:
        if ext in _EXTENSIONS:
            kind, language = _EXTENSIONS[ext]
        else:
            kind, language = "code", _CODE_LANGUAGES.get(ext) or _CODE_NAMES[base]
        if kind == "image":
            media = IMAGE_MEDIA_TYPES[ext]
            if ctype in _GENERIC_TYPES or _IMAGE_ALIASES.get(ctype) == media:
                return KindInfo("image", media)
            raise KindMismatch(f"{_describe(ctype)} does not match the {ext} file name")
        if kind == "pdf":
            ok = ctype in _GENERIC_TYPES or ctype in _PDF_TYPES
        elif kind == "docx":
            ok = ctype in _GENERIC_TYPES or ctype in (
                DOCX_TYPE,
                "application/zip",
                "application/x-zip-compressed",
            )
        else:
            ok = _text_like_type_ok(ctype, ext)
        if not ok:
            raise KindMismatch(f"{_describe(ctype)} does not match the {ext or base} file name")
        return KindInfo(kind, _KIND_MEDIA_TYPE[kind], language)

    if ctype in _IMAGE_ALIASES:
        return KindInfo("image", _IMAGE_ALIASES[ctype])
    if ctype in _TYPE_KINDS:
        kind, language = _TYPE_KINDS[ctype]
        return KindInfo(kind, _KIND_MEDIA_TYPE[kind], language)
    if ctype.startswith("text/") and not ext:
        return KindInfo("text", "text/plain")  # README, LICENSE, NOTES and friends
    what = f"{ext} files" if ext else (f"content type {ctype}" if ctype else "files without an extension")
    raise KindUnknown(f"{what} are not supported")


def _describe(ctype: str) -> str:
    return f"content type {ctype}" if ctype else "the content type"


def supported_summary() -> str:
    """A short list for error messages."""
    return "PDF, DOCX, text and Markdown, CSV, JSON, source code, and PNG/JPEG/GIF/WebP images"
