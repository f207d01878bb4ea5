"""Kinds from names and content types, and the checks on a declared upload (413/415/422)."""

from __future__ import annotations

import pytest

from parley.api.errors import status_of
from parley.attachments import (
    AttachmentTooLarge,
    InvalidAttachment,
    Limits,
    TooManyAttachments,
    UnsupportedAttachmentType,
    check_attachment_count,
    classify,
    safe_filename,
    validate_upload,
)
from parley.attachments.kinds import DOCX_TYPE, KindMismatch, KindUnknown
from parley.errors import ParleyError, PayloadTooLarge

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("filename", "content_type", "kind", "language", "media_type"),
    [
        ("report.pdf", "application/pdf", "pdf", None, "application/pdf"),
        ("Report.PDF", "application/octet-stream", "pdf", None, "application/pdf"),
        ("memo.docx", DOCX_TYPE, "docx", None, DOCX_TYPE),
        ("notes.txt", "text/plain; charset=utf-8", "text", None, "text/plain"),
        ("README.md", "", "text", None, "text/plain"),
        ("data.csv", "application/vnd.ms-excel", "csv", None, "text/csv"),
        ("data.json", "application/json", "json", "json", "application/json"),
        ("main.py", "text/x-python", "code", "python", "text/plain"),
        ("app.ts", "video/mp2t", "code", "typescript", "text/plain"),
        ("view.tsx", "", "code", "tsx", "text/plain"),
        ("lib.rs", "application/octet-stream", "code", "rust", "text/plain"),
        ("Main.java", "text/x-java-source", "code", "java", "text/plain"),
        ("schema.sql", "application/sql", "code", "sql", "text/plain"),
        ("run.sh", "application/x-sh", "code", "bash", "text/plain"),
        ("config.yaml", "application/yaml", "code", "yaml", "text/plain"),
        ("Cargo.toml", "application/toml", "code", "toml", "text/plain"),
        ("index.html", "text/html", "code", "html", "text/plain"),
        ("Dockerfile", "", "code", "dockerfile", "text/plain"),
        ("photo.JPG", "image/jpeg", "image", None, "image/jpeg"),
        ("photo.jpeg", "image/pjpeg", "image", None, "image/jpeg"),
        ("anim.gif", "", "image", None, "image/gif"),
        ("pic.webp", "image/webp", "image", None, "image/webp"),
        ("pasted", "image/png", "image", None, "image/png"),
        ("LICENSE", "text/plain", "text", None, "text/plain"),
    ],
)
def test_classify(filename: str, content_type: str, kind: str, language: str | None, media_type: str) -> None:
    info = classify(filename, content_type)
    assert (info.kind, info.language, info.media_type) == (kind, language, media_type)


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("report.pdf", "image/png"),
        ("photo.png", "image/jpeg"),
        ("main.py", "image/png"),
        ("a.docx", "text/plain"),
    ],
)
def test_classify_refuses_contradictions(filename: str, content_type: str) -> None:
    with pytest.raises(KindMismatch):
        classify(filename, content_type)


@pytest.mark.parametrize(
    ("filename", "content_type"), [("setup.exe", ""), ("a.zip", "application/zip"), ("x", "")]
)
def test_classify_refuses_unknown(filename: str, content_type: str) -> None:
    with pytest.raises(KindUnknown):
        classify(filename, content_type)


def test_validate_upload_maps_to_statuses() -> None:
    limits = Limits()
    declared = validate_upload("dir/../Report.pdf", "application/pdf", 3 * MB, limits)
    assert (declared.filename, declared.kind, declared.size) == ("Report.pdf", "pdf", 3 * MB)

    with pytest.raises(UnsupportedAttachmentType) as unsupported:
        validate_upload("tool.exe", "application/x-msdownload", 10, limits)
    assert (status_of(unsupported.value), unsupported.value.code) == (415, "unsupported_media_type")
    assert "tool.exe" in unsupported.value.message

    with pytest.raises(AttachmentTooLarge) as too_large:
        validate_upload("big.png", "image/png", 6 * MB, limits)
    assert status_of(too_large.value) == 413 and isinstance(too_large.value, PayloadTooLarge)
    assert "5 MB" in too_large.value.message

    with pytest.raises(AttachmentTooLarge):
        validate_upload("big.py", "", 2 * MB + 1, limits)
    validate_upload("big.pdf", "", 20 * MB, limits)  # exactly at the limit is fine

    with pytest.raises(InvalidAttachment) as mismatch:
        validate_upload("photo.png", "image/jpeg", 10, limits)
    assert status_of(mismatch.value) == 422 and isinstance(mismatch.value, ParleyError)

    with pytest.raises(InvalidAttachment, match="empty"):
        validate_upload("a.txt", "text/plain", 0, limits)
    with pytest.raises(InvalidAttachment, match="name"):
        validate_upload("\n\x00", "text/plain", 5, limits)


def test_allowed_kinds_and_count() -> None:
    limits = Limits(allowed_kinds=frozenset({"pdf", "text"}), max_attachments_per_message=2)
    with pytest.raises(UnsupportedAttachmentType, match="not enabled"):
        validate_upload("a.png", "image/png", 10, limits)
    check_attachment_count(2, limits)
    with pytest.raises(TooManyAttachments) as error:
        check_attachment_count(3, limits)
    assert (status_of(error.value), error.value.code) == (422, "too_many_attachments")


def test_limits_from_settings_reads_attachment_fields() -> None:
    class FakeSettings:
        attachment_max_pages = 12
        attachment_allowed_kinds = ("pdf", "image")
        attachment_max_image_bytes = None  # unset: keep the default

    limits = Limits.from_settings(FakeSettings())
    assert limits.max_pages == 12
    assert limits.allowed_kinds == frozenset({"pdf", "image"})
    assert limits.max_image_bytes == Limits().max_image_bytes

    class EmptyList:
        attachment_allowed_kinds: tuple[str, ...] = ()  # PARLEY_ATTACHMENT_ALLOWED_KINDS unset

    assert Limits.from_settings(EmptyList()).allowed_kinds == Limits().allowed_kinds

    class Bad:
        attachment_allowed_kinds = ("pdf", "exe")

    with pytest.raises(ValueError, match="exe"):
        Limits.from_settings(Bad())


def test_safe_filename_strips_paths_controls_and_bidi() -> None:
    assert safe_filename("C:\\Users\\me\\evil\u202egpj.exe") == "evilgpj.exe"
    assert safe_filename("a\nb\rc.txt") == "abc.txt"
    assert safe_filename("..") == ""
    long = safe_filename("x" * 500 + ".pdf")
    assert len(long) <= 200 and long.endswith(".pdf")
