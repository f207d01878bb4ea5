"""Malformed, encrypted and hostile files end in ExtractionFailed with a reason, quickly.

No timing assertions: the suite-wide pytest timeout catches a hang; each test checks the reason.
"""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from parley.api.errors import status_of
from parley.attachments import ExtractionFailed, Limits, extract
from tests.attachments.samples import (
    add_zip_member,
    encrypt_pdf,
    image_bytes,
    make_docx,
    make_pdf,
    png_claiming,
    understate_zip_member,
)

LIMITS = Limits()
pytestmark = pytest.mark.timeout(60)


def failure(data: bytes, filename: str, content_type: str = "", limits: Limits = LIMITS) -> str:
    with pytest.raises(ExtractionFailed) as error:
        extract(data, filename=filename, content_type=content_type, limits=limits)
    assert status_of(error.value) == 422 and error.value.code == "extraction_failed"
    return error.value.reason


def junk(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_with_a_user_password() -> None:
    data = encrypt_pdf(make_pdf([["secret"]]), user_password="hunter2")
    assert "password-protected" in failure(data, "locked.pdf")


def test_pdf_claiming_a_billion_pages_fails_before_walking_them() -> None:
    assert "1,000,000,000 pages" in failure(make_pdf([["x"]], declared_count=10**9), "many.pdf")


def test_pdf_over_the_page_limit() -> None:
    assert "600 pages" in failure(make_pdf([["x"]] * 600), "long.pdf")


def test_pdf_with_deeply_nested_objects() -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    assert "could not be read" in failure(make_pdf([["x"]], page_extra=b" /Nested " + nested), "deep.pdf")


def test_pdf_with_a_decompression_bomb_stream() -> None:
    bomb = make_pdf([], raw_streams=[b"0 0 m\n" * 15_000_000], compress=True)  # 90 MB from ~90 KB
    assert len(bomb) < 1_000_000
    assert "could not be read" in failure(bomb, "bomb.pdf")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n" + junk(5000), "could not be read"),
        (make_pdf([["hello"]])[:200], "could not be read"),
        (b"GIF89a not a pdf", "not a PDF"),
        (make_pdf([[]]), "no extractable text"),
    ],
    ids=["junk-after-header", "truncated", "no-header", "image-only"],
)
def test_broken_pdfs(data: bytes, expected: str) -> None:
    assert expected in failure(data, "broken.pdf")


def test_slow_pages_stop_at_the_deadline() -> None:
    # Each page is a few KB that pypdf needs about a second to interpret.
    slow = b"BT /F1 11 Tf 72 700 Td\n" + b"(a) Tj 1 0 Td\n" * 40_000 + b"ET"
    data = make_pdf([], raw_streams=[slow] * 20, compress=True)
    reason = failure(data, "slow.pdf", limits=Limits(time_budget_s=0.2))
    assert "longer than 0.2 s" in reason and "page" in reason


# --- DOCX --------------------------------------------------------------------------------------


def docx_sample() -> bytes:
    return make_docx([("p", "hello")])


def test_docx_zip_bomb_member_is_refused_from_the_directory() -> None:
    bomb = add_zip_member(docx_sample(), "word/media/image1.png", b"\0" * (100 * 1024 * 1024))
    assert len(bomb) < 1_000_000
    assert "zip bomb" in failure(bomb, "bomb.docx")


def test_docx_expanding_past_the_total_limit() -> None:
    data = add_zip_member(docx_sample(), "word/media/noise.bin", junk(200_000))
    assert "expands to" in failure(data, "big.docx", limits=Limits(max_zip_uncompressed_bytes=100_000))


def test_docx_with_too_many_parts() -> None:
    out = io.BytesIO(docx_sample())
    with zipfile.ZipFile(out, "a") as archive:
        for i in range(2_100):
            archive.writestr(f"custom/{i}.xml", b"")
    assert "parts" in failure(out.getvalue(), "parts.docx")


def test_docx_lying_about_a_member_size_cannot_expand_past_it() -> None:
    lying = understate_zip_member(docx_sample(), "word/document.xml", 100)
    assert "could not be read" in failure(lying, "liar.docx")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04" + junk(3000), "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk(3000), "password-protected or legacy"),
        (b"just text", "not a DOCX"),
    ],
    ids=["junk-zip", "ole-container", "not-zip"],
)
def test_broken_docx(data: bytes, expected: str) -> None:
    assert expected in failure(data, "broken.docx")


def test_zip_that_is_not_a_word_document() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a Word document" in failure(out.getvalue(), "fake.docx")


# --- images ------------------------------------------------------------------------------------


def test_png_claiming_ten_gigapixels() -> None:
    assert "too many pixels" in failure(png_claiming(100_000, 100_000), "bomb.png", "image/png")


def test_real_image_over_the_pixel_limit() -> None:
    data = image_bytes("PNG", (8000, 8000), mode="1")  # 64 MP in a few KB
    assert len(data) < 100_000
    assert "8000x8000" in failure(data, "huge.png", "image/png")


@pytest.mark.parametrize(
    ("real", "filename", "declared", "expected"),
    [
        ("JPEG", "photo.png", "image/png", "declared as a PNG image but is a JPEG image"),
        ("PNG", "photo.jpg", "", "declared as a JPEG image but is a PNG image"),
        ("GIF", "anim.webp", "image/webp", "declared as a WebP image but is a GIF image"),
    ],
)
def test_image_type_mismatch(real: str, filename: str, declared: str, expected: str) -> None:
    assert expected in failure(image_bytes(real), filename, declared)


def test_corrupt_and_truncated_images() -> None:
    corrupt = bytearray(image_bytes("PNG", (100, 100)))
    corrupt[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    assert "not a PNG, JPEG, GIF or WebP" in failure(bytes(corrupt), "c.png")
    assert "damaged" in failure(image_bytes("PNG", (300, 300))[:-40], "t.png")
    assert "not a PNG, JPEG, GIF or WebP" in failure(junk(1000), "j.png")


def test_only_the_four_image_decoders_are_tried() -> None:
    bmp = image_bytes("BMP")  # Pillow reads BMP, Parley must not
    assert "not a PNG, JPEG, GIF or WebP" in failure(bmp, "sneaky.png", "image/png")


# --- text kinds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (junk(2000), "notes.txt", "binary"),
        (b"hello\x00world" * 20, "code.py", "binary"),
        ("café crème".encode("latin-1"), "fr.txt", "not valid UTF-8"),
        (b"   \n\n  ", "blank.md", "no text"),
        (b"[" * 100_000 + b"]" * 100_000, "deep.json", "nested too deeply"),
        (b'{"a": }', "bad.json", "not valid JSON"),
        (b'a\n"' + b"x" * 200_000 + b'"\n', "wide.csv", "could not be read at row 2"),
        (junk(2000), "data.csv", "binary"),
    ],
    ids=["junk-text", "nul-code", "latin-1", "blank", "deep-json", "bad-json", "huge-field", "junk-csv"],
)
def test_broken_text(data: bytes, filename: str, expected: str) -> None:
    assert expected in failure(data, filename)
